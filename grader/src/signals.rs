//! SIGINT, SIGTERM and SIGHUP: end sdkata cleanly, whatever it is doing.
//!
//! Without this, Ctrl-C on `sdkata run`, `kill` of watch or a closed terminal
//! would end sdkata alone: its builds and test binaries live in process
//! groups of their own and would run on, and watch would leave the terminal
//! in raw mode on the alternate screen. A thread waits for the signals; by
//! default it kills every child group and exits with the shell's code for
//! the signal (128 + its number). Watch routes them to its event loop
//! instead, which restores the terminal before leaving the same way.

use std::sync::Mutex;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::children;

type Route = Box<dyn Fn(i32) + Send>;

/// Where signals go while watch runs.
static ROUTE: Mutex<Option<Route>> = Mutex::new(None);

/// Starts the thread that handles the signals. Called once, first in main.
pub fn install() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return; // no handlers: the default action still ends sdkata
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let route = ROUTE.lock().unwrap_or_else(|e| e.into_inner());
            match route.as_ref() {
                Some(send) => send(signal),
                None => exit(signal),
            }
        }
    });
}

/// Sends the next signals to `route` (watch's loop) until the guard drops.
pub fn route_to(route: impl Fn(i32) + Send + 'static) -> RouteGuard {
    *ROUTE.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(route));
    RouteGuard
}

pub struct RouteGuard;

impl Drop for RouteGuard {
    fn drop(&mut self) {
        *ROUTE.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Kills what sdkata started and exits as the signal would have.
pub fn exit(signal: i32) -> ! {
    children::kill_all();
    std::process::exit(128 + signal)
}

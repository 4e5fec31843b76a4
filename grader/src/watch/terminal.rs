//! The terminal while watching: raw mode on an alternate screen, restored on
//! every way out (return, error, Ctrl-C, panic), and a thread reading keys.

use std::io::{Write, stdout};
use std::sync::mpsc::Sender;

use anyhow::Result;
use crossterm::{cursor, event, execute, terminal};

use super::Input;
use super::session::Event;

/// Holds the terminal in watch mode; dropping it restores the terminal.
pub struct Guard;

impl Guard {
    pub fn enter() -> Result<Self> {
        terminal::enable_raw_mode()?;
        let guard = Guard; // from here on, Drop restores
        execute!(stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A panic in the checker thread is caught and shown; only the
            // main thread's ends watch.
            if std::thread::current().name() == Some("main") {
                restore();
            }
            default_hook(info);
        }));
        Ok(guard)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

fn restore() {
    let mut out = stdout();
    let _ = execute!(out, cursor::Show, terminal::LeaveAlternateScreen);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Forwards keys and resizes to the event loop until it goes away.
pub fn spawn_reader(tx: Sender<Input>) {
    std::thread::spawn(move || {
        loop {
            let sent = match event::read() {
                Ok(event::Event::Key(k)) if k.kind != event::KeyEventKind::Release => {
                    tx.send(Input::Event(Event::Key(k)))
                }
                Ok(event::Event::Resize(..)) => tx.send(Input::Event(Event::Resize)),
                Ok(_) => Ok(()),
                Err(e) => {
                    let _ = tx.send(Input::Event(Event::WatchError(format!(
                        "cannot read keys: {e}"
                    ))));
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
        }
    });
}

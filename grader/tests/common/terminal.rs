//! sdkata in a pseudo-terminal, as a learner sees it: keys in, screen out.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};
use nix::sys::termios::{LocalFlags, tcgetattr};

use super::Fixture;

/// Generous: the first check compiles the fixture, maybe on a loaded machine.
pub const WATCHDOG: Duration = Duration::from_secs(180);

pub struct Terminal {
    pub child: Child,
    pub slave: OwnedFd,
    pub keys: File,
    pub screen: Arc<Mutex<Vec<u8>>>,
}

impl Terminal {
    pub fn start(f: &Fixture) -> Self {
        Self::start_with(f, &["watch"])
    }

    pub fn start_with(f: &Fixture, args: &[&str]) -> Self {
        let size = Winsize {
            ws_row: 40,
            ws_col: 120,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&size), None).expect("openpty");
        let child = f
            .command(args)
            .env_remove("NO_COLOR")
            .stdin(Stdio::from(pty.slave.try_clone().unwrap()))
            .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
            .stderr(Stdio::from(pty.slave.try_clone().unwrap()))
            .spawn()
            .expect("start sdkata watch");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = File::from(pty.master.try_clone().unwrap());
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Terminal {
            child,
            slave: pty.slave,
            keys: File::from(pty.master),
            screen,
        }
    }

    /// Everything drawn so far, without escape sequences.
    pub fn text(&self) -> String {
        let raw = String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned();
        strip_ansi(&raw)
    }

    /// Waits until `needle` has been drawn after byte `from` of the plain text.
    pub fn wait_for(&self, needle: &str, from: usize) -> usize {
        let start = Instant::now();
        loop {
            let text = self.text();
            if let Some(at) = text.get(from..).and_then(|t| t.find(needle)) {
                return from + at + needle.len();
            }
            assert!(
                start.elapsed() < WATCHDOG,
                "never saw {needle:?}; screen:\n{}",
                &text[from.min(text.len())..]
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn press(&mut self, key: &str) {
        self.keys.write_all(key.as_bytes()).unwrap();
    }

    pub fn raw_mode(&self) -> bool {
        !tcgetattr(&self.slave)
            .unwrap()
            .local_flags
            .contains(LocalFlags::ICANON)
    }

    pub fn quit(mut self) -> (std::process::ExitStatus, Vec<u8>, bool) {
        self.press("q");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < WATCHDOG, "watch did not quit on q");
            std::thread::sleep(Duration::from_millis(20));
        };
        let flags = tcgetattr(&self.slave).unwrap().local_flags;
        let restored = flags.contains(LocalFlags::ICANON | LocalFlags::ECHO);
        let raw = self.screen.lock().unwrap().clone();
        (status, raw, restored)
    }
}

pub fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

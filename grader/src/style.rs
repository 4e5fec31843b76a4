//! Terminal colour: on for a terminal, off in pipes and whenever `NO_COLOR`
//! is set (https://no-color.org).

use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decides once, at start-up, whether to colour what goes to stdout.
pub fn init() {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    ENABLED.store(
        !no_color && std::io::stdout().is_terminal(),
        Ordering::Relaxed,
    );
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn paint(code: &str, text: impl Display) -> String {
    if enabled() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub fn bold(t: impl Display) -> String {
    paint("1", t)
}
pub fn dim(t: impl Display) -> String {
    paint("2", t)
}
pub fn red(t: impl Display) -> String {
    paint("31", t)
}
pub fn green(t: impl Display) -> String {
    paint("32", t)
}
pub fn yellow(t: impl Display) -> String {
    paint("33", t)
}
pub fn cyan(t: impl Display) -> String {
    paint("36", t)
}
pub fn heading(t: impl Display) -> String {
    paint("1;4", t)
}

/// `text` without ANSI escape sequences (for measuring and trimming).
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final-byte(@..~)
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

#[cfg(test)]
mod tests {
    #[test]
    fn strip_removes_csi_sequences() {
        assert_eq!(super::strip("\x1b[1;31merror\x1b[0m: x"), "error: x");
        assert_eq!(super::strip("plain"), "plain");
    }
}

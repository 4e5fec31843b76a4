//! Terminal colour, decided per stream: on for a terminal, off in pipes;
//! `NO_COLOR` (https://no-color.org) turns it off and `CLICOLOR_FORCE`
//! (https://bixense.com/clicolors) on, as the `colored` crate reads them.

use std::cell::Cell;
use std::ffi::OsString;
use std::fmt::Display;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use colored::{ColoredString, Colorize};

static STDOUT: AtomicBool = AtomicBool::new(false);
static STDERR: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread is styling text for stderr (see `on_stderr`).
    static FOR_STDERR: Cell<bool> = const { Cell::new(false) };
}

/// Decides once, at start-up, whether to colour each stream.
pub fn init() {
    let env = |key: &str| std::env::var_os(key);
    STDOUT.store(
        decide(env, std::io::stdout().is_terminal()),
        Ordering::Relaxed,
    );
    STDERR.store(
        decide(env, std::io::stderr().is_terminal()),
        Ordering::Relaxed,
    );
    // Whether to paint is decided here, per stream; `colored` only paints.
    colored::control::set_override(true);
}

/// The colour decision for a stream that is (or is not) a terminal:
/// `CLICOLOR_FORCE` other than "0" wins, then `NO_COLOR` (any non-empty
/// value), then `CLICOLOR=0`; otherwise colour exactly when it is a terminal.
fn decide(env: impl Fn(&str) -> Option<OsString>, terminal: bool) -> bool {
    let set = |key: &str| env(key).filter(|v| !v.is_empty());
    if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if set("NO_COLOR").is_some() || set("CLICOLOR").is_some_and(|v| v == "0") {
        return false;
    }
    terminal
}

/// Whether text styled now (for stdout, or for stderr inside `on_stderr`)
/// gets colour.
pub fn enabled() -> bool {
    let stream = if FOR_STDERR.get() { &STDERR } else { &STDOUT };
    stream.load(Ordering::Relaxed)
}

/// Styles the text `f` makes for stderr rather than stdout.
pub fn on_stderr<T>(f: impl FnOnce() -> T) -> T {
    let before = FOR_STDERR.replace(true);
    let out = f();
    FOR_STDERR.set(before);
    out
}

fn paint(text: impl Display, style: fn(&str) -> ColoredString) -> String {
    let text = text.to_string();
    if enabled() {
        style(&text).to_string()
    } else {
        text
    }
}

pub fn bold(t: impl Display) -> String {
    paint(t, |s| s.bold())
}
pub fn dim(t: impl Display) -> String {
    paint(t, |s| s.dimmed())
}
pub fn italic(t: impl Display) -> String {
    paint(t, |s| s.italic())
}
pub fn red(t: impl Display) -> String {
    paint(t, |s| s.red())
}
pub fn green(t: impl Display) -> String {
    paint(t, |s| s.green())
}
pub fn yellow(t: impl Display) -> String {
    paint(t, |s| s.yellow())
}
pub fn cyan(t: impl Display) -> String {
    paint(t, |s| s.cyan())
}
pub fn heading(t: impl Display) -> String {
    paint(t, |s| s.bold().underline())
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

/// `text` from a test or compiler made harmless for a terminal: colour
/// (SGR: `ESC [ ... m`) is kept, every other escape or control character
/// (clear screen, leave the alternate screen, set the title, a bell) is shown
/// as caret notation (`^[`) instead of being obeyed.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b'
            && let Some(len) = sgr_len(rest)
        {
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                let code = c as u32;
                if code < 0x20 {
                    out.push('^');
                    out.push(char::from_u32(code + 0x40).unwrap_or('?'));
                } else if code == 0x7f {
                    out.push_str("^?");
                } else {
                    out.push_str(&format!("\\u{{{code:x}}}"));
                }
            }
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The length of the SGR sequence `s` starts with, if it starts with one.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let params = body
        .find(|c: char| !(c.is_ascii_digit() || c == ';'))
        .unwrap_or(body.len());
    (body[params..].starts_with('m')).then_some(2 + params + 1)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    #[test]
    fn colour_follows_the_terminal_unless_the_environment_says_otherwise() {
        let decide = |vars: &[(&str, &str)], terminal: bool| {
            let vars: HashMap<String, OsString> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
                .collect();
            super::decide(|k| vars.get(k).cloned(), terminal)
        };
        assert!(decide(&[], true));
        assert!(!decide(&[], false));
        assert!(!decide(&[("NO_COLOR", "1")], true));
        assert!(
            decide(&[("NO_COLOR", "")], true),
            "an empty NO_COLOR is unset"
        );
        assert!(!decide(&[("CLICOLOR", "0")], true));
        assert!(decide(&[("CLICOLOR_FORCE", "1")], false));
        assert!(decide(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false));
        assert!(!decide(&[("CLICOLOR_FORCE", "0")], false));
    }

    #[test]
    fn inert_keeps_colour_and_defuses_the_rest() {
        use super::inert;
        assert_eq!(
            inert("\x1b[1;31merror\x1b[0m\tx\n"),
            "\x1b[1;31merror\x1b[0m\tx\n"
        );
        assert_eq!(inert("\x1b[2J\x1b[?1049l"), "^[[2J^[[?1049l");
        assert_eq!(inert("\x1b]0;title\x07\r"), "^[]0;title^G^M");
        assert_eq!(inert("bad\u{9b}2J"), "bad\\u{9b}2J");
    }

    #[test]
    fn strip_removes_csi_sequences() {
        assert_eq!(super::strip("\x1b[1;31merror\x1b[0m: x"), "error: x");
        assert_eq!(super::strip("plain"), "plain");
    }
}

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

//! How a failed request reads: the rule, a `curl` line, both sides, a caret.
//!
//! ```text
//! rule `expiry`: a link past its expiry answers 410 Gone
//!   reproduce: curl -i -X GET 'http://127.0.0.1:38211/Ab3x'
//!   status:    expected 410, received 302
//!   > GET /Ab3x
//!   < 302
//!   < location: https://example.com/a
//!   seed 7: replay it alone with SDKATA_SEED=7
//! ```

use std::fmt::Write;

/// The longest body shown in a transcript; the rest is counted, not shown.
pub const SHOWN_BODY: usize = 2_000;

/// Characters shown on each side of the first difference.
const CONTEXT: usize = 40;

/// `curl` arguments that replay a request: method, headers, then the body
/// inline when it is short UTF-8 text, or a note of its size otherwise.
pub fn curl_line(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> String {
    let mut line = format!("curl -i -X {method} {}", quote(url));
    for (name, value) in headers {
        write!(line, " -H {}", quote(&format!("{name}: {value}"))).expect("a String takes writes");
    }
    if !body.is_empty() {
        match std::str::from_utf8(body) {
            Ok(text) if body.len() <= SHOWN_BODY => {
                write!(line, " --data-binary {}", quote(text)).expect("a String takes writes");
            }
            _ => write!(line, " --data-binary @body  # the {}-byte body", body.len())
                .expect("a String takes writes"),
        }
    }
    line
}

/// A word quoted for a POSIX shell.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Expected against received, two escaped lines and a caret under the first
/// character that differs; `None` when they are equal.
pub fn caret_diff(expected: &[u8], received: &[u8]) -> Option<String> {
    if expected == received {
        return None;
    }
    let expected: Vec<char> = String::from_utf8_lossy(expected).chars().collect();
    let received: Vec<char> = String::from_utf8_lossy(received).chars().collect();
    let at = expected
        .iter()
        .zip(&received)
        .position(|(e, r)| e != r)
        .unwrap_or(expected.len().min(received.len()));
    let start = at.saturating_sub(CONTEXT);
    let show = |chars: &[char]| -> String {
        let end = chars.len().min(at + CONTEXT);
        let mut text = String::new();
        if start > 0 {
            text.push('…');
        }
        text.extend(chars[start..end].iter().flat_map(|c| c.escape_debug()));
        if end < chars.len() {
            text.push('…');
        }
        text
    };
    let prefix: usize = expected[start..at]
        .iter()
        .map(|c| c.escape_debug().count())
        .sum::<usize>()
        + usize::from(start > 0);
    let what = if at == received.len() {
        format!("received ends at character {at}")
    } else if at == expected.len() {
        format!("received goes on after character {at}")
    } else {
        format!("first difference at character {at}")
    };
    Some(format!(
        "expected \"{}\"\nreceived \"{}\"\n{}^ {what}",
        show(&expected),
        show(&received),
        " ".repeat("received \"".len() + prefix),
    ))
}

/// A body as a transcript shows it: escaped text, cut at [`SHOWN_BODY`].
pub fn shown_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SHOWN_BODY)]);
    let mut shown: String = text.escape_debug().collect();
    if body.len() > SHOWN_BODY {
        write!(shown, "… ({} bytes in all)", body.len()).expect("a String takes writes");
    }
    shown
}

/// Indents every line of `text` by `by`.
pub fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_first_difference() {
        let diff = caret_diff(b"https://a.example/x", b"https://a.example/y").unwrap();
        let lines: Vec<&str> = diff.lines().collect();
        assert_eq!(lines[0], r#"expected "https://a.example/x""#);
        assert_eq!(lines[1], r#"received "https://a.example/y""#);
        let caret = lines[2].find('^').unwrap();
        assert_eq!(&lines[1][caret..=caret], "y", "{diff}");
        assert!(
            lines[2].ends_with("first difference at character 18"),
            "{diff}"
        );
    }

    #[test]
    fn caret_counts_escapes_and_cuts_long_lines() {
        let expected = format!("{}\n\"a\"", "x".repeat(100));
        let received = format!("{}\n\"b\"", "x".repeat(100));
        let diff = caret_diff(expected.as_bytes(), received.as_bytes()).unwrap();
        let lines: Vec<Vec<char>> = diff.lines().map(|l| l.chars().collect()).collect();
        let caret = lines[2].iter().position(|&c| c == '^').unwrap();
        assert_eq!(
            lines[1][caret], 'b',
            "the caret counts characters, escapes included: {diff}"
        );
        let lines: Vec<&str> = diff.lines().collect();
        assert!(lines[1].starts_with("received \"…x"), "{diff}");
    }

    #[test]
    fn equal_and_prefix_bodies() {
        assert_eq!(caret_diff(b"same", b"same"), None);
        let short = caret_diff(b"abcd", b"ab").unwrap();
        assert!(short.ends_with("received ends at character 2"), "{short}");
        let long = caret_diff(b"ab", b"abcd").unwrap();
        assert!(
            long.ends_with("received goes on after character 2"),
            "{long}"
        );
    }

    #[test]
    fn curl_lines_replay_the_request() {
        let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        assert_eq!(
            curl_line(
                "POST",
                "http://127.0.0.1:1/shorten",
                &headers,
                br#"{"url":"it's"}"#
            ),
            r#"curl -i -X POST 'http://127.0.0.1:1/shorten' -H 'content-type: application/json' --data-binary '{"url":"it'\''s"}'"#
        );
        assert_eq!(
            curl_line("PUT", "http://h/p", &[], &[0xff; 3]),
            "curl -i -X PUT 'http://h/p' --data-binary @body  # the 3-byte body"
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let shown = shown_body(&vec![b'a'; SHOWN_BODY + 5]);
        assert!(shown.ends_with(&format!("… ({} bytes in all)", SHOWN_BODY + 5)));
        assert_eq!(shown_body(b"a\nb"), r"a\nb");
    }
}

//! Rust source as HTML with its tokens marked: keywords, strings, comments,
//! numbers, types, lifetimes and macros. A lexer of the notes' snippets, not
//! of the whole language: anything it does not know is plain text, so the
//! worst case is less colour, never lost or reordered code.

use crate::report::html::escape;

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while",
];

/// `source` as HTML, tokens wrapped in `<span class="...">`.
pub fn rust(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len() * 2);
    let mut i = 0;
    let span = |out: &mut String, class: &str, text: &[char]| {
        let text: String = text.iter().collect();
        out.push_str(&format!("<span class=\"{class}\">{}</span>", escape(&text)));
    };
    while i < chars.len() {
        let c = chars[i];
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            let end = rest.iter().position(|&c| c == '\n').unwrap_or(rest.len());
            span(&mut out, "cm", &rest[..end]);
            i += end;
        } else if rest.starts_with(&['/', '*']) {
            let end = (2..rest.len())
                .find(|&k| rest[k - 1] == '*' && rest[k] == '/')
                .map_or(rest.len(), |k| k + 1);
            span(&mut out, "cm", &rest[..end]);
            i += end;
        } else if c == '"' || (c == 'r' && matches!(rest.get(1), Some('"' | '#'))) {
            let end = string_end(rest);
            span(&mut out, "st", &rest[..end]);
            i += end;
        } else if c == '\'' {
            // A char literal ('a', '\n') or a lifetime ('a, 'static).
            let char_end = if rest.get(1) == Some(&'\\') {
                rest.iter().skip(2).position(|&c| c == '\'').map(|k| k + 3)
            } else {
                (rest.get(2) == Some(&'\'')).then_some(3)
            };
            match char_end {
                Some(end) => {
                    span(&mut out, "st", &rest[..end]);
                    i += end;
                }
                None => {
                    let end = 1 + rest[1..]
                        .iter()
                        .position(|c| !(c.is_alphanumeric() || *c == '_'))
                        .unwrap_or(rest.len() - 1);
                    span(&mut out, "lt", &rest[..end]);
                    i += end;
                }
            }
        } else if c.is_ascii_digit() {
            let end = rest
                .iter()
                .position(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
                .unwrap_or(rest.len());
            // `1..n` is a number and a range, not the number `1..`.
            let end = (0..end)
                .find(|&k| rest[k] == '.' && rest.get(k + 1) == Some(&'.'))
                .unwrap_or(end);
            span(&mut out, "nu", &rest[..end]);
            i += end;
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .iter()
                .position(|c| !(c.is_alphanumeric() || *c == '_'))
                .unwrap_or(rest.len());
            let word: String = rest[..end].iter().collect();
            if rest.get(end) == Some(&'!') && rest.get(end + 1) != Some(&'=') {
                span(&mut out, "mc", &rest[..=end]);
                i += end + 1;
                continue;
            }
            if KEYWORDS.contains(&word.as_str()) {
                span(&mut out, "kw", &rest[..end]);
            } else if word.starts_with(char::is_uppercase) {
                span(&mut out, "ty", &rest[..end]);
            } else {
                out.push_str(&escape(&word));
            }
            i += end;
        } else {
            out.push_str(&escape(&c.to_string()));
            i += 1;
        }
    }
    out
}

/// The length of the string literal at the start of `s`: `"..."` with
/// escapes, or `r"..."` / `r#"..."#`.
fn string_end(s: &[char]) -> usize {
    if s[0] == 'r' {
        let hashes = s[1..].iter().take_while(|&&c| c == '#').count();
        let open = 1 + hashes + 1;
        let close: Vec<char> = std::iter::once('"')
            .chain(std::iter::repeat_n('#', hashes))
            .collect();
        return (open..=s.len().saturating_sub(close.len()))
            .find(|&k| s[k..].starts_with(&close))
            .map_or(s.len(), |k| k + close.len());
    }
    let mut k = 1;
    while k < s.len() {
        match s[k] {
            '\\' => k += 2,
            '"' => return k + 1,
            _ => k += 1,
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_marked_and_nothing_is_lost() {
        let source = r##"fn get<'a>(m: &'a Map) -> Option<&'a str> { println!("{}", '\n'); let r = r#"x"#; 1..10 /* c */ }"##;
        let html = rust(source);
        for part in [
            "<span class=\"kw\">fn</span>",
            "<span class=\"lt\">&#39;a</span>",
            "<span class=\"ty\">Option</span>",
            "<span class=\"mc\">println!</span>",
            "<span class=\"st\">&quot;{}&quot;</span>",
            "<span class=\"st\">&#39;\\n&#39;</span>",
            "<span class=\"st\">r#&quot;x&quot;#</span>",
            "<span class=\"nu\">1</span>..<span class=\"nu\">10</span>",
            "<span class=\"cm\">/* c */</span>",
        ] {
            assert!(html.contains(part), "{part} in {html}");
        }
        // Strip the markup and undo the escapes: the source comes back.
        let mut text = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ if !in_tag => text.push(c),
                _ => {}
            }
        }
        let text = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        assert_eq!(text, source);
    }

    #[test]
    fn unterminated_literals_end_the_block() {
        assert_eq!(rust("\"open"), "<span class=\"st\">&quot;open</span>");
        assert_eq!(rust("/* open"), "<span class=\"cm\">/* open</span>");
    }
}

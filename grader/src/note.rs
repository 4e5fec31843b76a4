//! Concept notes (Markdown) rendered for a terminal: enough to read comfortably
//! (headings, emphasis on code, fenced blocks set apart), not a full renderer.

use crate::style::{bold, cyan, dim, heading};

pub fn render(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push_str(&format!("    {}\n", cyan(line)));
            continue;
        }
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&level) && trimmed[level..].starts_with(' ') {
            let text = trimmed[level..].trim();
            if level <= 2 {
                out.push_str(&format!("\n{}\n", heading(text)));
            } else {
                out.push_str(&format!("\n{}\n", bold(text)));
            }
            continue;
        }
        out.push_str(&inline(line));
        out.push('\n');
    }
    out
}

/// `code` in colour, **bold** in bold, the markers themselves dropped.
fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find('`')
        {
            out.push_str(&cyan(&after[..end]));
            rest = &after[end + 1..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("**")
            && let Some(end) = after.find("**")
        {
            out.push_str(&bold(&after[..end]));
            rest = &after[end + 2..];
            continue;
        }
        if rest.starts_with("---") && rest.trim() == "---" {
            out.push_str(&dim("────────"));
            break;
        }
        let c = rest.chars().next().expect("rest is not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_removed_when_plain() {
        let text = "# Title\nSome `code` and **bold**.\n```rust\nlet x = 1;\n```\n### Small\n";
        let out = render(text);
        assert_eq!(
            out,
            "\nTitle\nSome code and bold.\n    let x = 1;\n\nSmall\n"
        );
    }

    #[test]
    fn unclosed_markers_stay() {
        assert_eq!(inline("a `b"), "a `b");
        assert_eq!(inline("**x"), "**x");
    }
}

//! Drawing a frame: header, body (wrapped and scrolled to fit), key bar.

use std::io::{Write, stdout};

use anyhow::Result;
use crossterm::{cursor, queue, terminal};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::style::{dim, strip};

/// One frame's content; `draw` fits it to the terminal.
pub struct Frame {
    pub header: Vec<String>,
    pub body: Vec<String>,
    /// First body row to show (clamped).
    pub scroll: usize,
    pub keys: String,
    pub message: Option<String>,
}

/// Draws `frame` and returns the largest useful scroll offset.
pub fn draw(frame: &Frame) -> Result<usize> {
    let (cols, rows) = terminal::size().unwrap_or((80, 24));
    let (cols, rows) = (usize::from(cols).max(20), usize::from(rows).max(8));
    let rule = dim("─".repeat(cols));

    let header: Vec<String> = frame.header.iter().flat_map(|l| wrap(l, cols)).collect();
    let footer: Vec<String> = std::iter::once(rule.clone())
        .chain(wrap(&frame.keys, cols))
        .chain(frame.message.iter().flat_map(|m| wrap(m, cols)))
        .collect();
    let room = rows.saturating_sub(header.len() + 1 + footer.len()).max(1);
    let body: Vec<String> = frame.body.iter().flat_map(|l| wrap(l, cols)).collect();
    let max_scroll = body.len().saturating_sub(room);
    let scroll = frame.scroll.min(max_scroll);
    let mut visible: Vec<String> = body[scroll..].iter().take(room).cloned().collect();
    if body.len() > scroll + room {
        // Keep the last row to say there is more.
        visible.truncate(room.saturating_sub(1));
        visible.push(dim(format!(
            "… {} more lines (↓/j to scroll)",
            body.len() - scroll - visible.len()
        )));
    }

    let mut out = stdout().lock();
    queue!(
        out,
        terminal::BeginSynchronizedUpdate,
        cursor::MoveTo(0, 0),
        terminal::Clear(terminal::ClearType::All)
    )?;
    let lines = header
        .iter()
        .chain(std::iter::once(&rule))
        .chain(visible.iter())
        .cloned()
        .chain(std::iter::repeat_n(
            String::new(),
            room.saturating_sub(visible.len()),
        ))
        .chain(footer);
    for (i, line) in lines.enumerate() {
        if i > 0 {
            write!(out, "\r\n")?;
        }
        write!(out, "{line}\x1b[0m")?;
    }
    queue!(out, terminal::EndSynchronizedUpdate)?;
    out.flush()?;
    Ok(max_scroll)
}

/// Splits a line (which may hold ANSI colour codes) into rows at most
/// `width` terminal columns wide (a CJK character or an emoji takes two).
/// Codes stay in the row where they appear; the terminal carries the colour on.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let line = line.replace('\t', "    ");
    if strip(&line).width() <= width {
        return vec![line];
    }
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut visible = 0;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            row.push(c);
            if chars.peek() == Some(&'[') {
                for c in chars.by_ref() {
                    row.push(c);
                    if ('@'..='~').contains(&c) && c != '[' {
                        break;
                    }
                }
            }
            continue;
        }
        let w = c.width().unwrap_or(0);
        if visible + w > width && visible > 0 {
            rows.push(std::mem::take(&mut row));
            visible = 0;
        }
        row.push(c);
        visible += w;
    }
    rows.push(row);
    rows
}

#[cfg(test)]
mod tests {
    use super::wrap;
    use crate::style::strip;

    #[test]
    fn wraps_on_visible_characters_only() {
        let line = "\x1b[31mabcdef\x1b[0mgh";
        let rows = wrap(line, 3);
        let plain: Vec<String> = rows.iter().map(|r| strip(r)).collect();
        assert_eq!(plain, ["abc", "def", "gh"]);
        assert!(rows[0].starts_with("\x1b[31m"));
        assert_eq!(wrap("short", 10), ["short"]);
        assert_eq!(
            wrap("数据库ab", 5),
            ["数据", "库ab"],
            "wide characters take two columns"
        );
        assert_eq!(wrap("a数", 2), ["a", "数"], "never half a character");
        assert_eq!(wrap("", 10), [""]);
    }
}

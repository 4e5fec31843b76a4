//! Concept notes (Markdown, parsed by pulldown-cmark) rendered for a
//! terminal: headings, emphasis, code, lists with their numbers, quotes,
//! rules, and tables laid out in columns by display width.

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use unicode_width::UnicodeWidthStr;

use crate::style::{bold, cyan, dim, heading, italic, strip};

pub fn render(markdown: &str) -> String {
    let mut r = Renderer::default();
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        r.event(event);
    }
    r.flush_line();
    let mut out = r.out.join("\n");
    out.push('\n');
    out
}

/// Inline styles open at the current point of the text.
#[derive(Default, Clone, Copy)]
struct Inline {
    bold: bool,
    italic: bool,
}

#[derive(Default)]
struct Renderer {
    out: Vec<String>,
    /// The line being built, styled.
    line: String,
    inline: Inline,
    /// One entry per open list: the next item's number, or `None` for bullets.
    lists: Vec<Option<u64>>,
    /// Prefix of continuation lines inside list items and quotes.
    indent: String,
    quote_depth: usize,
    code: Option<Vec<String>>,
    table: Option<Table>,
    heading: Option<HeadingLevel>,
    /// A link's target, shown after its text when they differ.
    link: Option<String>,
    link_text: String,
}

#[derive(Default)]
struct Table {
    align: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    header_rows: usize,
}

impl Renderer {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if let Some(code) = &mut self.code {
                    code.extend(text.lines().map(str::to_owned));
                } else {
                    self.text(&text);
                }
            }
            Event::Code(code) => self.push(&cyan(&*code)),
            Event::SoftBreak | Event::HardBreak => self.flush_line(),
            Event::Rule => {
                self.blank();
                self.out.push(dim("────────"));
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::TaskListMarker(done) => self.push(if done { "[x] " } else { "[ ] " }),
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph if self.lists.is_empty() => self.blank(),
            Tag::Heading { level, .. } => {
                self.blank();
                self.heading = Some(level);
            }
            Tag::BlockQuote(_) => {
                self.blank();
                self.quote_depth += 1;
            }
            Tag::CodeBlock(kind) => {
                self.flush_line();
                if matches!(kind, CodeBlockKind::Fenced(_)) || self.lists.is_empty() {
                    self.blank();
                }
                self.code = Some(Vec::new());
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.blank();
                } else {
                    self.flush_line();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush_line();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => "• ".to_owned(),
                };
                self.line = format!("{}{marker}", "   ".repeat(depth));
                self.indent = " ".repeat(3 * depth + UnicodeWidthStr::width(marker.as_str()));
            }
            Tag::Table(align) => {
                self.blank();
                self.table = Some(Table {
                    align,
                    ..Table::default()
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.line.clear(),
            Tag::Emphasis => self.inline.italic = true,
            Tag::Strong => self.inline.bold = true,
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.into_string());
                self.link_text.clear();
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush_line(),
            TagEnd::Heading(level) => {
                let text = std::mem::take(&mut self.line);
                let plain = strip(&text);
                self.out.push(if level <= HeadingLevel::H2 {
                    heading(plain)
                } else {
                    bold(plain)
                });
                self.heading = None;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_line();
                self.quote_depth -= 1;
            }
            TagEnd::CodeBlock => {
                let lines = self.code.take().unwrap_or_default();
                for l in lines {
                    let row = format!("{}    {}", self.indent, cyan(l));
                    self.out.push(row);
                }
            }
            TagEnd::List(_) => {
                self.flush_line();
                self.lists.pop();
                let depth = self.lists.len();
                self.indent = " ".repeat(3 * depth);
            }
            TagEnd::Item => self.flush_line(),
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.header_rows = t.rows.len();
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.line);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    self.out.extend(t.render());
                }
            }
            TagEnd::Emphasis => self.inline.italic = false,
            TagEnd::Strong => self.inline.bold = false,
            TagEnd::Link => {
                if let Some(url) = self.link.take()
                    && url != self.link_text
                {
                    self.push(&dim(format!(" ({url})")));
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.link.is_some() {
            self.link_text.push_str(text);
        }
        let styled = match self.inline {
            _ if self.heading.is_some() => text.to_owned(),
            Inline { bold: true, .. } => bold(text),
            Inline { italic: true, .. } => italic(text),
            _ => text.to_owned(),
        };
        self.push(&styled);
    }

    fn push(&mut self, styled: &str) {
        if self.line.is_empty() && !self.indent.is_empty() && self.table.is_none() {
            self.line.push_str(&self.indent);
        }
        self.line.push_str(styled);
    }

    /// Ends the line being built, if any.
    fn flush_line(&mut self) {
        if self.table.is_some() || self.heading.is_some() {
            return;
        }
        if !self.line.is_empty() {
            let quote = dim("│ ").repeat(self.quote_depth);
            let line = std::mem::take(&mut self.line);
            self.out.push(format!("{quote}{line}"));
        }
    }

    /// One empty line between blocks (never two, never at the top).
    fn blank(&mut self) {
        self.flush_line();
        if self.out.last().is_some_and(|l| !l.is_empty()) {
            self.out.push(String::new());
        }
    }
}

impl Table {
    /// Columns padded to their widest cell (by display width), the header
    /// in bold and ruled off.
    fn render(&self) -> Vec<String> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width = |cell: &str| UnicodeWidthStr::width(strip(cell).as_str());
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| width(cell))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let cells: Vec<String> = (0..columns)
                .map(|c| {
                    let cell = row.get(c).map_or("", String::as_str);
                    let pad = widths[c] - width(cell);
                    let cell = if i < self.header_rows {
                        bold(strip(cell))
                    } else {
                        cell.to_owned()
                    };
                    match self.align.get(c) {
                        Some(Alignment::Right) => format!("{}{cell}", " ".repeat(pad)),
                        Some(Alignment::Center) => {
                            format!("{}{cell}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
                        }
                        _ => format!("{cell}{}", " ".repeat(pad)),
                    }
                })
                .collect();
            out.push(
                format!("  {}", cells.join(&dim(" │ ")))
                    .trim_end()
                    .to_owned(),
            );
            if i + 1 == self.header_rows {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                out.push(dim(format!("  {}", rule.join("─┼─"))));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_removed_when_plain() {
        let text = "# Title\nSome `code` and **bold**.\n```rust\nlet x = 1;\n```\n### Small\n";
        assert_eq!(
            render(text),
            "Title\n\nSome code and bold.\n\n    let x = 1;\n\nSmall\n"
        );
    }

    #[test]
    fn lists_keep_their_numbers_and_indent_continuations() {
        let text = "1. *Why?* Because\n   it is.\n2. **b**: two\n\n- x\n  - y\n";
        assert_eq!(
            render(text),
            "1. Why? Because\n   it is.\n2. b: two\n\n• x\n   • y\n"
        );
    }

    #[test]
    fn tables_are_laid_out_by_display_width() {
        let text = "| a | wide |\n|---|---:|\n| 数据 | 1 |\n| x | 22 |\n";
        assert_eq!(
            render(text),
            "  a    │ wide\n  ─────┼─────\n  数据 │    1\n  x    │   22\n"
        );
    }

    #[test]
    fn quotes_rules_and_links() {
        let text = "> said\n\n---\n\nsee [the paper](https://x.org/p) or <https://x.org>\n";
        assert_eq!(
            render(text),
            "│ said\n\n────────\n\nsee the paper (https://x.org/p) or https://x.org\n"
        );
    }
}

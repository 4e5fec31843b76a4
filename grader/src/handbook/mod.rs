//! `sdkata handbook`: every concept note in one self-contained HTML book.
//!
//! The book is built from the same README files the lessons ship, in course
//! order: a table of contents by track, each note with its headings moved
//! one level down under the lesson's own, Rust code highlighted, text
//! diagrams kept monospaced, "the raft lesson" linked to the raft chapter,
//! and at the end the interview questions of every note collected per topic.
//! Markdown is rendered by pulldown-cmark; nothing is fetched, nothing runs.

mod highlight;

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::{Context, Result};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::course::{Course, Lesson, TOPICS};
use crate::report::html::escape;

const STYLE: &str = "
body { font: 16px/1.55 Georgia, 'DejaVu Serif', serif; margin: 0; color: #1b1f24; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.2rem 4rem; }
nav.toc { max-width: 46rem; margin: 0 auto; padding: 1rem 1.2rem; }
h1, h2, h3, h4, h5 { font-family: system-ui, sans-serif; line-height: 1.25; }
h1.book { font-size: 2.2rem; margin-top: 2rem; }
section.track > h1 { font-size: 1.8rem; border-bottom: 2px solid #1b1f24; padding-bottom: 0.3rem; margin-top: 4rem; }
article.lesson > h2 { font-size: 1.5rem; margin-top: 3rem; }
article.lesson > h2 .name { font: 0.8rem ui-monospace, monospace; color: #57606a; margin-left: 0.5rem; }
code, pre { font: 0.86rem/1.45 ui-monospace, 'DejaVu Sans Mono', monospace; }
code { background: #f3f4f6; padding: 0.05rem 0.25rem; border-radius: 3px; }
pre { background: #f6f8fa; padding: 0.8rem 1rem; overflow-x: auto; border-radius: 4px; white-space: pre; }
pre code { background: none; padding: 0; }
.kw { color: #cf222e; } .st { color: #0a3069; } .cm { color: #6e7781; font-style: italic; }
.nu { color: #0550ae; } .ty { color: #8250df; } .lt { color: #953800; } .mc { color: #116329; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
blockquote { border-left: 3px solid #d0d7de; margin-left: 0; padding-left: 1rem; color: #424a53; }
nav.toc ol { padding-left: 1.4rem; } nav.toc a { text-decoration: none; }
.meta { color: #57606a; font: 0.85rem system-ui, sans-serif; }
@media print { section.track, article.lesson { break-before: page; } }
";

/// One lesson's note, read from disk.
struct Chapter<'a> {
    lesson: &'a Lesson,
    markdown: String,
}

/// Builds the book from the course's notes.
pub fn build(course: &Course) -> Result<String> {
    let chapters: Vec<Chapter> = course
        .lessons
        .iter()
        .map(|lesson| {
            let path = lesson.note_path();
            let markdown = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the concept note {}", path.display()))?;
            Ok(Chapter { lesson, markdown })
        })
        .collect::<Result<_>>()?;
    let names: Vec<&str> = course.lessons.iter().map(|l| l.name.as_str()).collect();

    let mut out = String::new();
    // Writing to a String cannot fail; `write!` results are ignored below.
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>The sdkata handbook</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    out.push_str(&contents(course));
    out.push_str("<main>\n");
    for track in &course.tracks {
        let _ = writeln!(
            out,
            "<section class=\"track\" id=\"track-{}\">\n<h1>{}</h1>",
            track.id,
            escape(&track.title)
        );
        for chapter in chapters.iter().filter(|c| c.lesson.track == track.id) {
            out.push_str(&article(chapter, &names));
        }
        out.push_str("</section>\n");
    }
    out.push_str(&questions_by_topic(&chapters, &names));
    out.push_str("</main>\n</body>\n</html>\n");
    Ok(out)
}

fn contents(course: &Course) -> String {
    let mut out = String::from(
        "<nav class=\"toc\">\n<h1 class=\"book\">The sdkata handbook</h1>\n\
         <p class=\"meta\">Every concept note of the course, in course order, \
         for the night before an interview.</p>\n<ol>\n",
    );
    for track in &course.tracks {
        let _ = write!(
            out,
            "<li><a href=\"#track-{}\">{}</a>\n<ol>\n",
            track.id,
            escape(&track.title)
        );
        for l in course.lessons.iter().filter(|l| l.track == track.id) {
            let _ = writeln!(
                out,
                "<li><a href=\"#lesson-{}\">{}</a></li>",
                l.name,
                escape(&l.title)
            );
        }
        out.push_str("</ol></li>\n");
    }
    out.push_str(
        "<li><a href=\"#questions\">Interview questions by topic</a></li>\n</ol>\n</nav>\n",
    );
    out
}

fn article(chapter: &Chapter, names: &[&str]) -> String {
    let lesson = chapter.lesson;
    let mut out = format!(
        "<article class=\"lesson\" id=\"lesson-{0}\">\n<h2>{1}<span class=\"name\">sdkata run {0}</span></h2>\n",
        lesson.name,
        escape(&lesson.title)
    );
    // The note's own first heading is the title just written.
    let body = chapter
        .markdown
        .split_once('\n')
        .filter(|(first, _)| first.starts_with("# "))
        .map_or(chapter.markdown.as_str(), |(_, rest)| rest);
    out.push_str(&render(body, &lesson.name, names, 1));
    out.push_str("</article>\n");
    out
}

/// Markdown to HTML: headings moved `shift` levels down (and given ids
/// under `prefix`), Rust code highlighted, "the NAME lesson" linked.
fn render(markdown: &str, prefix: &str, names: &[&str], shift: usize) -> String {
    let mut events = Vec::new();
    // Inside a fenced block: whether it is Rust, and its text so far.
    let mut code: Option<(bool, String)> = None;
    let mut heading_text = String::new();
    let mut in_heading = false;
    let mut in_link = false;
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    for event in parser {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let rust = matches!(&kind, CodeBlockKind::Fenced(lang)
                    if lang.split(',').next().is_some_and(|l| l.trim() == "rust"));
                code = Some((rust, String::new()));
            }
            Event::Text(text) if code.is_some() => {
                if let Some((_, code)) = code.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let (rust, text) = code.take().unwrap_or_default();
                let (class, body) = if rust {
                    (" class=\"rust\"", highlight::rust(&text))
                } else {
                    ("", escape(&text))
                };
                events.push(Event::Html(CowStr::from(format!(
                    "<pre{class}><code>{body}</code></pre>\n"
                ))));
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) => {
                in_heading = true;
                heading_text.clear();
                events.push(Event::Start(Tag::Heading {
                    level: demote(level, shift),
                    id,
                    classes,
                    attrs,
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                in_heading = false;
                // Give the heading an id from its text.
                let slug = slug(&heading_text);
                if let Some(start) = events.iter_mut().rev().find_map(|e| match e {
                    Event::Start(Tag::Heading { id, .. }) => Some(id),
                    _ => None,
                }) {
                    *start = Some(CowStr::from(format!("{prefix}-{slug}")));
                }
                events.push(Event::End(TagEnd::Heading(demote(level, shift))));
            }
            Event::Start(Tag::Link { .. }) => {
                in_link = true;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link = false;
                events.push(event);
            }
            Event::Text(text) => {
                if in_heading {
                    heading_text.push_str(&text);
                }
                if in_link || in_heading {
                    events.push(Event::Text(text));
                } else {
                    events.push(Event::Html(CowStr::from(link_lessons(&text, names))));
                }
            }
            Event::Code(text) if in_heading => {
                heading_text.push_str(&text);
                events.push(Event::Code(text));
            }
            other => events.push(other),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

fn demote(level: HeadingLevel, by: usize) -> HeadingLevel {
    const LEVELS: [HeadingLevel; 6] = [
        HeadingLevel::H1,
        HeadingLevel::H2,
        HeadingLevel::H3,
        HeadingLevel::H4,
        HeadingLevel::H5,
        HeadingLevel::H6,
    ];
    LEVELS[(level as usize - 1 + by).min(5)]
}

/// A heading's text as an id: lower case, words joined by `-`.
fn slug(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.join("-")
}

/// Text as HTML, with "the raft lesson" and "the message_queue and
/// event_bus lessons" linked to those chapters.
fn link_lessons(text: &str, names: &[&str]) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let is_lesson_word = |w: &str| w == "lesson" || w.starts_with("lesson") && w.len() <= 8;
    let mut out = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let linked = names.contains(word) && {
            // NAME lesson, NAME lessons, or NAME and NAME lessons.
            let next = words.get(i + 1).copied().unwrap_or("");
            let and_chain = next == "and"
                && words.get(i + 2).is_some_and(|w| names.contains(w))
                && words.get(i + 3).is_some_and(|w| is_lesson_word(w));
            is_lesson_word(next) || and_chain
        };
        if linked {
            out.push(format!("<a href=\"#lesson-{word}\">{word}</a>"));
        } else {
            out.push(escape(word));
        }
    }
    out.join(" ")
}

/// The `## Interview questions` section of a note, if it has one.
fn interview_questions(markdown: &str) -> Option<&str> {
    let start = markdown.find("\n## Interview questions")?;
    let body = &markdown[start + 1..];
    let body = body.split_once('\n').map_or("", |(_, rest)| rest);
    Some(body.find("\n## ").map_or(body, |end| &body[..end]))
}

fn questions_by_topic(chapters: &[Chapter], names: &[&str]) -> String {
    let mut by_topic: BTreeMap<usize, Vec<&Chapter>> = BTreeMap::new();
    let mut untagged = Vec::new();
    for chapter in chapters {
        if chapter.lesson.topics.is_empty() {
            untagged.push(chapter);
        }
        for topic in &chapter.lesson.topics {
            let order = TOPICS
                .iter()
                .position(|(id, _)| id == topic)
                .unwrap_or(TOPICS.len());
            by_topic.entry(order).or_default().push(chapter);
        }
    }
    let mut out = String::from(
        "<section class=\"track\" id=\"questions\">\n<h1>Interview questions by topic</h1>\n\
         <p class=\"meta\">The questions of every note, gathered under the topics \
         info.toml maps each lesson to; a lesson with several topics appears under each.</p>\n",
    );
    let mut groups: Vec<(&str, Vec<&Chapter>)> = by_topic
        .into_iter()
        .map(|(order, of)| (TOPICS.get(order).map_or("Other", |(_, label)| *label), of))
        .collect();
    if !untagged.is_empty() {
        groups.push(("Other", untagged));
    }
    for (label, of) in groups {
        let _ = writeln!(out, "<h2>{}</h2>", escape(label));
        for chapter in of {
            let Some(questions) = interview_questions(&chapter.markdown) else {
                continue;
            };
            let _ = writeln!(
                out,
                "<h3><a href=\"#lesson-{}\">{}</a></h3>",
                chapter.lesson.name,
                escape(&chapter.lesson.title)
            );
            out.push_str(&render(
                questions,
                &format!("q-{}-{}", slug(label), chapter.lesson.name),
                names,
                2,
            ));
        }
    }
    out.push_str("</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 3] = ["raft", "message_queue", "event_bus"];

    #[test]
    fn lesson_mentions_become_links() {
        assert_eq!(
            link_lessons("needs consensus (the raft lesson in track", &NAMES),
            "needs consensus (the <a href=\"#lesson-raft\">raft</a> lesson in track"
        );
        assert_eq!(
            link_lessons("the message_queue and event_bus lessons", &NAMES),
            "the <a href=\"#lesson-message_queue\">message_queue</a> and \
             <a href=\"#lesson-event_bus\">event_bus</a> lessons"
        );
        assert_eq!(
            link_lessons("raft is a protocol & <fun>", &NAMES),
            "raft is a protocol &amp; &lt;fun&gt;",
            "a bare name is not a reference to the lesson"
        );
    }

    #[test]
    fn notes_render_demoted_with_ids_and_highlighting() {
        let html = render(
            "## The idea\n\nUse `x`.\n\n```rust\nlet n = 1; // one\n```\n\n```text\n<a> -> b\n```\n",
            "raft",
            &NAMES,
            1,
        );
        assert!(
            html.contains("<h3 id=\"raft-the-idea\">The idea</h3>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"kw\">let</span>"), "{html}");
        assert!(html.contains("<span class=\"cm\">// one</span>"), "{html}");
        assert!(
            html.contains("<pre><code>&lt;a&gt; -&gt; b\n</code></pre>"),
            "{html}"
        );
    }

    #[test]
    fn the_questions_section_is_cut_out() {
        let note = "# T\n## Pitfalls\nx\n## Interview questions\n1. *Q?* A.\n## What the tests check\n1. y\n";
        assert_eq!(interview_questions(note), Some("1. *Q?* A."));
        assert_eq!(interview_questions("# T\n## The idea\n"), None);
    }
}

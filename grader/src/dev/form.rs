//! The lesson form of `docs/lesson-form.md`, as `dev check` holds lessons to
//! it: the concept note's sections, the stub's header, given files, and
//! per-stage hints. Every function returns problems as sentences.

use std::path::Path;

use crate::course::Lesson;

/// The comment above the stub's `#![allow(...)]`, word for word.
pub const ALLOW_COMMENT: &str = "// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.";

/// Lints a stub may allow while its bodies are `todo!()`.
const STUB_LINTS: [&str; 4] = [
    "unused_variables",
    "dead_code",
    "unused_imports",
    "unused_mut",
];

/// The sections every note opens with, in order.
const HEAD: [&str; 2] = ["The problem", "The idea"];

/// The sections every note ends with, in order.
const TAIL: [&str; 5] = [
    "Trade-offs",
    "How real systems do it",
    "Pitfalls",
    "Interview questions",
    "What the tests check",
];

const FORM: &str = "docs/lesson-form.md";

/// Everything wrong with a lesson's form. `stages` are the stage modules in
/// stage order.
pub fn problems(lesson: &Lesson, stages: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let name = &lesson.name;
    if let Ok(note) = std::fs::read_to_string(lesson.note_path()) {
        out.extend(note_problems(&lesson.title, stages, &note));
    }
    if let Ok(stub) = std::fs::read_to_string(lesson.exercise_dir.join("src/lib.rs")) {
        out.extend(stub_problems(&stub));
    }
    if let Ok(solution) = std::fs::read_to_string(lesson.solution_dir.join("src/lib.rs"))
        && solution.contains(ALLOW_COMMENT)
    {
        out.push("the solution keeps the stub's allow line; remove it".to_owned());
    }
    out.extend(given_problems(lesson));
    out.extend(crate::exam::bank::problems(lesson));
    for file in rust_files(&lesson.exercise_dir.join("tests")) {
        if let Ok(text) = std::fs::read_to_string(&file) {
            let rel = file.strip_prefix(&lesson.exercise_dir).unwrap_or(&file);
            out.extend(proptest_problems(&rel.display().to_string(), &text));
        }
    }
    for stage in lesson.stage_hints.keys() {
        if !stages.contains(&stage.as_str()) {
            out.push(format!(
                "info.toml has stage_hints for {stage:?}, which is not a stage (stages: {})",
                stages.join(", ")
            ));
        }
    }
    out.into_iter()
        .map(|p| format!("{name}: {p} (see {FORM})"))
        .collect()
}

/// A heading of a Markdown text, outside code blocks.
struct Heading<'a> {
    level: usize,
    text: &'a str,
    /// Index of its line.
    line: usize,
}

fn headings(text: &str) -> Vec<Heading<'_>> {
    let mut out = Vec::new();
    let mut fenced = false;
    for (line, l) in text.lines().enumerate() {
        if l.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let level = l.bytes().take_while(|&b| b == b'#').count();
        if level > 0 && l[level..].starts_with(' ') {
            out.push(Heading {
                level,
                text: l[level..].trim(),
                line,
            });
        }
    }
    out
}

/// The concept note: title, section order, and the two numbered lists.
pub fn note_problems(title: &str, stages: &[&str], text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let first = text.lines().next().unwrap_or_default();
    if first != format!("# {title}") {
        out.push(format!(
            "the note's first line is {first:?}; it must be \"# {title}\", the title in info.toml"
        ));
    }
    let all = headings(text);
    let sections: Vec<&Heading> = all.iter().filter(|h| h.level == 2).collect();
    let names: Vec<&str> = sections.iter().map(|h| h.text).collect();
    if names.len() < HEAD.len() + TAIL.len()
        || names[..HEAD.len()] != HEAD
        || names[names.len() - TAIL.len()..] != TAIL
        || names[HEAD.len()..names.len() - TAIL.len()]
            .iter()
            .any(|n| HEAD.contains(n) || TAIL.contains(n))
    {
        out.push(format!(
            "the note's sections are [{}]; they must open with {} and end with {}",
            names.join(" · "),
            HEAD.join(" · "),
            TAIL.join(" · ")
        ));
        return out;
    }
    let lines: Vec<&str> = text.lines().collect();
    let body = |name: &str| -> &[&str] {
        let at = sections.iter().position(|h| h.text == name).unwrap_or(0);
        let start = sections[at].line + 1;
        let end = sections.get(at + 1).map_or(lines.len(), |h| h.line);
        &lines[start..end]
    };

    let questions = items(body("Interview questions"));
    if questions.iter().any(|i| i.number.is_none()) || questions.len() < 4 {
        out.push(format!(
            "`Interview questions` must be a numbered list of at least four (`1. *Question?* Answer.`); it has {} items, {} numbered",
            questions.len(),
            questions.iter().filter(|i| i.number.is_some()).count()
        ));
    }

    let checks = items(body("What the tests check"));
    let want: Vec<String> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. **{s}**", i + 1))
        .collect();
    let ok = checks.len() == want.len()
        && checks.iter().zip(&want).all(|(item, w)| {
            item.text.starts_with(w.as_str()) && item.text[w.len()..].starts_with([':', ' ', ','])
        });
    if !ok {
        out.push(format!(
            "`What the tests check` must be a numbered list with one item per stage, in order, each opening with the stage module in bold: {}",
            want.join(" … ")
        ));
    }
    out
}

/// A top-level list item.
struct Item<'a> {
    number: Option<u32>,
    text: &'a str,
}

/// The top-level list items of a section (continuation lines are indented).
fn items<'a>(lines: &[&'a str]) -> Vec<Item<'a>> {
    let mut out = Vec::new();
    let mut fenced = false;
    for l in lines {
        if l.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        if l.starts_with("- ") || l.starts_with("* ") {
            out.push(Item {
                number: None,
                text: l,
            });
        } else if let Some((n, _)) = l.split_once(". ")
            && let Ok(n) = n.parse()
        {
            out.push(Item {
                number: Some(n),
                text: l,
            });
        }
    }
    out
}

/// The stub's header: module docs, then the allow comment and line.
pub fn stub_problems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    if !lines.first().is_some_and(|l| l.starts_with("//!")) {
        out.push("the stub must open with its module documentation (`//!` lines)".to_owned());
    }
    let allows: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("#![allow("))
        .collect();
    let [at] = allows[..] else {
        out.push(format!(
            "the stub needs exactly one `#![allow(...)]` line, under {ALLOW_COMMENT:?} (found {})",
            allows.len()
        ));
        return out;
    };
    if at == 0 || lines[at - 1] != ALLOW_COMMENT {
        out.push(format!(
            "the line above the stub's `#![allow(...)]` must read {ALLOW_COMMENT:?}"
        ));
    }
    if lines[at..].iter().any(|l| l.starts_with("//!")) {
        out.push("the module documentation must come before the allow line".to_owned());
    }
    let lints = lines[at]
        .trim_start_matches("#![allow(")
        .trim_end_matches(")]")
        .split(',')
        .map(str::trim);
    for lint in lints {
        if !STUB_LINTS.contains(&lint) {
            out.push(format!(
                "the stub allows `{lint}`; a stub may allow only {}",
                STUB_LINTS.join(", ")
            ));
        }
    }
    out
}

/// Every `proptest!` block fixes its seed and writes no failure files: a
/// spec gives the same verdict on every run and leaves the lesson as shipped.
pub fn proptest_problems(file: &str, text: &str) -> Vec<String> {
    let blocks = text.matches("proptest! {").count();
    let seeded = text.matches("RngSeed::Fixed(").count();
    let quiet = text.matches("failure_persistence: None").count();
    if seeded >= blocks && quiet >= blocks {
        return Vec::new();
    }
    vec![format!(
        "{file} has {blocks} proptest! blocks, {seeded} with `rng_seed: RngSeed::Fixed(..)` and {quiet} with `failure_persistence: None`; every block needs both"
    )]
}

/// Files the lesson gives (first line `// Given: ...`) are the same on both
/// sides, and a file that is the same on both sides says it is given: the
/// learner should not have to diff it to learn there is nothing to write.
fn given_problems(lesson: &Lesson) -> Vec<String> {
    let mut out = Vec::new();
    let src = lesson.exercise_dir.join("src");
    for file in rust_files(&src) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let rel = file.strip_prefix(&lesson.exercise_dir).unwrap_or(&file);
        let twin = std::fs::read_to_string(lesson.solution_dir.join(rel));
        if !text.starts_with("// Given:") {
            if twin.is_ok_and(|t| t == text) {
                out.push(format!(
                    "{} is the same as the solution's copy but does not start with `// Given: ...`; mark it given",
                    rel.display()
                ));
            }
            continue;
        }
        match twin {
            Ok(t) if t == text => {}
            Ok(_) => out.push(format!(
                "{} is given (`// Given:`) but differs from the solution's copy; make them identical",
                rel.display()
            )),
            Err(_) => out.push(format!(
                "{} is given (`// Given:`) but the solution has no copy of it",
                rel.display()
            )),
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTE: &str = "# Bloom filters: sized\n\nLede.\n\n## The problem\n\n## The idea\n\n```\n## not a heading\n```\n\n## Sizing\n\n## Trade-offs\n\n## How real systems do it\n\n## Pitfalls\n\n## Interview questions\n\n1. *A?* a.\n2. *B?* b.\n   more of b\n3. *C?* c.\n4. *D?* d.\n\n## What the tests check\n\n1. **sizing**: m and k.\n2. **membership**: no false negatives.\n";

    #[test]
    fn a_note_in_form_passes() {
        let p = note_problems("Bloom filters: sized", &["sizing", "membership"], NOTE);
        assert!(p.is_empty(), "{p:?}");
    }

    #[test]
    fn the_title_must_match_info_toml() {
        let p = note_problems("Bloom filters", &["sizing", "membership"], NOTE);
        assert!(p[0].contains("\"# Bloom filters\""), "{p:?}");
    }

    #[test]
    fn sections_out_of_order_or_renamed_are_named() {
        let swapped = NOTE.replace("## Pitfalls", "## Real systems");
        let p = note_problems("Bloom filters: sized", &["sizing", "membership"], &swapped);
        assert!(p.len() == 1 && p[0].contains("Real systems"), "{p:?}");
        let late = NOTE.replace("## Sizing", "## Trade-offs").replacen(
            "## Trade-offs\n\n## How",
            "## Sizing\n\n## How",
            1,
        );
        let p = note_problems("Bloom filters: sized", &["sizing", "membership"], &late);
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn interview_questions_are_numbered_and_at_least_four() {
        let bullets = NOTE.replace("1. *A?*", "- *A?*");
        let p = note_problems("Bloom filters: sized", &["sizing", "membership"], &bullets);
        assert!(p.len() == 1 && p[0].contains("3 numbered"), "{p:?}");
        let three = NOTE.replace("4. *D?* d.\n", "");
        let p = note_problems("Bloom filters: sized", &["sizing", "membership"], &three);
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn what_the_tests_check_has_one_item_per_stage_in_order() {
        let stages = ["membership", "sizing"];
        let p = note_problems("Bloom filters: sized", &stages, NOTE);
        assert!(p.len() == 1 && p[0].contains("1. **membership**"), "{p:?}");
        let p = note_problems(
            "Bloom filters: sized",
            &["sizing", "membership", "union"],
            NOTE,
        );
        assert_eq!(p.len(), 1, "a missing stage: {p:?}");
        let prefix = NOTE.replace("**sizing**", "**sizing_x**");
        let p = note_problems("Bloom filters: sized", &["sizing", "membership"], &prefix);
        assert_eq!(p.len(), 1, "a longer name is another stage: {p:?}");
    }

    #[test]
    fn property_tests_fix_their_seed_and_write_no_files() {
        let seeded = "proptest! {\n    #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(1), failure_persistence: None, ..ProptestConfig::default() })]\n}\n";
        assert!(proptest_problems("t.rs", seeded).is_empty());
        assert!(proptest_problems("t.rs", "no properties").is_empty());
        let random = "proptest! {\n    #![proptest_config(ProptestConfig::with_cases(9))]\n}\n";
        assert!(
            proptest_problems("t.rs", random)[0].contains("t.rs has 1 proptest! blocks, 0 with")
        );
        let two = format!("{seeded}proptest! {{}}\n");
        assert_eq!(proptest_problems("t.rs", &two).len(), 1, "each block");
    }

    fn stub(header: &str) -> String {
        format!("{header}\nuse std::fmt;\n")
    }

    #[test]
    fn a_stub_in_form_passes() {
        let s = stub(&format!(
            "//! Title: what.\n//!\n//! More.\n\n{ALLOW_COMMENT}\n#![allow(unused_variables, dead_code)]\n"
        ));
        assert!(stub_problems(&s).is_empty(), "{:?}", stub_problems(&s));
    }

    #[test]
    fn stub_headers_out_of_form_are_named() {
        let other_words =
            stub("//! Title.\n// The learner may delete this line.\n#![allow(unused_variables)]\n");
        assert_eq!(stub_problems(&other_words).len(), 1);
        let docs_after = stub(&format!(
            "{ALLOW_COMMENT}\n#![allow(dead_code)]\n//! Title.\n"
        ));
        assert_eq!(
            stub_problems(&docs_after).len(),
            2,
            "{:?}",
            stub_problems(&docs_after)
        );
        let lint = stub(&format!(
            "//! T.\n{ALLOW_COMMENT}\n#![allow(clippy::all)]\n"
        ));
        assert!(stub_problems(&lint)[0].contains("clippy::all"));
        let none = stub("//! T.\n");
        assert!(stub_problems(&none)[0].contains("exactly one"));
    }
}

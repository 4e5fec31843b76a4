//! A check's report as lines of text, shared by `run`, `verify` and `watch`.

use std::time::Duration;

use crate::check::{Outcome, Report, StageReport};
use crate::course::{Course, Lesson};
use crate::style::{bold, dim, green, inert, red, yellow};

/// "structs — Structs and methods · idioms · lesson 1/41"
pub fn lesson_header(course: &Course, lesson: &Lesson) -> String {
    format!(
        "{} — {} {}",
        bold(&lesson.name),
        lesson.title,
        dim(format!(
            "· {} · lesson {}/{}",
            lesson.track,
            lesson.index + 1,
            course.lessons.len()
        ))
    )
}

/// "stage 2/4: replication"
pub fn stage_label(s: &StageReport, total: usize) -> String {
    format!("stage {}/{}: {}", s.stage.number, total, s.stage.title)
}

/// One line: where the lesson stands.
pub fn status_line(report: &Report) -> String {
    if report.unavailable.is_some() {
        return red("cannot be checked: its crate is missing");
    }
    if report.build_error.is_some() {
        return red("does not compile");
    }
    let total = report.stages.len();
    match report.current_stage() {
        None if total > 0 && !report.changed_tests.is_empty() => yellow(format!(
            "passes all {total} stages of changed tests (not marked done)"
        )),
        None if total > 0 => green(format!("passes all {total} stages")),
        None => yellow("has no stages"),
        Some(s) => red(format!("fails at {}", stage_label(s, total))),
    }
}

/// The whole report: compile errors, or each stage with its failures.
pub fn report_lines(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(why) = &report.unavailable {
        out.push(red(format!("✗ {why}")));
        return out;
    }
    if let Some(errors) = &report.build_error {
        out.push(red(bold("✗ the lesson does not compile:")));
        out.push(String::new());
        out.extend(inert(errors.trim_end()).lines().map(str::to_owned));
        return out;
    }
    let total = report.stages.len();
    for s in &report.stages {
        let label = stage_label(s, total);
        match &s.outcome {
            Outcome::Passed { tests } => out.push(format!(
                "{} {label} {}",
                green("✓"),
                dim(format!("— {tests} tests passed ({})", secs(s.elapsed)))
            )),
            Outcome::Failed {
                failures,
                passed,
                failed,
            } => {
                out.push(format!(
                    "{} {} — {failed} of {} tests failed",
                    red("✗"),
                    bold(&label),
                    passed + failed
                ));
                for f in failures {
                    out.push(String::new());
                    out.push(format!("  {} {}", red("──"), bold(&f.name)));
                    out.extend(inert(&f.output).lines().map(|l| format!("    {l}")));
                    if let Some(path) = diagram_path(&f.output) {
                        out.push(format!("    {} file://{path}", bold("▶ sequence diagram:")));
                    }
                }
            }
            Outcome::TimedOut { limit, unfinished } => {
                out.push(format!(
                    "{} {} — {}",
                    red("✗"),
                    bold(&label),
                    red(format!("timed out after {}; stopped it", secs(*limit)))
                ));
                if !unfinished.is_empty() {
                    out.push(format!("    still running: {}", unfinished.join(", ")));
                }
                out.push(
                    "    A test that never finishes usually means a deadlock, a lost wake-up \
                     (a wait with no notify), or a loop whose exit condition never becomes true."
                        .to_owned(),
                );
            }
            Outcome::Crashed { how, output } => {
                out.push(format!("{} {} — crashed: {how}", red("✗"), bold(&label)));
                out.extend(inert(output).lines().map(|l| format!("    {l}")));
            }
            Outcome::NotBuilt { why } => {
                out.push(format!("{} {} — {why}", red("✗"), bold(&label)));
            }
            Outcome::NotRun => out.push(dim(format!("· {label} — waits for the stage before"))),
        }
    }
    if !report.changed_tests.is_empty() {
        out.push(String::new());
        out.push(yellow(format!(
            "These test files differ from the shipped ones: {}. A lesson is marked done only \
             against the tests it shipped with: restore them with `git checkout -- <file>`.",
            report.changed_tests.join(", ")
        )));
    }
    if report.warnings > 0 && !report.passed() {
        out.push(String::new());
        out.push(dim(format!(
            "({} compiler warning{} not shown; `cargo build` in exercises/ lists them)",
            report.warnings,
            if report.warnings == 1 { "" } else { "s" }
        )));
    }
    out
}

/// The sequence diagram a failing `kit::sim` run wrote (its last mention,
/// as a test may fail on a later seed than it first reported).
fn diagram_path(output: &str) -> Option<&str> {
    output
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("diagram of the last events: "))
}

/// A duration for people: "0.42 s", "12 s".
pub fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.0} s")
    }
}

/// `[#####.....] 12/41`
pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {done}/{total}",
        green("#".repeat(filled)),
        dim("-".repeat(width - filled))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_diagram_a_failure_names_is_shown() {
        let output = "assertion failed\n--- simulated network at the failure ---\n\
                      diagram of the last events: /tmp/d/a-seed1.html\nthen seed 2:\n  \
                      diagram of the last events: /tmp/d/a-seed2.html\n";
        assert_eq!(diagram_path(output), Some("/tmp/d/a-seed2.html"));
        assert_eq!(diagram_path("assertion failed"), None);
    }
}

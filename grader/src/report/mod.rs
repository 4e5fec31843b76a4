//! `sdkata report`: what the evidence says about each interview topic.
//!
//! The report is a pure function of the course, the progress file and
//! "now" (which `SDKATA_NOW` can fix), so the same inputs always give the
//! same text. `build` makes the model; `table`, `markdown`, `json` and
//! [`html::page`] render it.

pub mod html;

use serde::Serialize;

use crate::course::{Course, Lesson, TOPICS};
use crate::memory::{self, Card};
use crate::state::{Pass, Progress, Score, State, rfc3339};
use crate::style::{bold, dim, green, red, yellow};

/// How to print the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for the terminal
    #[default]
    Table,
    /// A Markdown table, for a study log
    Md,
    /// Everything, for other tools
    Json,
    /// A self-contained page with charts (no network, no scripts)
    Html,
}

/// How recent an exam pass must be for a topic to count as ready.
pub const EXAM_FRESH_SECS: u64 = 30 * 86_400;

/// The id of the row of lessons with no topic; it does not count towards readiness.
pub const NO_TOPIC: &str = "none";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The time the report is as of, in unix seconds, and as a date.
    pub now: u64,
    pub date: String,
    pub lessons_done: usize,
    pub lessons_total: usize,
    pub tracks: Vec<TrackRow>,
    pub topics: Vec<TopicRow>,
    /// Per lesson, the evidence behind the rows (only JSON shows it).
    pub lessons: Vec<LessonRow>,
    /// Lessons whose retrievability is below 0.9 now, most overdue first.
    pub due: Vec<DueLesson>,
    /// The first lesson to become due, when none is due yet.
    pub next_due: Option<DueLesson>,
    pub readiness: Readiness,
    /// Every exam, most recent first.
    pub exams: Vec<ExamRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExamRow {
    pub date: String,
    pub lessons: Vec<String>,
    pub coding: Score,
    pub estimation: Score,
    pub tradeoffs: Score,
    pub timed_out: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackRow {
    pub id: String,
    pub title: String,
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicRow {
    pub id: String,
    pub label: String,
    pub lessons: Vec<String>,
    pub done: usize,
    pub total: usize,
    /// Of the lessons passed (with evidence), the share whose first pass
    /// took one check.
    pub first_try_rate: Option<f64>,
    /// The median of the checks each passed lesson's first pass took.
    pub median_checks: Option<f64>,
    /// Hints revealed in the topic's lessons.
    pub hints: usize,
    /// The lowest retrievability now among its lessons with a card.
    pub retrievability: Option<f64>,
    /// The earliest due date among them.
    pub due_at: Option<u64>,
    pub due_date: Option<String>,
    /// The stage of its lessons that failed most often.
    pub weakest: Option<Weakest>,
    /// Any of its lessons was ever examined.
    pub examined: bool,
    /// One of its lessons passed an exam in the last 30 days.
    pub exam_passed: bool,
    /// Every lesson done, none due, and an exam passed in the last 30 days.
    pub ready: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LessonRow {
    pub name: String,
    pub track: String,
    pub topics: Vec<String>,
    pub done: bool,
    /// Checks and hints of its first pass.
    pub first_pass: Option<Pass>,
    pub retrievability: Option<f64>,
    /// The memory card behind it: stability in days, and when it was last
    /// reviewed (unix seconds), from which R at any later time follows.
    pub stability_days: Option<f64>,
    pub last_review: Option<u64>,
    pub due_date: Option<String>,
    /// By stage module, in name order.
    pub stages: Vec<StageRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageRow {
    pub stage: String,
    pub runs: u32,
    pub failed: u32,
    pub first_try: bool,
    pub green_date: Option<String>,
    pub hints_at_green: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Weakest {
    pub lesson: String,
    pub stage: String,
    pub failures: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DueLesson {
    pub lesson: String,
    pub retrievability: f64,
    pub due_at: u64,
    pub due_date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub ready_topics: usize,
    pub topics: usize,
    /// Retrievability a topic's lessons must all have.
    pub threshold: f64,
    pub exams_recorded: bool,
    /// The readiness line, with its basis.
    pub line: String,
}

/// What one lesson's evidence amounts to.
struct Facts<'a> {
    lesson: &'a Lesson,
    progress: Progress,
    done: bool,
    first_pass: Option<Pass>,
    hints: usize,
    card: Option<Card>,
    weakest: Option<(String, u32)>,
}

/// Builds the report as of `now`.
pub fn build(course: &Course, state: &State, now: u64) -> Report {
    let facts: Vec<Facts> = course
        .lessons
        .iter()
        .map(|lesson| {
            let p = state.lessons.get(&lesson.name).cloned().unwrap_or_default();
            Facts {
                lesson,
                done: p.done,
                first_pass: p.passes.first().copied(),
                hints: p.hints_seen(),
                card: memory::card(&p),
                weakest: p.most_failed_stage().map(|(s, n)| (s.to_owned(), n)),
                progress: p,
            }
        })
        .collect();

    // Known topics in their order, then any others info.toml names (dev
    // check flags those), then the lessons with none.
    let mut ids: Vec<&str> = TOPICS.iter().map(|(id, _)| *id).collect();
    for l in &course.lessons {
        for t in &l.topics {
            if !ids.contains(&t.as_str()) {
                ids.push(t);
            }
        }
    }
    let mut topics: Vec<TopicRow> = ids
        .iter()
        .filter_map(|id| {
            let of: Vec<&Facts> = facts
                .iter()
                .filter(|f| f.lesson.topics.iter().any(|t| t == id))
                .collect();
            let label = TOPICS
                .iter()
                .find(|(k, _)| k == id)
                .map_or(*id, |(_, label)| label);
            (!of.is_empty()).then(|| topic_row(id, label, &of, now))
        })
        .collect();
    let untagged: Vec<&Facts> = facts
        .iter()
        .filter(|f| f.lesson.topics.is_empty())
        .collect();
    let counted = topics.len();
    if !untagged.is_empty() {
        topics.push(topic_row(NO_TOPIC, "(no topic)", &untagged, now));
    }

    let mut due: Vec<DueLesson> = Vec::new();
    let mut upcoming: Option<DueLesson> = None;
    for f in &facts {
        let Some(card) = f.card else { continue };
        let entry = DueLesson {
            lesson: f.lesson.name.clone(),
            retrievability: round4(card.retrievability(now)),
            due_at: card.due_at(),
            due_date: date(card.due_at()),
        };
        if card.is_due(now) {
            due.push(entry);
        } else if upcoming.as_ref().is_none_or(|u| entry.due_at < u.due_at) {
            upcoming = Some(entry);
        }
    }
    // Stable: lessons due at the same second keep course order.
    due.sort_by_key(|d| d.due_at);

    let ready_topics = topics[..counted].iter().filter(|t| t.ready).count();
    let line = format!(
        "ready: {ready_topics}/{counted} topics with every lesson done, R ≥ {} and an exam pass in the last 30 days",
        memory::DUE_BELOW
    );
    Report {
        now,
        date: date(now),
        lessons_done: facts.iter().filter(|f| f.done).count(),
        lessons_total: facts.len(),
        tracks: course
            .tracks
            .iter()
            .map(|t| {
                let of = facts.iter().filter(|f| f.lesson.track == t.id);
                TrackRow {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    done: of.clone().filter(|f| f.done).count(),
                    total: of.count(),
                }
            })
            .collect(),
        topics,
        lessons: facts.iter().map(|f| lesson_row(f, now)).collect(),
        next_due: if due.is_empty() { upcoming } else { None },
        due,
        readiness: Readiness {
            ready_topics,
            topics: counted,
            threshold: memory::DUE_BELOW,
            exams_recorded: !state.exams.is_empty(),
            line,
        },
        exams: state
            .exams
            .iter()
            .rev()
            .map(|e| ExamRow {
                date: date(e.ended),
                lessons: e.lessons.clone(),
                coding: e.coding,
                estimation: e.estimation,
                tradeoffs: e.tradeoffs,
                timed_out: e.timed_out,
                seed: e.seed,
            })
            .collect(),
    }
}

fn topic_row(id: &str, label: &str, of: &[&Facts], now: u64) -> TopicRow {
    let passes: Vec<Pass> = of.iter().filter_map(|f| f.first_pass).collect();
    let first_try_rate = (!passes.is_empty()).then(|| {
        let first = passes.iter().filter(|p| p.checks == 1).count();
        round4(first as f64 / passes.len() as f64)
    });
    let mut checks: Vec<u32> = passes.iter().map(|p| p.checks).collect();
    checks.sort_unstable();
    let median_checks = match checks.len() {
        0 => None,
        n if n % 2 == 1 => Some(f64::from(checks[n / 2])),
        n => Some(f64::from(checks[n / 2 - 1] + checks[n / 2]) / 2.0),
    };
    let cards: Vec<Card> = of.iter().filter_map(|f| f.card).collect();
    let retrievability = cards
        .iter()
        .map(|c| c.retrievability(now))
        .reduce(f64::min)
        .map(round4);
    let due_at = cards.iter().map(Card::due_at).min();
    // Most failures wins; on a tie the lesson first in course order.
    let weakest = of
        .iter()
        .filter_map(|f| f.weakest.as_ref().map(|w| (f.lesson, w)))
        .fold(
            None,
            |best: Option<Weakest>, (lesson, (stage, n))| match best {
                Some(b) if b.failures >= *n => Some(b),
                _ => Some(Weakest {
                    lesson: lesson.name.clone(),
                    stage: stage.clone(),
                    failures: *n,
                }),
            },
        );
    let done = of.iter().filter(|f| f.done).count();
    let exams = || of.iter().flat_map(|f| &f.progress.exams);
    let examined = exams().next().is_some();
    let exam_passed = exams().any(|e| e.passed && now.saturating_sub(e.at) <= EXAM_FRESH_SECS);
    let ready = done == of.len()
        && of.iter().all(|f| f.card.is_some_and(|c| !c.is_due(now)))
        && exam_passed;
    TopicRow {
        id: id.to_owned(),
        label: label.to_owned(),
        lessons: of.iter().map(|f| f.lesson.name.clone()).collect(),
        done,
        total: of.len(),
        examined,
        exam_passed,
        first_try_rate,
        median_checks,
        hints: of.iter().map(|f| f.hints).sum(),
        retrievability,
        due_at,
        due_date: due_at.map(date),
        weakest,
        ready,
    }
}

fn lesson_row(f: &Facts, now: u64) -> LessonRow {
    LessonRow {
        name: f.lesson.name.clone(),
        track: f.lesson.track.clone(),
        topics: f.lesson.topics.clone(),
        done: f.done,
        first_pass: f.first_pass,
        retrievability: f.card.map(|c| round4(c.retrievability(now))),
        stability_days: f.card.map(|c| round4(c.stability)),
        last_review: f.card.map(|c| c.last_review),
        due_date: f.card.map(|c| date(c.due_at())),
        stages: f
            .progress
            .stages
            .iter()
            .map(|(stage, e)| StageRow {
                stage: stage.clone(),
                runs: e.runs,
                failed: e.failed,
                first_try: e.first_try(),
                green_date: e.green_at.map(date),
                hints_at_green: e.hints_at_green,
            })
            .collect(),
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// `YYYY-MM-DD` (UTC).
fn date(unix_secs: u64) -> String {
    rfc3339(unix_secs)[..10].to_owned()
}

const NONE: &str = "—";

/// The cells of a topic's row, unstyled, in column order.
pub(crate) fn cells(t: &TopicRow) -> [String; 8] {
    [
        t.label.clone(),
        format!("{}/{}", t.done, t.total),
        t.first_try_rate
            .map_or(NONE.into(), |r| format!("{:.0}%", r * 100.0)),
        t.median_checks.map_or(NONE.into(), |m| format!("{m}")),
        t.hints.to_string(),
        t.retrievability.map_or(NONE.into(), |r| format!("{r:.2}")),
        t.due_date.clone().unwrap_or_else(|| NONE.into()),
        t.weakest.as_ref().map_or(NONE.into(), |w| {
            format!("{}: {} ({}×)", w.lesson, w.stage, w.failures)
        }),
    ]
}

pub(crate) const HEADERS: [&str; 8] = [
    "topic",
    "done",
    "first try",
    "checks",
    "hints",
    "R now",
    "due",
    "weakest stage",
];

/// The footer's lines: what is due, what was never examined, readiness.
pub(crate) fn footer(r: &Report) -> Vec<String> {
    let due = if r.due.is_empty() {
        match &r.next_due {
            Some(n) => format!("due: nothing yet; next is {} on {}", n.lesson, n.due_date),
            None => "due: nothing (no lesson passed yet)".to_owned(),
        }
    } else {
        let list: Vec<String> = r
            .due
            .iter()
            .map(|d| {
                format!(
                    "{} (R {:.2}, since {})",
                    d.lesson, d.retrievability, d.due_date
                )
            })
            .collect();
        format!("due: {}", list.join(", "))
    };
    let never: Vec<&str> = r
        .topics
        .iter()
        .filter(|t| t.id != NO_TOPIC && !t.examined)
        .map(|t| t.label.as_str())
        .collect();
    let never = match never.len() {
        0 => "never examined: none".to_owned(),
        n if n == r.readiness.topics => {
            "never examined: every topic (`sdkata exam` starts one)".to_owned()
        }
        _ => format!("never examined: {}", never.join(", ")),
    };
    let mut lines = vec![due, never, r.readiness.line.clone()];
    lines.extend(r.exams.iter().take(EXAMS_SHOWN).map(exam_line));
    lines
}

/// How many recent exams the footer lists.
const EXAMS_SHOWN: usize = 3;

fn exam_line(e: &ExamRow) -> String {
    format!(
        "exam {}: coding {}/{}{} · estimation {}/{} · trade-offs {}/{} ({}; seed {})",
        e.date,
        e.coding.right,
        e.coding.asked,
        if e.timed_out { " (time ran out)" } else { "" },
        e.estimation.right,
        e.estimation.asked,
        e.tradeoffs.right,
        e.tradeoffs.asked,
        e.lessons.join(", "),
        e.seed
    )
}

/// The report for a terminal.
pub fn table(r: &Report) -> Vec<String> {
    let rows: Vec<[String; 8]> = r.topics.iter().map(cells).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let pad = |i: usize, text: &str| {
        let fill = " ".repeat(widths[i] - text.chars().count());
        // Text columns to the left, numbers to the right.
        if i == 0 || i >= 6 {
            format!("{text}{fill}")
        } else {
            format!("{fill}{text}")
        }
    };
    let mut out = vec![
        format!(
            "{} {}",
            bold("sdkata report"),
            dim(format!(
                "· {} · {} of {} lessons done",
                r.date, r.lessons_done, r.lessons_total
            ))
        ),
        String::new(),
        bold(
            HEADERS
                .iter()
                .enumerate()
                .map(|(i, h)| pad(i, h))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end(),
        ),
    ];
    for (t, row) in r.topics.iter().zip(&rows) {
        let line = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let padded = pad(i, c);
                match i {
                    0 if t.ready => green(padded),
                    5 if t.retrievability.is_some_and(|x| x < memory::DUE_BELOW) => red(padded),
                    _ if t.id == NO_TOPIC => dim(padded),
                    _ => padded,
                }
            })
            .collect::<Vec<_>>()
            .join("  ");
        out.push(line.trim_end().to_owned());
    }
    out.push(String::new());
    let mut lines = footer(r).into_iter();
    let mut next = || lines.next().unwrap_or_default();
    let (due, never, ready) = (next(), next(), next());
    out.push(if r.due.is_empty() { due } else { yellow(due) });
    out.push(dim(never));
    out.push(bold(ready));
    out.extend(lines.map(dim));
    out
}

/// The report as Markdown, for a study log.
pub fn markdown(r: &Report) -> String {
    let escape = |c: &str| c.replace('|', "\\|");
    let mut out = format!(
        "# sdkata report, {}\n\n{} of {} lessons done.\n\n| {} |\n|---|---:|---:|---:|---:|---:|---|---|\n",
        r.date,
        r.lessons_done,
        r.lessons_total,
        HEADERS.join(" | ")
    );
    for t in &r.topics {
        let row: Vec<String> = cells(t).iter().map(|c| escape(c)).collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push('\n');
    for line in footer(r) {
        out.push_str(&format!("- {}\n", escape(&line)));
    }
    out
}

/// The report as JSON.
pub fn json(r: &Report) -> String {
    // The model is plain data: numbers, strings, lists; encoding cannot fail.
    serde_json::to_string_pretty(r).expect("the report encodes as JSON")
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;
    use crate::state::Checked;

    const COURSE: &str = r#"
format_version = 1
welcome_message = "hi"
final_message = "bye"

[[tracks]]
id = "t"
title = "T"
dir = "01_t"

[[lessons]]
name = "cache"
track = "t"
dir = "01_cache"
title = "Cache"
difficulty = 1
topics = ["caching"]
hints = ["h"]

[[lessons]]
name = "shard"
track = "t"
dir = "02_shard"
title = "Shard"
difficulty = 1
topics = ["caching", "sharding"]
hints = ["h"]

[[lessons]]
name = "loose"
track = "t"
dir = "03_loose"
title = "Loose"
difficulty = 1
hints = ["h"]
"#;
    const DAY: u64 = 86_400;

    pub(crate) fn course() -> Course {
        Course::parse(Path::new("/repo"), COURSE).unwrap()
    }

    #[test]
    fn an_empty_state_has_rows_but_no_numbers() {
        let r = build(&course(), &State::default(), 10 * DAY);
        let ids: Vec<&str> = r.topics.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["caching", "sharding", NO_TOPIC]);
        let caching = &r.topics[0];
        assert_eq!((caching.done, caching.total), (0, 2));
        assert_eq!(caching.retrievability, None);
        assert!(!caching.ready && r.due.is_empty() && r.next_due.is_none());
        assert_eq!(
            r.readiness.line,
            "ready: 0/2 topics with every lesson done, R ≥ 0.9 and an exam pass in the last 30 days"
        );
        let footer = footer(&r).join("\n");
        assert!(footer.contains("never examined: every topic"), "{footer}");
    }

    #[test]
    fn evidence_fills_the_rows_and_time_makes_lessons_due() {
        let mut st = State::default();
        // cache: first try (Easy, S = 13.8206 d). shard: two failures on
        // `ring`, then a pass at the third check of its one stage (more than
        // two a stage: Hard, S = 1.4003 d).
        st.record_check("cache", &Checked::stages(&["get"], None, 1), 0);
        st.record_check("shard", &Checked::stages(&[], Some("ring"), 1), 0);
        st.record_check("shard", &Checked::stages(&[], Some("ring"), 1), 0);
        st.record_check("shard", &Checked::stages(&["ring"], None, 1), DAY);

        let r = build(&course(), &st, DAY);
        let caching = &r.topics[0];
        assert_eq!((caching.done, caching.total), (2, 2));
        assert_eq!(caching.first_try_rate, Some(0.5));
        assert_eq!(caching.median_checks, Some(2.0));
        // The lower of the two: cache, reviewed a day earlier.
        let cache_r = memory::retrievability(1.0, 13.8206);
        assert!((caching.retrievability.unwrap() - cache_r).abs() < 1e-4);
        assert_eq!(caching.due_date.as_deref(), Some("1970-01-03"));
        assert_eq!(
            caching.weakest,
            Some(Weakest {
                lesson: "shard".into(),
                stage: "ring".into(),
                failures: 2
            })
        );
        assert!(
            !caching.ready,
            "done and remembered, but no exam: not ready yet"
        );
        assert_eq!(r.readiness.ready_topics, 0);
        assert_eq!(
            r.next_due.as_ref().map(|d| d.lesson.as_str()),
            Some("shard")
        );

        // Ten days on: shard (due after 1.4 days) is due, cache is not.
        let r = build(&course(), &st, 11 * DAY);
        let due: Vec<&str> = r.due.iter().map(|d| d.lesson.as_str()).collect();
        assert_eq!(due, ["shard"]);
        let want = memory::retrievability(10.0, 1.4003);
        assert!((r.due[0].retrievability - want).abs() < 1e-4);
        assert!(!r.topics[0].ready);
        assert_eq!(r.readiness.ready_topics, 0);
    }

    #[test]
    fn a_recent_exam_pass_makes_a_topic_ready() {
        let mut st = State::default();
        st.record_check("cache", &Checked::stages(&["get"], None, 1), 0);
        st.record_check("shard", &Checked::stages(&["ring"], None, 1), 0);
        let result = crate::state::ExamResult {
            at: DAY,
            passed: true,
            checks: 1,
            stages_passed: 1,
            stages: 1,
        };
        st.lessons.get_mut("cache").unwrap().exams.push(result);
        st.exams.push(crate::state::Exam {
            started: DAY - 600,
            ended: DAY,
            limit_secs: 600,
            seed: 42,
            topic: None,
            timed_out: false,
            lessons: vec!["cache".into()],
            coding: Score { right: 1, asked: 1 },
            estimation: Score { right: 4, asked: 5 },
            tradeoffs: Score { right: 2, asked: 3 },
        });
        let r = build(&course(), &st, 2 * DAY);
        let (caching, sharding) = (&r.topics[0], &r.topics[1]);
        assert!(caching.examined && caching.exam_passed && caching.ready);
        assert!(
            !sharding.examined && !sharding.ready,
            "shard was never examined"
        );
        assert_eq!(r.readiness.ready_topics, 1);
        let footer = footer(&r).join("\n");
        assert!(footer.contains("never examined: Sharding"), "{footer}");
        assert!(
            footer.contains(
                "exam 1970-01-02: coding 1/1 · estimation 4/5 · trade-offs 2/3 (cache; seed 42)"
            ),
            "{footer}"
        );
        // The exam is a review: cache's card is stronger than shard's.
        let card = |name: &str| memory::card(&st.lessons[name]).unwrap();
        assert!(card("cache").stability > card("shard").stability);

        // Thirty days on, that pass no longer counts.
        let r = build(&course(), &st, DAY + EXAM_FRESH_SECS + 1);
        assert!(!r.topics[0].exam_passed && !r.topics[0].ready);
    }

    #[test]
    fn the_renderings_agree_and_are_stable() {
        let mut st = State::default();
        st.record_check("cache", &Checked::stages(&["get"], None, 1), 0);
        let r = build(&course(), &st, DAY);
        let table = table(&r).join("\n");
        assert!(table.contains("Caching"), "{table}");
        assert!(table.contains("1/2") && table.contains("100%"), "{table}");
        assert!(table.contains("ready: 0/2 topics"), "{table}");
        assert!(
            table.contains("due: nothing yet; next is cache on 1970-01-14"),
            "{table}"
        );
        let md = markdown(&r);
        assert!(
            md.contains("| Caching | 1/2 | 100% | 1 | 0 | 0.99 |"),
            "{md}"
        );
        let v: serde_json::Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(v["topics"][0]["id"], "caching");
        assert_eq!(v["readiness"]["ready_topics"], 0);
        assert_eq!(build(&course(), &st, DAY), r);
    }
}

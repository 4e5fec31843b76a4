//! `sdkata report` against the fixture course: from no progress, from a
//! progress file with evidence, from one written before evidence existed,
//! and end to end after real checks. `SDKATA_NOW` fixes the clock.

mod common;

use common::{Fixture, code, text};

/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

fn report(f: &Fixture, now: u64, args: &[&str]) -> (i32, String) {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    let out = f
        .command(&all)
        .env("SDKATA_NOW", now.to_string())
        .output()
        .unwrap();
    (code(&out), text(&out))
}

fn json(f: &Fixture, now: u64) -> serde_json::Value {
    let (c, t) = report(f, now, &["--format", "json"]);
    assert_eq!(c, 0, "{t}");
    serde_json::from_str(&t).unwrap_or_else(|e| panic!("not JSON ({e}): {t}"))
}

/// `add` went done at 01:00 after three checks and a hint: stage `sum`
/// failed once, `edge` once.
const PARTLY_DONE: &str = r#"format_version = 1
current = "greet"

[lessons.add]
done = true
first_tried = "2026-01-01T00:00:00Z"
done_at = "2026-01-01T01:00:00Z"
checks = 3
hint_level = 1

[[lessons.add.passes]]
at = 1767229200
checks = 3
hints = 1
stages = 2

[lessons.add.stages.sum]
runs = 3
failed = 1
green_at = 1767225900
runs_to_green = 2
hints_at_green = 0

[lessons.add.stages.edge]
runs = 2
failed = 1
green_at = 1767229200
runs_to_green = 2
hints_at_green = 1
"#;

#[test]
fn with_no_progress_every_row_is_empty() {
    let f = Fixture::new();
    let (c, t) = report(&f, T0, &[]);
    assert_eq!(c, 0, "{t}");
    assert!(t.contains("2026-01-01 · 0 of 2 lessons done"), "{t}");
    for row in ["Estimation", "IDs and hashing", "(no topic)"] {
        assert!(t.contains(row), "{row}: {t}");
    }
    assert!(t.contains("due: nothing (no lesson passed yet)"), "{t}");
    assert!(
        t.contains(
            "ready: 0/2 topics with every lesson done, R ≥ 0.9 and an exam pass in the last 30 days"
        ),
        "{t}"
    );
    assert!(
        !f.path(".sdkata/state.toml").exists(),
        "a report writes nothing"
    );
    let v = json(&f, T0);
    assert_eq!(v["topics"][0]["done"], 0);
    assert!(v["topics"][0]["retrievability"].is_null());
}

#[test]
fn a_partly_done_course_shows_evidence_memory_and_what_is_due() {
    let f = Fixture::new();
    f.write(".sdkata/state.toml", PARTLY_DONE);
    // A day after the pass: Hard (a hint), S = 1.4003 days, so R is
    // (1 + 19/81 · 1/1.4003)^-0.5 = 0.9255 and it is due on the 2nd.
    let now = T0 + HOUR + DAY;
    let (c, md) = report(&f, now, &["--format", "md"]);
    assert_eq!(c, 0, "{md}");
    for line in [
        "# sdkata report, 2026-01-02",
        "1 of 2 lessons done.",
        "| topic | done | first try | checks | hints | R now | due | weakest stage |",
        "| Estimation | 1/1 | 0% | 3 | 1 | 0.93 | 2026-01-02 | add: edge (1×) |",
        "| IDs and hashing | 1/1 | 0% | 3 | 1 | 0.93 | 2026-01-02 | add: edge (1×) |",
        "| (no topic) | 0/1 | — | — | 0 | — | — | — |",
        "- due: nothing yet; next is add on 2026-01-02",
        "- ready: 0/2 topics with every lesson done, R ≥ 0.9 and an exam pass in the last 30 days",
    ] {
        assert!(md.lines().any(|l| l == line), "missing {line:?} in:\n{md}");
    }
    assert_eq!(
        report(&f, now, &["--format", "md"]).1,
        md,
        "the same state and time give the same report"
    );

    let v = json(&f, now);
    let r = v["topics"][0]["retrievability"].as_f64().unwrap();
    assert!((r - 0.9255).abs() < 1e-4, "{r}");
    assert_eq!(v["lessons"][0]["first_pass"]["checks"], 3);
    assert_eq!(v["lessons"][0]["stages"][0]["stage"], "edge");
    assert_eq!(
        v["readiness"]["ready_topics"], 0,
        "remembered, but never examined"
    );

    // Three days after: due, and no topic is ready any more.
    let (_, t) = report(&f, T0 + 3 * DAY, &[]);
    assert!(t.contains("due: add (R 0.82, since 2026-01-02)"), "{t}");
    assert!(t.contains("ready: 0/2 topics"), "{t}");
}

#[test]
fn a_progress_file_from_before_evidence_still_reports() {
    let f = Fixture::new();
    f.write(
        ".sdkata/state.toml",
        "format_version = 1\n\n[lessons.add]\ndone = true\nfirst_tried = \"2026-01-01T00:00:00Z\"\ndone_at = \"2026-01-01T00:00:00Z\"\nchecks = 4\nhint_level = 2\nstage = \"edge\"\n",
    );
    // Counted as one Good review when it went done: S = 3.7145 days.
    let (c, md) = report(&f, T0 + DAY, &["--format", "md"]);
    assert_eq!(c, 0, "{md}");
    assert!(
        md.contains("| Estimation | 1/1 | — | — | 2 | 0.97 | 2026-01-04 | — |"),
        "{md}"
    );
    assert!(md.contains("ready: 0/2 topics"), "no exam yet: {md}");
}

#[test]
fn checks_record_evidence_that_the_report_reads() {
    let f = Fixture::new();
    let run = |now: u64| {
        f.command(&["run", "add"])
            .env("SDKATA_NOW", now.to_string())
            .output()
            .unwrap()
    };
    assert_eq!(code(&run(T0)), 1);
    f.solve_add();
    assert_eq!(code(&run(T0 + 60)), 0);
    let state = f.read(".sdkata/state.toml");
    assert!(
        state.contains("first_tried = \"2026-01-01T00:00:00Z\""),
        "{state}"
    );
    assert!(state.contains("green_at = 1767225660"), "{state}");

    let v = json(&f, T0 + 60 + DAY);
    let add = &v["lessons"][0];
    assert_eq!(add["first_pass"]["checks"], 2);
    assert_eq!(add["first_pass"]["hints"], 0);
    let stage = |name: &str| {
        add["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(stage("sum")["runs"], 2);
    assert_eq!(stage("sum")["failed"], 1);
    assert_eq!(stage("sum")["first_try"], false);
    assert_eq!(
        stage("edge")["first_try"],
        true,
        "it first ran on the passing check"
    );
    // Two checks for two stages: Good, S = 3.7145 days.
    assert_eq!(add["due_date"], "2026-01-04");
    let topic = &v["topics"][0];
    assert_eq!(topic["median_checks"], 2.0);
    assert_eq!(topic["first_try_rate"], 0.0);
    assert_eq!(topic["weakest"]["stage"], "sum");
}

#[test]
fn bad_input_is_a_usage_error() {
    let f = Fixture::new();
    let out = f
        .command(&["report"])
        .env("SDKATA_NOW", "tomorrow")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("SDKATA_NOW"), "{}", text(&out));
    assert_eq!(code(&f.sdkata(&["report", "--format", "pdf"])), 2);
}

#[test]
fn dev_check_names_an_unknown_topic() {
    let f = Fixture::new();
    f.write(
        "info.toml",
        &f.read("info.toml").replace(
            "\"ids_hashing\"]",
            "\"ids_hashing\", \"cachng\", \"estimation\"]",
        ),
    );
    let out = f.sdkata(&["dev", "check", "--static-only"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(
        t.contains("add: topic \"cachng\" is not a known topic (did you mean caching?)"),
        "{t}"
    );
    assert!(
        t.contains("add: topic \"estimation\" is listed twice"),
        "{t}"
    );
}

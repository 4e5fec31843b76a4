//! `sdkata exam` end to end in a pseudo-terminal: the time box, the hard
//! stop, help refused, the rounds, what is recorded, and what is cleaned up.

mod common;

use std::time::{Duration, Instant};

use common::terminal::{Terminal, WATCHDOG};
use common::{Fixture, code, text};

const STUB: &str = "exercises/01_basics/01_add/src/lib.rs";

/// The scratch workspace the exam announced.
fn workspace(term: &Terminal) -> std::path::PathBuf {
    let screen = term.text();
    let line = screen
        .lines()
        .find_map(|l| l.trim().strip_prefix("Your code goes in "))
        .unwrap_or_else(|| panic!("the exam says where the code goes:\n{screen}"));
    std::path::PathBuf::from(line.trim())
}

/// Answers every question of both rounds with `reply`, from byte `at`.
fn answer_all(term: &mut Terminal, mut at: usize, estimates: usize, tradeoffs: usize) -> usize {
    for _ in 0..estimates {
        at = term.wait_for("answer (", at);
        term.press("1\r");
    }
    for _ in 0..tradeoffs {
        at = term.wait_for("your choice: ", at);
        term.press("a\r");
    }
    at
}

fn wait_exit(term: &mut Terminal) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = term.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < WATCHDOG,
            "the exam never ended:\n{}",
            term.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_hard_stop_grades_what_is_there_and_records_the_rounds() {
    let f = Fixture::new();
    let mut term = Terminal::start_with(
        &f,
        &["exam", "--lessons", "1", "--minutes", "0.05", "--seed", "7"],
    );
    let at = term.wait_for("Press enter to start the clock.", 0);
    let scratch = workspace(&term);
    assert!(
        scratch.starts_with(f.path(".sdkata/exams")),
        "{}",
        scratch.display()
    );
    term.press("\r");
    let at = term.wait_for("left · hints and notes closed", at);

    // Help is closed, in watch and from another terminal.
    term.press("h");
    let at = term.wait_for("Hints and notes are closed during an exam.", at);
    let out = f.sdkata(&["hint", "add"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("closed while an exam runs"),
        "{}",
        text(&out)
    );

    // Three seconds later the clock stops it; the stub fails its grading.
    let at = term.wait_for("Time is up", at);
    let at = term.wait_for("Grading add (seed 7)", at);
    let at = answer_all(&mut term, at, 5, 3);
    term.wait_for("Exam over.", at);
    let status = wait_exit(&mut term);
    assert_eq!(status.code(), Some(1), "a failed exam exits 1");

    let screen = term.text();
    assert!(
        screen.contains("coding 0/1 · estimation 0/5 · trade-offs"),
        "{screen}"
    );
    assert!(screen.contains("seed 7"), "the seed is printed at the end");
    let state = f.read(".sdkata/state.toml");
    assert!(
        state.contains("[[exams]]") && state.contains("seed = 7"),
        "{state}"
    );
    assert!(state.contains("timed_out = true"), "{state}");
    assert!(state.contains("[[lessons.add.exams]]"), "{state}");
    assert!(!scratch.exists(), "the scratch workspace is removed");
    assert!(
        !f.path(".sdkata/exam.toml").exists(),
        "no exam is left running"
    );
    assert!(
        f.read(STUB).contains("todo!"),
        "the learner's own stub is untouched"
    );
    let (c, report) = {
        let out = f.sdkata(&["report"]);
        (code(&out), text(&out))
    };
    assert_eq!(c, 0, "{report}");
    assert!(
        report.contains("exam "),
        "the report shows the exam: {report}"
    );
}

#[test]
fn a_lesson_solved_in_time_passes_and_handing_in_ends_the_clock() {
    let f = Fixture::new();
    let mut term = Terminal::start_with(&f, &["exam", "--lessons", "1", "--minutes", "10"]);
    let at = term.wait_for("Press enter to start the clock.", 0);
    let scratch = workspace(&term);
    term.press("\r");
    let at = term.wait_for("left · hints and notes closed", at);
    let solution = f.read("solutions/01_basics/01_add/src/lib.rs");
    std::fs::write(scratch.join("01_basics/01_add/src/lib.rs"), solution).unwrap();
    let at = term.wait_for("add is done!", at);
    term.press("q");
    let at = term.wait_for("Grading add", at);
    let at = answer_all(&mut term, at, 5, 3);
    let at = term.wait_for("Exam over.", at);
    let _ = at;
    let status = wait_exit(&mut term);
    let screen = term.text();
    assert_eq!(status.code(), Some(0), "{screen}");
    assert!(screen.contains("✓ add: 2/2 stages"), "{screen}");
    assert!(!screen.contains("Time is up"), "handed in early: {screen}");
    assert!(
        f.read(STUB).contains("todo!"),
        "the learner's stub is untouched"
    );
    let state = f.read(".sdkata/state.toml");
    assert!(state.contains("passed = true"), "{state}");
}

#[test]
fn a_damaged_exam_record_is_reported_and_kept() {
    let f = Fixture::new();
    f.write(".sdkata/exam.toml", "dir = [unfinished");
    let mut term = Terminal::start_with(&f, &["exam"]);
    let status = wait_exit(&mut term);
    let screen = term.text();
    assert_eq!(status.code(), Some(2), "{screen}");
    assert!(
        screen.contains("records an unfinished exam but is damaged"),
        "{screen}"
    );
    assert_eq!(
        f.read(".sdkata/exam.toml"),
        "dir = [unfinished",
        "nothing is lost"
    );
}

#[test]
fn an_interrupted_exam_is_cleaned_up_by_the_next() {
    let f = Fixture::new();
    let old = f.path(".sdkata/exams/old");
    std::fs::create_dir_all(old.join(".sdkata")).unwrap();
    std::fs::write(old.join(".sdkata/exam-scratch.toml"), "deadline_ms = 1\n").unwrap();
    f.write(
        ".sdkata/exam.toml",
        &format!(
            "dir = {:?}\nstarted = 1767225600\ndeadline_ms = 1\nseed = 3\nlessons = [\"add\"]\n",
            old.display().to_string()
        ),
    );
    let mut term = Terminal::start_with(&f, &["exam", "--minutes", "0.02", "--lessons", "1"]);
    let at = term.wait_for("did not finish; its workspace is removed", 0);
    assert!(!old.exists(), "the old workspace is gone");
    term.wait_for("Press enter to start the clock.", at);
    let _ = term.child.kill();
    let _ = term.child.wait();
}

#[test]
fn bad_options_are_usage_errors() {
    let f = Fixture::new();
    for args in [
        &["exam", "--minutes", "0"][..],
        &["exam", "--lessons", "0"],
        &["exam", "--topic", "cooking"],
    ] {
        let mut term = Terminal::start_with(&f, args);
        let status = wait_exit(&mut term);
        assert_eq!(status.code(), Some(2), "{args:?}: {}", term.text());
    }
    let out = f.sdkata(&["exam"]);
    assert_eq!(code(&out), 2, "no terminal: {}", text(&out));
    assert!(
        text(&out).contains("interactive terminal"),
        "{}",
        text(&out)
    );
}

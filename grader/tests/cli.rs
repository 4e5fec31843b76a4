//! The sdkata binary against the fixture course: every command, and every
//! kind of bad input a learner or maintainer can produce.

mod common;

use common::{Fixture, code, text};
use std::time::{Duration, Instant};

#[test]
fn run_fails_on_the_stub_then_passes_and_marks_done() {
    let f = Fixture::new();
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("stage 1/2: sum"), "{t}");
    assert!(
        t.contains("not yet implemented: add 2 and 3"),
        "the panic message is shown: {t}"
    );
    assert!(
        t.contains("waits for the stage before"),
        "stage 2 is not run: {t}"
    );

    f.solve_add();
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert!(t.contains("passes all 2 stages"), "{t}");
    assert!(t.contains("Next: greet"), "{t}");
    let state = f.read(".sdkata/state.toml");
    assert!(
        state.contains("[lessons.add]") && state.contains("done = true"),
        "{state}"
    );
    assert!(state.contains("checks = 2"), "{state}");

    let out = f.sdkata(&["list"]);
    let t = text(&out);
    assert!(t.contains("add") && t.contains("done"), "{t}");
    assert!(t.contains("greet") && t.contains("current"), "{t}");
    assert!(t.contains("1 of 2 lessons done"), "{t}");
}

#[test]
fn a_later_stage_failure_names_that_stage() {
    let f = Fixture::new();
    f.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { (a as i64 + b as i64).clamp(i32::MIN as i64, i32::MAX as i64) as i32 }",
    );
    let t = text(&f.sdkata(&["run", "add"]));
    assert!(t.contains("✓ stage 1/2: sum"), "{t}");
    assert!(t.contains("✗ stage 2/2: edge — 1 of 1 tests failed"), "{t}");
    assert!(t.contains("overflow must wrap"), "{t}");
}

#[test]
fn works_from_a_subdirectory_and_explains_outside_the_repo() {
    let f = Fixture::new();
    let out = f.sdkata_in("exercises/01_basics/01_add/src", &["list"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    let elsewhere = tempfile::tempdir().unwrap();
    let out = f
        .command(&["list"])
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(
        t.contains("no info.toml in") && t.contains("Run sdkata from inside"),
        "{t}"
    );
}

#[test]
fn lesson_names_resolve_by_prefix_and_suggest_on_typos() {
    let f = Fixture::new();
    assert!(text(&f.sdkata(&["hint", "ad"])).contains("Hint 1/2 for add"));
    let out = f.sdkata(&["run", "gret"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out).contains("Did you mean: greet"), "{}", text(&out));
    let out = f.sdkata(&["run", "zzzzzz"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out).contains("sdkata list"));
}

#[test]
fn compile_errors_are_shown_as_rustc_renders_them() {
    let f = Fixture::new();
    f.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a + }\n",
    );
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("does not compile"), "{t}");
    assert!(t.contains("error: expected expression"), "{t}");
    assert!(
        t.contains("--> 01_basics/01_add/src/lib.rs:1:41"),
        "rustc's rendering with the location: {t}"
    );
    // The other lesson is not affected by this one's compile error.
    let out = f.sdkata(&["run", "greet"]);
    assert!(text(&out).contains("stage 1/1: hello"), "{}", text(&out));
}

#[test]
fn a_hung_test_is_killed_at_the_timeout_with_its_name() {
    let f = Fixture::new();
    f.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { if a == 2 { loop { std::hint::spin_loop() } } a + b }\n",
    );
    let start = Instant::now();
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("timed out after 3.00 s"), "{t}");
    assert!(t.contains("still running: small_numbers"), "{t}");
    assert!(
        !t.contains("still running: negatives"),
        "finished tests are not blamed: {t}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "the timeout bounds the run"
    );
    // The whole process group is gone: no test binary of this copy survives.
    let root = f.root().to_string_lossy().into_owned();
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).into_owned())
        .filter(|c| c.contains("spec-") && c.contains(&root))
        .collect();
    assert!(survivors.is_empty(), "{survivors:?}");
}

#[test]
fn a_crashing_test_binary_is_reported_as_a_crash() {
    let f = Fixture::new();
    f.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(_: i32, _: i32) -> i32 { std::process::abort() }\n",
    );
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("crashed: killed by SIGABRT"), "{t}");
}

#[test]
fn an_ignored_test_still_runs() {
    let f = Fixture::new();
    let test = f.read("exercises/01_basics/01_add/tests/2_edge.rs");
    f.write(
        "exercises/01_basics/01_add/tests/2_edge.rs",
        &test.replace("#[test]", "#[test]\n#[ignore]"),
    );
    f.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a.saturating_add(b) }\n",
    );
    let out = f.sdkata(&["run", "add"]);
    assert_eq!(
        code(&out),
        1,
        "#[ignore] must not skip the spec: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("differ from the shipped ones: tests/2_edge.rs"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_broken_info_toml_names_the_line() {
    let f = Fixture::new();
    let info = f.read("info.toml").replace(
        "difficulty = 1\nhints = [\"format!\"]",
        "difficulty = 7\nhints = [\"format!\"]\ncolour = 1",
    );
    f.write("info.toml", &info);
    let out = f.sdkata(&["list"]);
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(t.contains("unknown field `colour`"), "{t}");
    assert!(t.contains("line 29"), "{t}");

    f.write(
        "info.toml",
        &f.read("info.toml").replace("colour = 1\n", ""),
    );
    let t = text(&f.sdkata(&["list"]));
    assert!(
        t.contains("line 27: lesson \"greet\" has difficulty 7"),
        "{t}"
    );
}

#[test]
fn a_missing_lesson_directory_is_a_clear_error() {
    let f = Fixture::new();
    std::fs::remove_dir_all(f.path("exercises/01_basics/02_greet")).unwrap();
    let out = f.sdkata(&["run", "greet"]);
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(t.contains("lesson greet has no crate at"), "{t}");

    let out = f.sdkata(&["list"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "list shows the course but fails: {t}");
    assert!(
        t.contains("greet has no crate at exercises/01_basics/02_greet")
            && t.contains("info.toml line 25 sets its dir"),
        "names the path and the info.toml line: {t}"
    );

    let out = f.sdkata(&["verify"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(
        t.contains("add") && t.contains("fails at stage 1/2"),
        "the other lessons are still checked: {t}"
    );
    assert!(t.contains("greet") && t.contains("crate is missing"), "{t}");

    let out = f.sdkata(&["dev", "check"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("greet: the exercise manifest"), "{t}");
}

#[test]
fn a_corrupt_state_file_is_an_error_and_is_left_alone() {
    let f = Fixture::new();
    f.write(".sdkata/state.toml", "format_version = 1\n[lessons.add\n");
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 2, "{t}");
    assert!(
        t.contains("is damaged") && t.contains("mv .sdkata/state.toml"),
        "{t}"
    );
    let (cause, recovery) = (t.find("not valid TOML"), t.find("mv .sdkata"));
    assert!(
        cause.is_some() && cause < recovery,
        "the cause comes before what to do about it: {t}"
    );
    assert_eq!(
        f.read(".sdkata/state.toml"),
        "format_version = 1\n[lessons.add\n"
    );

    f.write(".sdkata/state.toml", "format_version = 9\n");
    let t = text(&f.sdkata(&["list"]));
    assert!(t.contains("newer sdkata"), "{t}");
}

#[test]
fn hints_are_progressive_and_remembered() {
    let f = Fixture::new();
    let t = text(&f.sdkata(&["hint"]));
    assert!(
        t.contains("Hint 1/2 for add: Use the + operator.") && !t.contains("Hint 2/2"),
        "{t}"
    );
    let t = text(&f.sdkata(&["hint", "add"]));
    assert!(t.contains("Hint 2/2 for add: a + b"), "{t}");
    let t = text(&f.sdkata(&["hint", "add"]));
    assert!(t.contains("Hint 2/2") && !t.contains("Hint 3"), "{t}");
    let t = text(&f.sdkata(&["hint", "greet", "--all"]));
    assert!(t.contains("Hint 1/1 for greet: format!"), "{t}");
    assert!(f.read(".sdkata/state.toml").contains("hint_level = 2"));
}

#[test]
fn a_stage_with_hints_of_its_own_shows_them_first() {
    let f = Fixture::new();
    // Passes stage 1 (sum) and fails stage 2 (edge): overflow panics.
    f.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    );
    assert_eq!(code(&f.sdkata(&["run", "add"])), 1);
    let t = text(&f.sdkata(&["hint"]));
    assert!(
        t.contains("Hint 1/3 for add (stage edge): What is i32::MAX + 1"),
        "the edge stage's own hint comes first: {t}"
    );
    let t = text(&f.sdkata(&["hint", "--all"]));
    assert!(
        t.contains("Hint 2/3 for add (stage edge): Use the + operator.") && t.contains("Hint 3/3"),
        "then the lesson's hints: {t}"
    );
    let state = f.read(".sdkata/state.toml");
    assert!(
        state.contains("stage = \"edge\"") && state.contains("edge = 1"),
        "{state}"
    );
    assert!(
        !state.contains("hint_level = 1"),
        "the lesson-wide count is separate: {state}"
    );
}

#[test]
fn colour_is_off_in_a_pipe_unless_forced() {
    let f = Fixture::new();
    let plain = f
        .command(&["list"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'));
    let forced = f
        .command(&["list"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&forced.stdout).contains("\x1b["),
        "CLICOLOR_FORCE colours a pipe, even with NO_COLOR set"
    );
}

#[test]
fn reset_backs_up_then_restores_the_stub() {
    let f = Fixture::new();
    let stub = f.read("exercises/01_basics/01_add/src/lib.rs");
    f.solve_add();
    f.write("exercises/01_basics/01_add/src/extra.rs", "// mine\n");
    assert_eq!(code(&f.sdkata(&["run", "add"])), 0);

    // Without a terminal to ask on, reset refuses unless told --yes.
    let out = f.sdkata(&["reset", "add"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--yes"));
    assert_ne!(f.read("exercises/01_basics/01_add/src/lib.rs"), stub);

    let out = f.sdkata(&["reset", "add", "--yes"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert_eq!(f.read("exercises/01_basics/01_add/src/lib.rs"), stub);
    assert!(!f.path("exercises/01_basics/01_add/src/extra.rs").exists());
    let backups = f.path(".sdkata/backups/add");
    let stamp = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(t.contains(&stamp.display().to_string()), "{t}");
    assert!(
        std::fs::read_to_string(stamp.join("src/lib.rs"))
            .unwrap()
            .contains("wrapping_add")
    );
    assert_eq!(
        std::fs::read_to_string(stamp.join("src/extra.rs")).unwrap(),
        "// mine\n"
    );
    assert!(
        text(&f.sdkata(&["list"])).contains("0 of 2 lessons done"),
        "reset lesson is pending again"
    );

    // Even after the learner commits their own work, the shipped stub comes back.
    f.solve_add();
    std::process::Command::new("git")
        .args(["commit", "-qam", "mine"])
        .current_dir(f.root())
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t")
        .status()
        .unwrap();
    assert_eq!(code(&f.sdkata(&["reset", "add", "--yes"])), 0);
    assert_eq!(f.read("exercises/01_basics/01_add/src/lib.rs"), stub);
}

#[test]
fn solution_asks_before_spoiling_and_shows_a_diff() {
    let f = Fixture::new();
    let out = f.sdkata(&["solution", "add"]);
    assert_eq!(code(&out), 2, "no terminal to ask on: {}", text(&out));
    let out = f.sdkata(&["solution", "add", "--force"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert!(t.contains("solutions/01_basics/01_add/src"), "{t}");
    assert!(
        t.contains("-    todo!(\"add {a} and {b}\")") && t.contains("+    a.wrapping_add(b)"),
        "{t}"
    );
}

#[test]
fn explain_renders_the_concept_note() {
    let f = Fixture::new();
    let out = f.sdkata(&["explain", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 0, "{t}");
    assert!(
        t.contains("Adding") && t.contains("The + operator, and overflow."),
        "{t}"
    );
}

#[test]
fn verify_checks_everything_and_spots_changed_tests() {
    let f = Fixture::new();
    let out = f.sdkata(&["verify"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("0 of 2 lessons pass"), "{t}");

    f.solve_add();
    let greet = f.read("solutions/01_basics/02_greet/src/lib.rs");
    f.write("exercises/01_basics/02_greet/src/lib.rs", &greet);
    let t = text(&f.sdkata(&["verify", "--track", "basics"]));
    assert!(t.contains("2 of 2 lessons pass"), "{t}");
    assert!(
        t.contains("2 of 2 lessons done")
            || text(&f.sdkata(&["list"])).contains("2 of 2 lessons done")
    );

    f.write(
        "exercises/01_basics/02_greet/tests/2_more.rs",
        "#[test] fn more() {}\n",
    );
    let t = text(&f.sdkata(&["verify"]));
    assert!(
        t.contains("tests differ from the shipped ones: greet (tests/2_more.rs)"),
        "{t}"
    );
    assert_eq!(code(&f.sdkata(&["verify", "--track", "nope"])), 2);
}

#[test]
fn dev_check_passes_the_fixture_and_reports_every_problem() {
    let f = Fixture::new();
    let out = f.sdkata(&["dev", "check"]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    // Break several things at once; all are reported.
    f.write(
        "solutions/01_basics/02_greet/tests/1_hello.rs",
        "// copied\n",
    );
    f.write(
        "exercises/01_basics/02_greet/src/lib.rs",
        "pub fn greet(n: &str) -> String { format!(\"Hello, {n}!\") }\n",
    );
    f.write(
        "exercises/01_basics/09_stray/Cargo.toml",
        "[package]\nname = \"stray\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    f.write("exercises/01_basics/09_stray/src/lib.rs", "");
    f.write(
        "solutions/01_basics/01_add/Cargo.toml",
        &f.read("solutions/01_basics/01_add/Cargo.toml")
            .replace("publish = false", "publish = true"),
    );
    f.write(
        "exercises/01_basics/01_add/README.md",
        &f.read("exercises/01_basics/01_add/README.md")
            .replace("## Pitfalls", "## Gotchas"),
    );
    f.write(
        "exercises/01_basics/01_add/src/shim.rs",
        "// Given: a shim.\n",
    );
    f.write(
        "solutions/01_basics/01_add/src/shim.rs",
        "// Given: a shim, edited.\n",
    );
    for side in ["exercises", "solutions"] {
        f.write(
            &format!("{side}/01_basics/01_add/src/types.rs"),
            "pub struct Unmarked;\n",
        );
    }
    let out = f.sdkata(&["dev", "check"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    for expected in [
        "add: the note's sections are [The problem · The idea · Trade-offs · How real systems do it · Gotchas",
        "add: src/shim.rs is given (`// Given:`) but differs from the solution's copy",
        "add: src/types.rs is the same as the solution's copy but does not start with `// Given: ...`",
        "greet: solutions/01_basics/02_greet/tests exists",
        "exercise greet: stage 1/1: hello passes against the stub",
        "exercises/01_basics/09_stray is not a lesson in info.toml",
        "add: the solution's Cargo.toml differs from the exercise's",
        "shipped.toml is out of date for: add, greet",
    ] {
        assert!(t.contains(expected), "missing {expected:?} in:\n{t}");
    }
}

#[test]
fn two_processes_at_once_lose_no_progress() {
    let f = Fixture::new();
    f.solve_add();
    let a = f.command(&["run", "add"]).spawn().unwrap();
    let b = f.command(&["run", "add"]).spawn().unwrap();
    for mut child in [a, b] {
        assert!(child.wait().unwrap().success());
    }
    let state = f.read(".sdkata/state.toml");
    assert!(
        state.contains("checks = 2"),
        "both checks recorded: {state}"
    );
}

#[test]
fn list_filters() {
    let f = Fixture::new();
    f.solve_add();
    f.sdkata(&["run", "add"]);
    let t = text(&f.sdkata(&["list", "--done"]));
    assert!(
        t.contains("Adding numbers") && !t.contains("Greeting"),
        "{t}"
    );
    let t = text(&f.sdkata(&["list", "--pending"]));
    assert!(
        !t.contains("Adding numbers") && t.contains("Greeting"),
        "{t}"
    );
    assert_eq!(code(&f.sdkata(&["list", "--track", "nope"])), 2);
}

#[test]
fn watch_needs_a_terminal() {
    let f = Fixture::new();
    let out = f.sdkata(&["watch"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out).contains("sdkata run"), "{}", text(&out));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::process::Stdio;
    let f = Fixture::new();
    let mut child = f
        .command(&["hint", "add", "--all"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `sdkata ... | head -0`
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn reset_backs_up_a_file_whose_name_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let f = Fixture::new();
    let odd = std::ffi::OsStr::from_bytes(b"notes-\xff.txt");
    let path = f.path("exercises/01_basics/01_add/src").join(odd);
    std::fs::write(&path, "kept\n").unwrap();
    let out = f.sdkata(&["reset", "add", "--yes"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!path.exists(), "the stray file is gone from the lesson");
    let stamp = std::fs::read_dir(f.path(".sdkata/backups/add"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        std::fs::read_to_string(stamp.join("src").join(odd)).unwrap(),
        "kept\n",
        "and it is in the backup, under its own name"
    );
}

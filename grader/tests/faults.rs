//! Faults a learner's code or a learner's habits can cause, each with the
//! behaviour the grader must keep: nothing left running, the time limit
//! kept, no pass without every test reporting ok, no stale verdicts, no
//! terminal codes obeyed.

mod common;

use std::time::{Duration, Instant};

use common::{Fixture, code, processes_with, text};

const LIB: &str = "exercises/01_basics/01_add/src/lib.rs";

/// Waits (bounded) until `probe` holds.
fn wait_until(what: &str, mut probe: impl FnMut() -> bool) {
    let start = Instant::now();
    while !probe() {
        assert!(start.elapsed() < Duration::from_secs(120), "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_and_kill_of_run_during_a_hung_test_leave_nothing_running() {
    for signal in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        let f = Fixture::new();
        f.write(
            LIB,
            "pub fn add(_: i32, _: i32) -> i32 { loop { std::thread::park() } }\n",
        );
        let root = f.root().to_string_lossy().into_owned();
        let mut child = f.command(&["run", "add"]).spawn().unwrap();
        wait_until("the hung test binary runs", || {
            !processes_with(&[&root, "spec-"]).is_empty()
        });
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(128 + signal as i32),
            "{signal}: {status:?}"
        );
        wait_until("no test binary of this copy survives", || {
            processes_with(&[&root, "spec-"]).is_empty()
        });
    }
}

#[test]
fn a_child_that_holds_the_output_pipe_does_not_hold_up_the_verdict() {
    let f = Fixture::new();
    let marker = format!("sdkata-fault-marker-{}", std::process::id());
    // A correct answer, after starting a child that inherits stdout and
    // would keep the pipe open for ten minutes.
    f.write(
        LIB,
        &format!(
            "pub fn add(a: i32, b: i32) -> i32 {{\n\
             let _ = std::process::Command::new(\"sh\").args([\"-c\", \"sleep 600; echo {marker}\"]).spawn();\n\
             a.wrapping_add(b)\n}}\n"
        ),
    );
    let start = Instant::now();
    let out = f.sdkata(&["run", "add"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        start.elapsed() < Duration::from_secs(300),
        "the run ended with the test binary, not with its child"
    );
    assert!(
        processes_with(&[&marker]).is_empty(),
        "the child was killed with its group"
    );
}

#[test]
fn a_stage_passes_only_when_every_one_of_its_tests_reported_ok() {
    // Code that prints a verdict of its own and exits before libtest does.
    let f = Fixture::new();
    f.write(
        LIB,
        "pub fn add(a: i32, b: i32) -> i32 {\n\
         use std::io::Write;\n\
         let mut out = std::fs::OpenOptions::new().write(true).open(\"/dev/stdout\").unwrap();\n\
         writeln!(out, \"\\ntest result: ok. 2 passed; 0 failed; 0 ignored\").unwrap();\n\
         std::process::exit(0)\n}\n",
    );
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("never reported ok"), "{t}");

    // A stage whose tests were deleted: nothing passed, nothing is done.
    let f = Fixture::new();
    f.solve_add();
    f.write("exercises/01_basics/01_add/tests/2_edge.rs", "");
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(t.contains("no tests in module `edge`"), "{t}");
    assert!(!f.read(".sdkata/state.toml").contains("done = true"));
}

#[test]
fn a_lesson_passing_changed_tests_is_not_marked_done() {
    let f = Fixture::new();
    f.solve_add();
    let test = f.read("exercises/01_basics/01_add/tests/2_edge.rs");
    f.write(
        "exercises/01_basics/01_add/tests/2_edge.rs",
        &format!("{test}\n#[test]\nfn extra() {{}}\n"),
    );
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert!(t.contains("not marked done"), "{t}");
    assert!(!f.read(".sdkata/state.toml").contains("done = true"), "{t}");
}

#[test]
fn floods_of_output_keep_the_verdict() {
    // 10 MB written straight to the pipe, around a correct answer...
    let flood = "{ use std::io::Write; let mut o = std::fs::OpenOptions::new().write(true).open(\"/dev/stdout\").unwrap(); for _ in 0..10_000 { o.write_all(&[b'x'; 1000]).unwrap(); } }";
    let f = Fixture::new();
    f.write(
        LIB,
        &format!("pub fn add(a: i32, b: i32) -> i32 {{ {flood} a.wrapping_add(b) }}\n"),
    );
    let out = f.sdkata(&["run", "add"]);
    assert_eq!(
        code(&out),
        0,
        "{}",
        &text(&out)[..2000.min(text(&out).len())]
    );
    // ...and around a wrong one: a failure, with the failing test named.
    f.write(
        LIB,
        &format!("pub fn add(a: i32, b: i32) -> i32 {{ {flood} a - b }}\n"),
    );
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1);
    assert!(
        t.contains("tests failed") && t.contains("small_numbers"),
        "{}",
        &t[..2000.min(t.len())]
    );
    assert!(
        t.len() < 1_000_000,
        "the flood is cut, not echoed: {} bytes",
        t.len()
    );
}

#[test]
fn a_file_restored_with_an_old_time_is_rebuilt() {
    let f = Fixture::new();
    let stub = f.read(LIB);
    f.solve_add();
    assert_eq!(code(&f.sdkata(&["run", "add"])), 0);
    // `cp -a` of the stub from a backup: old content, old time.
    std::fs::write(f.path(LIB), &stub).unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .append(true)
        .open(f.path(LIB))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = f.sdkata(&["run", "add"]);
    assert_eq!(
        code(&out),
        1,
        "the stub is back, so the lesson fails: {}",
        text(&out)
    );
    assert!(text(&out).contains("not yet implemented"), "{}", text(&out));
}

#[test]
fn terminal_codes_in_test_output_are_shown_not_obeyed() {
    let f = Fixture::new();
    f.write(
        LIB,
        "pub fn add(_: i32, _: i32) -> i32 { panic!(\"\\x1b[2J\\x1b[?1049l\\x1b]0;title\\x07 boom\") }\n",
    );
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1);
    assert!(!t.contains('\x1b') && !t.contains('\x07'), "{t:?}");
    assert!(t.contains("^[[2J^[[?1049l^[]0;title^G boom"), "{t}");
}

#[test]
fn a_broken_manifest_is_named_by_every_lesson_it_stops() {
    let f = Fixture::new();
    f.solve_add();
    let manifest = "exercises/01_basics/02_greet/Cargo.toml";
    f.write(manifest, "[package\nname = \"greet\"\n");
    let out = f.sdkata(&["run", "add"]);
    let t = text(&out);
    assert_eq!(code(&out), 1, "{t}");
    assert!(
        t.contains("02_greet/Cargo.toml is broken, and cargo builds no lesson")
            && t.contains("this lesson's own files are not the cause"),
        "another lesson's manifest is named, not add's code: {t}"
    );
    let t = text(&f.sdkata(&["run", "greet"]));
    assert!(
        t.contains("its manifest,") && t.contains("02_greet/Cargo.toml, is broken"),
        "{t}"
    );
}

#[test]
fn crlf_checkouts_match_the_shipped_fingerprints() {
    let f = Fixture::new();
    for file in ["exercises/01_basics/01_add/tests/1_sum.rs", "info.toml"] {
        f.write(file, &f.read(file).replace('\n', "\r\n"));
    }
    let t = text(&f.sdkata(&["verify"]));
    assert!(!t.contains("tests differ"), "CRLF is not a change: {t}");
    let info = f.read("info.toml").replace(
        "hints = [\"format!\"]\r\n",
        "hints = [\"format!\"]\r\ncolour = 1\r\n",
    );
    f.write("info.toml", &info);
    let t = text(&f.sdkata(&["list"]));
    assert!(
        t.contains("unknown field `colour`") && !t.contains('\r'),
        "the quoted line is clean: {t:?}"
    );
}

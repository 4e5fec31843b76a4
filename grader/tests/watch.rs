//! `sdkata watch` end to end, in a pseudo-terminal, as a learner uses it.

mod common;

use std::time::{Duration, Instant};

use common::terminal::{Terminal, WATCHDOG};
use common::{Fixture, processes_with};
use nix::sys::termios::{LocalFlags, tcgetattr};

/// Saves like many editors do: write a temporary file, then rename it over
/// the original (a new inode, which a naive watcher on the file would miss).
fn save_by_rename(f: &Fixture, rel: &str, text: &str) {
    let tmp = f.path(&format!("{rel}.sdkata-test-tmp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, f.path(rel)).unwrap();
}

const LIB: &str = "exercises/01_basics/01_add/src/lib.rs";

#[test]
fn a_fixing_save_passes_the_lesson_and_quitting_restores_the_terminal() {
    let f = Fixture::new();
    let term = Terminal::start(&f);
    let at = term.wait_for("stage 1/2: sum", 0);
    term.wait_for("not yet implemented", 0);
    assert!(term.raw_mode(), "watch runs in raw mode");

    let solution = f.read("solutions/01_basics/01_add/src/lib.rs");
    save_by_rename(&f, LIB, &solution);
    term.wait_for("add passes every stage", at);
    term.wait_for("Press n for the next lesson: greet", at);

    let (status, raw, restored) = term.quit();
    assert!(status.success(), "{status:?}");
    assert!(restored, "canonical mode and echo are back after quitting");
    let raw = String::from_utf8_lossy(&raw);
    let entered = raw
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    let left = raw.rfind("\x1b[?1049l").expect("left the alternate screen");
    assert!(left > entered);
    let shown = raw.rfind("\x1b[?25h").expect("the cursor is shown again");
    let hidden = raw.rfind("\x1b[?25l").expect("watch hides the cursor");
    assert!(
        shown > hidden,
        "the cursor is shown again after the last hide"
    );
    let state = f.read(".sdkata/state.toml");
    assert!(state.contains("done = true"), "{state}");
    // One check at start, one for the save: a check must not trigger itself
    // (rustc reading the sources is not a save).
    assert!(state.contains("checks = 2"), "{state}");
}

#[test]
fn a_save_during_a_hung_check_cancels_it_and_checks_the_new_code() {
    let f = Fixture::new();
    // The first version blocks inside the test until a gate file exists,
    // which never happens: the second save certainly lands while its check
    // runs, and only cancelling that check lets the new code be checked
    // before the time limit, set to a minute here.
    f.write(
        LIB,
        r#"pub fn add(a: i32, b: i32) -> i32 {
    std::fs::write("started", "").unwrap();
    while !std::path::Path::new("gate").exists() {
        std::thread::yield_now();
    }
    a - b
}
"#,
    );
    let info = f.read("info.toml");
    f.write(
        "info.toml",
        &info.replace("timeout_secs = 3", "timeout_secs = 60"),
    );
    let term = Terminal::start(&f);
    let lesson = f.path("exercises/01_basics/01_add");
    let start = Instant::now();
    while !lesson.join("started").exists() {
        assert!(start.elapsed() < WATCHDOG, "the first check never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let solution = f.read("solutions/01_basics/01_add/src/lib.rs");
    save_by_rename(&f, LIB, &solution);
    let saved = Instant::now();
    let at = term.wait_for("saved again: checking the new code", 0);
    term.wait_for("add passes every stage", at);
    assert!(
        saved.elapsed() < Duration::from_secs(40),
        "the hung check was cancelled, not waited for until its 60 s time limit"
    );
    let (status, _, restored) = term.quit();
    assert!(status.success());
    assert!(restored);
}

#[test]
fn keys_show_hints_the_note_and_the_list() {
    let f = Fixture::new();
    let mut term = Terminal::start(&f);
    let at = term.wait_for("stage 1/2: sum", 0);
    term.press("h");
    let at = term.wait_for("Hint 1/2: Use the + operator.", at);
    term.press("e");
    let at = term.wait_for("The + operator, and overflow.", at);
    term.press("\x1b"); // esc: back to the lesson
    term.press("l");
    let at = term.wait_for("greet", at);
    term.press("j");
    term.press("\r"); // open greet
    term.wait_for("greet — Greeting", at);
    term.wait_for("stage 1/1: hello", at);
    let (status, _, restored) = term.quit();
    assert!(status.success());
    assert!(restored);
    assert!(f.read(".sdkata/state.toml").contains("current = \"greet\""));
}

#[test]
fn polling_notices_every_save_even_two_in_one_second() {
    let f = Fixture::new();
    let term = Terminal::start_with(&f, &["watch", "--poll"]);
    term.wait_for("not yet implemented", 0);
    // Plain writes into the same file, as `echo > file` or most editors do;
    // the second follows the first's verdict at once, within the second the
    // file times the poller sees have not changed.
    std::fs::write(f.path(LIB), "pub fn add(a: i32, b: i32) -> i32 { a - b }\n").unwrap();
    let at = term.wait_for("2 + 3 should be 5", 0);
    let solution = f.read("solutions/01_basics/01_add/src/lib.rs");
    std::fs::write(f.path(LIB), solution).unwrap();
    term.wait_for("add passes every stage", at);
    let (status, _, restored) = term.quit();
    assert!(status.success() && restored);
}

#[test]
fn a_source_directory_deleted_and_made_again_is_still_watched() {
    let f = Fixture::new();
    let term = Terminal::start(&f);
    let at = term.wait_for("stage 1/2: sum", 0);
    term.wait_for("not yet implemented", 0);
    let src = f.path("exercises/01_basics/01_add/src");
    let solution = f.read("solutions/01_basics/01_add/src/lib.rs");
    std::fs::remove_dir_all(&src).unwrap();
    let at = term.wait_for("does not compile", at);
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("lib.rs"), solution).unwrap();
    term.wait_for("add passes every stage", at);
    let (status, _, restored) = term.quit();
    assert!(status.success() && restored);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal_and_stop_the_check() {
    for signal in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGHUP,
    ] {
        let f = Fixture::new();
        f.write(
            LIB,
            "pub fn add(_: i32, _: i32) -> i32 { loop { std::thread::park() } }\n",
        );
        let mut term = Terminal::start(&f);
        let root = f.root().to_string_lossy().into_owned();
        let hung = || !processes_with(&[&root, "spec-"]).is_empty();
        let start = Instant::now();
        while !hung() {
            assert!(start.elapsed() < WATCHDOG, "the hung test never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = nix::unistd::Pid::from_raw(term.child.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
        let status = term.child.wait().unwrap();
        assert_eq!(status.code(), Some(128 + signal as i32), "{signal}");
        let flags = tcgetattr(&term.slave).unwrap().local_flags;
        assert!(
            flags.contains(LocalFlags::ICANON | LocalFlags::ECHO),
            "{signal}: terminal restored"
        );
        let raw = String::from_utf8_lossy(&term.screen.lock().unwrap()).into_owned();
        assert!(
            raw.rfind("\x1b[?1049l") > raw.rfind("\x1b[?1049h"),
            "left the alternate screen"
        );
        let start = Instant::now();
        while hung() {
            assert!(
                start.elapsed() < WATCHDOG,
                "{signal}: the test binary outlived watch"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

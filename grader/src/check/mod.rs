//! Checking lessons: build the test targets once, then run each stage's
//! binary with the lesson's time limit, in order.

mod build;
mod fresh;
pub mod libtest;
mod run;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::children::Cancel;
use crate::course::{Course, Lesson};
use crate::shipped::Shipped;
pub use libtest::TestFailure;

/// Which crate of a lesson to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The learner's crate, in the `exercises/` workspace.
    Exercise,
    /// The reference solution, in the root workspace.
    Solution,
}

/// How far to go once a stage fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// Stop: later stages build on earlier ones (what a learner wants).
    FirstFailure,
    /// Run every stage (what `dev check` needs to prove each stage fails).
    End,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub side: Side,
    pub until: Until,
    /// Ask rustc for coloured diagnostics.
    pub color: bool,
    /// Lessons checked at once.
    pub jobs: usize,
    /// `--test-threads` for each test binary; `None` lets libtest use every
    /// core (right when one lesson runs at a time).
    pub test_threads: Option<usize>,
    /// Stops the check early, killing what it started.
    pub cancel: Cancel,
}

impl Options {
    /// For checking one lesson at a time: its tests use every core.
    pub fn one(side: Side, until: Until) -> Self {
        Options {
            side,
            until,
            color: crate::style::enabled(),
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            test_threads: None,
            cancel: Cancel::new(),
        }
    }

    /// For checking many lessons at once (`verify`, `dev check`): one lesson
    /// per core, each test binary on one thread, so the machine is not
    /// oversubscribed.
    pub fn many(side: Side, until: Until) -> Self {
        Options {
            test_threads: Some(1),
            ..Self::one(side, until)
        }
    }
}

/// The test target that holds every stage but the loom one: one binary per
/// lesson, so a save compiles and links one test crate, not one per stage.
pub const SPEC: &str = "spec";

/// One stage of a lesson: a file `tests/N_name.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 1-based position.
    pub number: usize,
    /// From the file name: `2_log_replication.rs` -> "log replication".
    pub title: String,
    /// The file stem, `2_log_replication`.
    pub file: String,
    /// A test target of its own, built with `--features loom`. Every other
    /// stage is a module of the `spec` binary (`tests/spec.rs`).
    pub loom: bool,
}

impl Stage {
    /// The test target that holds this stage.
    pub fn target(&self) -> &str {
        if self.loom { &self.file } else { SPEC }
    }

    /// The stage's module in `tests/spec.rs`: `log_replication`.
    pub fn module(&self) -> &str {
        self.file
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start_matches('_')
    }
}

/// How one stage went.
#[derive(Debug, Clone)]
pub enum Outcome {
    Passed {
        tests: usize,
    },
    Failed {
        failures: Vec<TestFailure>,
        passed: usize,
        failed: usize,
    },
    TimedOut {
        limit: Duration,
        unfinished: Vec<String>,
    },
    Crashed {
        how: String,
        output: String,
    },
    /// The build produced no binary for this stage.
    NotBuilt {
        why: String,
    },
    /// An earlier stage failed.
    NotRun,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed { .. })
    }
}

#[derive(Debug, Clone)]
pub struct StageReport {
    pub stage: Stage,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// Everything one check of one lesson found.
#[derive(Debug, Clone)]
pub struct Report {
    pub lesson: String,
    /// Why the lesson could not be checked at all (its crate is missing).
    pub unavailable: Option<String>,
    /// Compiler errors, rendered as rustc renders them.
    pub build_error: Option<String>,
    pub warnings: usize,
    pub stages: Vec<StageReport>,
    /// Test files that differ from the shipped ones (changed, added or
    /// removed). A lesson whose spec was edited is never marked done.
    pub changed_tests: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.build_error.is_none()
            && !self.stages.is_empty()
            && self.stages.iter().all(|s| s.outcome.passed())
    }

    fn unavailable(lesson: &Lesson, why: String) -> Self {
        Report {
            lesson: lesson.name.clone(),
            unavailable: Some(why),
            build_error: None,
            warnings: 0,
            stages: Vec::new(),
            changed_tests: Vec::new(),
        }
    }

    /// Passed against the tests it shipped with: what marks a lesson done.
    pub fn done(&self) -> bool {
        self.passed() && self.changed_tests.is_empty()
    }

    /// The stage the learner is working on: the first that did not pass.
    pub fn current_stage(&self) -> Option<&StageReport> {
        self.stages.iter().find(|s| !s.outcome.passed())
    }

    pub fn elapsed(&self) -> Duration {
        self.stages.iter().map(|s| s.elapsed).sum()
    }
}

/// The stages of a lesson, from the test files it ships with.
pub fn stages(lesson: &Lesson) -> Result<Vec<Stage>> {
    let dir = lesson.exercise_dir.join("tests");
    let entries = std::fs::read_dir(&dir).with_context(|| {
        format!(
            "lesson {} has no tests directory at {}",
            lesson.name,
            dir.display()
        )
    })?;
    let mut stems = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.is_file()
            && path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && is_stage_file(stem)
        {
            stems.push(stem.to_owned());
        }
    }
    // Numeric order, so 10_x comes after 9_x.
    stems.sort_by_key(|s| (leading_number(s), s.clone()));
    Ok(stems
        .into_iter()
        .enumerate()
        .map(|(i, file)| Stage {
            number: i + 1,
            title: file
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches('_')
                .replace('_', " "),
            loom: lesson.loom && file.ends_with("loom"),
            file,
        })
        .collect())
}

/// `3_persistence`: digits, an underscore, then a name.
fn is_stage_file(stem: &str) -> bool {
    let name = stem.trim_start_matches(|c: char| c.is_ascii_digit());
    name.len() < stem.len()
        && name.strip_prefix('_').is_some_and(|n| {
            !n.is_empty() && n.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        })
}

/// What `tests/spec.rs` must say for these stages: one module per stage,
/// in order, plus the shared `common` module where the lesson has one.
pub fn spec_source(lesson: &Lesson, stages: &[Stage]) -> String {
    let mut out = format!(
        "//! The spec of `{0}`: every stage is a module of this one test binary.\n\
         //! sdkata runs the stages in order (`sdkata run {0}`); `cargo test` runs them all.\n\n",
        lesson.name
    );
    if stages.iter().any(|s| s.loom) {
        out.push_str(
            "// The loom stage is a test target of its own, built with `--features loom`;\n\
             // these stages are not loom models and run on std's primitives only.\n\
             #![cfg(not(feature = \"loom\"))]\n\n",
        );
    }
    let tests = lesson.exercise_dir.join("tests");
    if tests.join("common").is_dir() || tests.join("common.rs").is_file() {
        out.push_str("mod common;\n\n");
    }
    // In rustfmt's order, by module name; sdkata runs them by file number.
    let mut modules: Vec<&Stage> = stages.iter().filter(|s| !s.loom).collect();
    modules.sort_by_key(|s| s.module());
    for s in modules {
        out.push_str(&format!(
            "#[path = \"{}.rs\"]\nmod {};\n",
            s.file,
            s.module()
        ));
    }
    out
}

fn leading_number(s: &str) -> u64 {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(u64::MAX)
}

/// Checks one lesson.
pub fn check(course: &Course, lesson: &Lesson, opts: &Options) -> Result<Report> {
    let report = check_all(course, &[lesson], opts, &|_| {})?.remove(0);
    if let Some(why) = &report.unavailable {
        anyhow::bail!("{why}");
    }
    Ok(report)
}

/// Checks several lessons: one cargo build for all of them, then their stages
/// on `opts.jobs` threads. `on_report` sees each report as it is ready.
pub fn check_all(
    course: &Course,
    lessons: &[&Lesson],
    opts: &Options,
    on_report: &(dyn Fn(&Report) + Sync),
) -> Result<Vec<Report>> {
    let workspace = match opts.side {
        Side::Exercise => course.exercises_dir(),
        Side::Solution => course.root.clone(),
    };
    // Only the learner's copy can drift from the shipped tests.
    let shipped = match opts.side {
        Side::Exercise => Shipped::load(course).ok(),
        Side::Solution => None,
    };
    let mut reports = vec![None; lessons.len()];
    let mut plans = Vec::new();
    for (i, lesson) in lessons.iter().enumerate() {
        let dir = match opts.side {
            Side::Exercise => &lesson.exercise_dir,
            Side::Solution => &lesson.solution_dir,
        };
        if !dir.join("Cargo.toml").is_file() {
            let report = Report::unavailable(lesson, course.missing_crate(lesson, dir));
            on_report(&report);
            reports[i] = Some(report);
            continue;
        }
        let snapshot = fresh::sources(course, opts.side, lesson, dir);
        plans.push((i, *lesson, dir.clone(), stages(lesson)?, snapshot));
    }
    if plans.is_empty() {
        return Ok(reports.into_iter().flatten().collect());
    }

    let packages: Vec<&str> = plans.iter().map(|p| p.1.name.as_str()).collect();
    let built = build::build(&build::Request {
        workspace: &workspace,
        packages: &packages,
        features: &[],
        tests: &[SPEC],
        color: opts.color,
        cancel: &opts.cancel,
    })?;

    let next = AtomicUsize::new(0);
    let reports = Mutex::new(reports);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, plans.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((at, lesson, dir, stages, _)) = plans.get(i) else {
                        break;
                    };
                    let mut report = check_built(&workspace, lesson, dir, stages, &built, opts);
                    if let Some(shipped) = &shipped {
                        report.changed_tests = shipped.changed_tests(lesson).unwrap_or_default();
                    }
                    on_report(&report);
                    reports.lock().unwrap_or_else(|e| e.into_inner())[*at] = Some(report);
                }
            });
        }
    });
    for (_, lesson, _, _, snapshot) in &plans {
        if let Some(snapshot) = snapshot {
            fresh::record(course, opts.side, lesson, snapshot);
        }
    }
    Ok(reports
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect())
}

/// Runs the stages of one lesson whose spec binary is built.
fn check_built(
    workspace: &Path,
    lesson: &Lesson,
    dir: &Path,
    stages: &[Stage],
    built: &build::Built,
    opts: &Options,
) -> Report {
    let mut report = Report {
        lesson: lesson.name.clone(),
        unavailable: None,
        build_error: None,
        warnings: built.warnings.get(&lesson.name).copied().unwrap_or(0),
        stages: Vec::new(),
        changed_tests: Vec::new(),
    };
    let spec = built
        .executables
        .get(&(lesson.name.clone(), SPEC.to_owned()));
    if built.errors.contains_key(&lesson.name) || (!built.success && spec.is_none()) {
        report.build_error = Some(built.failure_of(&lesson.name, dir));
        return report;
    }
    // The spec binary's own list of its tests: what each stage must report.
    let listed = spec.map(|exe| list_tests(exe, dir, &opts.cancel));

    let mut stopped = false;
    for stage in stages {
        if stopped {
            report.stages.push(StageReport {
                stage: stage.clone(),
                outcome: Outcome::NotRun,
                elapsed: Duration::ZERO,
            });
            continue;
        }
        let (outcome, elapsed) = if stage.loom {
            // A cargo run of its own: the loom feature swaps the lesson's
            // sync primitives, so it is a different build of the crate.
            match loom_executable(workspace, lesson, dir, stage, opts) {
                Ok(exe) => {
                    let names = list_tests(&exe, dir, &opts.cancel);
                    run_stage(&exe, &[], names, dir, lesson.timeout, opts)
                }
                Err(why) => {
                    report.build_error = Some(why);
                    return report;
                }
            }
        } else {
            match (spec, &listed) {
                (Some(exe), Some(listed)) => {
                    let prefix = format!("{}::", stage.module());
                    let names: Vec<String> = listed
                        .iter()
                        .filter(|n| n.starts_with(&prefix))
                        .cloned()
                        .collect();
                    if names.is_empty() {
                        (
                            Outcome::NotBuilt {
                                why: format!(
                                    "the spec binary has no tests in module `{}`; is tests/{}.rs declared in tests/spec.rs?",
                                    stage.module(),
                                    stage.file
                                ),
                            },
                            Duration::ZERO,
                        )
                    } else {
                        let mut args = vec!["--exact".to_owned()];
                        args.extend(names.iter().cloned());
                        let (mut outcome, elapsed) =
                            run_stage(exe, &args, names, dir, lesson.timeout, opts);
                        // The stage is named already: `money::x` reads as `x`.
                        if let Outcome::Failed { failures, .. } = &mut outcome {
                            for f in failures {
                                if let Some(short) = f.name.strip_prefix(&prefix) {
                                    f.name = short.to_owned();
                                }
                            }
                        }
                        if let Outcome::TimedOut { unfinished, .. } = &mut outcome {
                            for name in unfinished {
                                if let Some(short) = name.strip_prefix(&prefix) {
                                    *name = short.to_owned();
                                }
                            }
                        }
                        (outcome, elapsed)
                    }
                }
                _ => (
                    Outcome::NotBuilt {
                        why: format!(
                            "cargo built no test target named {SPEC:?}; is it declared in Cargo.toml?"
                        ),
                    },
                    Duration::ZERO,
                ),
            }
        };
        stopped = !outcome.passed() && opts.until == Until::FirstFailure;
        report.stages.push(StageReport {
            stage: stage.clone(),
            outcome,
            elapsed,
        });
    }
    report
}

/// Builds a lesson's loom stage (`--features loom`) and returns its binary,
/// or the compiler's complaint.
fn loom_executable(
    workspace: &Path,
    lesson: &Lesson,
    dir: &Path,
    stage: &Stage,
    opts: &Options,
) -> Result<PathBuf, String> {
    let features = [format!("{}/loom", lesson.name)];
    let built = build::build(&build::Request {
        workspace,
        packages: &[&lesson.name],
        features: &features,
        tests: &[stage.target()],
        color: opts.color,
        cancel: &opts.cancel,
    })
    .map_err(|e| format!("{e:#}"))?;
    if let Some(errors) = built.errors.get(&lesson.name) {
        return Err(format!(
            "the loom stage does not compile (built with --features loom):\n{errors}"
        ));
    }
    built
        .executables
        .get(&(lesson.name.clone(), stage.target().to_owned()))
        .cloned()
        .ok_or_else(|| built.failure_of(&lesson.name, dir))
}

/// Runs the tests `names` of one stage and reads the verdict. A stage passes
/// only when every one of its tests reported `ok`: a run that exits 0
/// without that (a test file emptied, code that prints a fake verdict and
/// exits) does not.
fn run_stage(
    exe: &Path,
    filter: &[String],
    names: Vec<String>,
    dir: &Path,
    limit: Duration,
    opts: &Options,
) -> (Outcome, Duration) {
    // --include-ignored: an #[ignore] added to the spec must not pass a stage.
    let mut args: Vec<String> = ["--include-ignored", "--color", "never"]
        .map(str::to_owned)
        .to_vec();
    if let Some(n) = opts.test_threads {
        args.push(format!("--test-threads={n}"));
    }
    args.extend(filter.iter().cloned());
    let finished = match run::run(exe, &args, dir, limit, &opts.cancel) {
        Ok(f) => f,
        Err(e) => {
            return (
                Outcome::Crashed {
                    how: "could not start".to_owned(),
                    output: format!("{e:#}"),
                },
                Duration::ZERO,
            );
        }
    };
    let text = finished.stdout.text();
    let mut summary = libtest::parse(&finished.stdout.result_lines());
    summary.failures = libtest::parse(&text).failures;
    let output = || tail(&format!("{text}\n{}", finished.stderr.text()), 60);
    let outcome = match finished.end {
        run::End::TimedOut => Outcome::TimedOut {
            limit,
            unfinished: names
                .into_iter()
                .filter(|t| !summary.finished.contains(t))
                .collect(),
        },
        run::End::Cancelled => Outcome::Crashed {
            how: "cancelled".to_owned(),
            output: String::new(),
        },
        run::End::Exited(status) if status.success() && summary.complete => {
            let missing: Vec<&String> = names.iter().filter(|n| !summary.ok.contains(n)).collect();
            if names.is_empty() || !missing.is_empty() || summary.passed != names.len() {
                Outcome::Crashed {
                    how: format!(
                        "exited 0, but {} of its {} tests never reported ok (first: {}); \
                         does the code exit the process or print a verdict of its own?",
                        missing.len(),
                        names.len(),
                        missing.first().map_or("-", |n| n.as_str())
                    ),
                    output: output(),
                }
            } else {
                Outcome::Passed {
                    tests: summary.passed,
                }
            }
        }
        run::End::Exited(status) if status.code() == Some(101) && summary.complete => {
            Outcome::Failed {
                failures: summary.failures,
                passed: summary.passed,
                failed: summary.failed,
            }
        }
        run::End::Exited(status) => Outcome::Crashed {
            how: describe_exit(status),
            output: output(),
        },
    };
    (outcome, finished.elapsed)
}

/// The names of the tests in a binary.
fn list_tests(exe: &Path, dir: &Path, cancel: &Cancel) -> Vec<String> {
    let args = ["--list", "--format", "terse"].map(str::to_owned);
    let Ok(listed) = run::run(exe, &args, dir, Duration::from_secs(10), cancel) else {
        return Vec::new();
    };
    listed
        .stdout
        .text()
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        let name = nix::sys::signal::Signal::try_from(sig)
            .map_or_else(|_| format!("signal {sig}"), |s| s.as_str().to_owned());
        let hint = match name.as_str() {
            "SIGSEGV" | "SIGBUS" => " (a stack overflow from unbounded recursion?)",
            "SIGABRT" => " (a panic while panicking, or std::process::abort?)",
            "SIGKILL" => " (out of memory?)",
            _ => "",
        };
        format!("killed by {name}{hint}")
    } else {
        format!(
            "exited with code {} before reporting its results",
            status.code().unwrap_or(-1)
        )
    }
}

/// The last `lines` lines of `text`.
pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_titles_and_order_come_from_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let tests = dir.path().join("tests");
        std::fs::create_dir_all(tests.join("common")).unwrap();
        for f in [
            "10_chaos.rs",
            "2_log_replication.rs",
            "1_election.rs",
            "4_loom.rs",
            "spec.rs",
            "notes.txt",
        ] {
            std::fs::write(tests.join(f), "").unwrap();
        }
        let lesson = Lesson {
            index: 0,
            name: "raft".into(),
            track: "t".into(),
            title: "Raft".into(),
            difficulty: 5,
            hints: vec!["h".into()],
            stage_hints: Default::default(),
            timeout: Duration::from_secs(1),
            loom: true,
            topics: Vec::new(),
            exercise_dir: dir.path().to_path_buf(),
            solution_dir: dir.path().to_path_buf(),
            rel_dir: "t/raft".into(),
            dir_line: 1,
        };
        let got: Vec<(usize, String, bool)> = stages(&lesson)
            .unwrap()
            .into_iter()
            .map(|s| (s.number, s.title, s.loom))
            .collect();
        assert_eq!(
            got,
            [
                (1, "election".to_owned(), false),
                (2, "log replication".to_owned(), false),
                (3, "loom".to_owned(), true),
                (4, "chaos".to_owned(), false),
            ]
        );
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}

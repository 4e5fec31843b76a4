//! Checking lessons: build the test targets once, then run each stage's
//! binary with the lesson's time limit, in order.

mod build;
pub mod libtest;
mod run;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::course::{Course, Lesson};
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

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub side: Side,
    pub until: Until,
    /// Ask rustc for coloured diagnostics.
    pub color: bool,
    /// Lessons checked at once.
    pub jobs: usize,
}

/// One test file of a lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 1-based position.
    pub number: usize,
    /// From the file name: `2_replication.rs` -> "replication".
    pub title: String,
    /// The test target, i.e. the file stem.
    pub target: String,
    /// Built with `--features loom`.
    pub loom: bool,
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
    /// Compiler errors, rendered as rustc renders them.
    pub build_error: Option<String>,
    pub warnings: usize,
    pub stages: Vec<StageReport>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.build_error.is_none()
            && !self.stages.is_empty()
            && self.stages.iter().all(|s| s.outcome.passed())
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
        {
            stems.push(stem.to_owned());
        }
    }
    // Numeric order, so 10_x comes after 9_x.
    stems.sort_by_key(|s| (leading_number(s), s.clone()));
    Ok(stems
        .into_iter()
        .enumerate()
        .map(|(i, target)| Stage {
            number: i + 1,
            title: target
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches('_')
                .replace('_', " "),
            loom: lesson.loom && target.ends_with("loom"),
            target,
        })
        .collect())
}

fn leading_number(s: &str) -> u64 {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(u64::MAX)
}

/// Checks one lesson.
pub fn check(course: &Course, lesson: &Lesson, opts: Options) -> Result<Report> {
    let mut reports = check_all(course, &[lesson], opts, &|_| {})?;
    Ok(reports.remove(0))
}

/// Checks several lessons: one cargo build for all of them, then their stages
/// on `opts.jobs` threads. `on_report` sees each report as it is ready.
pub fn check_all(
    course: &Course,
    lessons: &[&Lesson],
    opts: Options,
    on_report: &(dyn Fn(&Report) + Sync),
) -> Result<Vec<Report>> {
    let workspace = match opts.side {
        Side::Exercise => course.exercises_dir(),
        Side::Solution => course.root.clone(),
    };
    let mut plans = Vec::new();
    for lesson in lessons {
        let dir = match opts.side {
            Side::Exercise => &lesson.exercise_dir,
            Side::Solution => &lesson.solution_dir,
        };
        if !dir.join("Cargo.toml").is_file() {
            anyhow::bail!(
                "lesson {} has no crate at {} (is the directory missing?)",
                lesson.name,
                dir.display()
            );
        }
        plans.push((*lesson, dir.clone(), stages(lesson)?));
    }

    let packages: Vec<&str> = lessons.iter().map(|l| l.name.as_str()).collect();
    let mut tests: Vec<&str> = plans
        .iter()
        .flat_map(|(_, _, stages)| stages.iter().filter(|s| !s.loom))
        .map(|s| s.target.as_str())
        .collect();
    tests.sort_unstable();
    tests.dedup();
    let built = build::build(&build::Request {
        workspace: &workspace,
        packages: &packages,
        features: &[],
        tests: &tests,
        color: opts.color,
    })?;

    let next = AtomicUsize::new(0);
    let reports = Mutex::new(vec![None; plans.len()]);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, plans.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((lesson, dir, stages)) = plans.get(i) else {
                        break;
                    };
                    let report = check_built(&workspace, lesson, dir, stages, &built, opts);
                    on_report(&report);
                    reports.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(report);
                }
            });
        }
    });
    Ok(reports
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect())
}

/// Runs the stages of one lesson whose non-loom targets are built.
fn check_built(
    workspace: &Path,
    lesson: &Lesson,
    dir: &Path,
    stages: &[Stage],
    built: &build::Built,
    opts: Options,
) -> Report {
    let mut report = Report {
        lesson: lesson.name.clone(),
        build_error: None,
        warnings: built.warnings.get(&lesson.name).copied().unwrap_or(0),
        stages: Vec::new(),
    };
    let has_binaries = built.executables.keys().any(|(p, _)| p == &lesson.name);
    if built.errors.contains_key(&lesson.name) || (!built.success && !has_binaries) {
        report.build_error = Some(built.failure_of(&lesson.name));
        return report;
    }

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
        let exe = if stage.loom {
            // A cargo run of its own: the loom feature swaps the lesson's
            // sync primitives, so it is a different build of the crate.
            match loom_executable(workspace, lesson, stage, opts) {
                Ok(exe) => Some(exe),
                Err(why) => {
                    report.build_error = Some(why);
                    return report;
                }
            }
        } else {
            let key = (lesson.name.clone(), stage.target.clone());
            built.executables.get(&key).cloned()
        };
        let (outcome, elapsed) = match exe {
            Some(exe) => run_stage(&exe, dir, lesson.timeout),
            None => (
                Outcome::NotBuilt {
                    why: format!(
                        "cargo built no test target named {:?}; is it declared in Cargo.toml?",
                        stage.target
                    ),
                },
                Duration::ZERO,
            ),
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
    stage: &Stage,
    opts: Options,
) -> Result<PathBuf, String> {
    let features = [format!("{}/loom", lesson.name)];
    let built = build::build(&build::Request {
        workspace,
        packages: &[&lesson.name],
        features: &features,
        tests: &[&stage.target],
        color: opts.color,
    })
    .map_err(|e| format!("{e:#}"))?;
    if let Some(errors) = built.errors.get(&lesson.name) {
        return Err(format!(
            "the loom stage does not compile (built with --features loom):\n{errors}"
        ));
    }
    built
        .executables
        .get(&(lesson.name.clone(), stage.target.clone()))
        .cloned()
        .ok_or_else(|| built.failure_of(&lesson.name))
}

/// Runs one stage binary and reads its verdict.
fn run_stage(exe: &Path, dir: &Path, limit: Duration) -> (Outcome, Duration) {
    // --include-ignored: an #[ignore] added to the spec must not pass a stage.
    let finished = match run::run(exe, &["--include-ignored", "--color", "never"], dir, limit) {
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
    let summary = libtest::parse(&finished.stdout);
    let outcome = match finished.status {
        None => {
            let unfinished = list_tests(exe, dir)
                .into_iter()
                .filter(|t| !summary.finished.contains(t))
                .collect();
            Outcome::TimedOut { limit, unfinished }
        }
        Some(status) if status.success() && summary.complete => Outcome::Passed {
            tests: summary.passed,
        },
        Some(status) if status.code() == Some(101) && summary.complete => Outcome::Failed {
            failures: summary.failures,
            passed: summary.passed,
            failed: summary.failed,
        },
        Some(status) => Outcome::Crashed {
            how: describe_exit(status),
            output: tail(&format!("{}\n{}", finished.stdout, finished.stderr), 60),
        },
    };
    (outcome, finished.elapsed)
}

/// The names of the tests in a binary (for saying which ones hung).
fn list_tests(exe: &Path, dir: &Path) -> Vec<String> {
    let Ok(listed) = run::run(
        exe,
        &["--list", "--format", "terse"],
        dir,
        Duration::from_secs(5),
    ) else {
        return Vec::new();
    };
    listed
        .stdout
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
            timeout: Duration::from_secs(1),
            loom: true,
            exercise_dir: dir.path().to_path_buf(),
            solution_dir: dir.path().to_path_buf(),
            rel_dir: "t/raft".into(),
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

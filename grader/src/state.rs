//! Progress: `.sdkata/state.toml`.
//!
//! Every change is read-modify-write under an exclusive file lock, and the new
//! file replaces the old one atomically (temp file, fsync, rename), so a crash
//! or a second sdkata never leaves a torn or stale file. A file that cannot be
//! read is an error that says how to recover: progress is never reset silently.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The state file format this grader writes and reads.
pub const STATE_VERSION: u32 = 1;
/// The grader's directory at the repository root (git-ignored).
pub const STATE_DIR: &str = ".sdkata";

const RECOVER: &str = "\
Your code is safe: progress lives only in this file. To start progress over, move
the file away (for example `mv .sdkata/state.toml .sdkata/state.toml.broken`) and
run `sdkata verify`, which marks every lesson that passes as done again.";

/// Everything sdkata remembers about a learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub format_version: u32,
    /// The lesson `watch` shows, once the learner has moved off the first one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    pub lessons: BTreeMap<String, Progress>,
    /// Every exam taken, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exams: Vec<Exam>,
}

/// One `sdkata exam`, as it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exam {
    /// When it started and ended, in unix seconds.
    pub started: u64,
    pub ended: u64,
    /// Its time box, in seconds.
    pub limit_secs: u64,
    /// The seed its simulated scenarios and questions ran with.
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The coding round hit the hard stop.
    pub timed_out: bool,
    /// The lessons examined (their results are in each lesson's `exams`).
    pub lessons: Vec<String>,
    /// Coding round: lessons passed.
    pub coding: Score,
    pub estimation: Score,
    pub tradeoffs: Score,
}

/// Right answers out of questions asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub right: u32,
    pub asked: u32,
}

/// How a lesson went in one exam: what its memory card is reviewed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamResult {
    /// When the exam ended, in unix seconds.
    pub at: u64,
    /// Every stage passed within the time box.
    pub passed: bool,
    /// Checks it took in the exam.
    pub checks: u32,
    pub stages_passed: usize,
    pub stages: usize,
}

impl Default for State {
    fn default() -> Self {
        Self {
            format_version: STATE_VERSION,
            current: None,
            lessons: BTreeMap::new(),
            exams: Vec::new(),
        }
    }
}

impl State {
    #[cfg(test)]
    pub fn progress(&self, lesson: &str) -> Progress {
        self.lessons.get(lesson).cloned().unwrap_or_default()
    }

    pub fn is_done(&self, lesson: &str) -> bool {
        self.lessons.get(lesson).is_some_and(|p| p.done)
    }

    /// Records one check of `lesson`, made at `now` (unix seconds).
    pub fn record_check(&mut self, lesson: &str, check: &Checked, now: u64) {
        let p = self.lessons.entry(lesson.to_owned()).or_default();
        p.checks += 1;
        p.stage.clone_from(&check.stopped_at);
        p.first_tried.get_or_insert_with(|| rfc3339(now));
        let hints = p.hints_seen();
        for (module, passed) in &check.ran {
            let s = p.stages.entry(module.clone()).or_default();
            s.runs += 1;
            if !passed {
                s.failed += 1;
            } else if s.green_at.is_none() {
                s.green_at = Some(now);
                s.runs_to_green = Some(s.runs);
                s.hints_at_green = Some(hints);
            }
        }
        if check.done && !p.done {
            p.done = true;
            p.done_at = Some(rfc3339(now));
            p.passes.push(Pass {
                at: now,
                checks: p.checks - p.attempt_base,
                hints,
                stages: check.stages,
            });
        }
    }
}

/// What one check found, in the terms progress records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// It passed against the shipped tests.
    pub done: bool,
    /// The module of the first stage that did not pass (`None` when it
    /// passed, or reached no stage).
    pub stopped_at: Option<String>,
    /// The stages that ran, in order, by module, and whether each passed.
    /// Empty when the tests differ from the shipped ones: green against
    /// edited tests is no evidence.
    pub ran: Vec<(String, bool)>,
    /// How many stages the lesson has.
    pub stages: usize,
}

impl Checked {
    /// A check that ran no stage (it did not compile, say).
    #[cfg(test)]
    pub fn nothing() -> Self {
        Self::default()
    }

    /// A check that passed stages `green` and then failed at `failed`, or
    /// passed every one of them when `failed` is `None`.
    #[cfg(test)]
    pub fn stages(green: &[&str], failed: Option<&str>, stages: usize) -> Self {
        let mut ran: Vec<(String, bool)> = green.iter().map(|m| ((*m).to_owned(), true)).collect();
        ran.extend(failed.map(|m| (m.to_owned(), false)));
        Self {
            done: failed.is_none() && green.len() == stages,
            stopped_at: failed.map(str::to_owned),
            ran,
            stages,
        }
    }
}

/// One lesson's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    #[serde(default)]
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_tried: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<String>,
    #[serde(default)]
    pub checks: u32,
    /// How many of the lesson's hints the learner has seen.
    #[serde(default)]
    pub hint_level: usize,
    /// The stage the last check stopped at, by module name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// How many hints the learner has seen on stages with hints of their own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_hint_levels: BTreeMap<String, usize>,
    /// `checks` when the current attempt began: `reset` starts a new one.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempt_base: u32,
    /// Each time the lesson went from not done to done, oldest first: what
    /// the memory model grades.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passes: Vec<Pass>,
    /// Evidence per stage, by module name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, StageEvidence>,
    /// Its results in exams, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exams: Vec<ExamResult>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One time a lesson went done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pass {
    /// When, in unix seconds.
    pub at: u64,
    /// Checks it took in this attempt, the passing one included.
    pub checks: u32,
    /// Hints the learner had seen by then.
    pub hints: usize,
    /// How many stages the lesson had.
    pub stages: usize,
}

/// How one stage went over all its checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageEvidence {
    /// Checks that ran this stage (its earlier stages passed).
    #[serde(default)]
    pub runs: u32,
    /// Of those, how many it failed.
    #[serde(default)]
    pub failed: u32,
    /// When it first passed, in unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub green_at: Option<u64>,
    /// `runs` when it first passed: 1 is a pass on the first try.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs_to_green: Option<u32>,
    /// Hints the learner had seen when it first passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints_at_green: Option<usize>,
}

impl StageEvidence {
    /// It passed the first time a check ran it.
    pub fn first_try(&self) -> bool {
        self.runs_to_green == Some(1)
    }
}

impl Progress {
    /// Hints revealed so far, the lesson's and its stages' own.
    pub fn hints_seen(&self) -> usize {
        self.hint_level + self.stage_hint_levels.values().sum::<usize>()
    }

    /// The stage that failed most often, with its count (ties: the name
    /// first in order); `None` when no stage has failed.
    pub fn most_failed_stage(&self) -> Option<(&str, u32)> {
        self.stages.iter().filter(|(_, s)| s.failed > 0).fold(
            None,
            |best: Option<(&str, u32)>, (m, s)| match best {
                Some((_, n)) if n >= s.failed => best,
                _ => Some((m.as_str(), s.failed)),
            },
        )
    }

    /// Hints seen on `stage` (a stage with hints of its own), or of the
    /// lesson's general list when `None`.
    pub fn hint_level_mut(&mut self, stage: Option<&str>) -> &mut usize {
        match stage {
            Some(s) => self.stage_hint_levels.entry(s.to_owned()).or_default(),
            None => &mut self.hint_level,
        }
    }
}

/// The state file and its lock.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store of the course at `root`.
    pub fn new(root: &Path) -> Self {
        Self {
            dir: root.join(STATE_DIR),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self) -> PathBuf {
        self.dir.join("state.toml")
    }

    /// Reads the state; a missing file is a fresh start.
    pub fn load(&self) -> Result<State> {
        let path = self.file();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => bail!("cannot read {}: {e}\n{RECOVER}", path.display()),
        };
        // The cause first, then what to do about it.
        parse(&text)
            .map_err(|e| anyhow::anyhow!("{} is damaged: {e:#}.\n{RECOVER}", path.display()))
    }

    /// Applies `change` to the freshest state on disk and saves it, holding the
    /// lock throughout so concurrent sdkata processes never lose an update.
    pub fn update<R>(&self, change: impl FnOnce(&mut State) -> R) -> Result<(State, R)> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let lock = self.lock_file("state.lock")?;
        lock.lock().context("cannot lock the progress file")?;
        let mut state = self.load()?;
        let out = change(&mut state);
        self.write(&state)?;
        drop(lock); // closing the file releases the lock
        Ok((state, out))
    }

    /// Opens (creating) a lock file in the state directory.
    pub fn lock_file(&self, name: &str) -> Result<File> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let path = self.dir.join(name);
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))
    }

    fn write(&self, state: &State) -> Result<()> {
        let text = toml::to_string_pretty(state).context("cannot encode progress")?;
        let text = format!("# sdkata progress; edit with care, or not at all.\n{text}");
        write_atomically(&self.file(), text.as_bytes())
    }
}

fn parse(text: &str) -> Result<State> {
    // Read the version first so a newer file gets a clearer message than
    // "unknown field".
    #[derive(Deserialize)]
    struct Version {
        format_version: Option<u32>,
    }
    let version: Version = toml::from_str(text).context("it is not valid TOML")?;
    match version.format_version {
        Some(STATE_VERSION) => {}
        Some(v) if v > STATE_VERSION => bail!(
            "it was written by a newer sdkata (format {v}, this one reads {STATE_VERSION}); update sdkata with `cargo install --path grader`"
        ),
        Some(v) => bail!("it has an unknown format_version {v}"),
        None => bail!("it has no format_version"),
    }
    toml::from_str(text).context("it does not have the expected fields")
}

/// Writes `bytes` to `path` so that readers see either the old or the new
/// content, never a mix, even across a crash.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .context("a file path has a parent directory")?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        // Persist the rename itself.
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Now, as an RFC 3339 UTC timestamp with second precision.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

/// `unix_secs` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(unix_secs: u64) -> String {
    let (days, rem) = (unix_secs / 86_400, unix_secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// The unix seconds of a `YYYY-MM-DDTHH:MM:SSZ` timestamp (what `rfc3339`
/// writes); `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ]
        .iter()
        .all(|&(i, c)| b[i] == c);
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<u32>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    let secs = days * 86_400 + i64::from(hh * 3600 + mm * 60 + ss);
    u64::try_from(secs).ok()
}

/// Howard Hinnant's civil-to-days algorithm, the inverse of `civil_from_days`.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_851_296), "2026-11-28T07:34:56Z");
        for secs in [0, 951_782_400, 1_795_851_296, 4_102_444_799] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs));
        }
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn missing_file_is_a_fresh_start_and_updates_persist() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert_eq!(store.load().unwrap(), State::default());
        store
            .update(|s| s.record_check("structs", &Checked::stages(&[], Some("money"), 2), 100))
            .unwrap();
        store
            .update(|s| {
                s.record_check(
                    "structs",
                    &Checked::stages(&["money", "methods"], None, 2),
                    200,
                )
            })
            .unwrap();
        let p = store.load().unwrap().progress("structs");
        assert!(p.done);
        assert_eq!(p.checks, 2);
        assert!(p.first_tried.is_some() && p.done_at.is_some());
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..10 {
                        store
                            .update(|st| st.record_check("x", &Checked::nothing(), 1))
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(store.load().unwrap().progress("x").checks, 80);
    }

    #[test]
    fn damaged_and_future_files_are_errors_with_a_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        fs::create_dir_all(store.dir()).unwrap();
        for (text, says) in [
            ("not [ toml", "not valid TOML"),
            ("format_version = 7\n", "newer sdkata"),
            ("lessons = 3\n", "no format_version"),
            (
                "format_version = 1\n[lessons.x]\ndone = \"yes\"\n",
                "expected fields",
            ),
        ] {
            fs::write(store.dir().join("state.toml"), text).unwrap();
            let err = format!("{:#}", store.load().unwrap_err());
            assert!(err.contains(says), "{text:?}: {err}");
            assert!(err.contains("mv .sdkata/state.toml"), "{err}");
            // An update must not overwrite a file it could not read.
            assert!(
                store
                    .update(|s| s.record_check("x", &Checked::stages(&["a"], None, 1), 1))
                    .is_err()
            );
            assert_eq!(
                fs::read_to_string(store.dir().join("state.toml")).unwrap(),
                text
            );
        }
    }

    #[test]
    fn checks_record_evidence_per_stage_and_per_pass() {
        let mut st = State::default();
        let day = 86_400;
        // Does not compile, then fails stage 1 twice, then fails stage 2
        // after a hint, then passes.
        st.record_check("raft", &Checked::nothing(), day);
        st.record_check("raft", &Checked::stages(&[], Some("election"), 2), day + 10);
        st.record_check("raft", &Checked::stages(&[], Some("election"), 2), day + 20);
        st.lessons.get_mut("raft").unwrap().hint_level = 1;
        st.record_check(
            "raft",
            &Checked::stages(&["election"], Some("log"), 2),
            day + 30,
        );
        st.record_check(
            "raft",
            &Checked::stages(&["election", "log"], None, 2),
            day + 40,
        );
        // A later regression counts as a failure but changes no first-green evidence.
        st.record_check("raft", &Checked::stages(&[], Some("election"), 2), day + 50);

        let p = st.progress("raft");
        assert_eq!(p.checks, 6);
        let election = &p.stages["election"];
        assert_eq!(
            (election.runs, election.failed, election.green_at),
            (5, 3, Some(day + 30))
        );
        assert_eq!(
            (election.runs_to_green, election.hints_at_green),
            (Some(3), Some(1))
        );
        assert!(!election.first_try());
        let log = &p.stages["log"];
        assert_eq!((log.runs, log.failed, log.runs_to_green), (2, 1, Some(2)));
        assert_eq!(p.most_failed_stage(), Some(("election", 3)));
        assert_eq!(
            p.passes,
            [Pass {
                at: day + 40,
                checks: 5,
                hints: 1,
                stages: 2
            }]
        );
        assert_eq!(p.done_at.as_deref(), Some("1970-01-02T00:00:40Z"));
    }

    #[test]
    fn a_first_try_pass_is_one_check_and_each_stage_green_at_once() {
        let mut st = State::default();
        st.record_check("add", &Checked::stages(&["sum", "edge"], None, 2), 7);
        let p = st.progress("add");
        assert_eq!(p.passes[0].checks, 1);
        assert!(p.stages.values().all(StageEvidence::first_try));
        assert_eq!(p.most_failed_stage(), None);
    }

    #[test]
    fn a_file_from_before_evidence_still_loads_and_gains_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        fs::create_dir_all(store.dir()).unwrap();
        let old = "\
# sdkata progress; edit with care, or not at all.
format_version = 1
current = \"greet\"

[lessons.add]
done = true
first_tried = \"2026-01-01T10:00:00Z\"
done_at = \"2026-01-02T10:00:00Z\"
checks = 4
hint_level = 1
stage = \"edge\"

[lessons.add.stage_hint_levels]
edge = 1
";
        fs::write(store.dir().join("state.toml"), old).unwrap();
        let st = store.load().unwrap();
        let p = st.progress("add");
        assert!(p.done && p.passes.is_empty() && p.stages.is_empty());
        assert_eq!(p.hints_seen(), 2);
        // The next check adds evidence without losing what was there.
        let (st, ()) = store
            .update(|s| s.record_check("greet", &Checked::stages(&["hello"], None, 1), 9))
            .unwrap();
        assert_eq!(st.progress("add").checks, 4);
        assert_eq!(st.progress("greet").passes.len(), 1);
        assert_eq!(store.load().unwrap(), st, "the new fields round-trip");
    }
}

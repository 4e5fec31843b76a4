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
}

impl Default for State {
    fn default() -> Self {
        Self {
            format_version: STATE_VERSION,
            current: None,
            lessons: BTreeMap::new(),
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

    /// Records one check of `lesson`, which stopped at `stage` (the module
    /// of the first stage that did not pass; `None` when it reached none).
    pub fn record_check(&mut self, lesson: &str, passed: bool, stage: Option<&str>) {
        let now = now_rfc3339();
        let p = self.lessons.entry(lesson.to_owned()).or_default();
        p.checks += 1;
        p.stage = stage.map(str::to_owned);
        p.first_tried.get_or_insert_with(|| now.clone());
        if passed && !p.done {
            p.done = true;
            p.done_at = Some(now);
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
}

impl Progress {
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
    }

    #[test]
    fn missing_file_is_a_fresh_start_and_updates_persist() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert_eq!(store.load().unwrap(), State::default());
        store
            .update(|s| s.record_check("structs", false, Some("money")))
            .unwrap();
        store
            .update(|s| s.record_check("structs", true, None))
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
                            .update(|st| st.record_check("x", false, None))
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
            assert!(store.update(|s| s.record_check("x", true, None)).is_err());
            assert_eq!(
                fs::read_to_string(store.dir().join("state.toml")).unwrap(),
                text
            );
        }
    }
}

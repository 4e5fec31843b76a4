//! Making sure cargo sees every content change.
//!
//! Cargo rebuilds when a source is newer than its last build. A file restored
//! with its old timestamp (`cp -a` or `mv` back from a backup, an editor that
//! keeps times) is older, so cargo would keep the stale binary and the grader
//! would report the code that was there before. The grader knows what every
//! file held at its last check (git blob ids); a file whose content changed
//! but whose time did not move past that check gets its time set to now.
//! Nothing else is touched: editors warn when a file's time changes under
//! them, so a file saved the ordinary way keeps its own.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Side;
use crate::course::{Course, Lesson};
use crate::shipped;
use crate::state::Store;

/// Where the record of a lesson's last check lives.
fn record_path(course: &Course, side: Side, lesson: &Lesson) -> PathBuf {
    let side = match side {
        Side::Exercise => "exercise",
        Side::Solution => "solution",
    };
    Store::new(&course.root)
        .dir()
        .join("built")
        .join(format!("{side}-{}.txt", lesson.name))
}

/// What a lesson's files held when a check started.
pub struct Snapshot {
    files: BTreeMap<String, String>,
    taken: SystemTime,
}

/// Touches the files of `dir` that changed since the last check without a
/// newer time, and returns what they hold now for [`record`]. Best effort: a
/// failure here only costs a stale build.
pub fn sources(course: &Course, side: Side, lesson: &Lesson, dir: &Path) -> Option<Snapshot> {
    let taken = SystemTime::now();
    let now = shipped::files_of(dir).ok()?;
    if let Ok(text) = fs::read_to_string(record_path(course, side, lesson)) {
        touch_changed(dir, &text, &now);
    }
    Some(Snapshot { files: now, taken })
}

fn touch_changed(dir: &Path, record: &str, now: &BTreeMap<String, String>) {
    let mut lines = record.lines();
    let Some(checked) = lines
        .next()
        .and_then(|l| l.parse::<u64>().ok())
        .map(|n| UNIX_EPOCH + Duration::from_nanos(n))
    else {
        return;
    };
    let before: BTreeMap<&str, &str> = lines
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, p)| (p, id))
        .collect();
    for (rel, id) in now {
        if before.get(rel.as_str()).is_some_and(|old| old != id) {
            let path = dir.join(rel);
            let stale = fs::metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t <= checked);
            if stale && let Ok(file) = fs::File::options().append(true).open(&path) {
                let _ = file.set_modified(SystemTime::now());
            }
        }
    }
}

/// Remembers what the lesson's files held when its check started.
pub fn record(course: &Course, side: Side, lesson: &Lesson, snapshot: &Snapshot) {
    let nanos = snapshot
        .taken
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut text = format!("{nanos}\n");
    for (rel, id) in &snapshot.files {
        text.push_str(&format!("{id}\t{rel}\n"));
    }
    let path = record_path(course, side, lesson);
    if let Some(parent) = path.parent() {
        let _ = fs::create_dir_all(parent);
    }
    let _ = crate::state::write_atomically(&path, text.as_bytes());
}

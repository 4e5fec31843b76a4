//! Which saved files matter, and the OS watcher (or polling) that sees them.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{EventKind, PollWatcher, RecursiveMode, Watcher};

use super::Input;
use super::session::Event;
use crate::course::Course;

/// How often the polling watcher looks at file times.
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Is `path` a lesson source a save of which should trigger a check? Editors'
/// temporary and backup files, build output and the concept note are not.
pub fn is_source(path: &Path) -> bool {
    if path.components().any(|c| c.as_os_str() == "target") {
        return false;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let temporary = name.starts_with('.') // vim .x.swp, emacs .#x, atomic-write temps
        || name.starts_with('#')          // emacs auto-save
        || name.ends_with('~')            // backups
        || name.contains("___jb_")        // JetBrains safe-write
        || name == "4913"; // vim's probe file
    !temporary && (name.ends_with(".rs") || name == "Cargo.toml")
}

/// Does an event of this kind mean a file's content may have changed? Reads
/// are not changes: rustc opening the sources during a check would otherwise
/// trigger the next check, forever. A new modification time is how the
/// poller reports a write; the loop compares contents before it checks.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime | MetadataKind::Any)) => {
            true
        }
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
    }
}

/// Whichever watcher is running; dropping it stops the events.
pub type Active = Box<dyn Watcher + Send>;

/// Starts watching every lesson's sources. `poll` skips the native watcher;
/// if the native one fails, falls back to polling and says why.
pub fn watch(course: &Course, poll: bool, tx: Sender<Input>) -> Result<(Active, Option<String>)> {
    let dirs = watched_dirs(course);
    let handler = {
        let tx = tx.clone();
        move |res: notify::Result<notify::Event>| {
            let _ = match res {
                Ok(ev) if !changes_content(&ev.kind) => Ok(()),
                Ok(ev) => tx.send(Input::Files(ev.paths)),
                Err(e) => tx.send(Input::Event(Event::WatchError(e.to_string()))),
            };
        }
    };
    if !poll {
        let native = notify::recommended_watcher(handler.clone()).and_then(|mut w| {
            for (dir, mode) in &dirs {
                w.watch(dir, *mode)?;
            }
            Ok(w)
        });
        match native {
            Ok(w) => return Ok((Box::new(w), None)),
            Err(e) => {
                let notice = format!(
                    "the OS file watcher failed ({e}); polling every {} ms instead (start with --poll to skip trying)",
                    POLL_INTERVAL.as_millis()
                );
                return Ok((Box::new(polling(&dirs, handler)?), Some(notice)));
            }
        }
    }
    Ok((Box::new(polling(&dirs, handler)?), None))
}

fn polling<F>(dirs: &[(PathBuf, RecursiveMode)], handler: F) -> Result<PollWatcher>
where
    F: notify::EventHandler,
{
    // The poller's file times have whole seconds: two saves within one
    // second look the same, so it compares contents too.
    let config = notify::Config::default()
        .with_poll_interval(POLL_INTERVAL)
        .with_compare_contents(true);
    let mut w = PollWatcher::new(handler, config).context("cannot start polling for changes")?;
    for (dir, mode) in dirs {
        w.watch(dir, *mode)
            .with_context(|| format!("cannot watch {}", dir.display()))?;
    }
    Ok(w)
}

/// Each lesson directory, recursively: a src/ deleted and made again is
/// then seen again (a watch on src/ itself dies with the directory). Lesson
/// directories hold no build output (the workspace's target/ is above them).
fn watched_dirs(course: &Course) -> Vec<(PathBuf, RecursiveMode)> {
    course
        .lessons
        .iter()
        .filter(|l| l.exercise_dir.is_dir())
        .map(|l| (l.exercise_dir.clone(), RecursiveMode::Recursive))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{changes_content, is_source};
    use notify::EventKind;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, ModifyKind, RenameMode,
    };
    use std::path::Path;

    #[test]
    fn reads_are_not_changes() {
        for yes in [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)),
        ] {
            assert!(changes_content(&yes), "{yes:?}");
        }
        for no in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        ] {
            assert!(!changes_content(&no), "{no:?}");
        }
    }

    #[test]
    fn sources_and_noise() {
        for yes in [
            "/x/src/lib.rs",
            "/x/tests/1_a.rs",
            "/x/Cargo.toml",
            "/x/src/sync.rs",
        ] {
            assert!(is_source(Path::new(yes)), "{yes}");
        }
        for no in [
            "/x/src/.lib.rs.swp",
            "/x/src/lib.rs~",
            "/x/src/#lib.rs#",
            "/x/src/.#lib.rs",
            "/x/src/4913",
            "/x/src/lib.rs___jb_tmp___",
            "/x/README.md",
            "/x/target/debug/build.rs",
            "/x/src/.lib.rs.tmp-123",
        ] {
            assert!(!is_source(Path::new(no)), "{no}");
        }
    }
}

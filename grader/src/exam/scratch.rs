//! The exam's workspace: a course of its own under `.sdkata/exams/<stamp>/`.
//!
//! It holds fresh copies of the examined lessons' shipped stubs and tests
//! (read from git, as `reset` does, so the learner's own work is never
//! touched or seen), an info.toml naming only them, and the exercises
//! workspace manifest with the support crates' paths made absolute. Concept
//! notes are replaced by a line saying they are closed and there are no
//! hints; solutions are not there at all. Builds go to the course's usual
//! target directory (a `.cargo/config.toml` says so), so only the lesson
//! crates compile, not their dependencies.
//!
//! A marker file, `.sdkata/exam-scratch.toml`, tells `sdkata watch` it runs
//! an exam: when it ends, for the countdown and the hard stop.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::course::{Course, Lesson};
use crate::shipped::Shipped;
use crate::state::{STATE_DIR, write_atomically};

/// The marker's name inside the scratch course's state directory.
pub const MARKER: &str = "exam-scratch.toml";

/// What `watch` needs to know about the exam it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// When the exam ends, in unix milliseconds.
    pub deadline_ms: u64,
}

/// The exam marker of the course at `root`, if it is an exam's scratch course.
pub fn marker(root: &Path) -> Result<Option<Marker>> {
    let path = root.join(STATE_DIR).join(MARKER);
    if !path.exists() {
        return Ok(None);
    }
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let marker = toml::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?;
    Ok(Some(marker))
}

/// A TOML string literal.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Builds the scratch course for `lessons` in `dir` (which must not exist).
pub fn create(course: &Course, lessons: &[&Lesson], dir: &Path, marker: Marker) -> Result<()> {
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    let shipped = Shipped::load(course)?;
    let exercises = dir.join("exercises");
    fs::create_dir_all(dir.join(STATE_DIR))
        .with_context(|| format!("cannot create {}", dir.display()))?;

    let mut info = format!(
        "format_version = 1\nwelcome_message = {}\nfinal_message = {}\n",
        quoted("Exam: make each lesson pass before the time runs out. Hints and notes are closed."),
        quoted("Every lesson of the exam passes. Press q to hand in.")
    );
    for track in &course.tracks {
        if lessons.iter().any(|l| l.track == track.id) {
            let _ = write!(
                info,
                "\n[[tracks]]\nid = {}\ntitle = {}\ndir = {}\n",
                quoted(&track.id),
                quoted(&track.title),
                quoted(&track.dir)
            );
        }
    }
    for lesson in lessons {
        let lesson_dir = lesson
            .exercise_dir
            .file_name()
            .and_then(|n| n.to_str())
            .context("a lesson directory has a name")?;
        let _ = write!(
            info,
            "\n[[lessons]]\nname = {}\ntrack = {}\ndir = {}\ntitle = {}\ndifficulty = {}\n\
             timeout_secs = {}\nloom = {}\nhints = [{}]\n",
            quoted(&lesson.name),
            quoted(&lesson.track),
            quoted(lesson_dir),
            quoted(&lesson.title),
            lesson.difficulty,
            lesson.timeout.as_secs(),
            lesson.loom,
            quoted(super::NO_HINTS)
        );
        let to = exercises.join(&lesson.rel_dir);
        for (rel, bytes) in shipped.contents(course, lesson)? {
            if rel == "README.md" || rel == super::bank::FILE {
                continue;
            }
            let path = to.join(&rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        }
        fs::write(
            to.join("README.md"),
            format!("# {}\n\n{}\n", lesson.title, super::NO_HINTS),
        )?;
    }
    fs::write(dir.join("info.toml"), info)?;
    // The lessons' fingerprints, so a check there knows the shipped tests
    // (the stubs' and notes' entries are never compared, only the tests').
    let mut own = Shipped {
        lessons: Default::default(),
    };
    for lesson in lessons {
        if let Some(files) = shipped.lessons.get(&lesson.name) {
            own.lessons.insert(lesson.name.clone(), files.clone());
        }
    }
    fs::write(Shipped::path_in(dir), own.to_toml()?)?;

    // The exercises workspace, pointing at the real support crates.
    let manifest = fs::read_to_string(course.exercises_dir().join("Cargo.toml"))
        .context("cannot read exercises/Cargo.toml")?;
    let support = course.root.join("support");
    let manifest = manifest.replace(
        "path = \"../support/",
        &format!("path = \"{}/", support.display()),
    );
    fs::write(exercises.join("Cargo.toml"), manifest)?;
    let lock = course.exercises_dir().join("Cargo.lock");
    if lock.is_file() {
        fs::copy(&lock, exercises.join("Cargo.lock"))?;
    }
    let target = target_dir(course);
    fs::create_dir_all(exercises.join(".cargo"))?;
    fs::write(
        exercises.join(".cargo").join("config.toml"),
        format!(
            "# The course's own build directory: only the lesson crates rebuild.\n[build]\ntarget-dir = {}\n",
            quoted(&target.display().to_string())
        ),
    )?;
    write_marker(dir, marker)
}

/// Writes (or moves) the exam's end into the scratch course's marker.
pub fn write_marker(dir: &Path, marker: Marker) -> Result<()> {
    write_atomically(
        &dir.join(STATE_DIR).join(MARKER),
        toml::to_string(&marker)?.as_bytes(),
    )
}

/// Where the course's exercises build.
fn target_dir(course: &Course) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| course.exercises_dir().join("target"))
}

/// Removes the scratch course, refusing anything that is not one.
pub fn remove(dir: &Path) -> Result<()> {
    if !dir.join(STATE_DIR).join(MARKER).is_file() {
        bail!(
            "{} is not an exam's workspace (no {MARKER}); not removing it",
            dir.display()
        );
    }
    fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))
}

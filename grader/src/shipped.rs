//! What each lesson ships with: the git blob id of every file, committed in
//! `shipped.toml` at the repository root.
//!
//! Blob ids (not just checksums) because they are also the key to the content:
//! `git cat-file blob <id>` gives back the shipped file from the clone's own
//! history, whatever the learner has committed since. `verify` uses the ids to
//! spot changed tests, `reset` to restore a stub, `dev check` to see that the
//! file is current.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::course::{Course, Lesson};

/// The fingerprint file's name, at the repository root.
pub const SHIPPED_FILE: &str = "shipped.toml";

/// lesson -> (path inside the lesson directory -> git blob id).
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipped {
    pub lessons: BTreeMap<String, BTreeMap<String, String>>,
}

impl Shipped {
    pub fn path(course: &Course) -> PathBuf {
        Self::path_in(&course.root)
    }

    /// Where the file lives in the course at `root`.
    pub fn path_in(root: &Path) -> PathBuf {
        root.join(SHIPPED_FILE)
    }

    pub fn load(course: &Course) -> Result<Self> {
        let path = Self::path(course);
        let text = fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read {} (maintainers: `sdkata dev fingerprint` writes it)",
                path.display()
            )
        })?;
        toml::from_str(&text).with_context(|| format!("{} is damaged", path.display()))
    }

    /// Fingerprints of every lesson as it is on disk now.
    pub fn of_course(course: &Course) -> Result<Self> {
        let mut lessons = BTreeMap::new();
        for lesson in &course.lessons {
            lessons.insert(lesson.name.clone(), files_of(&lesson.exercise_dir)?);
        }
        Ok(Self { lessons })
    }

    pub fn to_toml(&self) -> Result<String> {
        Ok(format!(
            "# Git blob ids of the files each lesson ships with: how sdkata spots changed\n\
             # tests and restores stubs. Written by `sdkata dev fingerprint`; do not edit.\n\n{}",
            toml::to_string_pretty(self)?
        ))
    }

    /// Test sources (`tests/**.rs`) of `lesson` that differ from the shipped
    /// ones: changed, added or removed.
    pub fn changed_tests(&self, lesson: &Lesson) -> Result<Vec<String>> {
        let Some(shipped) = self.lessons.get(&lesson.name) else {
            return Ok(Vec::new());
        };
        let now = files_of(&lesson.exercise_dir)?;
        let tests = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            m.iter()
                .filter(|(p, _)| p.starts_with("tests/") && p.ends_with(".rs"))
                .map(|(p, id)| (p.clone(), id.clone()))
                .collect()
        };
        let (shipped, now) = (tests(shipped), tests(&now));
        let changed: std::collections::BTreeSet<&String> = shipped
            .keys()
            .chain(now.keys())
            .filter(|p| shipped.get(*p) != now.get(*p))
            .collect();
        Ok(changed.into_iter().cloned().collect())
    }

    /// The shipped files of `lesson` with their contents, read from git.
    pub fn contents(&self, course: &Course, lesson: &Lesson) -> Result<Vec<(String, Vec<u8>)>> {
        let Some(files) = self.lessons.get(&lesson.name) else {
            bail!("{SHIPPED_FILE} has no entry for {}", lesson.name);
        };
        files
            .iter()
            .map(|(path, id)| Ok((path.clone(), git_blob(&course.root, id, path)?)))
            .collect()
    }
}

/// Every file below a lesson directory (skipping `target/`), by relative
/// path with `/` separators, with its blob id.
pub fn files_of(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for rel in paths_of(dir)? {
        let path = dir.join(&rel);
        let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        out.insert(slashed(&rel), blob_id(&checked_in(&bytes)));
    }
    Ok(out)
}

/// Every file below a lesson directory (skipping `target/` and hidden
/// files), relative to it. Paths, not strings: a file whose name is not
/// UTF-8 is still found, backed up and removed.
pub fn paths_of(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, Path::new(""), &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(base: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let dir = base.join(rel);
    let entries = fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if name == "target" || name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = rel.join(&name);
        if entry.file_type()?.is_dir() {
            walk(base, &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `rel` with `/` between its components, as shipped.toml names files.
pub fn slashed(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A text file as git stores it: a checkout with `core.autocrlf` (or an
/// editor) may turn LF into CRLF, which is not a change to the lesson.
fn checked_in(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let text = !bytes.contains(&0);
    if text && bytes.windows(2).any(|w| w == b"\r\n") {
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = bytes;
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            out.extend_from_slice(&rest[..i]);
            out.push(b'\n');
            rest = &rest[i + 2..];
        }
        out.extend_from_slice(rest);
        out.into()
    } else {
        bytes.into()
    }
}

/// Git's object id for a blob with these contents.
pub fn blob_id(bytes: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    h.digest().to_string()
}

fn git_blob(root: &Path, id: &str, path: &str) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["cat-file", "blob", id])
        .output()
        .context("cannot run git, which sdkata needs to restore shipped files")?;
    if !out.status.success() {
        bail!(
            "the shipped {path} (git object {id}) is not in this repository's history: {}\
             Is this a git clone of sdkata? A copy without .git cannot restore stubs.",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Guard against a damaged object store handing back the wrong bytes.
    if blob_id(&out.stdout) != id {
        bail!("git returned the wrong contents for {path} ({id})");
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn crlf_text_has_the_id_of_its_lf_form() {
        assert_eq!(&*checked_in(b"a\r\nb\r\n"), b"a\nb\n");
        assert_eq!(&*checked_in(b"a\rb\n"), b"a\rb\n", "a lone CR stays");
        assert_eq!(&*checked_in(b"\0\r\n"), b"\0\r\n", "binary files stay");
    }

    #[test]
    fn files_skip_target_and_hidden_and_use_slashes() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "src/lib.rs",
            "tests/1_a.rs",
            "target/x",
            ".hidden",
            "Cargo.toml",
        ] {
            let p = dir.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, f).unwrap();
        }
        let files: Vec<String> = files_of(dir.path()).unwrap().into_keys().collect();
        assert_eq!(files, ["Cargo.toml", "src/lib.rs", "tests/1_a.rs"]);
    }
}

//! A throwaway copy of the fixture course, committed to a git repository of
//! its own (reset reads shipped files from git), and a way to run sdkata in it.

#![allow(dead_code)] // each test binary uses part of this

pub mod terminal;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SDKATA: &str = env!("CARGO_BIN_EXE_sdkata");

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture"),
            dir.path(),
        );
        let f = Fixture { dir };
        let out = f.sdkata(&["dev", "fingerprint"]);
        assert!(out.status.success(), "fingerprint: {}", text(&out));
        f.git(&["init", "-q"]);
        f.git(&["add", "-A"]);
        f.git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "shipped",
        ]);
        f
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn lesson_file(&self, lesson_dir: &str, file: &str) -> PathBuf {
        self.path(&format!("exercises/01_basics/{lesson_dir}/{file}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Makes the `add` lesson pass by copying the solution over the stub.
    pub fn solve_add(&self) {
        let solution = self.read("solutions/01_basics/01_add/src/lib.rs");
        self.write("exercises/01_basics/01_add/src/lib.rs", &solution);
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(SDKATA);
        cmd.args(args)
            .current_dir(self.root())
            // A build directory per copy: cargo names test binaries by a hash of the
            // workspace-relative path, so copies sharing one would overwrite each other's.
            .env("CARGO_TARGET_DIR", self.root().join("target"))
            .env("NO_COLOR", "1")
            .env_remove("SDKATA_SEED");
        cmd
    }

    pub fn sdkata(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run sdkata")
    }

    pub fn sdkata_in(&self, rel_dir: &str, args: &[&str]) -> Output {
        self.command(args)
            .current_dir(self.path(rel_dir))
            .output()
            .expect("run sdkata")
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.root())
            .output()
            .expect("git is installed");
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
    }
}

/// stdout and stderr together, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("sdkata exits, it is not killed")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "target" {
            continue;
        }
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Command lines of live processes that contain every one of `needles`.
pub fn processes_with(needles: &[&str]) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| needles.iter().all(|n| c.contains(n)))
        .collect()
}

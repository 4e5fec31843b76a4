//! Building test executables with cargo and reading its JSON messages.

use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::children::{Cancel, Group};

/// One cargo build: what it produced and what went wrong, by package.
#[derive(Debug, Default)]
pub struct Built {
    /// (package, test target) -> executable.
    pub executables: HashMap<(String, String), PathBuf>,
    /// package -> rendered compiler errors.
    pub errors: HashMap<String, String>,
    /// package -> number of warnings.
    pub warnings: HashMap<String, usize>,
    /// Cargo's own complaints (a broken manifest, a missing directory...).
    pub cargo_stderr: String,
    /// A member's manifest that cargo could not read: it stops the whole
    /// workspace from building.
    pub broken_manifest: Option<PathBuf>,
    pub success: bool,
}

impl Built {
    /// Why `package` (the crate in `dir`) has no executables, as the learner
    /// should see it.
    pub fn failure_of(&self, package: &str, dir: &Path) -> String {
        if let Some(errors) = self.errors.get(package) {
            return errors.clone();
        }
        let cargo = cargo_errors(&self.cargo_stderr);
        match &self.broken_manifest {
            Some(manifest) if manifest.parent() == Some(dir) => {
                format!("its manifest, {}, is broken:\n{cargo}", manifest.display())
            }
            Some(manifest) => format!(
                "{} is broken, and cargo builds no lesson of the workspace until it is fixed \
                 (this lesson's own files are not the cause):\n{cargo}",
                manifest.display()
            ),
            None if !cargo.is_empty() => cargo,
            None => "cargo failed without saying why".to_owned(),
        }
    }
}

/// What to build: integration-test targets of some packages.
pub struct Request<'a> {
    /// Directory holding the workspace's Cargo.toml.
    pub workspace: &'a Path,
    pub packages: &'a [&'a str],
    /// Cargo features, e.g. `worker_pool/loom`.
    pub features: &'a [String],
    /// Test targets to build, by name. Named one by one rather than with
    /// `--test '*'`, which refuses targets whose required features are off
    /// (the loom stages) instead of skipping them.
    pub tests: &'a [&'a str],
    pub color: bool,
    /// Kills the build (cargo and every rustc under it) when cancelled.
    pub cancel: &'a Cancel,
}

/// Runs `cargo build` for test targets and collects its messages.
pub fn build(req: &Request) -> Result<Built> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(req.workspace)
        .arg("build")
        .arg("--keep-going")
        .arg(if req.color {
            "--message-format=json-diagnostic-rendered-ansi"
        } else {
            "--message-format=json"
        })
        .stdin(Stdio::null());
    for p in req.packages {
        cmd.args(["-p", p]);
    }
    if !req.features.is_empty() {
        cmd.arg("--features").arg(req.features.join(","));
    }
    for t in req.tests {
        cmd.args(["--test", t]);
    }
    // A process group of its own, registered, so that every way sdkata
    // exits (or a cancelled check) takes cargo and its rustc jobs with it.
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .context("cannot run cargo: is the Rust toolchain installed (https://rustup.rs)?")?;
    let group = Group::register(child.id(), req.cancel);
    let out = child
        .wait_with_output()
        .context("cannot read cargo's output")?;
    drop(group);

    let cargo_stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut built = Built {
        success: out.status.success(),
        broken_manifest: broken_manifest(&cargo_stderr),
        cargo_stderr,
        ..Built::default()
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Message>(line) else {
            continue;
        };
        match msg {
            Message::CompilerArtifact {
                package_id,
                target,
                executable: Some(executable),
            } if target.kind.iter().any(|k| k == "test") => {
                built
                    .executables
                    .insert((package_name(&package_id), target.name), executable);
            }
            Message::CompilerMessage {
                package_id,
                message,
            } => {
                let package = package_name(&package_id);
                match message.level.as_str() {
                    "error" => {
                        let errors = built.errors.entry(package).or_default();
                        errors.push_str(&message.rendered.unwrap_or(message.message));
                        errors.push('\n');
                    }
                    "warning" => *built.warnings.entry(package).or_default() += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(built)
}

/// The cargo to run: the one that invoked us (`cargo run`), else `cargo`.
fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The manifest cargo names when it cannot load a workspace member:
/// "failed to parse manifest at `/w/x/Cargo.toml`", or the member directory of
/// "failed to load manifest for workspace member `/w/x`".
fn broken_manifest(stderr: &str) -> Option<PathBuf> {
    let quoted = |marker: &str| {
        let rest = &stderr[stderr.find(marker)? + marker.len()..];
        let end = rest.find('`')?;
        Some(PathBuf::from(&rest[..end]))
    };
    quoted("failed to parse manifest at `").or_else(|| {
        quoted("failed to load manifest for workspace member `").map(|d| d.join("Cargo.toml"))
    })
}

/// Cargo's stderr without its progress chatter.
fn cargo_errors(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("Compiling")
                || t.starts_with("Blocking")
                || t.starts_with("Finished")
                || t.starts_with("Updating")
                || t.starts_with("Locking")
                || t.starts_with("Adding")
                || t.starts_with("Downloaded")
                || t.starts_with("Downloading"))
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// The package name in a cargo package id. Both forms are handled:
/// `path+file:///x/01_structs#structs@0.1.0` and `path+file:///x/structs#0.1.0`
/// (cargo omits the name when it equals the directory's).
pub fn package_name(id: &str) -> String {
    let (url, fragment) = id.split_once('#').unwrap_or((id, ""));
    match fragment.split_once('@') {
        Some((name, _)) => name.to_owned(),
        None => url.rsplit('/').next().unwrap_or(url).to_owned(),
    }
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[allow(clippy::enum_variant_names)] // the names are cargo's `reason` tags
enum Message {
    CompilerArtifact {
        package_id: String,
        target: Target,
        executable: Option<PathBuf>,
    },
    CompilerMessage {
        package_id: String,
        message: Diagnostic,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    message: String,
    rendered: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_ids() {
        assert_eq!(
            package_name("path+file:///w/exercises/01_idioms/01_structs#structs@0.1.0"),
            "structs"
        );
        assert_eq!(package_name("path+file:///w/structs#0.1.0"), "structs");
        assert_eq!(
            package_name("registry+https://github.com/rust-lang/crates.io-index#serde@1.0.0"),
            "serde"
        );
    }

    #[test]
    fn a_broken_member_manifest_is_named() {
        let stderr = "error: failed to load manifest for workspace member `/w/01_t/02_b`\n\
                      referenced via `0*/*` by workspace at `/w/Cargo.toml`\n\n\
                      Caused by:\n  failed to parse manifest at `/w/01_t/02_b/Cargo.toml`\n";
        assert_eq!(
            broken_manifest(stderr),
            Some(PathBuf::from("/w/01_t/02_b/Cargo.toml"))
        );
        let stderr = "error: failed to load manifest for workspace member `/w/01_t/02_b`\n\
                      Caused by:\n  failed to read `/w/01_t/02_b/Cargo.toml`\n";
        assert_eq!(
            broken_manifest(stderr),
            Some(PathBuf::from("/w/01_t/02_b/Cargo.toml"))
        );
        assert_eq!(broken_manifest("error[E0308]: mismatched types"), None);
    }

    #[test]
    fn progress_lines_are_dropped_from_cargo_errors() {
        let s = "   Compiling x v0.1.0\nerror: failed to parse manifest at `/x/Cargo.toml`\n";
        assert_eq!(
            cargo_errors(s),
            "error: failed to parse manifest at `/x/Cargo.toml`"
        );
    }
}

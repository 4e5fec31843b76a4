//! Running one test binary with a time limit.
//!
//! The binary gets a process group of its own, so a hung test is killed with
//! everything it spawned, and cargo is not in the way: this is what lets the
//! grader time out one stage and report it, which `cargo test` cannot do.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Keep at most this much of a stream: a test printing in a loop must not
/// exhaust memory.
const MAX_CAPTURE: usize = 256 * 1024;

/// Environment every stage runs with unless the user set it: property tests
/// use a fixed seed (the same code always gets the same verdict) and write no
/// regression files into the learner's tests/ directory. The same values are
/// in `.cargo/config.toml` for `cargo test`.
const DEFAULT_ENV: [(&str, &str); 2] = [
    ("PROPTEST_RNG_SEED", "1"),
    ("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1"),
];

/// How a run ended.
#[derive(Debug)]
pub struct Finished {
    /// `None` when the time limit ran out and the group was killed.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `exe args` in `cwd`, killing its whole process group after `limit`.
pub fn run(exe: &Path, args: &[&str], cwd: &Path, limit: Duration) -> Result<Finished> {
    let start = Instant::now();
    let mut cmd = Command::new(exe);
    for (key, value) in DEFAULT_ENV {
        if std::env::var_os(key).is_none() {
            cmd.env(key, value);
        }
    }
    let mut child = cmd
        .args(args)
        .current_dir(cwd)
        .env("CARGO_MANIFEST_DIR", cwd)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let stdout = capture(child.stdout.take());
    let stderr = capture(child.stderr.take());

    // Wait on a thread so the verdict is seen the moment the binary exits,
    // with no polling delay; this thread only keeps the time limit.
    let pid = Pid::from_raw(i32::try_from(child.id()).context("pid fits in i32")?);
    let (done_tx, done_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = done_tx.send(());
        status
    });
    let timed_out = match done_rx.recv_timeout(limit) {
        Ok(()) => false,
        Err(_) => {
            // The group id is the child's pid (process_group(0)). An error
            // means the group is already gone, which is what we want.
            let _ = killpg(pid, Signal::SIGKILL);
            true
        }
    };
    let status = waiter
        .join()
        .map_err(|_| anyhow::anyhow!("the waiting thread panicked"))??;
    let status = (!timed_out).then_some(status);
    let elapsed = start.elapsed();
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        elapsed,
    })
}

fn capture(stream: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut stream) = stream {
            let mut buf = [0u8; 8192];
            // Keep draining after the cap so the child never blocks on a full pipe.
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = MAX_CAPTURE.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

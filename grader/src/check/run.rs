//! Running one test binary with a time limit.
//!
//! The binary gets a process group of its own, so a hung test is killed with
//! everything it spawned, and cargo is not in the way: this is what lets the
//! grader time out one stage and report it, which `cargo test` cannot do.
//! The limit is the limit: at the deadline the group is killed and the pipes
//! are no longer waited on, even if a stray child still holds them.

use std::collections::VecDeque;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::children::{Cancel, Group};

/// Of each stream, keep the first `HEAD` and the last `TAIL` bytes: a test
/// printing in a loop must not exhaust memory, and libtest reports failures
/// and its verdict last.
const HEAD: usize = 64 * 1024;
const TAIL: usize = 192 * 1024;
/// How much of the end of a line is looked at for a result.
const LINE_TAIL: usize = 4096;
/// Result lines are kept whatever the volume around them, up to this many.
const MAX_RESULT_LINES: usize = 100_000;
/// Once the group is killed, how long to wait for the pipes to drain before
/// taking what arrived: only a child that left the group can hold them open.
const PIPE_GRACE: Duration = Duration::from_millis(200);

/// Environment every stage runs with unless the user set it: property tests
/// use a fixed seed (the same code always gets the same verdict) and write no
/// regression files into the learner's tests/ directory. The same values are
/// in `.cargo/config.toml` for `cargo test`.
const DEFAULT_ENV: [(&str, &str); 2] = [
    ("PROPTEST_RNG_SEED", "1"),
    ("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1"),
];

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Exited(ExitStatus),
    /// The time limit ran out and the group was killed.
    TimedOut,
    /// The check was cancelled and the group was killed.
    Cancelled,
}

#[derive(Debug)]
pub struct Finished {
    pub end: End,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
}

/// What a stream carried, head and tail kept.
#[derive(Debug, Default, Clone)]
pub struct Captured {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    /// Bytes dropped between head and tail.
    cut: u64,
    /// Complete lines that look like libtest results (`test x ... ok`,
    /// `test result: ...`), kept even when the text around them is cut.
    results: Vec<String>,
    /// The end of the line being read: a test writing to the pipe itself
    /// can glue its output in front of libtest's result on one line.
    line: Vec<u8>,
}

impl Captured {
    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.line);
                if let Some(at) = line.rfind("test ")
                    && self.results.len() < MAX_RESULT_LINES
                {
                    self.results.push(line[at..].to_owned());
                }
                self.line.clear();
            } else {
                if self.line.len() == 2 * LINE_TAIL {
                    self.line.drain(..LINE_TAIL);
                }
                self.line.push(b);
            }
        }
        let room = HEAD.saturating_sub(self.head.len());
        let (head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(head);
        self.tail.extend(rest);
        if self.tail.len() > TAIL {
            let over = self.tail.len() - TAIL;
            self.tail.drain(..over);
            self.cut += over as u64;
        }
    }

    /// The text, with a marker where the middle was cut.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        if self.cut > 0 {
            out.push_str(&format!("\n[… {} bytes of output cut here …]\n", self.cut));
        }
        let (a, b) = self.tail.as_slices();
        out.push_str(&String::from_utf8_lossy(&[a, b].concat()));
        out
    }

    /// The libtest result lines, one per line.
    pub fn result_lines(&self) -> String {
        self.results.join("\n")
    }
}

/// Runs `exe args` in `cwd`, killing its whole process group after `limit`
/// or when `cancel` fires, and always when it is over.
pub fn run(
    exe: &Path,
    args: &[String],
    cwd: &Path,
    limit: Duration,
    cancel: &Cancel,
) -> Result<Finished> {
    let start = Instant::now();
    let deadline = start + limit;
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
    let group = Group::register(child.id(), cancel);
    let (out_done, stdout) = capture(child.stdout.take());
    let (err_done, stderr) = capture(child.stderr.take());

    // Wait on a thread so the verdict is seen the moment the binary exits,
    // with no polling delay; this thread only keeps the time limit.
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let end = match done_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(status) => End::Exited(status.context("cannot wait for the test binary")?),
        Err(_) => End::TimedOut,
    };
    let end = if cancel.is_cancelled() {
        End::Cancelled
    } else {
        end
    };
    // Whatever is left of the group (a test's stray children) goes too;
    // that closes the pipes they held.
    group.kill();
    let elapsed = start.elapsed();
    // Read what arrived; never wait long for a pipe that a child outside
    // the group keeps open.
    let pipes_by = Instant::now() + PIPE_GRACE;
    for done in [&out_done, &err_done] {
        let _ = done.recv_timeout(pipes_by.saturating_duration_since(Instant::now()));
    }
    let snapshot = |c: &Arc<Mutex<Captured>>| c.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(Finished {
        end,
        stdout: snapshot(&stdout),
        stderr: snapshot(&stderr),
        elapsed,
    })
}

/// Drains `stream` on a thread into a shared buffer; the receiver hears when
/// the stream ended.
fn capture(
    stream: Option<impl Read + Send + 'static>,
) -> (mpsc::Receiver<()>, Arc<Mutex<Captured>>) {
    let kept = Arc::new(Mutex::new(Captured::default()));
    let (tx, rx) = mpsc::channel();
    let shared = Arc::clone(&kept);
    thread::spawn(move || {
        if let Some(mut stream) = stream {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                shared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(&buf[..n]);
            }
        }
        let _ = tx.send(());
    });
    (rx, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_keeps_head_tail_and_every_result_line() {
        let mut c = Captured::default();
        c.push(b"running 2 tests\ntest a ... ok\n");
        let noise = vec![b'x'; 1024];
        for _ in 0..1024 {
            c.push(&noise);
        }
        c.push(b"test b ... ok\n\ntest result: ok. 2 passed; 0 failed\n");
        let text = c.text();
        assert!(text.len() < HEAD + TAIL + 100);
        assert!(text.starts_with("running 2 tests"));
        assert!(text.contains("bytes of output cut here"));
        assert!(text.ends_with("test result: ok. 2 passed; 0 failed\n"));
        assert_eq!(
            c.result_lines(),
            "test a ... ok\ntest b ... ok\ntest result: ok. 2 passed; 0 failed"
        );
    }

    #[test]
    fn small_output_is_kept_whole() {
        let mut c = Captured::default();
        c.push(b"hello\nworld\n");
        assert_eq!(c.text(), "hello\nworld\n");
    }
}

//! A service binary as a child process: started, awaited, killed, restarted.
//!
//! ```no_run
//! # use service_kit::Service;
//! let data = tempfile::tempdir().unwrap();
//! // In a test of the package that owns the binary: env!("CARGO_BIN_EXE_url_shortener").
//! let mut service = Service::builder("target/debug/url_shortener")
//!     .arg("--data-dir").arg(data.path())
//!     .start();
//! let addr = service.addr();
//! service.kill9();                 // SIGKILL: no shutdown hook runs
//! service.restart();               // same binary, same flags, new port
//! # drop(addr);
//! ```
//!
//! Readiness is the child's own `listening on ADDR` line on stdout, never a
//! sleep. Everything else the child prints is kept (the last
//! [`OUTPUT_LINES`] lines) and shown when a test fails. Dropping a
//! [`Service`] kills its child and reaps it, so a test that panics leaves no
//! process behind.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a child may take to print its readiness line. A bound on a
/// broken child, not a wait: a healthy one is ready in milliseconds.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How many lines of the child's output are kept for failure messages.
pub const OUTPUT_LINES: usize = 40;

/// What to start: a binary and its flags.
#[derive(Debug, Clone)]
pub struct Builder {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Builder {
    /// Adds one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Starts the child and waits for its readiness line.
    ///
    /// # Panics
    /// If the binary cannot be started, exits first, or stays silent for
    /// [`READY_TIMEOUT`]; the message shows what it printed.
    pub fn start(self) -> Service {
        let mut service = Service {
            builder: self,
            running: None,
            output: Arc::new(Mutex::new(VecDeque::new())),
            starts: 0,
        };
        service.spawn();
        service
    }
}

struct Running {
    child: Child,
    addr: SocketAddr,
}

/// A running service binary. Killed and reaped on drop.
pub struct Service {
    builder: Builder,
    running: Option<Running>,
    output: Arc<Mutex<VecDeque<String>>>,
    starts: u32,
}

impl Service {
    /// A child to be started from `program`.
    pub fn builder(program: impl Into<PathBuf>) -> Builder {
        Builder {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// The address from the child's readiness line.
    ///
    /// # Panics
    /// If the child was killed and not restarted.
    pub fn addr(&self) -> SocketAddr {
        self.running().addr
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.running().child.id()
    }

    /// How many times the binary has been started (1 before any restart).
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// The last lines the child printed (stdout and stderr, all its runs).
    pub fn output(&self) -> String {
        let lines = self.output.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().map(|l| format!("  | {l}\n")).collect()
    }

    /// Kills the child with SIGKILL, as a crash or the OOM killer would, and
    /// reaps it. Nothing in the service runs after this: no destructor, no
    /// flush, no shutdown hook. Does nothing if it is not running.
    pub fn kill9(&mut self) {
        if let Some(mut running) = self.running.take() {
            // `Child::kill` is SIGKILL on Unix.
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
    }

    /// Starts the binary again with the same flags (killing it first if it
    /// still runs) and waits for its readiness line. The port is new.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    /// Whether the child has exited on its own, and how.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let running = self.running.as_mut()?;
        running.child.try_wait().ok().flatten()
    }

    fn running(&self) -> &Running {
        self.running
            .as_ref()
            .expect("the service is not running: it was killed and not restarted")
    }

    fn spawn(&mut self) {
        let builder = &self.builder;
        let name = builder.program.display().to_string();
        let mut child = Command::new(&builder.program)
            .args(&builder.args)
            .envs(builder.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        self.starts += 1;
        self.note(format!("--- start {} of {name}", self.starts));

        let (ready_tx, ready_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        // Both pipes are drained for the child's whole life, so it never
        // blocks on a full pipe; the first readiness line is passed on.
        let readers = [
            drain(stdout, Arc::clone(&self.output), Some(ready_tx)),
            drain(stderr, Arc::clone(&self.output), None),
        ];

        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(addr) => self.running = Some(Running { child, addr }),
            Err(waited) => {
                let _ = child.kill();
                let status = child.wait();
                let why = match waited {
                    RecvTimeoutError::Timeout => format!(
                        "printed no `listening on ADDR` line within {} s",
                        READY_TIMEOUT.as_secs()
                    ),
                    RecvTimeoutError::Disconnected => format!(
                        "exited before printing `listening on ADDR` ({})",
                        status.map_or_else(|e| e.to_string(), |s| s.to_string())
                    ),
                };
                // The child is gone, so both pipes end: wait for the
                // readers to have kept its last words.
                for reader in readers {
                    let _ = reader.join();
                }
                panic!("{name} {why}; its output:\n{}", self.output());
            }
        }
    }

    fn note(&self, line: String) {
        push(&self.output, line);
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("program", &self.builder.program)
            .field("addr", &self.running.as_ref().map(|r| r.addr))
            .field("starts", &self.starts)
            .finish()
    }
}

fn push(output: &Mutex<VecDeque<String>>, line: String) {
    let mut lines = output.lock().unwrap_or_else(|p| p.into_inner());
    if lines.len() == OUTPUT_LINES {
        lines.pop_front();
    }
    lines.push_back(line);
}

fn drain(
    pipe: impl Read + Send + 'static,
    output: Arc<Mutex<VecDeque<String>>>,
    mut ready: Option<mpsc::Sender<SocketAddr>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = ready.as_ref().and_then(|_| parse_readiness(&line)) {
                let _ = ready.take().expect("checked above").send(addr);
            }
            push(&output, line);
        }
    })
}

/// The address in a readiness line `listening on ADDR`, if `line` is one.
pub fn parse_readiness(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix("listening on ")?.parse().ok()
}

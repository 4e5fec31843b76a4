//! sdkata: system design for interviews, learned by making failing tests pass.

// Process groups, signals and pseudo-terminals: the grader is Unix-only.
#[cfg(not(unix))]
compile_error!(
    "sdkata runs on Linux and macOS; on Windows, use WSL (it relies on Unix process groups and signals)"
);

mod app;
mod check;
mod children;
mod clock;
mod commands;
mod course;
mod dev;
mod exam;
mod handbook;
mod list;
mod memory;
mod note;
mod render;
mod report;
mod shipped;
mod signals;
mod state;
mod style;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use list::Filter;

#[derive(Parser)]
#[command(
    name = "sdkata",
    version,
    about = "System design for interviews, learned by making failing Rust tests pass.",
    after_help = "Run `sdkata` with no command to start watching the current lesson."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check the current lesson on every save (the default)
    Watch {
        /// Poll for changes instead of using the OS's file events (WSL, network drives)
        #[arg(long)]
        poll: bool,
    },
    /// List the lessons and where you are
    List {
        /// Only this track
        #[arg(long)]
        track: Option<String>,
        /// Only lessons done
        #[arg(long, conflicts_with = "pending")]
        done: bool,
        /// Only lessons not done yet
        #[arg(long)]
        pending: bool,
    },
    /// Show the next hint for a lesson (the current one by default)
    Hint {
        name: Option<String>,
        /// Show every hint at once
        #[arg(long)]
        all: bool,
    },
    /// Check a lesson once and print the verdict (the current one by default)
    Run { name: Option<String> },
    /// Check every lesson (or one track) and print a table
    Verify {
        #[arg(long)]
        track: Option<String>,
    },
    /// Back your code up, then restore a lesson's shipped stub
    Reset {
        name: String,
        /// Do not ask first
        #[arg(long)]
        yes: bool,
    },
    /// Show the reference solution and how your code differs from it
    Solution {
        name: String,
        /// Show it even if the lesson is not done yet
        #[arg(long)]
        force: bool,
    },
    /// Read a lesson's concept note (the current one by default)
    Explain { name: Option<String> },
    /// How ready you are, per interview topic: progress, checks, hints, memory
    ///
    /// Retrievability is the FSRS estimate that you could still do a lesson
    /// now; a lesson is due for review when it drops below 0.9.
    Report {
        /// table for the terminal, md for a study log, json for other
        /// tools, html for a page with charts
        #[arg(long, value_enum, default_value_t)]
        format: report::Format,
    },
    /// A timed drill on the lessons you are forgetting: code, estimate, choose
    ///
    /// Fresh copies of the stubs of the lessons most due for review, in a
    /// scratch workspace (your own code is never touched), then watch with a
    /// countdown and a hard stop, hints and notes closed, simulated scenarios
    /// on a fresh seed; then five estimation questions and a trade-off round.
    Exam {
        /// Only lessons of this interview topic (as in `sdkata report`)
        #[arg(long)]
        topic: Option<String>,
        /// The time box for the coding round
        #[arg(long, default_value_t = 45.0)]
        minutes: f64,
        /// How many lessons to examine
        #[arg(long, default_value_t = 2)]
        lessons: usize,
        /// Replay an exam: the same scenarios and questions
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Build every concept note into one HTML book, for reading offline
    Handbook {
        /// Where to write it (default: .sdkata/handbook.html)
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        /// Open it in the default browser afterwards
        #[arg(long)]
        open: bool,
    },
    /// Maintainers' tools
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
}

#[derive(Subcommand)]
enum DevCommand {
    /// Check the whole course: layout, manifests, form, fingerprints, stubs fail, solutions pass
    Check {
        /// Check only what needs no build: layout, manifests, form, fingerprints
        #[arg(long)]
        static_only: bool,
    },
    /// Rewrite shipped.toml from the lessons as they are now
    Fingerprint,
}

/// How a command ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Ended by this signal (watch leaves its loop to restore the terminal).
    Interrupted(i32),
}

fn main() -> ExitCode {
    restore_sigpipe();
    signals::install();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            children::kill_all();
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    style::init();
    let result = match cli.command.unwrap_or(Command::Watch { poll: false }) {
        Command::Watch { poll } => watch::run(poll),
        Command::List {
            track,
            done,
            pending,
        } => {
            let filter = match (done, pending) {
                (true, _) => Filter::Done,
                (_, true) => Filter::Pending,
                _ => Filter::All,
            };
            commands::list(track.as_deref(), filter)
        }
        Command::Hint { name, all } => commands::hint(name.as_deref(), all),
        Command::Run { name } => commands::run(name.as_deref()),
        Command::Verify { track } => commands::verify(track.as_deref()),
        Command::Reset { name, yes } => commands::reset(&name, yes),
        Command::Solution { name, force } => commands::solution(&name, force),
        Command::Explain { name } => commands::explain(name.as_deref()),
        Command::Report { format } => commands::report(format),
        Command::Handbook { out, open } => commands::handbook(out, open),
        Command::Exam {
            topic,
            minutes,
            lessons,
            seed,
        } => exam::run(&exam::Options {
            topic,
            minutes,
            lessons,
            seed,
        }),
        Command::Dev { command } => match command {
            DevCommand::Check { static_only } => dev::check(static_only),
            DevCommand::Fingerprint => dev::fingerprint(),
        },
    };
    // Nothing sdkata started outlives it, on any path out.
    children::kill_all();
    match result {
        Ok(Verdict::Interrupted(signal)) => {
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(130))
        }
        Ok(Verdict::Pass) => ExitCode::SUCCESS,
        Ok(Verdict::Fail) => ExitCode::from(1),
        Err(e) => {
            let label = style::on_stderr(|| style::red(style::bold("error:")));
            eprintln!("{label} {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Lets `sdkata list | head` end quietly, as other command-line tools do,
/// instead of panicking on the closed pipe: Rust ignores SIGPIPE by default.
fn restore_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: called first thing in main, before any thread exists, and
    // SIG_DFL installs no handler code of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

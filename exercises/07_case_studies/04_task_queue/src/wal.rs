//! The write-ahead log: every change to the queue is a line of JSON in
//! `DATA_DIR/wal.jsonl`, written and fsynced before the change is applied
//! or acknowledged, and replayed in order at start.
//!
//! ```text
//! {"op":"enqueue","id":1,"kind":"count","payload":{..},"priority":0,"max_retries":3,"idempotency_key":null,"run_at":1000}
//! {"op":"lease","id":1,"lease":1,"worker":"w1","at":1000,"expires_at":31000}
//! {"op":"heartbeat","id":1,"lease":1,"expires_at":32000}
//! {"op":"complete","id":1,"lease":1,"result":{..}}
//! {"op":"fail","id":1,"lease":1,"error":"..","run_at":2500}     (run_at null: dead-lettered)
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The log's file name inside the data directory.
pub const WAL_FILE: &str = "wal.jsonl";

/// One change to the queue, as logged. Replaying every record in order
/// rebuilds the queue exactly, so each record carries the times that were
/// decided when it was written (they are never recomputed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// A new task.
    Enqueue {
        /// Its id.
        id: u64,
        /// Its kind.
        kind: String,
        /// Its payload.
        payload: Value,
        /// Its priority.
        priority: u32,
        /// Its retry budget.
        max_retries: u32,
        /// Its idempotency key.
        idempotency_key: Option<String>,
        /// When it becomes leasable.
        run_at: u64,
    },
    /// A lease granted (also over an expired one).
    Lease {
        /// The task.
        id: u64,
        /// The new lease id.
        lease: u64,
        /// Who holds it.
        worker: String,
        /// When it was granted.
        at: u64,
        /// When it runs out.
        expires_at: u64,
    },
    /// A lease extended.
    Heartbeat {
        /// The task.
        id: u64,
        /// The lease.
        lease: u64,
        /// Its new expiry.
        expires_at: u64,
    },
    /// A task completed.
    Complete {
        /// The task.
        id: u64,
        /// The lease it was completed under.
        lease: u64,
        /// Its result.
        result: Value,
    },
    /// A failure reported.
    Fail {
        /// The task.
        id: u64,
        /// The lease it failed under.
        lease: u64,
        /// The error.
        error: String,
        /// When it is retried; `None` when this failure dead-letters it.
        run_at: Option<u64>,
    },
}

/// The open log, positioned at its end.
#[derive(Debug)]
pub struct Wal {
    file: File,
    path: PathBuf,
    /// The length of the log's valid prefix: where the next record goes.
    len: u64,
}

impl Wal {
    /// Opens (or creates) `dir/wal.jsonl` and returns it with every record
    /// it holds, oldest first.
    ///
    /// A last line without its `\n` is a record torn by a crash in the
    /// middle of its write: it was never acknowledged, so it is dropped and
    /// cut off the file (the next record must not be glued to it). A
    /// complete line that does not parse is corruption, not a torn write,
    /// and is an error: starting anyway would silently lose what it held.
    pub fn open(dir: &Path) -> io::Result<(Wal, Vec<Record>)> {
        todo!(
            "create the directory and the file, read every line, drop and cut off a torn last line, parse the rest"
        )
    }

    /// Appends `record` as one line and fsyncs it: when this returns `Ok`,
    /// the record survives a crash. On an error nothing is kept (a partial
    /// line is cut off again), so the caller may refuse the operation.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        todo!(
            "one line of JSON and a newline, write_all, sync_data; cut a partial line off again on error"
        )
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        todo!("the log file path")
    }
}

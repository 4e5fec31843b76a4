//! The append-only log, `DATA_DIR/links.log`: the one durable copy of every
//! link and click batch. The format is part of the contract (the tests
//! write torn and corrupt records into it):
//!
//! ```text
//! record  = len: u32 LE | sum: u64 LE | payload: len bytes
//! sum     = kit::hash::hash64(payload)
//! payload = JSON, one of (fields in any order):
//!   {"type":"link","code":C,"url":U,"created_at":MS,"expires_at":MS|null,"alias":BOOL}
//!   {"type":"clicks","counts":{C:N,...}}
//! ```
//!
//! `alias` says the code was chosen by the client, not the generator.
//!
//! A crash can tear the last record (its header or payload only partly
//! written). The length says where a record must end and the checksum says
//! whether the bytes there are the bytes written, so recovery keeps every
//! record up to the first one that is short, fails its checksum or is not
//! a record, and cuts the rest off (counted in `log_torn_bytes`): the next
//! append then follows the last good record instead of being hidden behind
//! garbage. Of two link records for one code, the first wins.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::config::Fsync;
use crate::metrics::Metrics;

/// The log's file name inside the data directory.
pub const LOG_FILE: &str = "links.log";

/// Bytes before the payload: the length (4) and the checksum (8).
pub const HEADER_LEN: usize = 12;

/// The largest payload a record may have. A larger length can only be a
/// torn or corrupt header, so recovery stops there instead of trusting it.
pub const MAX_PAYLOAD: u32 = 1 << 20;

/// Under [`Fsync::Batch`], the longest a written record waits for its fsync.
pub const BATCH_FSYNC_INTERVAL: Duration = Duration::from_millis(100);

/// One log record's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A link was created.
    Link {
        code: String,
        url: String,
        created_at: u64,
        expires_at: Option<u64>,
        /// Chosen by the client, not by the code generator.
        alias: bool,
    },
    /// Redirects counted since the previous batch, per code.
    Clicks { counts: BTreeMap<String, u64> },
}

/// Where a record sits in the log: its first byte and its whole length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub offset: u64,
    pub len: u32,
}

/// The bytes of `record`, header included.
pub fn encode(record: &Record) -> Vec<u8> {
    todo!("len as u32 LE, then kit::hash::hash64(payload) as u64 LE, then the JSON payload")
}

/// The record at the start of `bytes` and its length, or `None` if those
/// bytes are not one whole, intact record.
pub fn decode(bytes: &[u8]) -> Option<(Record, usize)> {
    todo!(
        "None unless a whole header, a length <= MAX_PAYLOAD, that many payload bytes, a matching checksum and a payload that parses as a Record"
    )
}

/// What recovery found in the log.
#[derive(Debug)]
pub struct Recovered {
    /// Every intact record, in log order, with where it sits.
    pub records: Vec<(Location, Record)>,
    /// The log's length after the torn tail was cut off.
    pub end: u64,
    /// How many bytes were cut off.
    pub torn_bytes: u64,
}

/// Opens (creating if needed) the log at `path`, reads every intact record,
/// and truncates the file after the last one, durably, before anything new
/// is appended.
pub fn recover(path: &Path) -> io::Result<(File, Recovered)> {
    todo!(
        "open or create the file, decode records from the start until one does not decode, cut the file there (set_len, fsync), fsync the directory"
    )
}

/// Reads the record at `location` back, checking it as recovery does.
pub fn read_at(file: &File, location: Location) -> io::Result<Record> {
    todo!("read location.len bytes at location.offset (FileExt::read_exact_at) and decode them")
}

struct Append {
    bytes: Vec<u8>,
    /// Whether the caller waits for it to be durable (a link) or only
    /// written (a click batch, which analytics may lose).
    durable: bool,
    done: oneshot::Sender<io::Result<Location>>,
}

/// The log's single writer: a thread that owns the file and appends what it
/// is sent, in order. One writer means appends never interleave, and it can
/// group-commit: every append queued while one fsync runs shares the next.
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Append>,
}

impl Writer {
    /// Starts the writer on `file`, whose length is `end`.
    pub fn start(file: File, end: u64, fsync: Fsync, metrics: Arc<Metrics>) -> Writer {
        todo!("spawn a thread that owns the file and runs the write loop on a channel of appends")
    }

    /// Appends `record`; returns once it is written and, if `durable`, as
    /// durable as the fsync policy makes it.
    pub async fn append(&self, record: &Record, durable: bool) -> io::Result<Location> {
        todo!("send the encoded record to the writer and await its answer")
    }
}

fn write_loop(
    mut file: File,
    mut end: u64,
    fsync: Fsync,
    rx: &mpsc::Receiver<Append>,
    metrics: &Metrics,
) {
    todo!(
        "take every queued append, write them in one go, fsync once if the policy says so, answer each with its location"
    )
}

fn sync(file: &File, metrics: &Metrics) -> io::Result<()> {
    todo!("count it in log_fsyncs, then file.sync_data()")
}

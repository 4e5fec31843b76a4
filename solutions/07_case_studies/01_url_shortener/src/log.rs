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
    let payload = serde_json::to_vec(record).expect("a record always serialises");
    let len = u32::try_from(payload.len()).expect("a record is far below 4 GiB");
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&kit::hash::hash64(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

/// The record at the start of `bytes` and its length, or `None` if those
/// bytes are not one whole, intact record.
pub fn decode(bytes: &[u8]) -> Option<(Record, usize)> {
    let header = bytes.get(..HEADER_LEN)?;
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
    let sum = u64::from_le_bytes(header[4..].try_into().expect("8 bytes"));
    if len > MAX_PAYLOAD {
        return None;
    }
    let end = HEADER_LEN + len as usize;
    let payload = bytes.get(HEADER_LEN..end)?;
    if kit::hash::hash64(payload) != sum {
        return None;
    }
    // A payload that matches its checksum but is not a record was never
    // written by this service: treat it like any other corruption.
    let record = serde_json::from_slice(payload).ok()?;
    Some((record, end))
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
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;

    let mut records = Vec::new();
    let mut at = 0;
    while let Some((record, len)) = decode(&bytes[at..]) {
        let location = Location {
            offset: at as u64,
            len: len as u32,
        };
        records.push((location, record));
        at += len;
    }
    let torn_bytes = (bytes.len() - at) as u64;
    if torn_bytes > 0 {
        file.set_len(at as u64)?;
        file.sync_all()?;
    }
    // A new file's directory entry must be durable too, or the whole log can
    // vanish in a power cut even though its contents were fsync'd.
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok((
        file,
        Recovered {
            records,
            end: at as u64,
            torn_bytes,
        },
    ))
}

/// Reads the record at `location` back, checking it as recovery does.
pub fn read_at(file: &File, location: Location) -> io::Result<Record> {
    let mut bytes = vec![0; location.len as usize];
    file.read_exact_at(&mut bytes, location.offset)?;
    decode(&bytes)
        .map(|(record, _)| record)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a log record is corrupt"))
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
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("log-writer".to_owned())
            .spawn(move || write_loop(file, end, fsync, &rx, &metrics))
            .expect("spawn the log writer thread");
        Writer { tx }
    }

    /// Appends `record`; returns once it is written and, if `durable`, as
    /// durable as the fsync policy makes it.
    pub async fn append(&self, record: &Record, durable: bool) -> io::Result<Location> {
        let (done, answer) = oneshot::channel();
        let append = Append {
            bytes: encode(record),
            durable,
            done,
        };
        let stopped = || io::Error::other("the log writer has stopped");
        self.tx.send(append).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn write_loop(
    mut file: File,
    mut end: u64,
    fsync: Fsync,
    rx: &mpsc::Receiver<Append>,
    metrics: &Metrics,
) {
    let mut unsynced_since: Option<Instant> = None;
    loop {
        let first = match unsynced_since {
            None => match rx.recv() {
                Ok(append) => append,
                Err(_) => return,
            },
            Some(since) => {
                let wait = BATCH_FSYNC_INTERVAL.saturating_sub(since.elapsed());
                match rx.recv_timeout(wait) {
                    Ok(append) => append,
                    Err(RecvTimeoutError::Timeout) => {
                        if sync(&file, metrics).is_ok() {
                            unsynced_since = None;
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        let _ = sync(&file, metrics);
                        return;
                    }
                }
            }
        };
        // Everything already queued joins this batch: one write, one fsync.
        let mut batch = vec![first];
        batch.extend(rx.try_iter());

        let mut bytes = Vec::new();
        let mut locations = Vec::with_capacity(batch.len());
        for append in &batch {
            locations.push(Location {
                offset: end + bytes.len() as u64,
                len: append.bytes.len() as u32,
            });
            bytes.extend_from_slice(&append.bytes);
        }
        let mut outcome = file.write_all(&bytes);
        let wants_sync = batch.iter().any(|a| a.durable);
        if outcome.is_ok() {
            Metrics::add(&metrics.store_writes, batch.len() as u64);
            end += bytes.len() as u64;
            match fsync {
                Fsync::Always if wants_sync => outcome = sync(&file, metrics),
                _ => {
                    unsynced_since.get_or_insert_with(Instant::now);
                }
            }
        } else if let Ok(len) = file.metadata().map(|m| m.len()) {
            // A failed write may have left part of the batch behind: cut it
            // off so the next batch does not follow garbage.
            let _ = file.set_len(end.min(len));
        }
        for (append, location) in batch.into_iter().zip(locations) {
            let answer = match &outcome {
                Ok(()) => Ok(location),
                Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
            };
            let _ = append.done.send(answer);
        }
    }
}

fn sync(file: &File, metrics: &Metrics) -> io::Result<()> {
    Metrics::add(&metrics.log_fsyncs, 1);
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_any_tear_is_detected() {
        let record = Record::Link {
            code: "abc".into(),
            url: "https://example.com/x".into(),
            created_at: 5,
            expires_at: None,
            alias: false,
        };
        let bytes = encode(&record);
        assert_eq!(decode(&bytes), Some((record, bytes.len())));
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(decode(&flipped), None);
    }
}

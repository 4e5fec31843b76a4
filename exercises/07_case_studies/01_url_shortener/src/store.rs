//! The link store, Bitcask-style: the log on disk holds the links, and an
//! in-memory keydir maps each code to where its record sits (plus its expiry,
//! so "unknown" and "expired" cost no read). Reading a link's URL is one
//! positioned read of the log, which is what the cache exists to spare.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use kit::clock::Clock;

use crate::codes::CodeGenerator;
use crate::config::Config;
use crate::log::{self, Location, Record, Writer};
use crate::metrics::Metrics;

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub code: String,
    pub url: String,
    /// Unix milliseconds.
    pub created_at: u64,
    /// Unix milliseconds; `None`: never.
    pub expires_at: Option<u64>,
}

/// What the keydir knows about a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// No acknowledged link has it.
    Unknown,
    /// A link has it; `expired` on the clock now.
    Found { location: Location, expired: bool },
}

/// Why a create failed.
#[derive(Debug)]
pub enum CreateError {
    /// The alias is taken (by a link, live or expired, or one being created).
    Taken,
    /// The log could not be written.
    Io(io::Error),
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Reserved by a create whose record is not yet acknowledged: taken,
    /// but not yet readable.
    Pending,
    Stored {
        location: Location,
        expires_at: Option<u64>,
    },
}

#[derive(Debug, Default)]
struct Keydir {
    slots: HashMap<String, Slot>,
    codes: CodeGenerator,
    clicks: HashMap<String, u64>,
}

/// The links, durable in the log.
#[derive(Debug)]
pub struct Store {
    keydir: Mutex<Keydir>,
    writer: Writer,
    reader: Arc<File>,
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
}

impl Store {
    /// Opens `DATA_DIR/links.log`, recovers every intact record, cuts off a
    /// torn tail, and starts the writer.
    pub fn open(config: &Config, metrics: Arc<Metrics>) -> io::Result<Store> {
        todo!(
            "recover the log, rebuild the keydir (first record of a code wins), feed the generator every generated code, sum the click batches, start the writer"
        )
    }

    /// Creates a link to `url` under `alias`, or under a fresh generated
    /// code; returns once its record is acknowledged by the log.
    pub async fn create(
        &self,
        url: &str,
        alias: Option<&str>,
        ttl_secs: Option<u64>,
    ) -> Result<Link, CreateError> {
        todo!(
            "reserve the code under the lock (409 if an alias is taken), append the record without the lock, then publish it (or free the code if the append failed)"
        )
    }

    /// Where `code`'s link is and whether it has expired: memory only.
    pub fn lookup(&self, code: &str) -> Lookup {
        todo!("memory only: Unknown, or Found with whether expires_at <= now on the wall clock")
    }

    /// Reads the link at `location` from the log: one store read.
    pub async fn read(&self, location: Location) -> io::Result<Link> {
        todo!(
            "count a store read, then read the record at location (off the runtime: spawn_blocking)"
        )
    }

    /// Redirects counted for `code` so far (written or not).
    pub fn clicks(&self, code: &str) -> u64 {
        todo!("the total counted for code")
    }

    /// Counts `n` more redirects of `code`, in memory.
    pub fn count_clicks(&self, code: &str, n: u64) {
        todo!("add n to the in-memory total of code")
    }

    /// Writes a batch of counted redirects to the log (one record; not
    /// fsync'd on its own: analytics may lose the last batch in a power cut).
    pub async fn persist_clicks(&self, counts: BTreeMap<String, u64>) -> io::Result<()> {
        todo!("append one clicks record (no fsync of its own)")
    }

    fn lock(&self) -> MutexGuard<'_, Keydir> {
        todo!("lock the keydir, ignoring poison")
    }
}

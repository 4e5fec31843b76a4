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
        std::fs::create_dir_all(&config.data_dir)?;
        let (file, recovered) = log::recover(&config.data_dir.join(log::LOG_FILE))?;
        Metrics::add(&metrics.log_recovered, recovered.records.len() as u64);
        Metrics::add(&metrics.log_torn_bytes, recovered.torn_bytes);

        let mut keydir = Keydir::default();
        for (location, record) in recovered.records {
            match record {
                Record::Link {
                    code,
                    expires_at,
                    alias,
                    ..
                } => {
                    if !alias {
                        keydir.codes.observe(&code);
                    }
                    // The first record of a code wins: a link, once
                    // acknowledged, keeps its URL.
                    keydir.slots.entry(code).or_insert(Slot::Stored {
                        location,
                        expires_at,
                    });
                }
                Record::Clicks { counts } => {
                    for (code, n) in counts {
                        *keydir.clicks.entry(code).or_default() += n;
                    }
                }
            }
        }
        let reader = Arc::new(file.try_clone()?);
        Ok(Store {
            keydir: Mutex::new(keydir),
            writer: Writer::start(file, recovered.end, config.fsync, Arc::clone(&metrics)),
            reader,
            clock: Arc::clone(&config.clock),
            metrics,
        })
    }

    /// Creates a link to `url` under `alias`, or under a fresh generated
    /// code; returns once its record is acknowledged by the log.
    pub async fn create(
        &self,
        url: &str,
        alias: Option<&str>,
        ttl_secs: Option<u64>,
    ) -> Result<Link, CreateError> {
        let now = self.clock.unix_millis();
        let expires_at = ttl_secs.map(|ttl| now + ttl * 1_000);
        // Reserve the code first, under the lock, so two creates can never
        // both have it; write the record without the lock.
        let code = {
            let mut keydir = self.lock();
            let code = match alias {
                Some(alias) if keydir.slots.contains_key(alias) => {
                    return Err(CreateError::Taken);
                }
                Some(alias) => alias.to_owned(),
                // A generated code may meet an alias someone chose: skip it.
                None => loop {
                    let code = keydir.codes.next(now);
                    if !keydir.slots.contains_key(&code) {
                        break code;
                    }
                },
            };
            keydir.slots.insert(code.clone(), Slot::Pending);
            code
        };
        let link = Link {
            code,
            url: url.to_owned(),
            created_at: now,
            expires_at,
        };
        let record = Record::Link {
            code: link.code.clone(),
            url: link.url.clone(),
            created_at: now,
            expires_at,
            alias: alias.is_some(),
        };
        let written = self.writer.append(&record, true).await;
        let mut keydir = self.lock();
        match written {
            Ok(location) => {
                keydir.slots.insert(
                    link.code.clone(),
                    Slot::Stored {
                        location,
                        expires_at,
                    },
                );
                Ok(link)
            }
            Err(e) => {
                keydir.slots.remove(&link.code);
                Err(CreateError::Io(e))
            }
        }
    }

    /// Where `code`'s link is and whether it has expired: memory only.
    pub fn lookup(&self, code: &str) -> Lookup {
        let now = self.clock.unix_millis();
        match self.lock().slots.get(code) {
            None | Some(Slot::Pending) => Lookup::Unknown,
            Some(Slot::Stored {
                location,
                expires_at,
            }) => Lookup::Found {
                location: *location,
                expired: expires_at.is_some_and(|at| at <= now),
            },
        }
    }

    /// Reads the link at `location` from the log: one store read.
    pub async fn read(&self, location: Location) -> io::Result<Link> {
        Metrics::add(&self.metrics.store_reads, 1);
        let reader = Arc::clone(&self.reader);
        let record = tokio::task::spawn_blocking(move || log::read_at(&reader, location))
            .await
            .map_err(io::Error::other)??;
        match record {
            Record::Link {
                code,
                url,
                created_at,
                expires_at,
                ..
            } => Ok(Link {
                code,
                url,
                created_at,
                expires_at,
            }),
            Record::Clicks { .. } => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the keydir points at a clicks record",
            )),
        }
    }

    /// Redirects counted for `code` so far (written or not).
    pub fn clicks(&self, code: &str) -> u64 {
        self.lock().clicks.get(code).copied().unwrap_or(0)
    }

    /// Counts `n` more redirects of `code`, in memory.
    pub fn count_clicks(&self, code: &str, n: u64) {
        *self.lock().clicks.entry(code.to_owned()).or_default() += n;
    }

    /// Writes a batch of counted redirects to the log (one record; not
    /// fsync'd on its own: analytics may lose the last batch in a power cut).
    pub async fn persist_clicks(&self, counts: BTreeMap<String, u64>) -> io::Result<()> {
        self.writer
            .append(&Record::Clicks { counts }, false)
            .await
            .map(drop)
    }

    fn lock(&self) -> MutexGuard<'_, Keydir> {
        // No critical section here can panic half-way.
        self.keydir.lock().unwrap_or_else(|p| p.into_inner())
    }
}

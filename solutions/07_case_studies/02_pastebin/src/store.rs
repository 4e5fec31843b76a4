//! The metadata in SQLite and the blob files, kept consistent with each
//! other: every write orders its steps so that a crash between any two
//! leaves at worst an unreferenced blob file, which the check at start
//! removes.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::blobs::{BlobDir, Sealed};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::schema;
use crate::tokens;

/// The sweeper's query: the ids of the pastes whose expiry has come (`?1`
/// is now, in Unix ms; a batch LIMIT of at least 100 is allowed). SQLite
/// must answer it by a search of the `pastes_by_expiry` index (`EXPLAIN
/// QUERY PLAN` says `SEARCH pastes USING ... INDEX pastes_by_expiry`, not
/// `SCAN`), so a sweep costs the expired rows, not the table.
pub const EXPIRED_QUERY: &str = "SELECT id FROM pastes WHERE expires_at <= ?1 LIMIT 256";

/// What a new paste is, besides its body.
#[derive(Debug, Clone)]
pub struct NewPaste {
    /// Served back as the `Content-Type` of every read.
    pub content_type: String,
    /// Unix ms from which it answers 410; `None`: never.
    pub expires_at: Option<u64>,
    /// Deleted by its first successful read.
    pub burn: bool,
}

/// A paste just stored.
#[derive(Debug, Clone)]
pub struct Created {
    /// The read token.
    pub token: String,
    /// The secret delete token.
    pub delete_token: String,
}

/// A paste granted to a reader: its body file is open, so it stays readable
/// even if the paste is deleted (or burned) while it streams.
#[derive(Debug)]
pub struct Found {
    /// The blob file, open at its start.
    pub file: File,
    /// The stored content type.
    pub content_type: String,
    /// The body's length in bytes.
    pub size: u64,
    /// Whether this read burned it.
    pub burned: bool,
}

/// What the consistency check at start found and repaired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repairs {
    /// Files under `tmp/` (uploads cut off by a crash), removed.
    pub temp_files: u64,
    /// Blob files no row named, removed.
    pub orphan_blobs: u64,
    /// Paste rows whose blob file was missing or of the wrong size, removed.
    pub dangling_rows: u64,
}

/// The service's storage: one SQLite connection and the blob directory.
#[derive(Debug, Clone)]
pub struct Store {
    db: Arc<Mutex<Connection>>,
    blobs: BlobDir,
    metrics: Arc<Metrics>,
}

impl Store {
    /// Opens the database and the directories under `data_dir`, then runs
    /// the consistency check before anything is served, so that whatever a
    /// crash left between the steps of a write is repaired:
    ///
    /// 1. unfinished uploads under `tmp/` are removed;
    /// 2. a blob row whose file is missing or of the wrong length is
    ///    removed, with the pastes that name it (dangling rows: they could
    ///    only answer with a broken body);
    /// 3. every blob's `refs` is recounted from `pastes`, and a blob left
    ///    with none loses its row;
    /// 4. every file under `blobs/` that no row names is removed (orphans).
    ///
    /// The counts go to the `repaired_*` metrics, and `blob_files` is set to
    /// the files kept. Blocking: call it before serving, or from a blocking
    /// task.
    pub fn open(data_dir: &Path, metrics: Arc<Metrics>) -> Result<(Store, Repairs), ApiError> {
        std::fs::create_dir_all(data_dir)?;
        let blobs = BlobDir::open(data_dir)?;
        let mut db = schema::open(data_dir)?;
        let repairs = check(&mut db, &blobs, &metrics)?;
        let store = Store {
            db: Arc::new(Mutex::new(db)),
            blobs,
            metrics,
        };
        Ok((store, repairs))
    }

    /// Where uploads are written.
    pub fn blobs(&self) -> &BlobDir {
        &self.blobs
    }

    /// Runs `work` on the connection in a blocking task: SQLite calls and
    /// fsyncs must not stall the async workers. One connection behind a
    /// mutex: SQLite has one writer at a time anyway, and holding it also
    /// orders every blob file's creation and removal with the refcount
    /// change that goes with it.
    async fn with_db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, &BlobDir, &Metrics) -> Result<T, ApiError> + Send + 'static,
    {
        let (db, blobs, metrics) = (
            Arc::clone(&self.db),
            self.blobs.clone(),
            Arc::clone(&self.metrics),
        );
        tokio::task::spawn_blocking(move || {
            let mut db = db.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut db, &blobs, &metrics)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("storage task: {e}")))?
    }

    /// Stores a paste whose body is `sealed`.
    ///
    /// Write order: the body is already fsynced (by [`crate::blobs::Upload::seal`]);
    /// it is renamed into `blobs/` (and the directory fsynced) unless an
    /// identical body is there already; only then are the rows committed.
    /// A crash before the commit leaves a blob file no row names, never a
    /// row without its file.
    pub async fn create(
        &self,
        sealed: Sealed,
        new: NewPaste,
        now: u64,
    ) -> Result<Created, ApiError> {
        self.with_db(move |db, blobs, metrics| {
            let (blob, installed) = place(db, blobs, &sealed)?;
            let stored = insert(db, &blob, sealed.len, &new, now);
            match (&stored, installed) {
                (Ok(_), true) => Metrics::bump(&metrics.blob_files),
                (Ok(_), false) => Metrics::bump(&metrics.dedup_hits),
                // The file we just installed is named by no committed row.
                (Err(_), true) => blobs.remove(&blob)?,
                (Err(_), false) => {}
            }
            stored
        })
        .await
    }

    /// The paste `token` as of `now`: [`ApiError::NotFound`] if there is
    /// none, [`ApiError::Expired`] if its expiry has come. A burn-after-read
    /// paste is claimed by one atomic `DELETE` whose row count decides the
    /// single winner; everyone else gets `NotFound`.
    pub async fn read(&self, token: String, now: u64) -> Result<Found, ApiError> {
        self.with_db(move |db, blobs, metrics| {
            let row = db
                .prepare(
                    "SELECT id, blob, content_type, size, expires_at, burn
                     FROM pastes WHERE token = ?1",
                )?
                .query_row([&token], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        from_sql(r.get(3)?),
                        r.get::<_, Option<i64>>(4)?.map(from_sql),
                        r.get::<_, bool>(5)?,
                    ))
                })
                .optional()?;
            let Some((id, blob, content_type, size, expires_at, burn)) = row else {
                return Err(ApiError::NotFound);
            };
            if expires_at.is_some_and(|at| at <= now) {
                return Err(ApiError::Expired);
            }
            let open = |blob: &str| match File::open(blobs.path(blob)) {
                Ok(file) => Ok(file),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiError::NotFound),
                Err(e) => Err(e.into()),
            };
            if !burn {
                let file = open(&blob)?;
                return Ok(Found {
                    file,
                    content_type,
                    size,
                    burned: false,
                });
            }
            let tx = db.transaction()?;
            // The claim: of any number of readers (on any number of
            // connections), exactly one sees this DELETE change a row.
            let claimed = tx.execute("DELETE FROM pastes WHERE id = ?1 AND burn = 1", [id])?;
            if claimed == 0 {
                return Err(ApiError::NotFound);
            }
            let last = release(&tx, &blob)?;
            // Open before the file can be unlinked: the open handle keeps
            // the bytes readable for this one reader.
            let file = open(&blob)?;
            tx.commit()?;
            if last {
                blobs.remove(&blob)?;
                metrics.blob_files.fetch_sub(1, Ordering::Relaxed);
            }
            Ok(Found {
                file,
                content_type,
                size,
                burned: true,
            })
        })
        .await
    }

    /// Deletes paste `token` if `delete_token` is its secret:
    /// [`ApiError::NotFound`] without such a paste,
    /// [`ApiError::WrongDeleteToken`] with the wrong secret. The row goes
    /// first (commit), then the blob file if no other paste shares it.
    pub async fn delete(&self, token: String, delete_token: String) -> Result<(), ApiError> {
        self.with_db(move |db, blobs, metrics| {
            let row = db
                .prepare("SELECT id, delete_token, blob FROM pastes WHERE token = ?1")?
                .query_row([&token], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .optional()?;
            let Some((id, secret, blob)): Option<(i64, String, String)> = row else {
                return Err(ApiError::NotFound);
            };
            if !tokens::secrets_equal(&secret, &delete_token) {
                return Err(ApiError::WrongDeleteToken);
            }
            let tx = db.transaction()?;
            tx.execute("DELETE FROM pastes WHERE id = ?1", [id])?;
            let last = release(&tx, &blob)?;
            tx.commit()?;
            if last {
                blobs.remove(&blob)?;
                metrics.blob_files.fetch_sub(1, Ordering::Relaxed);
            }
            Ok(())
        })
        .await
    }

    /// Deletes every paste whose expiry has come by `now`, in batches of
    /// [`EXPIRED_QUERY`], and the blob files no paste references any more.
    /// Returns how many pastes it deleted.
    pub async fn sweep(&self, now: u64) -> Result<u64, ApiError> {
        self.with_db(move |db, blobs, metrics| {
            let delete = format!("DELETE FROM pastes WHERE id IN ({EXPIRED_QUERY}) RETURNING blob");
            let mut total = 0;
            loop {
                let tx = db.transaction()?;
                let freed: Vec<String> = tx
                    .prepare(&delete)?
                    .query_map([to_sql(now)], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                let mut unreferenced = Vec::new();
                for blob in &freed {
                    if release(&tx, blob)? {
                        unreferenced.push(blob.clone());
                    }
                }
                tx.commit()?;
                for blob in &unreferenced {
                    blobs.remove(blob)?;
                    metrics.blob_files.fetch_sub(1, Ordering::Relaxed);
                }
                total += freed.len() as u64;
                if freed.len() < 256 {
                    metrics.swept.fetch_add(total, Ordering::Relaxed);
                    return Ok(total);
                }
            }
        })
        .await
    }
}

/// SQLite integers are signed; sizes and times are far below `i64::MAX`.
fn to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Finds the blob for `sealed`: an existing file with the same hash and the
/// same bytes, or else `sealed` installed under a free name. Returns its id
/// and whether the file is new. The hash is not cryptographic, so a match
/// is verified byte by byte; a collision takes the next name `HASH-1`,
/// `HASH-2`, ...
fn place(db: &Connection, blobs: &BlobDir, sealed: &Sealed) -> Result<(String, bool), ApiError> {
    for n in 0u32.. {
        let id = match n {
            0 => sealed.hash.clone(),
            n => format!("{}-{n}", sealed.hash),
        };
        let known = db
            .prepare("SELECT 1 FROM blobs WHERE id = ?1")?
            .exists([&id])?;
        if !known {
            blobs.install(sealed, &id)?;
            return Ok((id, true));
        }
        if sealed.same_bytes(&blobs.path(&id))? {
            return Ok((id, false));
        }
    }
    unreachable!("u32 names run out only after four billion collisions")
}

/// Commits the rows of a new paste on blob `blob`.
fn insert(
    db: &mut Connection,
    blob: &str,
    size: u64,
    new: &NewPaste,
    now: u64,
) -> Result<Created, ApiError> {
    let tx = db.transaction()?;
    tx.execute(
        "INSERT INTO blobs (id, size, refs) VALUES (?1, ?2, 1)
         ON CONFLICT (id) DO UPDATE SET refs = refs + 1",
        params![blob, to_sql(size)],
    )?;
    let created = Created {
        token: tokens::new_token()?,
        delete_token: tokens::new_token()?,
    };
    tx.execute(
        "INSERT INTO pastes (token, delete_token, blob, content_type, size, created_at, expires_at, burn)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            created.token,
            created.delete_token,
            blob,
            new.content_type,
            to_sql(size),
            to_sql(now),
            new.expires_at.map(to_sql),
            new.burn
        ],
    )?;
    tx.commit()?;
    Ok(created)
}

/// Drops one reference to `blob`; deletes its row and returns `true` when
/// that was the last one (the caller removes the file after the commit).
fn release(tx: &Transaction<'_>, blob: &str) -> Result<bool, ApiError> {
    let refs: i64 = tx.query_row(
        "UPDATE blobs SET refs = refs - 1 WHERE id = ?1 RETURNING refs",
        [blob],
        |r| r.get(0),
    )?;
    if refs == 0 {
        tx.execute("DELETE FROM blobs WHERE id = ?1", [blob])?;
    }
    Ok(refs == 0)
}

/// The consistency check at start: whatever a crash left between the steps
/// of a write is repaired before the first request.
///
/// 1. Unfinished uploads under `tmp/` are removed.
/// 2. A blob row whose file is missing or of the wrong length is removed,
///    with the pastes that name it (dangling rows: they could only answer
///    with a broken body).
/// 3. Every blob's `refs` is recounted from `pastes`; a blob left with none
///    loses its row.
/// 4. Every file under `blobs/` that no row names is removed (orphans).
fn check(db: &mut Connection, blobs: &BlobDir, metrics: &Metrics) -> Result<Repairs, ApiError> {
    let mut repairs = Repairs {
        temp_files: blobs.clear_tmp()?,
        ..Repairs::default()
    };
    let tx = db.transaction()?;
    let rows: Vec<(String, u64)> = tx
        .prepare("SELECT id, size FROM blobs")?
        .query_map([], |r| Ok((r.get(0)?, from_sql(r.get(1)?))))?
        .collect::<Result<_, _>>()?;
    for (id, size) in rows {
        let on_disk = std::fs::metadata(blobs.path(&id)).map(|m| m.len()).ok();
        if on_disk != Some(size) {
            let pastes = tx.execute("DELETE FROM pastes WHERE blob = ?1", [&id])?;
            repairs.dangling_rows += pastes as u64;
            tx.execute("DELETE FROM blobs WHERE id = ?1", [&id])?;
        }
    }
    tx.execute_batch(
        "UPDATE blobs SET refs = (SELECT count(*) FROM pastes WHERE pastes.blob = blobs.id);
         DELETE FROM blobs WHERE refs = 0;",
    )?;
    let known: HashSet<String> = tx
        .prepare("SELECT id FROM blobs")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tx.commit()?;
    for name in blobs.list()? {
        if !known.contains(&name) {
            blobs.remove(&name)?;
            repairs.orphan_blobs += 1;
        }
    }
    let set =
        |gauge: &std::sync::atomic::AtomicU64, value: u64| gauge.store(value, Ordering::Relaxed);
    set(&metrics.blob_files, known.len() as u64);
    set(&metrics.repaired_temp_files, repairs.temp_files);
    set(&metrics.repaired_orphan_blobs, repairs.orphan_blobs);
    set(&metrics.repaired_dangling_rows, repairs.dangling_rows);
    Ok(repairs)
}

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
// TODO: write the query; it must be answered from `pastes_by_expiry`.
pub const EXPIRED_QUERY: &str = "";

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
        todo!("create_dir_all, BlobDir::open, schema::open, then the consistency check")
    }

    /// Where uploads are written.
    pub fn blobs(&self) -> &BlobDir {
        todo!("the BlobDir")
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
        todo!("spawn_blocking: lock the connection and run `work`")
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
        todo!(
            "find or install the blob (verify bytes on a hash match), then one transaction: blob refs + 1, the paste row"
        )
    }

    /// The paste `token` as of `now`: [`ApiError::NotFound`] if there is
    /// none, [`ApiError::Expired`] if its expiry has come. A burn-after-read
    /// paste is claimed by one atomic `DELETE` whose row count decides the
    /// single winner; everyone else gets `NotFound`.
    pub async fn read(&self, token: String, now: u64) -> Result<Found, ApiError> {
        todo!(
            "look the row up; 404 / 410; a burn paste is claimed by one DELETE whose row count decides; open the file before any unlink"
        )
    }

    /// Deletes paste `token` if `delete_token` is its secret:
    /// [`ApiError::NotFound`] without such a paste,
    /// [`ApiError::WrongDeleteToken`] with the wrong secret. The row goes
    /// first (commit), then the blob file if no other paste shares it.
    pub async fn delete(&self, token: String, delete_token: String) -> Result<(), ApiError> {
        todo!(
            "404 / 403 (secrets_equal); commit the row delete and the refs - 1, then remove an unreferenced file"
        )
    }

    /// Deletes every paste whose expiry has come by `now`, in batches of
    /// [`EXPIRED_QUERY`], and the blob files no paste references any more.
    /// Returns how many pastes it deleted.
    pub async fn sweep(&self, now: u64) -> Result<u64, ApiError> {
        todo!(
            "DELETE ... WHERE id IN (EXPIRED_QUERY) RETURNING blob, refs - 1 per blob, commit, remove unreferenced files; repeat while a batch is full"
        )
    }
}

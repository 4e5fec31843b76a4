// Given: the metadata schema, its indexes, and how the database file is opened.
//
// Why each choice is made is in README.md ("Data model"). In short:
// - `blobs` holds one row per body file, with the number of pastes that
//   share it (`refs`): the blob file is deleted when the last one goes.
// - `pastes.token` is UNIQUE, which gives it an index: every read looks a
//   paste up by its token.
// - `pastes_by_expiry` lets the sweeper find expired rows without scanning
//   the table; pastes that never expire have a NULL `expires_at`.
// - `pastes_by_blob` serves the foreign key (deleting a blob row checks that
//   no paste still names it) and the refcount check at start.

use std::path::Path;

use rusqlite::Connection;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "pastebin.db";

/// The tables and indexes, created if absent.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (
    id   TEXT PRIMARY KEY,                  -- the file's name under blobs/
    size INTEGER NOT NULL,                  -- its length in bytes
    refs INTEGER NOT NULL CHECK (refs >= 0) -- pastes that name it
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS pastes (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,      -- the unguessable read token
    delete_token TEXT NOT NULL,             -- the secret that deletes it
    blob         TEXT NOT NULL REFERENCES blobs(id),
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,          -- Unix ms
    expires_at   INTEGER,                   -- Unix ms; NULL: never
    burn         INTEGER NOT NULL DEFAULT 0 -- 1: deleted by its first read
);

CREATE INDEX IF NOT EXISTS pastes_by_expiry ON pastes(expires_at);
CREATE INDEX IF NOT EXISTS pastes_by_blob ON pastes(blob);
";

/// Opens (or creates) the database with the settings the service relies on:
/// - `journal_mode = WAL`: readers do not block the writer nor it them, and
///   a commit appends to the log instead of rewriting pages in place;
/// - `synchronous = FULL`: every commit is fsynced before it returns, so a
///   paste acknowledged with 201 survives a power cut, not only a crash of
///   the process (`NORMAL` in WAL mode may lose the last commits on power
///   loss, though never corrupts the file);
/// - `foreign_keys = ON`: a paste can never name a blob row that is gone;
/// - `busy_timeout`: wait for a lock rather than fail at once.
pub fn open(data_dir: &Path) -> rusqlite::Result<Connection> {
    let db = Connection::open(data_dir.join(DB_FILE))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.pragma_update(None, "foreign_keys", "ON")?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    db.execute_batch(SCHEMA)?;
    Ok(db)
}

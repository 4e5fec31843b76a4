//! Bodies on disk, content-addressed: one file per distinct body under
//! `blobs/`, written first under `tmp/` and renamed into place only when
//! complete and fsynced.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

/// The unit of hashing, writing and reading: 64 KiB.
pub const CHUNK: usize = 64 * 1024;

/// The `blobs/` and `tmp/` directories of a data directory.
#[derive(Debug, Clone)]
pub struct BlobDir {
    blobs: PathBuf,
    tmp: PathBuf,
}

impl BlobDir {
    /// Creates both directories if they are missing.
    pub fn open(data_dir: &Path) -> io::Result<BlobDir> {
        todo!("data_dir/blobs and data_dir/tmp, created with fs::create_dir_all")
    }

    /// The file of blob `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        todo!("blobs/id")
    }

    /// The names of the files under `blobs/`.
    pub fn list(&self) -> io::Result<Vec<String>> {
        todo!("fs::read_dir, regular files only")
    }

    /// Removes every file under `tmp/`: uploads a crash interrupted. Returns
    /// how many there were.
    pub fn clear_tmp(&self) -> io::Result<u64> {
        todo!("remove and count every entry of tmp/")
    }

    /// Starts an upload: a new temporary file under `tmp/`.
    pub async fn upload(&self) -> io::Result<Upload> {
        todo!("a tokio::fs::File under tmp/ with a random name (tokens::new_token)")
    }

    /// Moves a finished upload to `blobs/id` and makes the rename durable.
    /// An existing file of that name is replaced (it can only be an orphan
    /// of a crash: the caller checked that no row names it).
    pub fn install(&self, sealed: &Sealed, id: &str) -> io::Result<()> {
        todo!("fs::rename, then fsync the blobs/ directory (File::open(dir)?.sync_all())")
    }

    /// Deletes blob `id`'s file. A file already gone is not an error.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        todo!("fs::remove_file, NotFound is fine")
    }
}

/// A body being received: written to its temporary file and hashed chunk
/// by chunk, so its size in memory is one chunk whatever its length.
#[derive(Debug)]
pub struct Upload {
    file: tokio::fs::File,
    path: Option<PathBuf>,
    chunk: Vec<u8>,
    chunk_hashes: Vec<u8>,
    len: u64,
}

impl Upload {
    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        todo!()
    }

    /// Whether nothing has been received.
    pub fn is_empty(&self) -> bool {
        todo!()
    }

    /// Appends `data`.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        todo!("fill the chunk buffer; each full CHUNK is written to the file and hashed")
    }

    /// Writes the rest, fsyncs the file and names the body by its hash.
    ///
    /// The hash is XXH3-128 over the length and the XXH3-128 of each 64 KiB
    /// chunk in order: a function of the bytes alone, computed without
    /// holding the body. It is not cryptographic, so equal hashes are a
    /// reason to compare bytes, never proof of equality.
    pub async fn seal(self) -> io::Result<Sealed> {
        todo!("last chunk, flush, sync_all, then kit::hash::hash128 of (len, chunk hashes)")
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // TODO: an upload refused half-way (413, a dropped connection)
        // leaves no file behind: remove the temporary file unless sealed.
    }
}

/// A complete, fsynced upload, not yet a blob.
#[derive(Debug)]
pub struct Sealed {
    path: PathBuf,
    /// 32 hex digits of the content hash.
    pub hash: String,
    /// Its length in bytes.
    pub len: u64,
}

impl Sealed {
    /// Whether its bytes are exactly those of `other`'s file.
    pub fn same_bytes(&self, other: &Path) -> io::Result<bool> {
        todo!("compare lengths, then the two files chunk by chunk; a missing file is `false`")
    }
}

impl Drop for Sealed {
    fn drop(&mut self) {
        // TODO: installed, its temporary name is gone and removing it does
        // nothing; otherwise (a duplicate, a failed commit) the copy is not
        // needed: remove it.
    }
}

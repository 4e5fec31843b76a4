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
        let dir = BlobDir {
            blobs: data_dir.join("blobs"),
            tmp: data_dir.join("tmp"),
        };
        fs::create_dir_all(&dir.blobs)?;
        fs::create_dir_all(&dir.tmp)?;
        Ok(dir)
    }

    /// The file of blob `id`.
    pub fn path(&self, id: &str) -> PathBuf {
        self.blobs.join(id)
    }

    /// The names of the files under `blobs/`.
    pub fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.blobs)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(names)
    }

    /// Removes every file under `tmp/`: uploads a crash interrupted. Returns
    /// how many there were.
    pub fn clear_tmp(&self) -> io::Result<u64> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.tmp)? {
            fs::remove_file(entry?.path())?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Starts an upload: a new temporary file under `tmp/`.
    pub async fn upload(&self) -> io::Result<Upload> {
        let name = crate::tokens::new_token()?;
        let path = self.tmp.join(name);
        let file = tokio::fs::File::create(&path).await?;
        Ok(Upload {
            file,
            path: Some(path),
            chunk: Vec::with_capacity(CHUNK),
            chunk_hashes: Vec::new(),
            len: 0,
        })
    }

    /// Moves a finished upload to `blobs/id` and makes the rename durable.
    /// An existing file of that name is replaced (it can only be an orphan
    /// of a crash: the caller checked that no row names it).
    pub fn install(&self, sealed: &Sealed, id: &str) -> io::Result<()> {
        fs::rename(&sealed.path, self.path(id))?;
        // The rename lives in the directory: fsync it too, or a power cut
        // could lose the file while the row that names it survives.
        File::open(&self.blobs)?.sync_all()
    }

    /// Deletes blob `id`'s file. A file already gone is not an error.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        match fs::remove_file(self.path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
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
        self.len
    }

    /// Whether nothing has been received.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `data`.
    pub async fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let take = data.len().min(CHUNK - self.chunk.len());
            self.chunk.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.chunk.len() == CHUNK {
                self.flush_chunk().await?;
            }
        }
        Ok(())
    }

    async fn flush_chunk(&mut self) -> io::Result<()> {
        self.file.write_all(&self.chunk).await?;
        let hash = kit::hash::hash128(&self.chunk);
        self.chunk_hashes.extend_from_slice(&hash.to_le_bytes());
        self.chunk.clear();
        Ok(())
    }

    /// Writes the rest, fsyncs the file and names the body by its hash.
    ///
    /// The hash is XXH3-128 over the length and the XXH3-128 of each 64 KiB
    /// chunk in order: a function of the bytes alone, computed without
    /// holding the body. It is not cryptographic, so equal hashes are a
    /// reason to compare bytes, never proof of equality.
    pub async fn seal(mut self) -> io::Result<Sealed> {
        if !self.chunk.is_empty() {
            self.flush_chunk().await?;
        }
        self.file.flush().await?;
        self.file.sync_all().await?;
        let mut summary = self.len.to_le_bytes().to_vec();
        summary.extend_from_slice(&self.chunk_hashes);
        let hash = kit::hash::hash128(&summary);
        Ok(Sealed {
            path: self.path.take().expect("an upload is sealed once"),
            hash: format!("{hash:032x}"),
            len: self.len,
        })
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // An upload refused half-way (413, a dropped connection) leaves no
        // file behind.
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(path);
        }
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
        let mut ours = File::open(&self.path)?;
        let mut theirs = match File::open(other) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if ours.metadata()?.len() != theirs.metadata()?.len() {
            return Ok(false);
        }
        let (mut a, mut b) = (vec![0u8; CHUNK], vec![0u8; CHUNK]);
        loop {
            let n = read_full(&mut ours, &mut a)?;
            let m = read_full(&mut theirs, &mut b)?;
            if n != m || a[..n] != b[..m] {
                return Ok(false);
            }
            if n == 0 {
                return Ok(true);
            }
        }
    }
}

impl Drop for Sealed {
    fn drop(&mut self) {
        // Installed, its temporary name is gone and this does nothing;
        // otherwise (a duplicate, a failed commit) the copy is not needed.
        let _ = fs::remove_file(&self.path);
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

//! A body streamed from a file in chunks: whatever the paste's size, at
//! most a few chunks of it are in memory at once.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Bytes, HttpBody};
use hyper::body::{Frame, SizeHint};
use tokio::sync::mpsc;

use crate::blobs::CHUNK;
use crate::metrics::Metrics;

/// The response body for `len` bytes of `file` from `start`.
#[derive(Debug)]
pub struct FileBody {
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    remaining: u64,
}

impl FileBody {
    /// Starts a blocking reader that sends `len` bytes of `file` from
    /// `start`, one chunk of at most [`CHUNK`] bytes at a time, and records
    /// the largest chunk in `largest_body_chunk_bytes`.
    pub fn new(file: File, start: u64, len: u64, metrics: Arc<Metrics>) -> FileBody {
        todo!(
            "a bounded mpsc channel fed by tokio::task::spawn_blocking: seek, read_exact, blocking_send"
        )
    }
}

impl HttpBody for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        todo!("poll_recv the next chunk as Frame::data; None once `remaining` is 0")
    }

    fn is_end_stream(&self) -> bool {
        todo!()
    }

    fn size_hint(&self) -> SizeHint {
        todo!("SizeHint::with_exact(remaining)")
    }
}

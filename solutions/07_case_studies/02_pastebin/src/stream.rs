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

/// Chunks read ahead of the socket: the reader waits when this many are
/// queued, so a slow client holds at most this many (plus the one being
/// written) in memory.
const READ_AHEAD: usize = 2;

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
    pub fn new(mut file: File, start: u64, len: u64, metrics: Arc<Metrics>) -> FileBody {
        let (send, chunks) = mpsc::channel(READ_AHEAD);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = file.seek(SeekFrom::Start(start)) {
                let _ = send.blocking_send(Err(e));
                return;
            }
            let mut left = len;
            while left > 0 {
                let size = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
                let mut chunk = vec![0u8; size];
                let read = file.read_exact(&mut chunk).map(|()| {
                    Metrics::raise(&metrics.largest_body_chunk_bytes, size as u64);
                    Bytes::from(chunk)
                });
                let failed = read.is_err();
                // An error from send means the client has gone: stop reading.
                if send.blocking_send(read).is_err() || failed {
                    return;
                }
                left -= size as u64;
            }
        });
        FileBody {
            chunks,
            remaining: len,
        }
    }
}

impl HttpBody for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        match self.chunks.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                self.remaining -= chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the blob file ended early",
            )))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

//! The frontier checkpoint (a suggestion): one file per crawl,
//! `crawl-{id}.json` in the data directory, replaced atomically after every
//! completed request, so a crash loses at most the requests in flight.

use std::io;
use std::path::Path;

use crate::crawl::CrawlState;

/// Writes `state` as the crawl's checkpoint: to a temporary file, fsynced,
/// then renamed over the old one, so a restart sees the old checkpoint or
/// the new one, never half of one.
pub(crate) async fn save(dir: &Path, state: &CrawlState) -> io::Result<()> {
    todo!("write, fsync, rename")
}

/// Every checkpointed crawl in `dir` (created if missing), in id order.
pub(crate) fn load_all(dir: &Path) -> io::Result<Vec<CrawlState>> {
    todo!("read every crawl-*.json")
}

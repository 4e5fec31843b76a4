//! The frontier checkpoint: one file per crawl, `crawl-{id}.json` in the data
//! directory, replaced atomically after every completed page, so a crash
//! loses at most the pages that were in flight.

use std::io;
use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

use crate::crawl::CrawlState;

fn file(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("crawl-{id}.json"))
}

/// Writes `state` as the crawl's checkpoint: to a temporary file, fsynced,
/// then renamed over the old one (and the directory fsynced, so the rename
/// itself survives a power cut). A reader, or a restart, sees the old
/// checkpoint or the new one, never half of one.
pub(crate) async fn save(dir: &Path, state: &CrawlState) -> io::Result<()> {
    let bytes = serde_json::to_vec(state).map_err(io::Error::other)?;
    let path = file(dir, state.id);
    let temp = path.with_extension("json.next");
    let mut out = tokio::fs::File::create(&temp).await?;
    out.write_all(&bytes).await?;
    out.sync_all().await?;
    drop(out);
    tokio::fs::rename(&temp, &path).await?;
    tokio::fs::File::open(dir).await?.sync_all().await
}

/// Every checkpointed crawl in `dir` (created if missing), in id order. A
/// file that does not parse is reported on stderr and skipped: it cannot be
/// torn (see [`save`]), so it is not ours.
pub(crate) fn load_all(dir: &Path) -> io::Result<Vec<CrawlState>> {
    std::fs::create_dir_all(dir)?;
    let mut crawls = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if !(name.starts_with("crawl-") && name.ends_with(".json")) {
            continue;
        }
        match serde_json::from_slice::<CrawlState>(&std::fs::read(&path)?) {
            Ok(state) => crawls.push(state),
            Err(e) => eprintln!("web_crawler: skipping {}: {e}", path.display()),
        }
    }
    crawls.sort_by_key(|c| c.id);
    Ok(crawls)
}

//! Stage 8: crashes. The binary is killed with SIGKILL in the middle of a
//! stream of creates and restarted on the same data directory: every paste
//! acknowledged with 201 reads back, and the consistency check at start has
//! left no orphan blob file, no dangling row and no unfinished upload. A
//! crash between the steps of a write is simulated by planting its leftovers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kit::rng::Rng;
use service_kit::{Client, eventually};

use crate::common::{self, Child, Paste, created, expect_error, expect_readable};

#[tokio::test]
async fn earlier_stages_still_hold() {
    let child = Child::start(&[]);
    common::smoke(&child.client()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_loses_no_acknowledged_paste() {
    for seed in common::seeds() {
        let mut child = Child::start(&[]);
        let acked: Arc<Mutex<Vec<Paste>>> = Arc::default();
        let client = child.client().with_seed(seed);
        let mut writers = Vec::new();
        for w in 0..4u64 {
            let (client, acked) = (client.clone(), Arc::clone(&acked));
            writers.push(tokio::spawn(async move {
                let mut rng = Rng::new(seed).stream(&format!("writer {w}"));
                // Bounded: the kill comes long before the last.
                for i in 0..2_000 {
                    let body = if i % 4 == 0 {
                        b"a body many pastes share".to_vec()
                    } else {
                        let len = 1 + rng.below(70_000) as usize;
                        common::text(&mut rng, len)
                    };
                    let content_type = format!("text/x-writer-{w}");
                    let sent = client
                        .request("POST", "/pastes")
                        .header("content-type", content_type.clone())
                        .body(body.clone())
                        .try_send()
                        .await;
                    match sent {
                        Ok(exchange) => {
                            let paste = created(&exchange, &body, &content_type);
                            acked.lock().unwrap().push(paste);
                        }
                        // The kill: this create may or may not have happened.
                        Err(_) => return,
                    }
                }
            }));
        }
        eventually("40 acknowledged creates", || async {
            (acked.lock().unwrap().len() >= 40).then_some(())
        })
        .await;
        child.service.kill9();
        for writer in writers {
            writer.await.expect("a writer task");
        }
        child.service.restart();
        let client = child.client().with_seed(seed);
        let acked = acked.lock().unwrap().clone();
        for paste in &acked {
            expect_readable(
                &client,
                paste,
                "crash: every paste acknowledged with 201 before kill -9 reads back after restart \
                 (the blob is fsynced and renamed, then the row committed, before the 201)",
            )
            .await;
        }
        common::expect_consistent(
            child.dir.path(),
            &format!("after kill -9 and restart, seed {seed}"),
        );
    }
}

#[tokio::test]
async fn the_check_at_start_repairs_what_a_crash_leaves() {
    let mut child = Child::start(&[]);
    let client = child.client();
    let mut rng = Rng::new(808);
    let doomed = common::create(&client, &common::text(&mut rng, 5_000), "text/plain", "").await;
    let kept = common::create(
        &client,
        &common::text(&mut rng, 5_000),
        "text/markdown",
        "?ttl=600",
    )
    .await;
    let shared = b"shared by two".to_vec();
    let twin_a = common::create(&client, &shared, "text/plain", "").await;
    let twin_b = common::create(&client, &shared, "application/json", "").await;
    let doomed_blob: String = common::database(child.dir.path())
        .query_row(
            "SELECT blob FROM pastes WHERE token = ?1",
            [&doomed.token],
            |r| r.get(0),
        )
        .expect("the doomed paste's row names its blob");
    child.service.kill9();

    let dir = child.dir.path();
    // A crash after the rename and before the commit: a file no row names.
    let orphan = format!("{:032x}", rng.next_u64());
    std::fs::write(dir.join("blobs").join(&orphan), b"no row names me").expect("plant an orphan");
    // A crash in the middle of an upload.
    std::fs::write(dir.join("tmp").join("upload-in-progress"), b"half a bo")
        .expect("plant a temp file");
    // A lost file under a committed row (a disk fault, an operator's rm).
    std::fs::remove_file(dir.join("blobs").join(&doomed_blob)).expect("remove the doomed blob");

    child.service.restart();
    let client = child.client();
    let metrics = client.metrics().await;
    for (name, value) in [
        ("repaired_orphan_blobs", 1.0),
        ("repaired_dangling_rows", 1.0),
        ("repaired_temp_files", 1.0),
    ] {
        assert_eq!(
            metrics.get(name),
            value,
            "crash: the check at start reports what it repaired in /metrics {name}"
        );
    }
    assert!(
        !common::blob_files(dir).contains(&orphan),
        "crash: the check at start removes a blob file no row names"
    );
    expect_error(
        &client.get(&format!("/pastes/{}", doomed.token)).await,
        "crash: a paste whose blob file is gone is removed at start and answers 404, never a broken body",
        404,
        "paste not found",
    );
    assert_eq!(
        common::count(dir, "SELECT count(*) FROM pastes"),
        3,
        "crash: the dangling row is deleted"
    );
    expect_readable(&client, &kept, "crash: intact pastes survive the check").await;
    expect_readable(&client, &twin_a, "crash: shared bodies survive the check").await;
    expect_readable(&client, &twin_b, "crash: shared bodies survive the check").await;
    common::expect_consistent(dir, "after the check at start");

    // Expiry is on the clock file, across restarts too.
    child
        .clock
        .advance(Duration::from_secs(600))
        .expect("move the clock file");
    expect_error(
        &client.get(&format!("/pastes/{}", kept.token)).await,
        "crash: the restarted service expires pastes on the injected clock",
        410,
        "paste expired",
    );
    child.service.restart();
    let client: Client = child.client();
    assert_eq!(
        client.metrics().await.get("repaired_orphan_blobs"),
        0.0,
        "crash: a clean start repairs nothing"
    );
}

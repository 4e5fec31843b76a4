//! Stage 3: bodies are content-addressed. A hundred identical pastes keep
//! one blob file (counted on disk and in /metrics), each keeps its own
//! content type, and the file goes only when the last paste naming it goes.
//! Bodies that differ in one byte, anywhere, are never shared.

use kit::rng::Rng;

use crate::common::{self, Paste, Pastebin, create, expect_readable};

async fn delete(bin: &Pastebin, paste: &Paste) {
    bin.client
        .request("DELETE", &format!("/pastes/{}", paste.token))
        .header("x-delete-token", paste.delete_token.clone())
        .send()
        .await
        .expect_status("delete: the right X-Delete-Token answers 204", 204);
}

#[tokio::test]
async fn earlier_stages_still_hold() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
}

#[tokio::test]
async fn a_hundred_identical_pastes_are_stored_once() {
    for seed in common::seeds().into_iter().take(1) {
        let bin = Pastebin::default().await;
        let client = bin.client.clone().with_seed(seed);
        let mut rng = Rng::new(seed);
        let body = common::text(&mut rng, 10_000);
        let types = [
            "text/plain",
            "text/markdown",
            "application/json",
            "text/x-c",
        ];
        let mut pastes = Vec::new();
        for i in 0..100 {
            pastes.push(create(&client, &body, types[i % 4], "").await);
        }
        let files = common::blob_files(bin.dir.path());
        assert_eq!(
            files.len(),
            1,
            "dedupe: 100 identical pastes must keep 1 blob file, found {}: storing a copy per \
             paste multiplies disk by the duplication factor (seed {seed})",
            files.len()
        );
        let metrics = client.metrics().await;
        assert_eq!(
            metrics.get("pastes_created"),
            100.0,
            "metrics: /metrics pastes_created counts 201 answers"
        );
        assert_eq!(
            metrics.get("blob_files"),
            1.0,
            "dedupe: /metrics blob_files counts the files on disk"
        );
        assert_eq!(
            metrics.get("dedup_hits"),
            99.0,
            "dedupe: 99 of the 100 creates found their body already stored"
        );
        for paste in pastes.iter().step_by(7) {
            expect_readable(
                &client,
                paste,
                "dedupe: a shared body keeps each paste's own content type",
            )
            .await;
        }
        for paste in &pastes[..99] {
            delete(&bin, paste).await;
        }
        assert_eq!(
            common::blob_files(bin.dir.path()).len(),
            1,
            "dedupe: the blob stays while one paste still names it (deleting it at the first \
             delete breaks the other 99)"
        );
        expect_readable(
            &client,
            &pastes[99],
            "dedupe: the last paste on a shared body still reads",
        )
        .await;
        delete(&bin, &pastes[99]).await;
        assert!(
            common::blob_files(bin.dir.path()).is_empty(),
            "dedupe: when the last paste naming a blob is deleted its file is deleted: a \
             refcount that never reaches zero leaks disk forever (seed {seed})"
        );
        assert_eq!(
            client.metrics().await.get("blob_files"),
            0.0,
            "dedupe: /metrics blob_files follows deletes"
        );
        common::expect_consistent(bin.dir.path(), "after deleting every paste");
    }
}

#[tokio::test]
async fn bodies_that_differ_anywhere_are_stored_apart() {
    let bin = Pastebin::default().await;
    let mut rng = Rng::new(99);
    // Past one 64 KiB chunk, so a difference after the first chunk counts.
    let base = common::bytes(&mut rng, 200_000);
    let mut bodies = vec![base.clone()];
    for at in [0, 1, 65_535, 65_536, 131_072, 199_999] {
        let mut body = base.clone();
        body[at] ^= 1;
        bodies.push(body);
    }
    bodies.push(base[..199_999].to_vec());
    let mut longer = base.clone();
    longer.push(0);
    bodies.push(longer);
    let mut pastes = Vec::new();
    for body in &bodies {
        pastes.push(create(&bin.client, body, "application/octet-stream", "").await);
    }
    assert_eq!(
        common::blob_files(bin.dir.path()).len(),
        bodies.len(),
        "dedupe: {} bodies that differ in one byte or in length must be {} blob files; \
         sharing them serves one paste's bytes as another's",
        bodies.len(),
        bodies.len()
    );
    for paste in &pastes {
        expect_readable(
            &bin.client,
            paste,
            "dedupe: each body reads back as its own",
        )
        .await;
    }
    common::expect_consistent(bin.dir.path(), "after distinct creates");
}

//! Stage 5: burn after read. The first read of a `?burn=true` paste gets the
//! body and deletes it; of 50 concurrent readers exactly one gets it. The
//! gate holds every reader the service lets through at the point between
//! "this reader may have the body" and the body, so a check-then-delete
//! design, which lets them all past its check before anyone deletes, fails
//! every time rather than when the scheduler happens to interleave.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use kit::rng::Rng;
use pastebin::Gate;
use service_kit::{Client, eventually};

use crate::common::{self, Paste, Pastebin, create, expect_error, expect_readable};

#[tokio::test]
async fn earlier_stages_still_hold() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
}

#[tokio::test]
async fn the_first_read_burns_the_paste() {
    let bin = Pastebin::default().await;
    let mut rng = Rng::new(3);
    let body = common::text(&mut rng, 3_000);
    let kept = create(&bin.client, &body, "text/plain", "").await;
    let burn = create(&bin.client, &body, "text/plain", "?burn=true").await;
    let secret = create(
        &bin.client,
        &common::text(&mut rng, 900),
        "text/plain",
        "?burn=true",
    )
    .await;
    let path = format!("/pastes/{}", burn.token);
    // A Range asks for two bytes; the one read gets all of them anyway.
    bin.client
        .request("GET", &path)
        .header("range", "bytes=0-1")
        .send()
        .await
        .expect_status(
            "burn: the one read of a burn-after-read paste ignores Range and answers 200",
            200,
        )
        .expect_body("burn: the one read gets the whole body", &body);
    expect_error(
        &bin.client.get(&path).await,
        "burn: a burned paste answers 404 {\"error\": \"paste not found\"}",
        404,
        "paste not found",
    );
    expect_readable(
        &bin.client,
        &kept,
        "burn: an ordinary paste sharing the body keeps it",
    )
    .await;
    expect_readable(
        &bin.client,
        &secret,
        "burn: the first read of a burn paste gets it",
    )
    .await;
    assert_eq!(
        common::blob_files(bin.dir.path()).len(),
        1,
        "burn: a burned paste's blob file is deleted when no other paste names it"
    );
    common::expect_consistent(bin.dir.path(), "after burning");
}

/// Sends `readers` concurrent GETs of `paste` and returns their statuses and
/// bodies. With `gate`, waits until every reader has either reached it or
/// been answered, then opens it.
async fn race(
    client: &Client,
    paste: &Paste,
    readers: usize,
    gate: Option<&Gate>,
) -> Vec<(u16, Vec<u8>)> {
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..readers {
        let (client, answered) = (client.clone(), Arc::clone(&answered));
        let path = format!("/pastes/{}", paste.token);
        tasks.push(tokio::spawn(async move {
            let exchange = client.get(&path).await;
            answered.fetch_add(1, Ordering::SeqCst);
            (exchange.status, exchange.body.to_vec())
        }));
    }
    if let Some(gate) = gate {
        eventually("every reader to reach the gate or be answered", || async {
            (gate.arrived() + answered.load(Ordering::SeqCst) == readers).then_some(())
        })
        .await;
        gate.open();
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("a reader task"));
    }
    outcomes
}

fn expect_one_winner(outcomes: &[(u16, Vec<u8>)], paste: &Paste, how: &str) {
    let winners = outcomes.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(
        winners,
        1,
        "burn: exactly one of {} concurrent readers gets a burn-after-read paste, but {winners} \
         did ({how}). Claim it in one atomic statement (DELETE ... WHERE ... and check the row \
         count, or UPDATE ... WHERE burned = 0): a SELECT that checks and a later DELETE let \
         every reader through the check first",
        outcomes.len()
    );
    for (status, body) in outcomes {
        match status {
            200 => assert_eq!(body, &paste.body, "burn: the winner gets the whole body"),
            404 => {}
            other => panic!("burn: a reader that lost the race answers 404, not {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_fifty_readers_held_at_the_gate_exactly_one_gets_the_body() {
    let gate = Arc::new(Gate::new());
    let bin = Pastebin::gated(Arc::clone(&gate)).await;
    let mut rng = Rng::new(50);
    let paste = create(
        &bin.client,
        &common::text(&mut rng, 4_000),
        "text/plain",
        "?burn=true",
    )
    .await;
    let outcomes = race(&bin.client, &paste, 50, Some(&gate)).await;
    expect_one_winner(&outcomes, &paste, "readers held at the gate");
    assert!(
        gate.arrived() <= 1,
        "burn: {} readers reached the gate; only the one the paste was granted to may",
        gate.arrived()
    );
    common::expect_consistent(bin.dir.path(), "after the race");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_fifty_readers_exactly_one_gets_the_body_over_seeds() {
    let bin = Pastebin::default().await;
    for seed in common::seeds().into_iter().chain([41, 59]) {
        let client = bin.client.clone().with_seed(seed);
        let mut rng = Rng::new(seed);
        let paste = create(
            &client,
            &common::text(&mut rng, 2_000),
            "text/plain",
            "?burn=true",
        )
        .await;
        let outcomes = race(&client, &paste, 50, None).await;
        expect_one_winner(&outcomes, &paste, &format!("no gate, seed {seed}"));
    }
    common::expect_consistent(bin.dir.path(), "after the races");
}

//! Stage 5: the write-ahead log. The broker binary runs on `--data-dir`
//! and `--clock-file`; every acknowledged change is a line in
//! `DATA_DIR/wal.jsonl`, fsynced before the answer. After `kill -9` and a
//! restart on the same directory every task is exactly as it was: queued
//! tasks queued, leased tasks leased with the same lease id and expiry (a
//! worker's completion still counts), done tasks with their results,
//! idempotency keys still known, ids never reused. A torn last record is
//! dropped and cut off. The wrong design it rejects: a queue in memory only.

use std::io::Write;

use kit::rng::Rng;
use serde_json::{Value, json};
use service_kit::{Client, ClockFile};

use crate::common::*;

#[tokio::test]
async fn earlier_stages_still_hold() {
    smoke(Stage::Durability).await;
}

async fn all_statuses(client: &Client, ids: impl IntoIterator<Item = u64>) -> Vec<Value> {
    let mut shown = Vec::new();
    for id in ids {
        shown.push(status(client, id).await);
    }
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_state_survives_kill9() {
    let mut rng = Rng::new(seed(51));
    let dir = service_kit::tempfile::tempdir().unwrap();
    let mut clock = ClockFile::create(dir.path(), T0).unwrap();
    let mut broker = broker_process(dir.path(), &clock, &["--seed", "5", "--max-retries", "1"]);
    let client = Client::new(broker.addr()).with_seed(rng.seed());

    let mut keys = Vec::new();
    for i in 0..24 {
        let key = (i % 3 == 0).then(|| format!("key-{}", rng.next_u64()));
        let body = json!({
            "kind": "compute", "payload": { "n": rng.below(1 << 40) },
            "priority": rng.below(3), "delay_ms": rng.below(3) * 1_000, "idempotency_key": key,
        });
        let id = enqueue(&client, body).await;
        if let Some(key) = key {
            keys.push((key, id));
        }
    }
    clock
        .advance(std::time::Duration::from_millis(2_000))
        .unwrap();
    let mut held = Vec::new();
    for i in 0..10 {
        let task = must_lease(&client, &format!("w{i}"), 60_000, "lease").await;
        held.push(task);
    }
    for task in &held[..4] {
        let id = task["id"].as_u64().unwrap();
        complete(
            &client,
            id,
            &task["lease"],
            json!({ "steps": rng.next_u64() }),
        )
        .await
        .expect_status("complete", 200);
    }
    for task in &held[4..6] {
        let id = task["id"].as_u64().unwrap();
        fail(&client, id, &task["lease"], "flaky")
            .await
            .expect_status("fail", 200);
    }
    heartbeat(
        &client,
        held[6]["id"].as_u64().unwrap(),
        &held[6]["lease"],
        90_000,
    )
    .await
    .expect_status("heartbeat", 200);
    let before = all_statuses(&client, 1..=24).await;

    broker.kill9();
    broker.restart();
    let client = Client::new(broker.addr()).with_seed(rng.seed());
    let after = all_statuses(&client, 1..=24).await;
    for (was, is) in before.iter().zip(&after) {
        assert_eq!(
            is, was,
            "durability: after kill -9 and a restart, task {} must be exactly as it was acknowledged \
             (state, run_at, attempts with their lease ids and expiries, result)",
            was["id"]
        );
    }
    assert_eq!(
        client.metrics().await.get("tasks_enqueued"),
        0.0,
        "metrics: counters count since this process started; replaying the log is not enqueuing"
    );
    for (key, id) in &keys {
        let again = client
            .post_json(
                "/tasks",
                &json!({ "kind": "compute", "idempotency_key": key }),
            )
            .await;
        again.expect_status(
            "durability: an idempotency key survives a restart (200, not a second task)",
            200,
        );
        expect_eq(
            &again,
            "durability: the key still names its first task",
            &again.json()["id"],
            &json!(id),
        );
    }
    let id = enqueue(&client, json!({ "kind": "k" })).await;
    assert_eq!(id, 25, "durability: ids are never reused after a restart");
    let survivor = &held[7];
    let sid = survivor["id"].as_u64().unwrap();
    complete(&client, sid, &survivor["lease"], json!("late but fine"))
        .await
        .expect_status(
            "durability: a lease survives a restart: the worker holding it may still complete",
            200,
        );
    clock
        .advance(std::time::Duration::from_millis(60_000))
        .unwrap();
    for expired in &held[8..] {
        let id = expired["id"].as_u64().unwrap();
        let shown = status(&client, id).await;
        assert_eq!(
            (&shown["state"], &shown["attempts"][0]["outcome"]),
            (&json!("queued"), &json!("expired")),
            "durability: a recovered lease still runs out at its expiry and its task is queued again (task {id})"
        );
    }
    expect_field(
        &client,
        held[6]["id"].as_u64().unwrap(),
        "state",
        json!("leased"),
        "durability: a heartbeated lease keeps its later expiry across a restart",
    )
    .await;
    let task = must_lease(&client, "w-new", 60_000, "lease").await;
    let new_lease = task["lease"].as_u64().unwrap();
    let old_max = held
        .iter()
        .map(|t| t["lease"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(
        new_lease > old_max,
        "durability: lease ids keep growing across a restart (fencing tokens are never reused): {new_lease} after {old_max}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_logged_and_synced_before_its_answer() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let clock = ClockFile::create(dir.path(), T0).unwrap();
    let broker = broker_process(dir.path(), &clock, &[]);
    let client = Client::new(broker.addr());
    let wal = dir.path().join("data").join("wal.jsonl");
    let mut syncs = client.metrics().await.get("wal_fsyncs");
    let lines = || {
        std::fs::read_to_string(&wal)
            .unwrap_or_default()
            .lines()
            .count()
    };
    for i in 0..5 {
        let id = enqueue(&client, json!({ "kind": "k", "payload": i })).await;
        let text = std::fs::read_to_string(&wal).unwrap_or_default();
        let logged = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|r| r["op"] == "enqueue" && r["id"] == id);
        assert!(
            logged,
            "wal: when enqueue answers, DATA_DIR/wal.jsonl holds its {{\"op\":\"enqueue\",\"id\":{id},...}} line; it holds:\n{text}"
        );
        let task = must_lease(&client, "w", 60_000, "lease").await;
        let before = lines();
        complete(&client, id, &task["lease"], json!(i))
            .await
            .expect_status("complete", 200);
        assert!(
            lines() > before,
            "wal: a completion is logged before it is answered"
        );
        let now = client.metrics().await.get("wal_fsyncs");
        assert!(
            now >= syncs + 3.0,
            "wal: an enqueue, a lease and a completion each fsync the log before answering \
             (wal_fsyncs went from {syncs} to {now})"
        );
        syncs = now;
    }
    let lines_before = lines();
    must_not_lease(&client, "a 204 changes nothing").await;
    let key = json!({ "kind": "k", "idempotency_key": "once" });
    client
        .post_json("/tasks", &key)
        .await
        .expect_status("enqueue", 201);
    syncs += 1.0;
    client
        .post_json("/tasks", &key)
        .await
        .expect_status("idempotency: a duplicate answers 200", 200);
    complete(&client, 1, &json!(1), json!(0))
        .await
        .expect_status("a finished task's lease is stale", 409);
    assert_eq!(
        (client.metrics().await.get("wal_fsyncs"), lines()),
        (syncs, lines_before + 1),
        "wal: a request that changes nothing (a 204, a duplicate key, a 409) writes and syncs nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torn_last_record_is_dropped() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let clock = ClockFile::create(dir.path(), T0).unwrap();
    let mut broker = broker_process(dir.path(), &clock, &[]);
    let client = Client::new(broker.addr());
    for i in 0..5 {
        enqueue(&client, json!({ "kind": "before", "payload": i })).await;
    }
    broker.kill9();
    // The crash came in the middle of writing a sixth record.
    let wal = dir.path().join("data").join("wal.jsonl");
    let mut file = std::fs::OpenOptions::new().append(true).open(&wal).unwrap();
    file.write_all(br#"{"op":"enqueue","id":6,"kind":"torn","payl"#)
        .unwrap();
    drop(file);

    broker.restart();
    let client = Client::new(broker.addr());
    for id in 1..=5 {
        expect_field(
            &client,
            id,
            "kind",
            json!("before"),
            "torn record: every complete record before the torn one is recovered",
        )
        .await;
    }
    client.get("/tasks/6").await.expect_status(
        "torn record: a torn record was never acknowledged: task 6 does not exist",
        404,
    );
    let id = enqueue(&client, json!({ "kind": "after" })).await;
    assert_eq!(
        id, 6,
        "torn record: the next id is 6, the torn enqueue never happened"
    );
    broker.kill9();
    broker.restart();
    let client = Client::new(broker.addr());
    expect_field(
        &client,
        6,
        "kind",
        json!("after"),
        "torn record: the torn bytes are cut off at start, so the next record is not glued to them \
         (and lost at the next restart)",
    )
    .await;
}

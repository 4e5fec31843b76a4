//! Stage 3: leases with a visibility timeout. A lease is live while
//! `now < expires_at`; at `expires_at` it has run out and the task is
//! redelivered (attempt 2, a new and larger lease id). A heartbeat moves the
//! expiry to now + visibility_ms. A heartbeat, completion or failure under
//! a lease that is not the task's current, live one answers 409 (fencing):
//! a worker that was presumed dead cannot overwrite the work of the worker
//! that took over. The wrong design this stage rejects: deleting (acking) a
//! task when it is leased, which loses it when its worker dies.

use std::collections::HashSet;

use kit::rng::Rng;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn earlier_stages_still_hold() {
    smoke(Stage::Leases).await;
}

#[tokio::test]
async fn an_expired_lease_is_redelivered() {
    let mut rng = Rng::new(seed(31));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let id = enqueue(&client, json!({ "kind": "k", "payload": rng.next_u64() })).await;
    let visibility = 1_000 + rng.below(100_000);
    let first = must_lease(&client, "w1", visibility, "lease").await;
    broker.advance(visibility - 1);
    must_not_lease(
        &client,
        "leases: one millisecond before expires_at the lease still holds",
    )
    .await;
    broker.advance(1);
    let (answer, second) = lease_exchange(&client, "w2", 5_000).await;
    let second = second.unwrap_or_else(|| {
        answer.fail(
            "leases: at expires_at the lease has run out and the task is redelivered \
             (a broker that deletes a task when it is leased loses it when the worker dies)",
            "204: the task is gone",
        )
    });
    expect_eq(
        &answer,
        "leases: the redelivered task is the same task",
        &second["id"],
        &json!(id),
    );
    expect_eq(
        &answer,
        "leases: a redelivery is attempt 2",
        &second["attempt"],
        &json!(2),
    );
    let (l1, l2) = (
        first["lease"].as_u64().unwrap(),
        second["lease"].as_u64().unwrap(),
    );
    assert!(
        l2 > l1,
        "leases: a later lease has a larger id (the fencing token grows): {l1} then {l2}"
    );
    let answer = client.get(&format!("/tasks/{id}")).await;
    let attempts = &answer.json()["attempts"];
    expect_eq(
        &answer,
        "leases: the run-out attempt's outcome is `expired`",
        &attempts[0]["outcome"],
        &json!("expired"),
    );
    expect_eq(
        &answer,
        "leases: the expired attempt keeps its expiry",
        &attempts[0]["expires_at"],
        &json!(T0 + visibility),
    );
    expect_eq(
        &answer,
        "leases: the new attempt records its worker",
        &attempts[1]["worker"],
        &json!("w2"),
    );
    expect_eq(
        &answer,
        "leases: the new attempt was leased at the expiry",
        &attempts[1]["leased_at"],
        &json!(T0 + visibility),
    );
    expect_eq(
        &answer,
        "leases: an expiry is not a failure",
        &answer.json()["failures"],
        &json!(0),
    );
    assert_eq!(
        client.metrics().await.get("leases_expired"),
        1.0,
        "metrics: leases_expired counts leases that ran out"
    );
}

#[tokio::test]
async fn a_heartbeat_extends_the_lease() {
    let mut rng = Rng::new(seed(32));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let id = enqueue(&client, json!({ "kind": "k" })).await;
    let task = must_lease(&client, "w1", 1_000, "lease").await;
    let mut expires_at = T0 + 1_000;
    for _ in 0..5 {
        // Somewhere strictly inside the live lease.
        broker.advance(rng.below(expires_at - broker.now()));
        let visibility = 1_000 + rng.below(1_000);
        let answer = heartbeat(&client, id, &task["lease"], visibility).await;
        answer.expect_status(
            "heartbeat: a heartbeat under the live lease answers 200",
            200,
        );
        expires_at = broker.now() + visibility;
        expect_eq(
            &answer,
            "heartbeat: the answer is {\"expires_at\": now + visibility_ms}",
            &answer.json(),
            &json!({ "expires_at": expires_at }),
        );
    }
    expect_field(
        &client,
        id,
        "attempts",
        json!([{ "attempt": 1, "lease": task["lease"], "worker": "w1",
        "leased_at": T0, "expires_at": expires_at, "outcome": "running" }]),
        "heartbeat: the attempt shows the expiry the last heartbeat set",
    )
    .await;
    broker.advance(expires_at - broker.now() - 1);
    must_not_lease(
        &client,
        "heartbeat: a heartbeated lease holds until its new expiry",
    )
    .await;
    broker.advance(1);
    heartbeat(&client, id, &task["lease"], 60_000)
        .await
        .expect_status(
            "heartbeat: at expires_at the lease has run out; a late heartbeat answers 409",
            409,
        );
    let again = must_lease(
        &client,
        "w2",
        1_000,
        "heartbeat: a lease that was not heartbeated in time is redelivered",
    )
    .await;
    assert_eq!(again["id"], id);
}

#[tokio::test]
async fn a_completion_under_a_superseded_lease_is_refused() {
    let mut rng = Rng::new(seed(33));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let id = enqueue(&client, json!({ "kind": "k" })).await;
    let slow = must_lease(&client, "slow", 1_000, "lease").await;
    broker.advance(1_000);
    let fresh = must_lease(
        &client,
        "fresh",
        60_000,
        "leases: the expired task is redelivered",
    )
    .await;
    let stale_result = json!({ "by": "slow", "n": rng.next_u64() });
    let answer = complete(&client, id, &slow["lease"], stale_result).await;
    answer
        .expect_status(
            "fencing: a completion from a worker whose lease expired and was re-leased answers 409",
            409,
        )
        .expect_body(
            "fencing: the 409 body is {\"error\":\"stale lease\"}",
            r#"{"error":"stale lease"}"#,
        );
    heartbeat(&client, id, &slow["lease"], 60_000)
        .await
        .expect_status(
            "fencing: a heartbeat under a superseded lease answers 409",
            409,
        );
    fail(&client, id, &slow["lease"], "late")
        .await
        .expect_status(
            "fencing: a failure under a superseded lease answers 409",
            409,
        );
    expect_field(
        &client,
        id,
        "state",
        json!("leased"),
        "fencing: a refused completion changes nothing",
    )
    .await;
    let result = json!({ "by": "fresh", "n": rng.next_u64() });
    complete(&client, id, &fresh["lease"], result.clone())
        .await
        .expect_status("fencing: the current lease completes", 200);
    expect_field(
        &client,
        id,
        "result",
        result,
        "fencing: the result is the current lease holder's",
    )
    .await;
    complete(&client, id, &fresh["lease"], json!("again"))
        .await
        .expect_status(
            "fencing: a finished task has no live lease: a second completion answers 409",
            409,
        );
    let made_up = fresh["lease"].as_u64().unwrap() + 1 + rng.below(1 << 30);
    complete(&client, id, &json!(made_up), json!(0))
        .await
        .expect_status(
            "fencing: a lease id that was never granted answers 409",
            409,
        );
    assert_eq!(
        client.metrics().await.get("stale_refused"),
        5.0,
        "metrics: stale_refused counts every 409"
    );
}

#[tokio::test]
async fn a_run_out_lease_cannot_complete_even_before_redelivery() {
    let broker = Broker::start().await;
    let client = &broker.client;
    let id = enqueue(client, json!({ "kind": "k" })).await;
    let task = must_lease(client, "w1", 1_000, "lease").await;
    broker.advance(1_000);
    complete(client, id, &task["lease"], json!(1))
        .await
        .expect_status(
            "leases: at expires_at the lease is dead even if nobody has re-leased the task yet: 409",
            409,
        );
    expect_field(
        client,
        id,
        "state",
        json!("queued"),
        "leases: a task whose lease ran out is queued again",
    )
    .await;
    expect_field(
        client,
        id,
        "run_at",
        json!(T0 + 1_000),
        "leases: a task whose lease ran out is ready from that expiry (run_at)",
    )
    .await;
    let again = must_lease(client, "w2", 1_000, "leases: and leasable").await;
    assert_eq!(again["attempt"], 2);
}

#[tokio::test]
async fn a_done_task_is_never_redelivered() {
    let broker = Broker::start().await;
    let client = &broker.client;
    let id = enqueue(client, json!({ "kind": "k" })).await;
    let task = must_lease(client, "w1", 1_000, "lease").await;
    complete(client, id, &task["lease"], json!(1))
        .await
        .expect_status("complete", 200);
    broker.advance(1_000_000);
    must_not_lease(
        client,
        "leases: a completed task is not redelivered when its old lease's time passes",
    )
    .await;
    expect_field(
        client,
        id,
        "state",
        json!("done"),
        "leases: a completed task stays done",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_leases_never_share_a_task() {
    let broker = Broker::start().await;
    let client = broker.client.clone();
    for _ in 0..50 {
        enqueue(&client, json!({ "kind": "k" })).await;
    }
    let mut leases = tokio::task::JoinSet::new();
    for i in 0..100 {
        let client = client.clone();
        leases.spawn(async move { lease(&client, &format!("w{i}"), 60_000).await });
    }
    let mut seen = HashSet::new();
    let mut empty = 0;
    while let Some(answer) = leases.join_next().await {
        match answer.expect("a lease task") {
            Some(task) => assert!(
                seen.insert(task["id"].as_u64().unwrap()),
                "leases: task {} was leased to two workers at once: a lease must be one atomic \
                 find-and-mark, not a read then a write",
                task["id"]
            ),
            None => empty += 1,
        }
    }
    assert_eq!(
        seen.len(),
        50,
        "leases: 100 lease requests for 50 tasks lease each task once"
    );
    assert_eq!(empty, 50, "leases: the other 50 requests answer 204");
}

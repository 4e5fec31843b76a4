//! Stage 2: which task a lease hands out. Highest priority first; among
//! equal priorities the earliest `run_at`, then the lowest id. A delayed
//! task is leasable from `run_at` (enqueue time + `delay_ms`) on the
//! broker's injected clock, not a millisecond before, and it never holds up
//! a task that is ready.

use kit::rng::Rng;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn earlier_stages_still_hold() {
    smoke(Stage::Scheduling).await;
}

#[tokio::test]
async fn higher_priority_first_then_fifo() {
    let mut rng = Rng::new(seed(21));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let mut expected = Vec::new();
    for _ in 0..40 {
        let priority = rng.below(5) as u32 * 1_000 + rng.below(2) as u32;
        let id = enqueue(&client, json!({ "kind": "k", "priority": priority })).await;
        expected.push((std::cmp::Reverse(priority), id));
    }
    expected.sort();
    for (std::cmp::Reverse(priority), id) in expected {
        let (answer, task) = lease_exchange(&client, "w", 60_000).await;
        let task =
            task.unwrap_or_else(|| answer.fail("scheduling: every queued task is leased", "204"));
        expect_eq(
            &answer,
            &format!(
                "scheduling: highest priority first, and among equal priorities the oldest \
                 (next expected: task {id}, priority {priority})"
            ),
            &task["id"],
            &json!(id),
        );
    }
}

#[tokio::test]
async fn a_delayed_task_waits_for_run_at_on_the_injected_clock() {
    let mut rng = Rng::new(seed(22));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    broker.advance(rng.below(10_000));
    let delay = 1_000 + rng.below(1_000_000);
    let enqueued_at = broker.now();
    let id = enqueue(&client, json!({ "kind": "k", "delay_ms": delay })).await;
    expect_field(
        &client,
        id,
        "run_at",
        json!(enqueued_at + delay),
        "delay: run_at is enqueue time + delay_ms, on the broker's clock",
    )
    .await;
    broker.advance(delay - 1);
    must_not_lease(
        &client,
        "delay: one millisecond before run_at the task is not leasable",
    )
    .await;
    broker.advance(1);
    let task = must_lease(&client, "w", 1_000, "delay: at run_at the task is leasable (the broker's injected clock decides, not the wall clock)").await;
    assert_eq!(task["id"], id, "delay: the delayed task is the one leased");
}

#[tokio::test]
async fn a_delayed_task_does_not_hold_up_a_ready_one() {
    let broker = Broker::start().await;
    let client = &broker.client;
    let later = enqueue(
        client,
        json!({ "kind": "k", "priority": 9, "delay_ms": 5_000 }),
    )
    .await;
    let now = enqueue(client, json!({ "kind": "k", "priority": 0 })).await;
    let task = must_lease(
        client,
        "w",
        60_000,
        "delay: a ready task is leased while a higher-priority one is still delayed",
    )
    .await;
    assert_eq!(
        task["id"], now,
        "delay: priority orders only the tasks whose run_at has come"
    );
    must_not_lease(client, "delay: the delayed task is still waiting").await;
    broker.advance(5_000);
    let task = must_lease(
        client,
        "w",
        60_000,
        "delay: the delayed task is leasable at run_at",
    )
    .await;
    assert_eq!(task["id"], later);
}

#[tokio::test]
async fn equal_priority_goes_by_run_at_then_id() {
    let broker = Broker::start().await;
    let client = &broker.client;
    // Enqueued in this order; ready in the order b, c, a once 500 ms passed.
    let a = enqueue(client, json!({ "kind": "k", "delay_ms": 500 })).await;
    let b = enqueue(client, json!({ "kind": "k", "delay_ms": 100 })).await;
    let c = enqueue(client, json!({ "kind": "k", "delay_ms": 100 })).await;
    broker.advance(500);
    for expected in [b, c, a] {
        let task = must_lease(client, "w", 60_000, "scheduling: all three are ready").await;
        assert_eq!(
            task["id"], expected,
            "scheduling: among equal priorities the earliest run_at goes first, then the lowest id \
             (ready order b={b}, c={c}, a={a}); ordering by id alone runs a task that became ready later first"
        );
    }
}

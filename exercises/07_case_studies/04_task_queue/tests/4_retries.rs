//! Stage 4: retries. A failure under the live lease requeues the task with
//! exponential backoff and seeded "equal jitter", exactly as the formula in
//! `task_queue::backoff` says, until it has failed more than `max_retries`
//! times; that failure moves it to the dead-letter queue, which it never
//! leaves. Wrong designs rejected: retrying at once, backoff without jitter
//! (every task that failed together retries together), no cap, retrying
//! forever, an off-by-one in the retry budget, and a lease expiry counted as
//! a failure.

use std::collections::HashSet;

use kit::rng::Rng;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn earlier_stages_still_hold() {
    smoke(Stage::Retries).await;
}

#[tokio::test]
async fn a_failure_backs_off_by_the_formula() {
    let mut rng = Rng::new(seed(41));
    let seed = rng.next_u64();
    let (base, max) = (100 + rng.below(1_000), 20_000);
    let broker = Broker::start_with(|c| {
        c.seed = seed;
        c.backoff_base_ms = base;
        c.backoff_max_ms = max;
    })
    .await;
    let client = broker.client.clone().with_seed(rng.seed());
    broker.advance(rng.below(1_000_000));
    let retries = 8;
    let id = enqueue(&client, json!({ "kind": "k", "max_retries": retries })).await;
    for failures in 1..=retries {
        let task = must_lease(
            &client,
            "w",
            60_000,
            "retries: a task waiting for its retry is leasable at run_at",
        )
        .await;
        assert_eq!(task["id"], id);
        assert_eq!(
            task["attempt"],
            json!(failures),
            "retries: each retry is a new attempt"
        );
        broker.advance(rng.below(1_000));
        let error = format!("error {}", rng.below(1 << 30));
        let answer = fail(&client, id, &task["lease"], &error).await;
        answer.expect_status("retries: a failure under the live lease answers 200", 200);
        let delay = backoff_ms(seed, id, failures, base, max);
        expect_eq(
            &answer,
            &format!(
                "retries: failure {failures} answers {{\"state\":\"queued\",\"run_at\": now + backoff}} with \
                 backoff = {delay} ms by the documented formula (base {base}, cap {max}, seed {seed})"
            ),
            &answer.json(),
            &json!({ "state": "queued", "run_at": broker.now() + delay }),
        );
        let shown = status(&client, id).await;
        assert_eq!(
            shown["failures"],
            json!(failures),
            "retries: status counts the failures"
        );
        assert_eq!(
            shown["error"],
            json!(error),
            "retries: status shows the last failure's error"
        );
        assert_eq!(
            shown["attempts"][failures as usize - 1]["outcome"],
            "failed",
            "retries: the attempt's outcome is `failed`"
        );
        broker.advance(delay - 1);
        must_not_lease(
            &client,
            "retries: a failed task is not leasable before its backoff has passed",
        )
        .await;
        broker.advance(1);
    }
}

#[tokio::test]
async fn jitter_spreads_tasks_that_failed_together() {
    let seed_value = seed(42);
    let broker = Broker::start_with(|c| {
        c.seed = seed_value;
        c.backoff_base_ms = 10_000;
    })
    .await;
    let client = &broker.client;
    for _ in 0..30 {
        enqueue(client, json!({ "kind": "k" })).await;
    }
    let mut run_ats = HashSet::new();
    for _ in 0..30 {
        let task = must_lease(client, "w", 60_000, "lease").await;
        let id = task["id"].as_u64().unwrap();
        let answer = fail(client, id, &task["lease"], "the database is down").await;
        let run_at = answer.json()["run_at"].as_u64().unwrap();
        let delay = run_at - broker.now();
        assert!(
            (5_000..=10_000).contains(&delay),
            "retries: the first backoff lies in [base/2, base] = [5000, 10000] ms; task {id} got {delay}"
        );
        assert_eq!(
            delay,
            backoff_ms(seed_value, id, 1, 10_000, 60_000),
            "retries: task {id}'s jitter is the documented seeded draw"
        );
        run_ats.insert(run_at);
    }
    assert!(
        run_ats.len() >= 20,
        "retries: 30 tasks that failed at the same instant must not retry together (a thundering herd); \
         jitter gave only {} distinct retry times",
        run_ats.len()
    );
}

#[tokio::test]
async fn the_backoff_is_capped() {
    let broker = Broker::start_with(|c| {
        c.backoff_base_ms = 1_000;
        c.backoff_max_ms = 3_000;
    })
    .await;
    let client = &broker.client;
    let id = enqueue(client, json!({ "kind": "k", "max_retries": 70 })).await;
    for failures in 1..=70 {
        let task = must_lease(client, "w", 60_000, "lease").await;
        let run_at = fail(client, id, &task["lease"], "x").await.json()["run_at"]
            .as_u64()
            .unwrap();
        let delay = run_at - broker.now();
        assert!(
            delay <= 3_000 && delay == backoff_ms(0, id, failures, 1_000, 3_000),
            "retries: failure {failures}'s backoff is capped at --backoff-max-ms 3000 (and never overflows); got {delay}"
        );
        broker.advance(delay);
    }
}

#[tokio::test]
async fn the_failure_after_max_retries_dead_letters() {
    let mut rng = Rng::new(seed(43));
    let broker = Broker::start_with(|c| c.max_retries = 2).await;
    let client = broker.client.clone().with_seed(rng.seed());
    let kept = enqueue(&client, json!({ "kind": "k", "priority": 0 })).await;
    let id = enqueue(&client, json!({ "kind": "poison", "priority": 1 })).await;
    let error = format!("poison {}", rng.next_u64());
    for failures in 1..=3 {
        let task = must_lease(
            &client,
            "w",
            60_000,
            "retries: the task is leasable again after its backoff",
        )
        .await;
        assert_eq!(task["id"], id);
        let answer = fail(&client, id, &task["lease"], &error).await;
        let expected = if failures <= 2 { "queued" } else { "dead" };
        expect_eq(
            &answer,
            &format!(
                "retries: with max_retries 2 (the broker's default here), failure {failures} leaves the task {expected}"
            ),
            &answer.json()["state"],
            &json!(expected),
        );
        if failures <= 2 {
            broker.advance(60_000);
        }
    }
    let answer = client.get("/dead-letter").await;
    answer.expect_status("dead letters: GET /dead-letter answers 200", 200);
    expect_eq(
        &answer,
        "dead letters: the list shows each dead task's id, kind, failures and last error",
        &answer.json(),
        &json!({ "tasks": [{ "id": id, "kind": "poison", "failures": 3, "error": error }] }),
    );
    expect_field(
        &client,
        id,
        "state",
        json!("dead"),
        "dead letters: status shows `dead`",
    )
    .await;
    broker.advance(10_000_000);
    let task = must_lease(&client, "w", 60_000, "lease").await;
    assert_eq!(
        task["id"], kept,
        "dead letters: a dead task is never leased again; the other task is"
    );
    must_not_lease(&client, "dead letters: a dead task is never leased again").await;
    let metrics = client.metrics().await;
    assert_eq!(
        metrics.get("tasks_failed"),
        3.0,
        "metrics: tasks_failed counts accepted failures"
    );
    assert_eq!(
        metrics.get("tasks_dead"),
        1.0,
        "metrics: tasks_dead counts dead-lettered tasks"
    );
}

#[tokio::test]
async fn max_retries_zero_means_no_retry() {
    let broker = Broker::start().await;
    let client = &broker.client;
    let id = enqueue(client, json!({ "kind": "k", "max_retries": 0 })).await;
    let task = must_lease(client, "w", 60_000, "lease").await;
    let answer = fail(client, id, &task["lease"], "x").await;
    expect_eq(
        &answer,
        "retries: max_retries 0 dead-letters the first failure",
        &answer.json()["state"],
        &json!("dead"),
    );
    let older = enqueue(client, json!({ "kind": "older", "max_retries": 0 })).await;
    let task = must_lease(client, "w", 60_000, "lease").await;
    fail(client, older, &task["lease"], "y")
        .await
        .expect_status("fail", 200);
    let listed: Vec<_> = client.get("/dead-letter").await.json()["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(
        listed,
        [json!(id), json!(older)],
        "dead letters: the list is in id order"
    );
    let default = enqueue(client, json!({ "kind": "k" })).await;
    expect_field(
        client,
        default,
        "max_retries",
        json!(3),
        "retries: the default budget is the broker's --max-retries (3)",
    )
    .await;
}

#[tokio::test]
async fn an_expired_lease_is_not_a_failure() {
    let broker = Broker::start_with(|c| c.max_retries = 0).await;
    let client = &broker.client;
    let id = enqueue(client, json!({ "kind": "k" })).await;
    for _ in 0..3 {
        must_lease(
            client,
            "w",
            1_000,
            "retries: a task whose lease expired is redelivered, whatever max_retries says",
        )
        .await;
        broker.advance(1_000);
    }
    let shown = status(client, id).await;
    assert_eq!(
        shown["failures"], 0,
        "retries: a lease that ran out is not a failure (the worker said nothing about the task)"
    );
    assert_eq!(shown["state"], "queued");
}

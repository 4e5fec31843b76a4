//! Stage 1: the broker's core API on a frozen clock: enqueue answers 201
//! with an id, a lease hands the task out (204 when nothing is leasable), a
//! completion stores the result, status shows it all, unknown ids are 404,
//! and an idempotency key collapses duplicate enqueues.

use kit::rng::Rng;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn an_enqueued_task_is_shown_as_queued() {
    let mut rng = Rng::new(seed(11));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let mut ids = Vec::new();
    for _ in 0..5 {
        let n = rng.next_u64();
        let kind = format!("kind-{}", rng.below(1_000_000));
        let id = enqueue(&client, json!({ "kind": kind, "payload": { "n": n } })).await;
        let answer = client.get(&format!("/tasks/{id}")).await;
        answer.expect_status("status: GET /tasks/{id} answers 200", 200);
        let task = answer.json();
        let expected = json!({
            "id": id, "kind": kind, "payload": { "n": n }, "priority": 0, "max_retries": 3,
            "idempotency_key": null, "state": "queued", "run_at": T0, "failures": 0,
            "result": null, "error": null, "attempts": [],
        });
        expect_eq(
            &answer,
            "status: a new task is queued with its kind, payload and the defaults \
             (priority 0, max_retries 3, run_at = now)",
            &task,
            &expected,
        );
        ids.push(id);
    }
    assert_eq!(
        ids,
        (ids[0]..ids[0] + 5).collect::<Vec<_>>(),
        "enqueue: ids are 1, 2, 3... in enqueue order"
    );
    assert_eq!(ids[0], 1, "enqueue: the first id is 1");
}

#[tokio::test]
async fn a_lease_hands_out_the_task_once() {
    let mut rng = Rng::new(seed(12));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    must_not_lease(&client, "lease: an empty queue answers 204 No Content").await;
    let n = rng.next_u64();
    let id = enqueue(&client, json!({ "kind": "compute", "payload": { "n": n } })).await;
    let visibility = 1_000 + rng.below(100_000);
    let (answer, task) = lease_exchange(&client, "w-7", visibility).await;
    let Some(task) = task else {
        answer.fail("lease: a queued task is leased", "204");
    };
    let lease = task["lease"].clone();
    if !lease.is_u64() {
        answer.fail(
            "lease: the answer has a whole-number lease id",
            "no `lease`",
        );
    }
    expect_eq(
        &answer,
        "lease: the answer is the task, its attempt number, its lease id and expiry (now + visibility_ms)",
        &task,
        &json!({ "id": id, "kind": "compute", "payload": { "n": n }, "attempt": 1,
                 "lease": lease, "expires_at": T0 + visibility }),
    );
    must_not_lease(
        &client,
        "lease: a leased task is not handed out again while its lease runs",
    )
    .await;
    let answer = client.get(&format!("/tasks/{id}")).await;
    let shown = answer.json();
    expect_eq(
        &answer,
        "status: a leased task is `leased`",
        &shown["state"],
        &json!("leased"),
    );
    expect_eq(
        &answer,
        "status: the attempt records the worker, the lease and its times",
        &shown["attempts"],
        &json!([{ "attempt": 1, "lease": lease, "worker": "w-7", "leased_at": T0,
                  "expires_at": T0 + visibility, "outcome": "running" }]),
    );
}

#[tokio::test]
async fn the_default_visibility_is_the_configured_one() {
    let broker = Broker::start_with(|c| c.visibility_ms = 4_321).await;
    let client = &broker.client;
    enqueue(client, json!({ "kind": "k" })).await;
    let answer = client.post_json("/lease", &json!({ "worker": "w" })).await;
    answer.expect_status("lease: a queued task is leased", 200);
    expect_eq(
        &answer,
        "lease: without visibility_ms a lease lasts the broker's --visibility-ms",
        &answer.json()["expires_at"],
        &json!(T0 + 4_321),
    );
}

#[tokio::test]
async fn a_completion_stores_the_result() {
    let mut rng = Rng::new(seed(13));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let id = enqueue(&client, json!({ "kind": "compute", "payload": 5 })).await;
    let task = must_lease(&client, "w1", 60_000, "lease: a queued task is leased").await;
    let result = json!({ "steps": rng.next_u64(), "note": format!("r{}", rng.below(1 << 30)) });
    let answer = complete(&client, id, &task["lease"], result.clone()).await;
    answer
        .expect_status(
            "complete: a completion under the current lease answers 200",
            200,
        )
        .expect_body(
            "complete: the answer is {\"state\":\"done\"}",
            r#"{"state":"done"}"#,
        );
    let answer = client.get(&format!("/tasks/{id}")).await;
    let shown = answer.json();
    expect_eq(
        &answer,
        "status: a completed task is `done`",
        &shown["state"],
        &json!("done"),
    );
    expect_eq(
        &answer,
        "status: a done task shows the worker's result",
        &shown["result"],
        &result,
    );
    expect_eq(
        &answer,
        "status: the completing attempt's outcome is `completed`",
        &shown["attempts"][0]["outcome"],
        &json!("completed"),
    );
    must_not_lease(&client, "lease: a done task is never leased again").await;
}

#[tokio::test]
async fn unknown_tasks_are_404() {
    let mut rng = Rng::new(seed(14));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    enqueue(&client, json!({ "kind": "k" })).await;
    let id = 1_000 + rng.below(1 << 40);
    client
        .get(&format!("/tasks/{id}"))
        .await
        .expect_status("status: an unknown id answers 404", 404)
        .expect_body(
            "status: the 404 body is {\"error\":\"no such task\"}",
            r#"{"error":"no such task"}"#,
        );
    for route in ["complete", "fail", "heartbeat"] {
        client
            .post_json(&format!("/tasks/{id}/{route}"), &json!({ "lease": 1 }))
            .await
            .expect_status("an unknown task id answers 404 on every route", 404);
    }
}

#[tokio::test]
async fn an_idempotency_key_collapses_duplicate_enqueues() {
    let mut rng = Rng::new(seed(15));
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let key = format!("order-{}", rng.next_u64());
    let first = enqueue(
        &client,
        json!({ "kind": "k", "payload": 1, "idempotency_key": key }),
    )
    .await;
    for payload in [1, 2] {
        let again = client
            .post_json(
                "/tasks",
                &json!({ "kind": "k", "payload": payload, "idempotency_key": key }),
            )
            .await;
        again.expect_status(
            "idempotency: a duplicate key answers 200 (not 201): nothing new was created",
            200,
        );
        expect_eq(
            &again,
            "idempotency: a duplicate key answers the first task's id",
            &again.json()["id"],
            &json!(first),
        );
    }
    expect_field(
        &client,
        first,
        "payload",
        json!(1),
        "idempotency: the first enqueue's payload stands",
    )
    .await;
    let other = enqueue(
        &client,
        json!({ "kind": "k", "idempotency_key": format!("{key}-b") }),
    )
    .await;
    assert_ne!(
        other, first,
        "idempotency: a different key is a different task"
    );
    let metrics = client.metrics().await;
    assert_eq!(
        metrics.get("tasks_enqueued"),
        2.0,
        "metrics: tasks_enqueued counts new tasks, not duplicates"
    );
    assert_eq!(
        metrics.get("tasks_queued"),
        2.0,
        "metrics: tasks_queued is the number of queued tasks"
    );
    let task = must_lease(&client, "w", 1_000, "lease").await;
    must_lease(
        &client,
        "w",
        1_000,
        "idempotency: two keys, two tasks to lease",
    )
    .await;
    must_not_lease(
        &client,
        "idempotency: a duplicate enqueue adds no task to lease",
    )
    .await;
    let id = task["id"].as_u64().unwrap();
    complete(&client, id, &task["lease"], json!(0))
        .await
        .expect_status("complete", 200);
    let metrics = client.metrics().await;
    for (name, value) in [
        ("leases_granted", 2.0),
        ("tasks_completed", 1.0),
        ("tasks_leased", 1.0),
        ("tasks_queued", 0.0),
    ] {
        assert_eq!(
            metrics.get(name),
            value,
            "metrics: `{name}` after 2 leases and 1 completion"
        );
    }
}

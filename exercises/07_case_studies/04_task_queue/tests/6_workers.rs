//! Stage 6: worker processes, graded the way MIT 6.824 grades MapReduce.
//! With no crashes, 200 `count` tasks run on 4 worker processes exactly once
//! each (the tasks append their ids to one file: the test counts lines, and
//! the broker granted exactly 200 leases). `overlap` tasks prove that tasks
//! run at the same time: on one worker with `--concurrency 2`, and on two
//! workers. Wrong designs rejected: a worker that runs its slots one after
//! another, a worker that reports before it runs, a broker that serialises
//! leases until a completion.

use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn earlier_stages_still_hold() {
    smoke(Stage::Workers).await;
}

fn lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_of_200_tasks_runs_exactly_once() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = &broker.client;
    let workers: Vec<_> = (0..4)
        .map(|i| worker_process(client, dir.path(), &format!("w{i}"), 1))
        .collect();
    let mut ids = Vec::new();
    for _ in 0..200 {
        ids.push(
            enqueue(
                client,
                json!({ "kind": "count", "payload": { "file": "counts" } }),
            )
            .await,
        );
    }
    wait_for_metric(client, "tasks_completed", 200.0).await;
    for &id in &ids {
        let shown = status(client, id).await;
        assert_eq!(shown["state"], "done", "workers: every task is done");
        assert_eq!(
            shown["result"],
            json!({ "counted": id }),
            "workers: the result is what the worker's `count` answered"
        );
    }
    let mut counted: Vec<u64> = lines(&dir.path().join("counts"))
        .iter()
        .map(|l| l.parse().expect("a counts line is an id"))
        .collect();
    counted.sort_unstable();
    let runs = counted.len();
    counted.dedup();
    assert_eq!(
        (runs, counted.len()),
        (200, 200),
        "workers: with no crash and no lease running out, each of the 200 tasks runs exactly once \
         ({runs} executions of {} distinct tasks)",
        counted.len()
    );
    let metrics = client.metrics().await;
    assert_eq!(
        metrics.get("leases_granted"),
        200.0,
        "workers: 200 tasks, no crash: exactly 200 leases (no redelivery)"
    );
    // A worker counts a completion when the broker's 200 reaches it, a
    // moment after the broker counted it.
    let clients: Vec<_> = workers
        .iter()
        .map(|w| service_kit::Client::new(w.addr()))
        .collect();
    service_kit::eventually(
        "the workers' /metrics tasks_started and tasks_completed to add up to 200",
        || async {
            let (mut started, mut completed) = (0.0, 0.0);
            for client in &clients {
                let m = client.metrics().await;
                started += m.get("tasks_started");
                completed += m.get("tasks_completed");
            }
            assert!(
                started <= 200.0,
                "workers: 200 tasks, no crash: the workers started {started} runs"
            );
            (started == 200.0 && completed == 200.0).then_some(())
        },
    )
    .await;
}

async fn overlap_run(workers: &[(usize, &str)], tasks: u64) -> Vec<String> {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = &broker.client;
    let _workers: Vec<_> = workers
        .iter()
        .map(|&(concurrency, id)| worker_process(client, dir.path(), id, concurrency))
        .collect();
    let mut ids = Vec::new();
    for _ in 0..tasks {
        let payload = json!({ "file": "overlap", "peers": tasks, "wait_ms": 4_000 });
        ids.push(enqueue(client, json!({ "kind": "overlap", "payload": payload })).await);
    }
    wait_for_metric(client, "tasks_completed", tasks as f64).await;
    for id in ids {
        let shown = status(client, id).await;
        assert_eq!(
            shown["result"],
            json!({ "peers_seen": tasks }),
            "overlap: each task saw all {tasks} started before it ended (it waited at most 4 s for them): \
             the tasks ran at the same time"
        );
    }
    lines(&dir.path().join("overlap"))
}

fn assert_overlapped(log: &[String], tasks: usize) {
    let first_end = log
        .iter()
        .position(|l| l.starts_with("end"))
        .unwrap_or(log.len());
    assert!(
        first_end >= tasks,
        "overlap: all {tasks} tasks started before the first ended, or they did not run at once:\n{}",
        log.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_worker_runs_its_slots_at_once() {
    let log = overlap_run(&[(2, "solo")], 2).await;
    assert_overlapped(&log, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_run_at_once() {
    let log = overlap_run(&[(1, "a"), (1, "b")], 2).await;
    assert_overlapped(&log, 2);
}

/// Waits until a worker's `/metrics` reports `name` == `value`.
async fn wait_for_worker_metric(worker: &service_kit::Service, name: &str, value: f64) {
    let client = service_kit::Client::new(worker.addr());
    service_kit::eventually(
        &format!("workers: the worker's /metrics {name} to be {value}"),
        || async { (client.metrics().await.get(name) == value).then_some(()) },
    )
    .await;
}

/// Task `id`'s status, once `check` accepts it. `id`, once `check` accepts it.
async fn wait_for_task(
    client: &service_kit::Client,
    id: u64,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    service_kit::eventually(what, || async {
        let shown = status(client, id).await;
        check(&shown).then_some(shown)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_long_task_leased() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = &broker.client;
    let worker = worker_process(client, dir.path(), "w", 1);
    let id = enqueue(
        client,
        json!({ "kind": "hold", "payload": { "gate": "gate" } }),
    )
    .await;
    wait_for_task(client, id, "the hold task to be leased", |t| {
        t["state"] == "leased"
    })
    .await;
    // The worker asks for 10 s leases; move the broker's clock in 6 s steps
    // and wait each time for a heartbeat to move the expiry past the step.
    for _ in 0..3 {
        broker.advance(6_000);
        let now = broker.now();
        wait_for_task(
            client,
            id,
            "a heartbeat after the clock moved (expires_at = now + 10000)",
            |t| t["attempts"][0]["expires_at"].as_u64() == Some(now + 10_000),
        )
        .await;
    }
    std::fs::write(dir.path().join("gate"), b"open").unwrap();
    let done = wait_for_task(client, id, "the hold task to finish", |t| {
        t["state"] == "done"
    })
    .await;
    assert_eq!(
        done["attempts"].as_array().unwrap().len(),
        1,
        "workers: a task that runs for 18 s of broker time on 10 s leases is never redelivered while \
         its worker heartbeats: {done}"
    );
    wait_for_worker_metric(&worker, "tasks_completed", 1.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_lost_its_lease_drops_the_task() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = &broker.client;
    let worker = worker_process(client, dir.path(), "w", 1);
    let id = enqueue(
        client,
        json!({ "kind": "hold", "payload": { "gate": "gate" } }),
    )
    .await;
    wait_for_task(client, id, "the hold task to be leased", |t| {
        t["state"] == "leased"
    })
    .await;
    broker.advance(10_000);
    // The one slot is still blocked in the hold unless the worker gave the
    // task up when its heartbeat answered 409.
    wait_for_task(
        client,
        id,
        "the worker to drop the task whose lease ran out (heartbeat 409) and lease it again",
        |t| t["attempts"].as_array().is_some_and(|a| a.len() == 2) && t["state"] == "leased",
    )
    .await;
    let metrics = service_kit::Client::new(worker.addr()).metrics().await;
    assert_eq!(
        metrics.get("tasks_abandoned"),
        1.0,
        "workers: /metrics tasks_abandoned counts tasks dropped for a lost lease"
    );
    std::fs::write(dir.path().join("gate"), b"open").unwrap();
    wait_for_task(client, id, "the hold task to finish", |t| {
        t["state"] == "done"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_completion_is_counted_abandoned() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = &broker.client;
    // Heartbeats an hour apart: the lease runs out unnoticed.
    let worker = worker_heartbeating(client, dir.path(), "w", 1, 3_600_000);
    let id = enqueue(
        client,
        json!({ "kind": "hold", "payload": { "gate": "gate" } }),
    )
    .await;
    wait_for_task(client, id, "the hold task to be leased", |t| {
        t["state"] == "leased"
    })
    .await;
    broker.advance(10_000);
    std::fs::write(dir.path().join("gate"), b"open").unwrap();
    wait_for_worker_metric(&worker, "tasks_abandoned", 1.0).await;
    let done = wait_for_task(client, id, "the task to be redelivered and done", |t| {
        t["state"] == "done"
    })
    .await;
    let outcomes: Vec<_> = done["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].clone())
        .collect();
    assert_eq!(
        outcomes,
        [json!("expired"), json!("completed")],
        "workers: the completion under the run-out lease was refused (409, counted tasks_abandoned), \
         and the redelivered attempt completed"
    );
    wait_for_worker_metric(&worker, "tasks_completed", 1.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_errs_is_reported_failed() {
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = &broker.client;
    let worker = worker_process(client, dir.path(), "w", 1);
    let id = enqueue(client, json!({ "kind": "no-such-kind", "max_retries": 0 })).await;
    let dead = wait_for_task(client, id, "the task to be reported failed", |t| {
        t["state"] == "dead"
    })
    .await;
    assert_eq!(
        dead["error"], "unknown task kind `no-such-kind`",
        "workers: a kind's error is reported with POST /tasks/{{id}}/fail and its message"
    );
    wait_for_worker_metric(&worker, "tasks_failed", 1.0).await;
}

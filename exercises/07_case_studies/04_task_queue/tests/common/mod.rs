//! What the stages share: a broker in the test process on a manual clock or
//! as a child process on a clock file, worker processes, JSON helpers that
//! fail with a transcript, the backoff formula and the Collatz reference
//! recomputed here, and the smoke checks later stages start with.

#![allow(dead_code)] // each stage uses part of it

use std::path::Path;
use std::sync::Arc;

use kit::clock::ManualClock;
use kit::rng::Rng;
use serde_json::{Value, json};
use service_kit::{Client, ClockFile, Exchange, InProcess, Service};
use task_queue::Config;

/// The broker's time when a test starts (Unix ms): far from zero, so an
/// implementation that confuses "now" with "since start" is caught.
pub const T0: u64 = 1_700_000_000_000;

/// The seed of a test: `SDKATA_SEED` if set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("SDKATA_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A broker running in the test process, in memory, on a manual clock.
pub struct Broker {
    pub service: InProcess<std::io::Result<()>>,
    pub client: Client,
    pub clock: ManualClock,
}

impl Broker {
    /// With the default [`Config`].
    pub async fn start() -> Broker {
        Broker::start_with(|_| {}).await
    }

    /// With the default [`Config`] changed by `tune`.
    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Broker {
        let clock = ManualClock::new(T0);
        let mut config = Config::new(Arc::new(clock.clone()));
        tune(&mut config);
        let service =
            InProcess::start(|listener, shutdown| task_queue::run(listener, config, shutdown))
                .await;
        let client = service.client();
        Broker {
            service,
            client,
            clock,
        }
    }

    /// The broker's time now (Unix ms).
    pub fn now(&self) -> u64 {
        kit::clock::Clock::unix_millis(&self.clock)
    }

    /// Moves the broker's clock forward.
    pub fn advance(&self, ms: u64) {
        self.clock.advance_millis(ms);
    }
}

/// `POST /tasks`, expecting 201 and `{"id": N}`; returns N.
pub async fn enqueue(client: &Client, body: Value) -> u64 {
    let answer = client.post_json("/tasks", &body).await;
    answer.expect_status("enqueue: a new task answers 201 Created", 201);
    id_of(&answer)
}

/// The `id` of an enqueue answer.
pub fn id_of(answer: &Exchange) -> u64 {
    answer.json()["id"].as_u64().unwrap_or_else(|| {
        answer.fail(
            "enqueue: the answer is {\"id\": N}",
            "no whole-number `id` field",
        )
    })
}

/// `POST /lease` for `worker` with a visibility timeout; `None` on 204.
pub async fn lease(client: &Client, worker: &str, visibility_ms: u64) -> Option<Value> {
    lease_exchange(client, worker, visibility_ms).await.1
}

/// `POST /lease`, with the exchange for transcripts.
pub async fn lease_exchange(
    client: &Client,
    worker: &str,
    visibility_ms: u64,
) -> (Exchange, Option<Value>) {
    let answer = client
        .post_json(
            "/lease",
            &json!({ "worker": worker, "visibility_ms": visibility_ms }),
        )
        .await;
    match answer.status {
        204 => (answer, None),
        200 => {
            let body = answer.json();
            (answer, Some(body))
        }
        other => answer.fail(
            "lease: POST /lease answers 200 with a task or 204 when none is leasable",
            format!("status {other}"),
        ),
    }
}

/// A lease that must be granted.
pub async fn must_lease(client: &Client, worker: &str, visibility_ms: u64, why: &str) -> Value {
    match lease_exchange(client, worker, visibility_ms).await {
        (_, Some(task)) => task,
        (answer, None) => answer.fail(why, "204 No Content: no task was leased"),
    }
}

/// A lease that must find nothing.
pub async fn must_not_lease(client: &Client, why: &str) {
    if let (answer, Some(task)) = lease_exchange(client, "w-nothing", 1_000).await {
        answer.fail(why, format!("task {} was leased", task["id"]));
    }
}

/// `GET /tasks/{id}`, expecting 200; the task's JSON.
pub async fn status(client: &Client, id: u64) -> Value {
    let answer = client.get(&format!("/tasks/{id}")).await;
    answer.expect_status(
        "status: GET /tasks/{id} of an enqueued task answers 200",
        200,
    );
    answer.json()
}

/// `POST /tasks/{id}/complete`.
pub async fn complete(client: &Client, id: u64, lease: &Value, result: Value) -> Exchange {
    client
        .post_json(
            &format!("/tasks/{id}/complete"),
            &json!({ "lease": lease, "result": result }),
        )
        .await
}

/// `POST /tasks/{id}/fail`.
pub async fn fail(client: &Client, id: u64, lease: &Value, error: &str) -> Exchange {
    client
        .post_json(
            &format!("/tasks/{id}/fail"),
            &json!({ "lease": lease, "error": error }),
        )
        .await
}

/// `POST /tasks/{id}/heartbeat`.
pub async fn heartbeat(client: &Client, id: u64, lease: &Value, visibility_ms: u64) -> Exchange {
    client
        .post_json(
            &format!("/tasks/{id}/heartbeat"),
            &json!({ "lease": lease, "visibility_ms": visibility_ms }),
        )
        .await
}

/// Fails with `answer`'s transcript unless `actual == expected`.
pub fn expect_eq(answer: &Exchange, rule: &str, actual: &Value, expected: &Value) {
    if actual != expected {
        answer.fail(rule, format!("expected {expected}, received {actual}"));
    }
}

/// `GET /tasks/{id}` and check one field.
pub async fn expect_field(client: &Client, id: u64, field: &str, expected: Value, rule: &str) {
    let answer = client.get(&format!("/tasks/{id}")).await;
    answer.expect_status(rule, 200);
    expect_eq(&answer, rule, &answer.json()[field], &expected);
}

/// The documented backoff, recomputed: the delay before retry `failures`
/// of task `id`.
pub fn backoff_ms(seed: u64, id: u64, failures: u32, base_ms: u64, max_ms: u64) -> u64 {
    let ceiling = match 2_u64.checked_pow(failures - 1) {
        Some(factor) => base_ms.saturating_mul(factor).min(max_ms),
        None => max_ms,
    };
    let half = ceiling / 2;
    half + Rng::new(seed)
        .stream(&format!("backoff/{id}/{failures}"))
        .below(ceiling - half + 1)
}

/// The `compute` kind's answer, computed here, sequentially.
pub fn collatz(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 && n != 0 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

/// The broker binary as a child process on `dir`, its clock in `dir/clock`.
pub fn broker_process(dir: &Path, clock: &ClockFile, extra: &[&str]) -> Service {
    Service::builder(env!("CARGO_BIN_EXE_task_queue"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--clock-file")
        .arg(clock.path())
        .args(extra)
        .start()
}

/// A worker process of the broker at `broker`, its files in `dir`.
pub fn worker_process(broker: &Client, dir: &Path, id: &str, concurrency: usize) -> Service {
    worker_heartbeating(broker, dir, id, concurrency, 20)
}

/// A worker process that heartbeats every `heartbeat_ms` of real time.
pub fn worker_heartbeating(
    broker: &Client,
    dir: &Path,
    id: &str,
    concurrency: usize,
    heartbeat_ms: u64,
) -> Service {
    Service::builder(env!("CARGO_BIN_EXE_worker"))
        .arg("--broker")
        .arg(broker.addr().to_string())
        .arg("--data-dir")
        .arg(dir)
        .arg("--id")
        .arg(id)
        .arg("--concurrency")
        .arg(concurrency.to_string())
        .args(["--visibility-ms", "10000", "--poll-ms", "2"])
        .arg("--heartbeat-ms")
        .arg(heartbeat_ms.to_string())
        .start()
}

/// Waits until the broker's `/metrics` reports `name` at least `at_least`.
pub async fn wait_for_metric(client: &Client, name: &str, at_least: f64) {
    service_kit::eventually(&format!("/metrics {name} >= {at_least}"), || async {
        (client.metrics().await.get(name) >= at_least).then_some(())
    })
    .await;
}

/// The stages in order, for [`smoke`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Basics = 1,
    Scheduling,
    Leases,
    Retries,
    Durability,
    Workers,
    Crashes,
}

/// The core of every stage before `stage`, quickly, on a fresh broker: a
/// later stage must not pass by breaking an earlier one.
pub async fn smoke(stage: Stage) {
    let broker = Broker::start_with(|c| {
        c.max_retries = 0;
    })
    .await;
    let client = &broker.client;
    if stage > Stage::Basics {
        let id = enqueue(client, json!({ "kind": "smoke", "payload": { "n": 41 } })).await;
        let task = must_lease(
            client,
            "w1",
            1_000,
            "smoke (basics): an enqueued task is leasable",
        )
        .await;
        complete(client, id, &task["lease"], json!(42))
            .await
            .expect_status(
                "smoke (basics): a completion under the current lease answers 200",
                200,
            );
        expect_field(
            client,
            id,
            "result",
            json!(42),
            "smoke (basics): a done task keeps its result",
        )
        .await;
    }
    if stage > Stage::Scheduling {
        let low = enqueue(client, json!({ "kind": "smoke", "priority": 1 })).await;
        let high = enqueue(client, json!({ "kind": "smoke", "priority": 5 })).await;
        let later = enqueue(
            client,
            json!({ "kind": "smoke", "priority": 9, "delay_ms": 500 }),
        )
        .await;
        for expected in [high, low] {
            let task = must_lease(client, "w1", 1_000_000, "smoke (scheduling)").await;
            assert_eq!(
                task["id"], expected,
                "smoke (scheduling): higher priority first, a delayed task waits"
            );
        }
        broker.advance(500);
        let task = must_lease(
            client,
            "w1",
            1_000_000,
            "smoke (scheduling): a delayed task is leasable at run_at",
        )
        .await;
        assert_eq!(
            task["id"], later,
            "smoke (scheduling): the delayed task is leasable at its run_at"
        );
        for id in [low, high, later] {
            let task = status(client, id).await;
            complete(client, id, &task["attempts"][0]["lease"], json!(null)).await;
        }
    }
    if stage > Stage::Leases {
        let id = enqueue(client, json!({ "kind": "smoke" })).await;
        let first = must_lease(client, "w1", 1_000, "smoke (leases)").await;
        broker.advance(1_000);
        let second = must_lease(
            client,
            "w2",
            1_000,
            "smoke (leases): an expired lease is redelivered",
        )
        .await;
        assert_eq!(
            second["id"], id,
            "smoke (leases): the expired task is redelivered"
        );
        complete(client, id, &first["lease"], json!(1))
            .await
            .expect_status(
                "smoke (leases): a completion under an expired lease is refused",
                409,
            );
        complete(client, id, &second["lease"], json!(2))
            .await
            .expect_status("smoke (leases): the current lease completes", 200);
    }
    if stage > Stage::Retries {
        let id = enqueue(client, json!({ "kind": "smoke", "max_retries": 1 })).await;
        let task = must_lease(client, "w1", 1_000, "smoke (retries)").await;
        let answer = fail(client, id, &task["lease"], "boom").await;
        answer.expect_status("smoke (retries): a failure answers 200", 200);
        expect_eq(
            &answer,
            "smoke (retries): a failure within max_retries requeues",
            &answer.json()["state"],
            &json!("queued"),
        );
        let id = enqueue(client, json!({ "kind": "smoke" })).await;
        let task = must_lease(client, "w1", 1_000, "smoke (retries)").await;
        let answer = fail(client, id, &task["lease"], "boom").await;
        expect_eq(
            &answer,
            "smoke (retries): --max-retries 0 dead-letters the first failure",
            &answer.json()["state"],
            &json!("dead"),
        );
    }
}

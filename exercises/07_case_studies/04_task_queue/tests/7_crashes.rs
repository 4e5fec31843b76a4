//! Stage 7: workers die mid-task (`kill -9`) and the queue still finishes
//! every task, with results equal to a sequential run, and re-executes a
//! task only after its previous lease ran out (checked in every task's
//! attempts against the broker's injected time). `hold` tasks pin two
//! workers mid-task so that their kills are deterministic; a third, seeded
//! kill hits whatever the victim is doing.

use kit::rng::Rng;
use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn earlier_stages_still_hold() {
    smoke(Stage::Crashes).await;
}

/// Checks the rule of re-execution on one task's attempts: every attempt but
/// the last ended `expired` or `failed`, and one that expired was followed
/// by a lease no earlier than its expiry.
fn check_attempts(task: &Value) {
    let attempts = task["attempts"].as_array().expect("attempts is a list");
    assert!(
        !attempts.is_empty(),
        "crashes: a done task was leased at least once"
    );
    for pair in attempts.windows(2) {
        let (earlier, later) = (&pair[0], &pair[1]);
        assert_eq!(
            earlier["outcome"], "expired",
            "crashes: task {} was leased again after an attempt that did not expire: {earlier}",
            task["id"]
        );
        assert!(
            later["leased_at"].as_u64() >= earlier["expires_at"].as_u64(),
            "crashes: task {} was re-executed at {} before its previous lease ran out at {}: \
             a task is redelivered only after its lease expired",
            task["id"],
            later["leased_at"],
            earlier["expires_at"]
        );
    }
    assert_eq!(
        attempts.last().unwrap()["outcome"],
        "completed",
        "crashes: the last attempt completed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_still_finish_every_task() {
    let mut rng = Rng::new(seed(71));
    let dir = service_kit::tempfile::tempdir().unwrap();
    let broker = Broker::start().await;
    let client = broker.client.clone().with_seed(rng.seed());
    let mut workers: Vec<_> = (0..4)
        .map(|i| worker_process(&client, dir.path(), &format!("w{i}"), 1))
        .collect();

    // Two tasks that block their workers until the gate file appears.
    let mut holds = Vec::new();
    for _ in 0..2 {
        holds.push(
            enqueue(
                &client,
                json!({ "kind": "hold", "payload": { "gate": "gate" }, "priority": 9 }),
            )
            .await,
        );
    }
    let holders: Vec<String> = service_kit::eventually("both hold tasks to be leased", || async {
        let mut holders = Vec::new();
        for &id in &holds {
            let shown = status(&client, id).await;
            if shown["state"] != "leased" {
                return None;
            }
            holders.push(shown["attempts"][0]["worker"].as_str()?.to_owned());
        }
        Some(holders)
    })
    .await;

    let mut expected = Vec::new();
    for _ in 0..40 {
        let n = 1 + rng.below(1 << 32);
        let id = enqueue(&client, json!({ "kind": "compute", "payload": { "n": n } })).await;
        expected.push((id, n));
    }
    wait_for_metric(&client, "tasks_completed", 1.0 + rng.below(10) as f64).await;

    // Kill the two holders mid-task, and one of the other two at a seeded moment.
    let index = |name: &str| name.trim_start_matches('w').parse::<usize>().unwrap();
    let mut victims: Vec<usize> = holders.iter().map(|h| index(h)).collect();
    let others: Vec<usize> = (0..4).filter(|i| !victims.contains(i)).collect();
    victims.push(others[rng.below(2) as usize]);
    let dead: Vec<String> = victims.iter().map(|v| format!("w{v}")).collect();
    for &victim in &victims {
        workers[victim].kill9();
    }
    std::fs::write(dir.path().join("gate"), b"open").unwrap();
    // The killed workers' leases run out only on the broker's clock.
    broker.advance(10_000);
    for &victim in &victims {
        workers[victim] = worker_process(&client, dir.path(), &format!("w{victim}-again"), 1);
    }

    let mut ids: Vec<u64> = holds.clone();
    ids.extend(expected.iter().map(|&(id, _)| id));
    service_kit::eventually("every task to be done", || async {
        if client.metrics().await.get("tasks_completed") >= 42.0 {
            return Some(());
        }
        // A lease request a worker sent just before it was killed may reach
        // the broker after the clock moved: that lease, granted to a dead
        // worker, runs out only if the clock moves again.
        for &id in &ids {
            let shown = status(&client, id).await;
            let holder = shown["attempts"]
                .as_array()
                .and_then(|a| a.last())
                .map(|a| a["worker"].clone());
            if shown["state"] == "leased" && dead.iter().any(|d| holder == Some(json!(d))) {
                broker.advance(10_000);
                break;
            }
        }
        None
    })
    .await;
    for &id in &holds {
        let shown = status(&client, id).await;
        assert_eq!(
            shown["state"], "done",
            "crashes: a task whose worker was killed mid-task is finished by another"
        );
        assert!(
            shown["attempts"].as_array().unwrap().len() >= 2,
            "crashes: hold task {id}'s first worker was killed holding it, so it ran at least twice: {shown}"
        );
        check_attempts(&shown);
    }
    for &(id, n) in &expected {
        let shown = status(&client, id).await;
        assert_eq!(
            shown["state"], "done",
            "crashes: every task finishes despite the kills"
        );
        assert_eq!(
            shown["result"],
            json!({ "steps": collatz(n) }),
            "crashes: task {id}'s result equals the sequential run's (Collatz steps of {n})"
        );
        check_attempts(&shown);
    }
}

//! Redirects per second over loopback: the URL shortener with and without
//! its hot-code cache, against a static axum handler that answers the same
//! 302 (the ceiling of the stack). A bounded load loop, not criterion: each
//! round sends 20,000 GETs, 32 in flight, on keep-alive connections, and the
//! medians of 7 rounds are compared pair by pair.
//!
//! `cargo bench --manifest-path bench/Cargo.toml --bench url_shortener`

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use service_kit::{Client, InProcess};

const REQUESTS: usize = 20_000;
const IN_FLIGHT: usize = 32;
const ROUNDS: usize = 7;
/// No round may run longer: a bound on a broken server, far above a round.
const ROUND_BOUND: Duration = Duration::from_secs(60);

async fn load(client: &Client, path: &str) -> f64 {
    // Warm-up: open the connections, fill the cache.
    drive(client, path, 2_000).await;
    let start = Instant::now();
    drive(client, path, REQUESTS).await;
    REQUESTS as f64 / start.elapsed().as_secs_f64()
}

async fn drive(client: &Client, path: &str, n: usize) {
    let mut set = tokio::task::JoinSet::new();
    let mut sent = 0;
    let deadline = Instant::now() + ROUND_BOUND;
    while sent < n || !set.is_empty() {
        while sent < n && set.len() < IN_FLIGHT {
            let client = client.clone();
            let path = path.to_owned();
            set.spawn(async move { client.get(&path).await.status });
            sent += 1;
        }
        let status = set.join_next().await.expect("a request is in flight");
        assert_eq!(status.expect("the request task ran"), 302);
        assert!(
            Instant::now() < deadline,
            "the load loop ran over its time bound"
        );
    }
}

async fn shortener(
    data: &std::path::Path,
    cache_entries: usize,
) -> (InProcess<std::io::Result<()>>, String) {
    let mut config = url_shortener::Config::new(data, Arc::new(kit::clock::SystemClock::new()));
    config.cache_entries = cache_entries;
    config.rate_limit_per_min = u32::MAX;
    let service = InProcess::start(|l, s| url_shortener::run(l, config, s)).await;
    let created = service
        .client()
        .post_json(
            "/shorten",
            &serde_json::json!({ "url": "https://example.com/target" }),
        )
        .await;
    let code = created.json()["code"].as_str().expect("a code").to_owned();
    (service, format!("/{code}"))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ceiling = InProcess::start(|listener, shutdown| async move {
        let app = axum::Router::new().route(
            "/{code}",
            axum::routing::get(|| async {
                (
                    StatusCode::FOUND,
                    [
                        (header::LOCATION, "https://example.com/target"),
                        (header::CACHE_CONTROL, "private, max-age=300"),
                    ],
                )
                    .into_response()
            }),
        );
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    })
    .await;
    let (a, b) = (
        service_kit::tempfile::tempdir().expect("a data directory"),
        service_kit::tempfile::tempdir().expect("a data directory"),
    );
    let (cached, cached_path) = shortener(a.path(), 10_000).await;
    let (uncached, uncached_path) = shortener(b.path(), 0).await;
    let (mut s, mut c, mut u) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        s.push(load(&ceiling.client(), "/abc").await);
        c.push(load(&cached.client(), &cached_path).await);
        u.push(load(&uncached.client(), &uncached_path).await);
        println!(
            "round {round}: static {:.0}/s, shortener with cache {:.0}/s, without {:.0}/s",
            s[round], c[round], u[round]
        );
    }
    let (s, c, u) = (median(s), median(c), median(u));
    println!(
        "median: static {s:.0}/s; shortener with cache {c:.0}/s ({:.0} %), without {u:.0}/s ({:.0} %)",
        100.0 * c / s,
        100.0 * u / s
    );
    let reads = |m: service_kit::Metrics| m.get("store_reads");
    println!(
        "store reads: with cache {}, without {}",
        reads(cached.client().metrics().await),
        reads(uncached.client().metrics().await)
    );
}

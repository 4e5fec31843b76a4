//! What every stage shares: the service started in-process on a manual
//! clock or as a child process on a clock file, seeded inputs, the log's
//! record format (to tear it), and the earlier stages' smoke check.

#![allow(dead_code)]

use std::collections::HashSet;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use kit::clock::ManualClock;
use kit::rng::Rng;
use service_kit::tempfile::{self, TempDir};
use service_kit::{Client, ClockFile, Exchange, InProcess, Service};
use url_shortener::Config;

/// The tests' "now": 2026-01-01T00:00:00Z in Unix milliseconds.
pub const T0: u64 = 1_767_225_600_000;

/// A rate limit no test but the rate-limit stage comes near.
pub const UNLIMITED: u32 = 100_000_000;

/// The log file inside the data directory, as the stub states.
pub const LOG_FILE: &str = "links.log";

/// How long any one test may take before it fails as hung.
pub const DEADLINE: Duration = Duration::from_secs(25);

/// The seed of this run: `SDKATA_SEED=n` replays one.
pub fn seed() -> u64 {
    kit::sim::seeds(&[20_261_202])[0]
}

/// A seeded generator for `purpose`, and the client naming the seed.
pub fn rng(purpose: &str) -> Rng {
    Rng::new(seed()).stream(purpose)
}

/// Fails the test if `test` takes longer than [`DEADLINE`]: a service that
/// never answers, or a generator waiting for a frozen clock, must fail, not hang.
pub async fn within<T>(what: &str, test: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, test)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {} s", DEADLINE.as_secs()))
}

/// A service running in the test's runtime, on a manual clock.
pub struct Shortener {
    pub service: InProcess<std::io::Result<()>>,
    pub client: Client,
    pub clock: ManualClock,
    pub dir: Arc<TempDir>,
}

impl Shortener {
    /// A fresh service: empty data directory, clock at [`T0`], no rate limit.
    pub async fn start() -> Shortener {
        Shortener::start_with(|_| {}).await
    }

    /// A fresh service with `tweak` applied to its config.
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Shortener {
        let dir = Arc::new(tempfile::tempdir().expect("a temporary directory"));
        Shortener::start_on(dir, ManualClock::new(T0), tweak).await
    }

    /// A service on `dir` (perhaps used before) and `clock`.
    pub async fn start_on(
        dir: Arc<TempDir>,
        clock: ManualClock,
        tweak: impl FnOnce(&mut Config),
    ) -> Shortener {
        let mut config = Config::new(dir.path(), Arc::new(clock.clone()));
        config.rate_limit_per_min = UNLIMITED;
        tweak(&mut config);
        let service =
            InProcess::start(|listener, shutdown| url_shortener::run(listener, config, shutdown))
                .await;
        let client = service.client().with_seed(seed());
        Shortener {
            service,
            client,
            clock,
            dir,
        }
    }

    /// Stops it the clean way (its shutdown future completes) and starts it
    /// again on the same data directory and clock.
    pub async fn restart(self, tweak: impl FnOnce(&mut Config)) -> Shortener {
        let Shortener {
            service,
            clock,
            dir,
            ..
        } = self;
        match service.stop().await {
            Ok(()) => {}
            Err(e) => panic!("run() returned an error on shutdown: {e}"),
        }
        Shortener::start_on(dir, clock, tweak).await
    }
}

/// The binary as a child process on a clock file, with `--fsync always`
/// unless `extra` says otherwise.
pub struct Binary {
    pub service: Service,
    pub clock: ClockFile,
    pub dir: TempDir,
}

impl Binary {
    pub fn start(extra: &[&str]) -> Binary {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = ClockFile::create(dir.path(), T0).expect("write the clock file");
        let data = dir.path().join("data");
        let mut builder = Service::builder(env!("CARGO_BIN_EXE_url_shortener"))
            .arg("--data-dir")
            .arg(&data)
            .arg("--clock-file")
            .arg(clock.path())
            .args(["--rate-limit", &UNLIMITED.to_string()]);
        if !extra.contains(&"--fsync") {
            builder = builder.args(["--fsync", "always"]);
        }
        let service = builder.args(extra).start();
        Binary {
            service,
            clock,
            dir,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(self.service.addr()).with_seed(seed())
    }

    /// The log file, as the stub names it.
    pub fn log(&self) -> std::path::PathBuf {
        self.dir.path().join("data").join(LOG_FILE)
    }

    /// Appends `bytes` to the log, as a write torn by a crash would leave them.
    pub fn append_to_log(&self, bytes: &[u8]) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.log())
            .unwrap_or_else(|e| {
                panic!(
                    "durability: the log must be {} (as the stub states): {e}",
                    self.log().display()
                )
            });
        file.write_all(bytes).expect("append to the log");
    }
}

/// A record in the stub's format: `len: u32 LE | kit::hash::hash64(payload):
/// u64 LE | payload`.
pub fn record(payload: &serde_json::Value) -> Vec<u8> {
    let payload = payload.to_string().into_bytes();
    let mut bytes = (payload.len() as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(&kit::hash::hash64(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    bytes
}

/// A link record's payload, as the stub states it.
pub fn link_payload(code: &str, url: &str, alias: bool) -> serde_json::Value {
    serde_json::json!({
        "type": "link", "code": code, "url": url,
        "created_at": T0, "expires_at": null, "alias": alias,
    })
}

/// A seeded URL from a large domain: a hard-coded answer cannot match it.
pub fn random_url(rng: &mut Rng) -> String {
    const HOSTS: [&str; 5] = [
        "example.com",
        "example.org",
        "a.example",
        "docs.test",
        "shop.test",
    ];
    let host = rng.choose(&HOSTS).expect("hosts");
    format!(
        "https://{}{host}/{}/{:x}?q={}",
        ["", "www.", "m."][rng.below(3) as usize],
        random_word(rng, 3, 12),
        rng.next_u64(),
        rng.below(1_000_000)
    )
}

/// Letters and digits, `min..=max` of them.
pub fn random_word(rng: &mut Rng, min: u64, max: u64) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let len = rng.range(min..max + 1);
    (0..len)
        .map(|_| ALNUM[rng.below(62) as usize] as char)
        .collect()
}

/// `POST /shorten` with this JSON body.
pub async fn shorten(client: &Client, body: serde_json::Value) -> Exchange {
    client.post_json("/shorten", &body).await
}

/// Creates a link to `url`, checks the 201 and the code's shape, returns the code.
pub async fn create(client: &Client, url: &str) -> String {
    let exchange = shorten(client, serde_json::json!({ "url": url })).await;
    created_code(&exchange)
}

/// The code of a 201 answer, checked against the stated contract.
pub fn created_code(exchange: &Exchange) -> String {
    exchange.expect_status("shorten: a valid request answers 201 Created", 201);
    let json = exchange.json();
    let Some(code) = json["code"].as_str() else {
        exchange.fail(
            "shorten: the 201 body has a string `code`",
            "no `code` string",
        )
    };
    code.to_owned()
}

/// Fails unless `code` is a generated code: 1 to 11 characters of base62.
pub fn check_generated_code(exchange: &Exchange, code: &str) {
    if code.is_empty() || code.len() > 11 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        exchange.fail(
            "codes: a generated code is 1 to 11 characters of [0-9A-Za-z]",
            format!("code {code:?}"),
        );
    }
}

/// Fails unless `GET /{code}` redirects to `url`.
pub async fn expect_redirect(client: &Client, code: &str, url: &str, rule: &str) -> Exchange {
    let exchange = client.get(&format!("/{code}")).await;
    exchange.expect_status(rule, 302);
    exchange.expect_header(rule, "location", url);
    exchange
}

/// The earlier stages in brief: links are created and redirect to their own
/// URL, unknown codes are 404.
pub async fn smoke(client: &Client) {
    let mut rng = rng("smoke");
    let mut links = Vec::new();
    for _ in 0..5 {
        let url = random_url(&mut rng);
        links.push((create(client, &url).await, url));
    }
    let codes: HashSet<&String> = links.iter().map(|(c, _)| c).collect();
    assert_eq!(codes.len(), links.len(), "smoke: five links, five codes");
    for (code, url) in &links {
        expect_redirect(
            client,
            code,
            url,
            "smoke (stage basics): a code redirects to its own URL",
        )
        .await;
    }
    client
        .get("/zz9Unknown9zz")
        .await
        .expect_status("smoke (stage basics): an unknown code answers 404", 404);
}

/// Sends `requests` with at most `in_flight` at a time; their answers in order.
pub async fn bounded<F, Fut>(count: usize, in_flight: usize, make: F) -> Vec<Exchange>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Exchange> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    let mut answers: Vec<Option<Exchange>> = (0..count).map(|_| None).collect();
    let mut next = 0;
    while next < count || !set.is_empty() {
        while next < count && set.len() < in_flight {
            let request = make(next);
            let i = next;
            set.spawn(async move { (i, request.await) });
            next += 1;
        }
        let (i, exchange) = set
            .join_next()
            .await
            .expect("a request in flight")
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        answers[i] = Some(exchange);
    }
    answers.into_iter().map(|a| a.expect("answered")).collect()
}

/// The counter `name` from `/metrics`.
pub async fn metric(client: &Client, name: &str) -> u64 {
    client.metrics().await.get(name) as u64
}

/// Waits until the stats of `code` report `clicks` (bounded by
/// `service_kit::eventually`), then returns the stats body.
pub async fn eventually_clicks(client: &Client, code: &str, clicks: u64) -> serde_json::Value {
    let path = format!("/{code}/stats");
    service_kit::eventually(&format!("{path} to report {clicks} clicks"), || async {
        let exchange = client.get(&path).await;
        exchange.expect_status("clicks: GET /{code}/stats of a link answers 200", 200);
        let json = exchange.json();
        match json["clicks"].as_u64() {
            Some(n) if n > clicks => exchange.fail(
                "clicks: exactly one click per redirect",
                format!("expected {clicks} clicks, counted {n}"),
            ),
            Some(n) => (n == clicks).then_some(json),
            None => exchange.fail("clicks: the stats body has a number `clicks`", "none"),
        }
    })
    .await
}

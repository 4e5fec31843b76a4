//! What the stages share: the service in process on a manual clock or as a
//! child process on a clock file, a create helper, the smoke check every
//! later stage starts with, and looks at the data directory (blob files,
//! rows) that the service's own answers cannot show.

#![allow(dead_code)] // each stage uses part of it

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kit::clock::ManualClock;
use kit::rng::Rng;
use pastebin::{Config, Gate, RateLimit};
use service_kit::tempfile::{self, TempDir};
use service_kit::{Client, ClockFile, Exchange, InProcess, Service};

/// The Unix time every test starts at: 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000;

/// Seeds for the seeded tests; `SDKATA_SEED=n` replays one.
pub fn seeds() -> Vec<u64> {
    match std::env::var("SDKATA_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![seed],
        None => vec![11, 23, 37],
    }
}

/// A rate limit no functional test comes near.
pub const UNLIMITED: RateLimit = RateLimit {
    burst: 1_000_000,
    per_sec: 1_000_000,
};

/// The service in this process, on a manual clock and a fresh data directory.
pub struct Pastebin {
    pub service: InProcess<std::io::Result<()>>,
    pub client: Client,
    pub clock: Arc<ManualClock>,
    pub dir: TempDir,
}

impl Pastebin {
    /// Starts it with `UNLIMITED` rate and `tweak` applied to its config.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Pastebin {
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let clock = Arc::new(ManualClock::new(T0));
        let mut config = Config::new(dir.path(), clock.clone());
        config.rate = UNLIMITED;
        tweak(&mut config);
        let service =
            InProcess::start(move |listener, shutdown| pastebin::run(listener, config, shutdown))
                .await;
        let client = service.client();
        Pastebin {
            service,
            client,
            clock,
            dir,
        }
    }

    /// With the default settings.
    pub async fn default() -> Pastebin {
        Pastebin::start(|_| {}).await
    }

    /// With a gate on the read path.
    pub async fn gated(gate: Arc<Gate>) -> Pastebin {
        Pastebin::start(move |config| config.before_body = Some(gate)).await
    }

    /// Moves the injected clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// A created paste: what the 201 answered.
#[derive(Debug, Clone)]
pub struct Paste {
    pub token: String,
    pub delete_token: String,
    pub body: Vec<u8>,
    pub content_type: String,
}

/// `POST /pastes{query}` with `body` and `content_type`; fails unless 201
/// with the documented JSON and `Location`.
pub async fn create(client: &Client, body: &[u8], content_type: &str, query: &str) -> Paste {
    let exchange = client
        .request("POST", &format!("/pastes{query}"))
        .header("content-type", content_type)
        .body(body.to_vec())
        .send()
        .await;
    let paste = created(&exchange, body, content_type);
    let burn = query.contains("burn=true");
    if exchange.json()["burn"] != burn {
        exchange.fail(
            "create: `burn` in the 201 body says whether the paste burns after reading",
            format!("expected {burn}"),
        );
    }
    paste
}

/// The paste a 201 `exchange` describes, checked against the contract.
pub fn created(exchange: &Exchange, body: &[u8], content_type: &str) -> Paste {
    exchange.expect_status("create: POST /pastes answers 201 Created", 201);
    let json = exchange.json();
    let field = |name: &str| -> String {
        json[name].as_str().map(str::to_owned).unwrap_or_else(|| {
            exchange.fail(
                "create: the 201 body is {\"token\", \"delete_token\", \"size\", \"expires_at\", \"burn\"}",
                format!("`{name}` is missing or not a string"),
            )
        })
    };
    let paste = Paste {
        token: field("token"),
        delete_token: field("delete_token"),
        body: body.to_vec(),
        content_type: content_type.to_owned(),
    };
    if json["size"].as_u64() != Some(body.len() as u64) {
        exchange.fail(
            "create: `size` is the body's length in bytes",
            format!("expected {}, received {}", body.len(), json["size"]),
        );
    }
    exchange.expect_header(
        "create: Location names the paste's read URL",
        "location",
        &format!("/pastes/{}", paste.token),
    );
    paste
}

/// Fails unless `GET /pastes/{token}` answers 200 with the paste's bytes
/// and content type.
pub async fn expect_readable(client: &Client, paste: &Paste, rule: &str) {
    let exchange = client.get(&format!("/pastes/{}", paste.token)).await;
    exchange
        .expect_status(rule, 200)
        .expect_body(rule, &paste.body)
        .expect_header(rule, "content-type", &paste.content_type);
}

/// Fails unless `path` answers `status` with `{"error": message}`.
pub fn expect_error(exchange: &Exchange, rule: &str, status: u16, message: &str) {
    exchange.expect_status(rule, status);
    let json = exchange.json();
    if json["error"] != message {
        exchange.fail(
            rule,
            format!("expected {{\"error\": {message:?}}}, received {json}"),
        );
    }
}

/// Seeded printable text of `len` bytes.
pub fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    const CHARS: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:(){}[]\n";
    (0..len)
        .map(|_| CHARS[rng.below(CHARS.len() as u64) as usize])
        .collect()
}

/// Seeded bytes of `len`.
pub fn bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// The smoke check of stage 1 that every later stage starts with: a paste
/// reads back byte for byte with its content type, an unknown token is 404.
pub async fn smoke(client: &Client) {
    let mut rng = Rng::new(0x5eed);
    let body = text(&mut rng, 300);
    let paste = create(client, &body, "text/x-rust; charset=utf-8", "").await;
    expect_readable(
        client,
        &paste,
        "basics (earlier stage): a paste reads back with its bytes and content type",
    )
    .await;
    let unknown = client.get("/pastes/0123456789abcdefABCDEF").await;
    expect_error(
        &unknown,
        "basics (earlier stage): an unknown token answers 404",
        404,
        "paste not found",
    );
}

/// The names of the files under `<dir>/blobs/`.
pub fn blob_files(dir: &Path) -> BTreeSet<String> {
    list(&dir.join("blobs"))
}

/// The names of the files under `<dir>/tmp/`.
pub fn temp_files(dir: &Path) -> BTreeSet<String> {
    list(&dir.join("tmp"))
}

fn list(dir: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(dir) {
        Err(_) => BTreeSet::new(),
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
    }
}

/// The service's database, opened beside it (WAL lets both read).
pub fn database(dir: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(dir.join("pastebin.db"))
        .expect("the service keeps its metadata in <data-dir>/pastebin.db");
    db.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    db
}

/// A count from the database, `sql` being `SELECT count(*) ...`.
pub fn count(dir: &Path, sql: &str) -> u64 {
    database(dir)
        .query_row(sql, [], |r| r.get::<_, i64>(0))
        .unwrap_or_else(|e| panic!("`{sql}` on the stated schema: {e}")) as u64
}

/// Fails unless the data directory is consistent: every blob row has its
/// file, every file has its row, every paste names a blob row, every
/// blob's `refs` is the number of pastes naming it, and `tmp/` is empty.
pub fn expect_consistent(dir: &Path, when: &str) {
    let db = database(dir);
    let rows: BTreeSet<String> = db
        .prepare("SELECT id FROM blobs")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("the blobs table of the stated schema");
    let files = blob_files(dir);
    let orphans: Vec<_> = files.difference(&rows).collect();
    let missing: Vec<_> = rows.difference(&files).collect();
    assert!(
        orphans.is_empty(),
        "consistency ({when}): blob files no row names: {orphans:?}; every file under blobs/ \
         must belong to a blobs row, or disk leaks forever"
    );
    assert!(
        missing.is_empty(),
        "consistency ({when}): blob rows without their file: {missing:?}; a paste on such a \
         blob answers with a broken body"
    );
    let wrong: i64 = db
        .query_row(
            "SELECT count(*) FROM blobs WHERE refs != \
             (SELECT count(*) FROM pastes WHERE pastes.blob = blobs.id)",
            [],
            |r| r.get(0),
        )
        .expect("count refs");
    assert_eq!(
        wrong, 0,
        "consistency ({when}): {wrong} blobs whose `refs` is not the number of pastes naming \
         them; a wrong refcount deletes a shared body too early or never"
    );
    let zero: i64 = db
        .query_row("SELECT count(*) FROM blobs WHERE refs = 0", [], |r| {
            r.get(0)
        })
        .expect("count unreferenced blobs");
    assert_eq!(
        zero, 0,
        "consistency ({when}): {zero} blob rows no paste references are still kept"
    );
    let dangling: i64 = db
        .query_row(
            "SELECT count(*) FROM pastes WHERE blob NOT IN (SELECT id FROM blobs)",
            [],
            |r| r.get(0),
        )
        .expect("count dangling pastes");
    assert_eq!(
        dangling, 0,
        "consistency ({when}): {dangling} pastes name no blob row"
    );
    let temp = temp_files(dir);
    assert!(
        temp.is_empty(),
        "consistency ({when}): unfinished uploads left under tmp/: {temp:?}"
    );
}

/// The binary as a child process on a clock file, with `args` added.
pub struct Child {
    pub service: Service,
    pub clock: ClockFile,
    pub dir: TempDir,
}

impl Child {
    /// Starts `pastebin --data-dir D --clock-file D/clock ARGS`.
    pub fn start(args: &[&str]) -> Child {
        let dir = tempfile::tempdir().expect("a temporary data directory");
        let clock = ClockFile::create(dir.path(), T0).expect("write the clock file");
        let service = Service::builder(env!("CARGO_BIN_EXE_pastebin"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--clock-file")
            .arg(clock.path())
            .args(["--rate-burst", "1000000", "--rate-per-sec", "1000000"])
            .args(args)
            .start();
        Child {
            service,
            clock,
            dir,
        }
    }

    /// A client of the running child (new after every restart: the port changes).
    pub fn client(&self) -> Client {
        Client::new(self.service.addr())
    }
}

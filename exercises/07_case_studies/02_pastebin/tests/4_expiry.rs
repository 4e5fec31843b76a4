//! Stage 4: expiry on the injected clock. A paste created with `?ttl=S`
//! reads until `S` seconds have passed and answers 410 from that instant
//! (lazily, on read, without deleting it); `POST /admin/sweep` deletes every
//! expired paste (in as many batches as that takes) and the blob files no
//! paste references any more, finding them through the `pastes_by_expiry` index.

use std::time::Duration;

use kit::rng::Rng;

use crate::common::{self, Pastebin, T0, create, expect_error, expect_readable};

async fn sweep(bin: &Pastebin) -> u64 {
    let exchange = bin.client.request("POST", "/admin/sweep").send().await;
    exchange.expect_status("sweep: POST /admin/sweep answers 200", 200);
    exchange.json()["swept"]
        .as_u64()
        .unwrap_or_else(|| exchange.fail("sweep: the body is {\"swept\": N}", "no number `swept`"))
}

#[tokio::test]
async fn earlier_stages_still_hold() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
}

#[tokio::test]
async fn a_paste_expires_at_its_ttl_and_then_answers_410() {
    let bin = Pastebin::default().await;
    let exchange = bin
        .client
        .request("POST", "/pastes?ttl=60")
        .header("content-type", "text/plain")
        .body("gone in a minute")
        .send()
        .await;
    let paste = common::created(&exchange, b"gone in a minute", "text/plain");
    if exchange.json()["expires_at"].as_u64() != Some(T0 + 60_000) {
        exchange.fail(
            "expiry: `expires_at` is the creation time plus ttl seconds, in Unix ms",
            format!("expected {}", T0 + 60_000),
        );
    }
    let forever = create(&bin.client, b"kept", "text/plain", "").await;
    bin.advance(Duration::from_millis(59_999));
    expect_readable(
        &bin.client,
        &paste,
        "expiry: one millisecond before its expiry a paste still reads",
    )
    .await;
    bin.advance(Duration::from_millis(1));
    let path = format!("/pastes/{}", paste.token);
    for _ in 0..2 {
        expect_error(
            &bin.client.get(&path).await,
            "expiry: from its expiry instant on, a paste answers 410 {\"error\": \"paste expired\"} \
             until swept (the lazy check must not delete it, or the second read says 404)",
            410,
            "paste expired",
        );
    }
    assert_eq!(
        common::count(bin.dir.path(), "SELECT count(*) FROM pastes"),
        2,
        "expiry: a lazy read does not delete the row"
    );
    assert_eq!(
        sweep(&bin).await,
        1,
        "sweep: exactly the one expired paste is swept"
    );
    expect_error(
        &bin.client.get(&path).await,
        "sweep: a swept paste answers 404",
        404,
        "paste not found",
    );
    expect_readable(
        &bin.client,
        &forever,
        "expiry: a paste without ttl never expires",
    )
    .await;
    assert_eq!(
        common::blob_files(bin.dir.path()).len(),
        1,
        "sweep: the swept paste's blob file is deleted"
    );
    common::expect_consistent(bin.dir.path(), "after a sweep");
}

#[tokio::test]
async fn a_zero_ttl_is_refused() {
    let bin = Pastebin::default().await;
    let exchange = bin
        .client
        .request("POST", "/pastes?ttl=0")
        .body("x")
        .send()
        .await;
    expect_error(
        &exchange,
        "expiry: ?ttl=0 answers 400 {\"error\": \"ttl must be at least 1 second\"}",
        400,
        "ttl must be at least 1 second",
    );
}

#[tokio::test]
async fn the_sweeper_deletes_exactly_the_expired_and_their_unshared_blobs() {
    for seed in common::seeds() {
        let bin = Pastebin::default().await;
        let client = bin.client.clone().with_seed(seed);
        let mut rng = Rng::new(seed);
        let shared = common::text(&mut rng, 2_000);
        let mut pastes = Vec::new();
        for i in 0..30 {
            let ttl = (i % 3 != 0).then(|| 1 + rng.below(600));
            let body = if i % 5 == 0 {
                shared.clone()
            } else {
                common::text(&mut rng, 50 + i)
            };
            let query = ttl.map_or_else(String::new, |t| format!("?ttl={t}"));
            pastes.push((create(&client, &body, "text/plain", &query).await, ttl));
        }
        let at = 1 + rng.below(600);
        bin.advance(Duration::from_secs(at));
        let expired = pastes
            .iter()
            .filter(|(_, ttl)| ttl.is_some_and(|t| t <= at))
            .count() as u64;
        assert_eq!(
            sweep(&bin).await,
            expired,
            "sweep: swept counts the pastes whose expiry has come ({at} s in, seed {seed})"
        );
        assert_eq!(sweep(&bin).await, 0, "sweep: a second sweep finds nothing");
        for (paste, ttl) in &pastes {
            let path = format!("/pastes/{}", paste.token);
            if ttl.is_some_and(|t| t <= at) {
                expect_error(
                    &client.get(&path).await,
                    "sweep: a swept paste answers 404",
                    404,
                    "paste not found",
                );
            } else {
                expect_readable(&client, paste, "sweep: a paste not yet expired survives the sweep (and so does a blob it shares)").await;
            }
        }
        assert_eq!(
            client.metrics().await.get("swept"),
            expired as f64,
            "sweep: /metrics swept counts the pastes the sweeper deleted"
        );
        common::expect_consistent(bin.dir.path(), "after sweeping");
    }
}

#[tokio::test]
async fn one_sweep_deletes_every_expired_paste_however_many_batches_it_takes() {
    // More than a batch of 256, and of any LIMIT from 100 up to 299: a
    // sweeper that runs its query once, without looping until a batch comes
    // back short, leaves the rest behind.
    const EXPIRED: u64 = 300;
    let bin = Pastebin::default().await;
    let mut pastes = Vec::new();
    for i in 0..EXPIRED {
        let body = format!("expiring paste {i}");
        pastes.push(create(&bin.client, body.as_bytes(), "text/plain", "?ttl=1").await);
    }
    bin.advance(Duration::from_secs(1));
    assert_eq!(
        sweep(&bin).await,
        EXPIRED,
        "sweep: one POST /admin/sweep deletes every paste whose expiry has come, \
         in as many batches as it takes"
    );
    assert_eq!(sweep(&bin).await, 0, "sweep: a second sweep finds nothing");
    let last = pastes.last().expect("pastes were created");
    expect_error(
        &bin.client.get(&format!("/pastes/{}", last.token)).await,
        "sweep: the last paste of the last batch is swept too",
        404,
        "paste not found",
    );
    common::expect_consistent(bin.dir.path(), "after sweeping several batches");
}

#[tokio::test]
async fn the_sweeper_finds_expired_rows_through_the_expiry_index() {
    let bin = Pastebin::default().await;
    for i in 0..20 {
        create(
            &bin.client,
            format!("paste {i}").as_bytes(),
            "text/plain",
            "?ttl=30",
        )
        .await;
    }
    let db = common::database(bin.dir.path());
    let sql = pastebin::store::EXPIRED_QUERY;
    let mut plan = db
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("sweep: SQLite refused EXPIRED_QUERY `{sql}`: {e}"));
    let details: Vec<String> = plan
        .query_map([(T0 + 60_000) as i64], |r| r.get::<_, String>(3))
        .and_then(|rows| rows.collect())
        .expect("read the plan");
    let plan = details.join("; ");
    assert!(
        plan.contains("SEARCH") && plan.contains("INDEX pastes_by_expiry"),
        "sweep: EXPIRED_QUERY must SEARCH the pastes_by_expiry index, but SQLite plans \
         `{plan}`: a sweep that scans every paste (or every index entry, as a function of \
         expires_at forces) costs the whole table each time, not the rows it deletes"
    );
    let ids: i64 = db
        .query_row(
            &format!("SELECT count(*) FROM ({sql})"),
            [(T0 + 60_000) as i64],
            |r| r.get(0),
        )
        .expect("run EXPIRED_QUERY");
    assert_eq!(
        ids, 20,
        "sweep: EXPIRED_QUERY with ?1 = now selects every paste expired by now"
    );
}

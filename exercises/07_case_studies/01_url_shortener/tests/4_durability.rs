//! Stage 4: durability. The binary runs as a child process; the test kills
//! it with SIGKILL and restarts it on the same data directory: every
//! acknowledged link still resolves. A torn last record (a partial write, a
//! checksum that does not match, garbage) is detected, counted in
//! `log_torn_bytes`, cut off, and skipped: never a crash, never a redirect
//! it did not acknowledge, and the next appends survive the next restart.

use serde_json::json;

use crate::common::*;

/// Creates `n` seeded links (some with aliases, some expiring in a day).
async fn create_links(
    client: &service_kit::Client,
    purpose: &str,
    n: usize,
) -> Vec<(String, String)> {
    let mut rng = rng(purpose);
    let mut links = Vec::new();
    for i in 0..n {
        let url = random_url(&mut rng);
        let mut body = json!({ "url": url });
        if i % 3 == 1 {
            body["alias"] =
                json!(format!("{purpose}-{i}-{}", random_word(&mut rng, 3, 6)).replace(' ', "-"));
        }
        if i % 4 == 2 {
            body["ttl_secs"] = json!(86_400);
        }
        links.push((created_code(&shorten(client, body).await), url));
    }
    links
}

async fn expect_all(client: &service_kit::Client, links: &[(String, String)], rule: &str) {
    for (code, url) in links {
        expect_redirect(client, code, url, rule).await;
    }
}

#[tokio::test]
async fn acknowledged_links_survive_kill_9() {
    let mut app = Binary::start(&[]);
    smoke(&app.client()).await;
    let links = create_links(&app.client(), "crash", 60).await;
    app.service.kill9();
    app.service.restart();
    let client = app.client();
    expect_all(
        &client,
        &links,
        "durability: a link acknowledged with 201 resolves after kill -9 and restart",
    )
    .await;
    assert_eq!(
        metric(&client, "log_recovered").await,
        65,
        "durability: log_recovered counts the records read at start: 5 smoke links + 60"
    );
    assert_eq!(
        metric(&client, "log_torn_bytes").await,
        0,
        "durability: a clean log has no torn tail"
    );
}

#[tokio::test]
async fn fsync_always_syncs_every_sequential_create() {
    let s = Shortener::start().await;
    let before = metric(&s.client, "log_fsyncs").await;
    for i in 0..20 {
        create(&s.client, &format!("https://example.com/sync/{i}")).await;
    }
    let fsyncs = metric(&s.client, "log_fsyncs").await - before;
    assert!(
        fsyncs >= 20,
        "durability: with --fsync always a 201 means the record was fsync'd; 20 creates one \
         after another need 20 fsyncs, log_fsyncs grew by {fsyncs}"
    );
}

#[tokio::test]
async fn a_torn_last_record_is_cut_off_and_never_redirects() {
    let mut app = Binary::start(&[]);
    let links = create_links(&app.client(), "torn", 20).await;
    let mut rng = rng("tear");
    let evil = format!("https://evil.example/{}", random_word(&mut rng, 8, 16));
    let whole = record(&link_payload("TornCode1", &evil, true));

    // First a tear inside the 12-byte header, then one inside the payload.
    let header_cut = rng.range(1..12) as usize;
    let payload_cut = rng.range(12..whole.len() as u64) as usize;
    app.service.kill9();
    app.append_to_log(&whole[..header_cut]);
    app.service.restart();
    let client = app.client();
    expect_all(
        &client,
        &links,
        "durability: a torn tail loses nothing acknowledged",
    )
    .await;
    client.get("/TornCode1").await.expect_status(
        "durability: a record cut short by a crash was never acknowledged; its code is 404",
        404,
    );
    assert_eq!(
        metric(&client, "log_torn_bytes").await,
        header_cut as u64,
        "durability: log_torn_bytes is the size of the torn tail cut off at start (the first \
         {header_cut} bytes of a record's 12-byte header)"
    );

    // The next link must follow the last good record, not the garbage, or
    // the next recovery stops at the garbage and loses it.
    let after = create(&client, "https://example.com/after-the-tear").await;
    app.service.kill9();
    app.append_to_log(&whole[..payload_cut]);
    app.service.restart();
    let client = app.client();
    expect_redirect(
        &client,
        &after,
        "https://example.com/after-the-tear",
        "durability: recovery cuts the torn tail off, so a link appended after it survives \
         the next crash",
    )
    .await;
    expect_all(&client, &links, "durability: and the old links with it").await;
    client.get("/TornCode1").await.expect_status(
        "durability: a record whose payload is cut short is never acknowledged: 404",
        404,
    );
    assert_eq!(
        metric(&client, "log_torn_bytes").await,
        payload_cut as u64,
        "durability: the second tear ({payload_cut} of a {}-byte record) is cut off and counted",
        whole.len()
    );
}

#[tokio::test]
async fn a_record_failing_its_checksum_is_skipped() {
    let mut app = Binary::start(&[]);
    let links = create_links(&app.client(), "flip", 10).await;
    app.service.kill9();
    // Whole and the right length, but one byte of the URL changed after the
    // checksum was taken: a header that trusts its length alone accepts it.
    let mut flipped = record(&link_payload(
        "FlipCode1",
        "https://evil.example/aaaa",
        true,
    ));
    let at = flipped.len() - 12;
    flipped[at] = b'b';
    app.append_to_log(&flipped);
    app.service.restart();
    let client = app.client();
    client.get("/FlipCode1").await.expect_status(
        "durability: a record whose checksum does not match is corrupt and skipped: 404, never \
         a redirect to bytes nobody wrote",
        404,
    );
    expect_all(
        &client,
        &links,
        "durability: a corrupt tail loses nothing acknowledged",
    )
    .await;
    assert_eq!(
        metric(&client, "log_torn_bytes").await,
        flipped.len() as u64,
        "durability: the corrupt record is cut off and counted in log_torn_bytes"
    );

    app.service.kill9();
    let mut garbage = vec![0_u8; 300];
    kit::rng::Rng::new(seed()).fill_bytes(&mut garbage);
    app.append_to_log(&garbage);
    app.service.restart();
    let client = app.client();
    expect_all(
        &client,
        &links,
        "durability: random garbage after the log is no crash",
    )
    .await;
    assert_eq!(
        metric(&client, "log_torn_bytes").await,
        300,
        "durability: 300 bytes of garbage cut off"
    );
}

#[tokio::test]
async fn a_valid_record_appended_by_hand_is_recovered() {
    // The stated format is the format: a whole record with a right checksum
    // is a link, so the tests' torn records above are torn copies of real ones.
    let mut app = Binary::start(&[]);
    let links = create_links(&app.client(), "hand", 3).await;
    app.service.kill9();
    app.append_to_log(&record(&link_payload(
        "HandMade1",
        "https://example.com/by-hand",
        true,
    )));
    // A second, valid record for a code that already has a link.
    let taken = &links[0].0;
    app.append_to_log(&record(&link_payload(
        taken,
        "https://evil.example/again",
        true,
    )));
    app.service.restart();
    let client = app.client();
    expect_redirect(
        &client,
        "HandMade1",
        "https://example.com/by-hand",
        "durability: the log record format is len u32 LE | kit::hash::hash64(payload) u64 LE | \
         JSON payload, as stated",
    )
    .await;
    expect_all(
        &client,
        &links,
        "durability: of two link records for one code the first wins: an acknowledged link \
         never changes its URL",
    )
    .await;
}

#[tokio::test]
async fn fsync_batch_survives_kill_9_too() {
    let mut app = Binary::start(&["--fsync", "batch"]);
    let links = create_links(&app.client(), "batch", 30).await;
    app.service.kill9();
    app.service.restart();
    expect_all(
        &app.client(),
        &links,
        "durability: under --fsync batch a 201 means written to the OS: it survives kill -9 \
         (only a power cut may lose the last 100 ms)",
    )
    .await;
}

/// A link record whose payload is padded with JSON whitespace to `len` bytes.
fn padded_record(code: &str, len: usize) -> Vec<u8> {
    let mut payload = link_payload(code, "https://example.com/padded", true).to_string();
    assert!(payload.len() <= len);
    payload.extend(std::iter::repeat_n(' ', len - payload.len()));
    let mut bytes = (payload.len() as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(&kit::hash::hash64(payload.as_bytes()).to_le_bytes());
    bytes.extend_from_slice(payload.as_bytes());
    bytes
}

#[tokio::test]
async fn a_payload_longer_than_max_payload_is_never_trusted() {
    // 1 MiB (MAX_PAYLOAD) is the largest payload a record may have; a longer
    // length can only be a corrupt header, even with a matching checksum.
    const MAX_PAYLOAD: usize = 1 << 20;
    let mut app = Binary::start(&[]);
    let links = create_links(&app.client(), "limit", 2).await;
    app.service.kill9();
    app.append_to_log(&padded_record("AtTheLimit", MAX_PAYLOAD));
    let over = padded_record("OverLimit", MAX_PAYLOAD + 1);
    app.append_to_log(&over);
    app.service.restart();
    let client = app.client();
    expect_all(&client, &links, "durability: acknowledged links survive").await;
    expect_redirect(
        &client,
        "AtTheLimit",
        "https://example.com/padded",
        "durability: a payload of exactly MAX_PAYLOAD bytes is a record",
    )
    .await;
    client.get("/OverLimit").await.expect_status(
        "durability: a length above MAX_PAYLOAD is a torn header, never a link",
        404,
    );
    assert_eq!(
        metric(&client, "log_torn_bytes").await,
        over.len() as u64,
        "durability: the over-long record is cut off as a torn tail"
    );
}

//! Stage 6: large pastes, streamed. A read answers one `bytes=` range with
//! 206 and `Content-Range`, an unsatisfiable one with 416, and streams the
//! body from its file in chunks: /metrics `largest_body_chunk_bytes` stays
//! at most 64 KiB, and the binary serving a 64 MB paste keeps its peak
//! resident memory (VmHWM) far below the paste's size.

use kit::rng::Rng;

use crate::common::{self, Child, Pastebin, create, expect_error};

#[tokio::test]
async fn earlier_stages_still_hold() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
}

#[tokio::test]
async fn one_byte_range_is_206_with_content_range() {
    let bin = Pastebin::default().await;
    let mut rng = Rng::new(206);
    let size = 200_000usize;
    let body = common::bytes(&mut rng, size);
    let paste = create(&bin.client, &body, "application/octet-stream", "").await;
    let path = format!("/pastes/{}", paste.token);
    let full = bin.client.get(&path).await;
    full.expect_status("range: a read without Range is 200", 200)
        .expect_header(
            "range: a 200 read says Accept-Ranges: bytes",
            "accept-ranges",
            "bytes",
        )
        .expect_header(
            "range: Content-Length is the body's length",
            "content-length",
            &size.to_string(),
        );
    let a = rng.below(size as u64 / 2) as usize;
    let b = a + rng.below(100_000) as usize;
    let cases: Vec<(String, usize, usize)> = vec![
        (format!("bytes={a}-{b}"), a, b),
        ("bytes=0-0".to_owned(), 0, 0),
        (format!("bytes={a}-"), a, size - 1),
        ("bytes=-10".to_owned(), size - 10, size - 1),
        (format!("bytes=-{}", size + 5), 0, size - 1),
        (format!("bytes={a}-99999999999"), a, size - 1),
        (
            format!("bytes={}-{}", size - 1, size - 1),
            size - 1,
            size - 1,
        ),
    ];
    for (range, start, end) in cases {
        let rule = format!("range: `{range}` of {size} bytes answers 206 with bytes {start}-{end}");
        bin.client
            .request("GET", &path)
            .header("range", range.clone())
            .send()
            .await
            .expect_status(&rule, 206)
            .expect_header(
                &rule,
                "content-range",
                &format!("bytes {start}-{end}/{size}"),
            )
            .expect_header(&rule, "content-length", &(end - start + 1).to_string())
            .expect_header(&rule, "content-type", "application/octet-stream")
            .expect_body(&rule, &body[start..=end]);
    }
    for range in [
        format!("bytes={size}-"),
        format!("bytes={}-{}", size + 10, size + 20),
        "bytes=-0".to_owned(),
    ] {
        let exchange = bin
            .client
            .request("GET", &path)
            .header("range", range.clone())
            .send()
            .await;
        let rule = format!(
            "range: `{range}` selects no byte of {size}: 416 {{\"error\": \"range not satisfiable\"}} with Content-Range: bytes */{size}"
        );
        expect_error(&exchange, &rule, 416, "range not satisfiable");
        exchange.expect_header(&rule, "content-range", &format!("bytes */{size}"));
    }
    for range in [
        "bytes=9-3",
        "items=0-10",
        "bytes=0-1,5-6",
        "bytes=x-y",
        "bytes=+0-3",
    ] {
        let rule = format!(
            "range: `{range}` is not one bytes= range and is ignored: 200 with the whole body"
        );
        bin.client
            .request("GET", &path)
            .header("range", range)
            .send()
            .await
            .expect_status(&rule, 200)
            .expect_body(&rule, &body);
    }
}

#[tokio::test]
async fn a_read_holds_at_most_one_chunk_of_the_body() {
    let bin = Pastebin::start(|config| config.max_bytes = 4 << 20).await;
    let mut rng = Rng::new(64);
    let body = common::bytes(&mut rng, 3 << 20);
    let paste = create(&bin.client, &body, "application/octet-stream", "").await;
    bin.client
        .get(&format!("/pastes/{}", paste.token))
        .await
        .expect_status("streaming: a 3 MiB paste reads", 200)
        .expect_body("streaming: a 3 MiB paste reads back whole", &body);
    let largest = bin.client.metrics().await.get("largest_body_chunk_bytes");
    assert!(
        largest > 0.0 && largest <= 65_536.0,
        "streaming: serving a 3 MiB paste held {largest} bytes of it at once; read and send it \
         in chunks of at most 64 KiB, or memory grows with the paste (and with every reader)"
    );
}

/// The child's peak resident set size, in KiB (`VmHWM` in /proc/PID/status).
fn peak_rss_kib(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_64_mb_with_bounded_memory() {
    const SIZE: usize = 64 << 20;
    let mut child = Child::start(&["--max-bytes", "80000000"]);
    let mut rng = Rng::new(6464);
    let body = common::bytes(&mut rng, SIZE);
    let paste = create(&child.client(), &body, "application/octet-stream", "").await;
    // A fresh process, so its peak memory is the download's alone.
    child.service.restart();
    let client = child.client();
    let baseline = peak_rss_kib(child.service.pid());
    let path = format!("/pastes/{}", paste.token);
    let whole = client.get(&path).await;
    whole.expect_status("streaming: the 64 MB paste reads", 200);
    assert!(
        whole.body.len() == SIZE && whole.body[..] == body[..],
        "streaming: the 64 MB paste reads back byte for byte ({} bytes received)",
        whole.body.len()
    );
    let start = SIZE / 2 + rng.below(1 << 20) as usize;
    let range = format!("bytes={start}-{}", start + 999_999);
    client
        .request("GET", &path)
        .header("range", range)
        .send()
        .await
        .expect_status("range: a range in the middle of 64 MB is 206", 206)
        .expect_body(
            "range: a range in the middle of 64 MB is those bytes",
            &body[start..start + 1_000_000],
        );
    let peak = peak_rss_kib(child.service.pid());
    assert!(
        peak < baseline + 16 * 1024,
        "streaming: serving a 64 MB paste raised the service's peak memory from {baseline} KiB to \
         {peak} KiB; streamed in chunks it grows by well under 16 MiB, read whole it grows by 64"
    );
}

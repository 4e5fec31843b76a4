//! Stage 1: create and read raw. A paste is stored and read back byte for
//! byte with the content type it was created with; an unknown token is 404;
//! an empty body is 400; a body over `max_bytes` is 413, decided while the
//! body arrives and before it ends.

use std::time::Duration;

use kit::rng::Rng;
use service_kit::eventually;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{self, Pastebin, create, expect_error, expect_readable};

#[tokio::test]
async fn a_paste_reads_back_with_its_bytes_and_content_type() {
    let bin = Pastebin::default().await;
    for seed in common::seeds() {
        let client = bin.client.clone().with_seed(seed);
        let mut rng = Rng::new(seed);
        let types = [
            "text/plain; charset=utf-8",
            "application/json",
            "text/x-python",
            "application/octet-stream",
        ];
        for i in 0..12 {
            let len = 1 + rng.below(5_000) as usize;
            let body = if i % 4 == 3 {
                common::bytes(&mut rng, len)
            } else {
                common::text(&mut rng, len)
            };
            let content_type = types[i % types.len()];
            let paste = create(&client, &body, content_type, "").await;
            expect_readable(
                &client,
                &paste,
                "read: GET /pastes/{token} answers 200 with the exact bytes and the stored Content-Type",
            )
            .await;
        }
    }
}

#[tokio::test]
async fn without_a_content_type_the_paste_is_utf8_text() {
    let bin = Pastebin::default().await;
    let exchange = bin
        .client
        .request("POST", "/pastes")
        .body("no type given")
        .send()
        .await;
    let paste = common::created(&exchange, b"no type given", "text/plain; charset=utf-8");
    expect_readable(
        &bin.client,
        &paste,
        "create: a create without Content-Type is stored as text/plain; charset=utf-8",
    )
    .await;
}

#[tokio::test]
async fn unknown_and_malformed_tokens_are_404() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
    for path in [
        "/pastes/zzzzzzzzzzzzzzzzzzzzzz",
        "/pastes/1",
        "/pastes/not-a-token!",
    ] {
        let exchange = bin.client.get(path).await;
        expect_error(
            &exchange,
            "read: a token that names no paste answers 404 {\"error\": \"paste not found\"}",
            404,
            "paste not found",
        );
    }
}

#[tokio::test]
async fn an_empty_paste_is_refused() {
    let bin = Pastebin::default().await;
    let exchange = bin.client.request("POST", "/pastes").send().await;
    expect_error(
        &exchange,
        "create: an empty body answers 400 {\"error\": \"empty paste\"}",
        400,
        "empty paste",
    );
    assert!(
        common::blob_files(bin.dir.path()).is_empty(),
        "create: a refused paste stores no blob file"
    );
}

#[tokio::test]
async fn max_bytes_is_accepted_and_one_more_is_413() {
    let bin = Pastebin::start(|config| config.max_bytes = 4_096).await;
    let mut rng = Rng::new(7);
    let fits = common::text(&mut rng, 4_096);
    let paste = create(&bin.client, &fits, "text/plain", "").await;
    expect_readable(
        &bin.client,
        &paste,
        "limit: a body of exactly max_bytes is stored",
    )
    .await;

    let over = common::text(&mut rng, 4_097);
    let exchange = bin
        .client
        .request("POST", "/pastes")
        .body(over)
        .send()
        .await;
    expect_error(
        &exchange,
        "limit: a body of max_bytes + 1 answers 413 {\"error\": \"paste too large\"}",
        413,
        "paste too large",
    );
    assert_eq!(
        common::blob_files(bin.dir.path()).len(),
        1,
        "limit: a refused body leaves no blob file"
    );
    eventually("the refused upload's temporary file to go", || async {
        common::temp_files(bin.dir.path()).is_empty().then_some(())
    })
    .await;
}

/// Sends `head` (and `chunks`) on a raw connection and returns the status
/// line of whatever comes back, without ever ending the body.
async fn status_before_the_body_ends(
    addr: std::net::SocketAddr,
    head: &str,
    chunks: &[Vec<u8>],
) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("send the head");
    for chunk in chunks {
        // A broken pipe here means the service already answered and closed.
        if stream.write_all(chunk).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "limit: the service must refuse an oversized body while it arrives; it sent no answer \
         within 10 s to a body that never ends, so it is waiting to buffer all of it"
    );
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_oversized_chunked_body_is_refused_while_it_arrives() {
    let bin = Pastebin::start(|config| config.max_bytes = 10_000).await;
    let host = bin.service.addr();
    let head = format!(
        "POST /pastes HTTP/1.1\r\nhost: {host}\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    // 12 chunks of 1,000 bytes: past the limit, and no final 0-length chunk.
    let chunks: Vec<Vec<u8>> = (0..12)
        .map(|_| {
            let mut chunk = b"3e8\r\n".to_vec();
            chunk.extend(std::iter::repeat_n(b'x', 1_000));
            chunk.extend_from_slice(b"\r\n");
            chunk
        })
        .collect();
    let status = status_before_the_body_ends(host, &head, &chunks).await;
    assert!(
        status.starts_with("HTTP/1.1 413"),
        "limit: a chunked body is refused with 413 as soon as it passes max_bytes, got {status:?}; \
         counting only Content-Length lets a chunked upload grow without bound"
    );
    eventually("the refused upload's temporary file to go", || async {
        common::temp_files(bin.dir.path()).is_empty().then_some(())
    })
    .await;
    assert!(
        common::blob_files(bin.dir.path()).is_empty(),
        "limit: nothing is stored"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    let bin = Pastebin::start(|config| config.max_bytes = 10_000).await;
    let host = bin.service.addr();
    let head = format!(
        "POST /pastes HTTP/1.1\r\nhost: {host}\r\ncontent-type: text/plain\r\ncontent-length: 50000000\r\n\r\n"
    );
    let status = status_before_the_body_ends(host, &head, &[b"only the start".to_vec()]).await;
    assert!(
        status.starts_with("HTTP/1.1 413"),
        "limit: a Content-Length over max_bytes is refused with 413 before the body is read, got {status:?}"
    );
}

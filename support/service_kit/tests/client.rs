//! The client, exchanges, transcripts and metrics against a small hyper server.

use std::convert::Infallible;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use service_kit::InProcess;
use service_kit::in_process::Shutdown;
use tokio::net::TcpListener;

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().to_string();
    let path = request.uri().to_string();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let response = match path.as_str() {
        "/metrics" => Response::new(Full::new(Bytes::from("# help\nstore_reads 4\n"))),
        "/missing" => Response::builder()
            .status(404)
            .body(Full::new(Bytes::new()))
            .unwrap(),
        _ => Response::builder()
            .header("x-echo", format!("{method} {path}"))
            .body(Full::new(body))
            .unwrap(),
    };
    Ok(response)
}

async fn echo(listener: TcpListener, mut shutdown: Shutdown) -> &'static str {
    loop {
        tokio::select! {
            _ = &mut shutdown => return "stopped",
            accepted = listener.accept() => {
                let (stream, _) = accepted.unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(answer);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

#[tokio::test]
async fn exchanges_reuse_connections_and_fail_readably() {
    let service = InProcess::start(echo).await;
    let client = service.client().with_seed(7);

    let sent = client
        .post_json("/things", &serde_json::json!({"n": 1}))
        .await;
    sent.expect_status("echo", 200)
        .expect_header("echo", "x-echo", "POST /things")
        .expect_body("echo", r#"{"n":1}"#);
    assert_eq!(sent.json()["n"], 1);

    let many = (0..50).map(|i| {
        let client = client.clone();
        async move { client.get(&format!("/{i}")).await }
    });
    for (i, exchange) in futures_join(many).await.into_iter().enumerate() {
        exchange.expect_header("concurrent", "x-echo", &format!("GET /{i}"));
    }

    let missing = client.get("/missing").await;
    let panic = std::panic::catch_unwind(|| {
        missing.expect_status("unknown: an unknown path answers 404", 200);
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("rule `unknown: an unknown path answers 404`"),
        "{message}"
    );
    assert!(
        message.contains("status: expected 200, received 404"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "curl -i -X GET 'http://{}/missing'",
            service.addr()
        )),
        "{message}"
    );
    assert!(message.contains("SDKATA_SEED=7"), "{message}");

    let body = client.request("PUT", "/abc").body("abc").send().await;
    let panic = std::panic::catch_unwind(|| {
        body.expect_body("body", "");
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("received goes on after character 0"),
        "{message}"
    );

    let metrics = client.metrics().await;
    assert_eq!(metrics.get("store_reads"), 4.0);

    assert_eq!(service.stop().await, "stopped");
}

#[tokio::test]
async fn a_stopped_service_is_a_transport_error() {
    let service = InProcess::start(echo).await;
    let client = service.client();
    client.get("/x").await.expect_status("up", 200);
    let addr = service.addr();
    service.stop().await;
    // A new client: the old one's keep-alive connection outlives the listener.
    let client = service_kit::Client::new(addr);
    let error = client.request("GET", "/x").try_send().await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("reproduce: curl -i -X GET"), "{text}");
}

async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

//! An HTTP/1.1 client for tests, whose every answer is an [`Exchange`].
//!
//! Connections are kept alive and reused: a client that sends 10,000
//! requests, 64 at a time, opens at most 64 connections. Each request is
//! bounded by [`REQUEST_TIMEOUT`], so a service that never answers fails the
//! test with a transcript instead of hanging it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::metrics::Metrics;
use crate::transcript::{caret_diff, curl_line, indent, shown_body};

/// The longest a request may take before the test calls it lost.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

type Sender = SendRequest<Full<Bytes>>;

/// A client of one service address.
#[derive(Clone)]
pub struct Client {
    addr: SocketAddr,
    idle: Arc<Mutex<Vec<Sender>>>,
    seed: Option<u64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("seed", &self.seed)
            .finish()
    }
}

impl Client {
    /// A client of the service at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Client {
            addr,
            idle: Arc::default(),
            seed: None,
        }
    }

    /// The same client, naming `seed` in every failure it reports.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The address it talks to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A request to build and send.
    pub fn request(&self, method: &str, path: &str) -> Request<'_> {
        Request {
            client: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Exchange {
        self.request("GET", path).send().await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Exchange {
        self.request("POST", path).json(body).send().await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Exchange {
        self.request("DELETE", path).send().await
    }

    /// `GET /metrics`, parsed.
    pub async fn metrics(&self) -> Metrics {
        let exchange = self.get("/metrics").await;
        exchange.expect_status("metrics: GET /metrics answers 200", 200);
        Metrics::parse(&exchange.text())
            .unwrap_or_else(|why| exchange.fail("metrics: one `name value` per line", why))
    }

    async fn sender(&self) -> Result<Sender, String> {
        loop {
            let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            match reused {
                Some(mut sender) => {
                    if sender.ready().await.is_ok() {
                        return Ok(sender);
                    }
                }
                None => break,
            }
        }
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", self.addr))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {} failed: {e}", self.addr))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    async fn exchange(
        &self,
        sent: &SentRequest,
    ) -> Result<(u16, Vec<(String, String)>, Bytes), String> {
        let mut sender = self.sender().await?;
        let mut request = hyper::Request::builder()
            .method(sent.method.as_str())
            .uri(&sent.path)
            .header("host", self.addr.to_string());
        for (name, value) in &sent.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(sent.body.clone())))
            .map_err(|e| format!("the test built a bad request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("the service did not answer: {e}"))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("the body broke off: {e}"))?
            .to_bytes();
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(sender);
        Ok((status, headers, body))
    }
}

/// A request being built.
#[derive(Debug)]
pub struct Request<'c> {
    client: &'c Client,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request<'_> {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json(self, body: &serde_json::Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    /// Sends it and reads the whole answer.
    ///
    /// # Panics
    /// If the service cannot be reached or does not answer within
    /// [`REQUEST_TIMEOUT`]; the message has the `curl` line.
    pub async fn send(self) -> Exchange {
        match self.try_send().await {
            Ok(exchange) => exchange,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Like [`Request::send`], but a transport failure (refused, reset, no
    /// answer in time) is an `Err`, for tests that expect one.
    pub async fn try_send(self) -> Result<Exchange, TransportError> {
        let client = self.client;
        let sent = SentRequest {
            method: self.method,
            url: format!("http://{}{}", client.addr, self.path),
            path: self.path,
            headers: self.headers,
            body: self.body,
        };
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, client.exchange(&sent))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())));
        match answer {
            Ok((status, headers, body)) => Ok(Exchange {
                request: sent,
                status,
                headers,
                body,
                seed: client.seed,
            }),
            Err(why) => Err(TransportError {
                request: sent,
                why,
                seed: client.seed,
            }),
        }
    }
}

/// What was sent, kept to reproduce it.
#[derive(Debug, Clone)]
pub struct SentRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query, as sent.
    pub path: String,
    /// The full URL, for `curl`.
    pub url: String,
    /// Headers the test set (names in lower case).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl SentRequest {
    /// The `curl` line that sends this request again.
    pub fn curl(&self) -> String {
        curl_line(&self.method, &self.url, &self.headers, &self.body)
    }
}

/// A request that got no HTTP answer.
#[derive(Debug)]
pub struct TransportError {
    /// What was sent.
    pub request: SentRequest,
    /// Why there is no answer.
    pub why: String,
    seed: Option<u64>,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} {}: {}",
            self.request.method, self.request.path, self.why
        )?;
        writeln!(f, "  reproduce: {}", self.request.curl())?;
        if let Some(seed) = self.seed {
            writeln!(f, "  seed {seed}: replay it alone with SDKATA_SEED={seed}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {}

/// One request and its response.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What was sent.
    pub request: SentRequest,
    /// The status code.
    pub status: u16,
    /// Response headers in order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The whole response body.
    pub body: Bytes,
    seed: Option<u64>,
}

impl Exchange {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; fails the test with the transcript if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| self.fail("the body is JSON", format!("it does not parse: {e}")))
    }

    /// Fails unless the status is `status`. `rule` names the property, as
    /// `"expiry: a link past its expiry answers 410 Gone"`.
    pub fn expect_status(&self, rule: &str, status: u16) -> &Self {
        if self.status != status {
            self.fail(
                rule,
                format!("status: expected {status}, received {}", self.status),
            );
        }
        self
    }

    /// Fails unless header `name` is present with exactly `value`.
    pub fn expect_header(&self, rule: &str, name: &str, value: &str) -> &Self {
        match self.header(name) {
            None => self.fail(
                rule,
                format!("header {name}: expected {value:?}, received none"),
            ),
            Some(received) => {
                if let Some(diff) = caret_diff(value.as_bytes(), received.as_bytes()) {
                    self.fail(rule, format!("header {name}:\n{}", indent(&diff, "  ")));
                }
            }
        }
        self
    }

    /// Fails unless the body is exactly `expected`.
    pub fn expect_body(&self, rule: &str, expected: impl AsRef<[u8]>) -> &Self {
        if let Some(diff) = caret_diff(expected.as_ref(), &self.body) {
            self.fail(rule, format!("body:\n{}", indent(&diff, "  ")));
        }
        self
    }

    /// Fails the test with this exchange's transcript: `rule`, then `why`.
    pub fn fail(&self, rule: &str, why: impl std::fmt::Display) -> ! {
        panic!("{}", self.transcript(rule, &why.to_string()))
    }

    /// The transcript [`Exchange::fail`] prints.
    pub fn transcript(&self, rule: &str, why: &str) -> String {
        let request = &self.request;
        let mut out = format!("rule `{rule}`\n");
        out += &indent(why, "  ");
        out += &format!("  reproduce: {}\n", request.curl());
        out += &format!("  > {} {}\n", request.method, request.path);
        for (name, value) in &request.headers {
            out += &format!("  > {name}: {value}\n");
        }
        if !request.body.is_empty() {
            out += &format!("  > {}\n", shown_body(&request.body));
        }
        out += &format!("  < {}\n", self.status);
        for (name, value) in &self.headers {
            out += &format!("  < {name}: {value}\n");
        }
        if !self.body.is_empty() {
            out += &format!("  < {}\n", shown_body(&self.body));
        }
        if let Some(seed) = self.seed {
            out += &format!("  seed {seed}: replay it alone with SDKATA_SEED={seed}\n");
        }
        out
    }
}

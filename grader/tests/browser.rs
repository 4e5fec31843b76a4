//! The HTML that sdkata writes, opened in a real browser: headless Chromium
//! loads the page from disk with the network off, renders it to a
//! screenshot, and reports anything the page said on its console (a script
//! error, a resource it could not load). These tests need Chromium (Debian's
//! `chromium`; `.ci/run` installs it) and fail, never skip, without it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Fixture, code, text};

/// How long one page may take to load and render: a bound on a broken
/// browser, not a wait (a page renders in about a second).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600;

/// What the browser made of a page.
struct Rendered {
    /// The page's console: every line Chromium logged from it.
    console: Vec<String>,
    /// The PNG screenshot.
    png: Vec<u8>,
    /// The DOM after loading, serialised.
    dom: String,
    /// Every URL the page asked the network for (Chromium's own background
    /// requests to Google's hosts left out).
    fetched: Vec<String>,
}

fn chromium() -> PathBuf {
    for candidate in ["chromium", "chromium-headless-shell", "chromium-browser"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {candidate}")])
            .output()
            .ok()
            .filter(|o| o.status.success());
        if let Some(out) = found {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "these tests need headless Chromium and found none: install Debian's `chromium` \
         (apt-get install chromium), as .ci/run does"
    );
}

/// Runs Chromium on `page` with `mode` (`--screenshot=...` or `--dump-dom`)
/// and returns its stdout and stderr.
fn browse(page: &Path, scratch: &Path, modes: &[String]) -> (String, String) {
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Anything but loopback fails, so a page that fetches is caught.
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,1800",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .args(modes)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let start = Instant::now();
    while child.try_wait().expect("poll chromium").is_none() {
        if start.elapsed() > BROWSER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish {} within {} s",
                page.display(),
                BROWSER_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (out.join().unwrap(), err.join().unwrap())
}

fn render(page: &Path) -> Rendered {
    let scratch = tempfile::tempdir().unwrap();
    let png_path = scratch.path().join("page.png");
    let (_, log) = browse(
        page,
        scratch.path(),
        &[format!("--screenshot={}", png_path.display())],
    );
    let png = std::fs::read(&png_path)
        .unwrap_or_else(|e| panic!("chromium wrote no screenshot ({e}); its log:\n{log}"));
    let net_log = scratch.path().join("net.json");
    let (dom, dom_log) = browse(
        page,
        scratch.path(),
        &[
            "--dump-dom".to_owned(),
            format!("--log-net-log={}", net_log.display()),
        ],
    );
    let fetched = fetched_urls(&std::fs::read_to_string(&net_log).unwrap_or_default());
    let console = log
        .lines()
        .chain(dom_log.lines())
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    Rendered {
        console,
        png,
        dom,
        fetched,
    }
}

/// The `"url":"..."` values of a Chromium net log, without the browser's own.
fn fetched_urls(net_log: &str) -> Vec<String> {
    const BROWSER_OWN: [&str; 3] = [".google.com/", ".googleapis.com/", ".gstatic.com/"];
    let mut urls: Vec<String> = net_log
        .split("\"url\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| !url.starts_with("file:") && !url.starts_with("data:"))
        .filter(|url| !BROWSER_OWN.iter().any(|own| url.contains(own)))
        .map(str::to_owned)
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24,
        "the screenshot is not a PNG"
    );
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn assert_renders_cleanly(what: &str, page: &Path) -> Rendered {
    let rendered = render(page);
    assert!(
        rendered.console.is_empty(),
        "{what}: the page logged to its console (a script error or a failed load):\n{}",
        rendered.console.join("\n")
    );
    assert!(
        rendered.fetched.is_empty(),
        "{what}: the page must be self-contained, but it asked the network for {:?}",
        rendered.fetched
    );
    assert_eq!(
        png_size(&rendered.png),
        (1200, 1800),
        "{what}: a screenshot of the window"
    );
    // A blank page compresses to a few kilobytes; text and charts do not.
    assert!(
        rendered.png.len() > 20_000,
        "{what}: the screenshot is nearly blank ({} bytes)",
        rendered.png.len()
    );
    rendered
}

#[test]
fn the_check_catches_a_page_that_fails() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<!doctype html><p>hi</p><img src=\"https://example.com/x.png\">\
         <script>throw new Error(\"boom\")</script>",
    )
    .unwrap();
    let rendered = render(&page);
    assert!(
        rendered.console.iter().any(|l| l.contains("boom")),
        "a script error must reach the console check: {:?}",
        rendered.console
    );
    assert!(rendered.dom.contains("<p>hi</p>"), "{}", rendered.dom);
    assert_eq!(
        rendered.fetched,
        ["https://example.com/x.png"],
        "a request the page makes must reach the network check"
    );
}

/// The fixture with evidence: `add` passed after three checks and a hint.
fn fixture_with_progress() -> Fixture {
    let f = Fixture::new();
    f.write(
        ".sdkata/state.toml",
        r#"format_version = 1
current = "greet"

[lessons.add]
done = true
first_tried = "2026-01-01T00:00:00Z"
done_at = "2026-01-01T01:00:00Z"
checks = 3
hint_level = 1

[[lessons.add.passes]]
at = 1767229200
checks = 3
hints = 1
stages = 2
"#,
    );
    f
}

#[test]
fn the_html_report_renders_offline_with_its_charts() {
    let f = fixture_with_progress();
    let out = f
        .command(&["report", "--format", "html"])
        .env("SDKATA_NOW", (T0 + 86_400).to_string())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let page = f.path("report.html");
    std::fs::write(&page, &out.stdout).unwrap();
    let rendered = assert_renders_cleanly("report", &page);
    let dom = &rendered.dom;
    for part in [
        "sdkata report, 2026-01-02",
        "Progress per track",
        "Retrievability over the next 90 days",
        "Checks to green",
        "ready: ",
    ] {
        assert!(dom.contains(part), "the report page shows {part:?}:\n{dom}");
    }
    assert_eq!(
        dom.matches("<polyline").count(),
        1,
        "one retrievability curve per lesson with a card (only `add` has one)"
    );
    assert!(
        dom.contains("3 checks, 1 hint"),
        "the checks chart shows add's first pass"
    );
}

#[test]
fn the_handbook_renders_offline() {
    let f = Fixture::new();
    let out = f.sdkata(&["handbook"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rendered = assert_renders_cleanly("handbook", &f.path(".sdkata/handbook.html"));
    assert!(
        rendered.dom.contains("The sdkata handbook") && rendered.dom.contains("Greeting"),
        "the book's contents render"
    );
}

#[test]
fn a_failing_runs_sequence_diagram_renders_offline() {
    use kit::sim::Network;
    let mut net: Network<String> = Network::new(3, 5);
    net.note("leader 0 in term 1");
    for i in 0..12 {
        net.send(0, 1 + i % 2, format!("AppendEntries {{ index: {i} }}"));
        if i == 6 {
            net.crash(2);
        }
        net.tick();
        while net.deliver().is_some() {}
    }
    net.restart(2);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("diagram.html");
    std::fs::write(&page, net.diagram()).unwrap();
    let rendered = assert_renders_cleanly("diagram", &page);
    assert!(
        rendered.dom.contains("AppendEntries { index: 0 }") && rendered.dom.contains("crash 2"),
        "the diagram shows messages and faults"
    );
}

//! Stage 8: crash and resume. The crawler runs as its own process with a
//! data directory; the test kills it with SIGKILL in the middle of a crawl
//! (while the fake web holds its requests), starts it again on the same
//! directory, and checks that the crawl goes on under the same id, finds
//! exactly the reference set, and refetches only what was in flight.

use std::collections::BTreeMap;

use kit::clock::ManualClock;
use serde_json::json;
use service_kit::{Client, ClockFile, Service, eventually, tempfile};

use crate::common::{self, FakeWeb, Model, Spelling, assert_found, finish, generate, status_of};

const WORKERS: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(7).await;
}

/// The crawler binary on `web`, with a data directory and a clock file.
fn crawler(web: &FakeWeb, data: &std::path::Path, clock: &ClockFile) -> Service {
    let resolve: Vec<String> = web
        .resolve()
        .into_iter()
        .map(|(host, addr)| format!("{host}={addr}"))
        .collect();
    let workers = WORKERS.to_string();
    tokio::task::block_in_place(|| {
        Service::builder(env!("CARGO_BIN_EXE_web_crawler"))
            .arg("--data-dir")
            .arg(data)
            .arg("--clock-file")
            .arg(clock.path())
            .args([
                "--resolve",
                &resolve.join(","),
                "--delay-ms",
                "0",
                "--workers",
                &workers,
            ])
            .start()
    })
}

async fn begin(client: &Client, seed: &str, max_depth: u32) -> u64 {
    let created = client
        .post_json(
            "/crawls",
            &json!({ "seeds": [seed], "max_depth": max_depth }),
        )
        .await;
    created.expect_status("api: POST /crawls answers 201", 201);
    created.json()["id"].as_u64().expect("an id")
}

fn requests_per_url(web: &FakeWeb) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for hit in web.page_hits() {
        *counts.entry(hit.url()).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_crawl_resumes_from_its_checkpoint() {
    for seed in common::seeds() {
        let model = generate(seed, 4, 14, 3, Spelling::Plain);
        let expected = model.reference(&["http://h0.test/"], 4, 5);
        assert!(expected.pages.len() >= 30, "the seeded web is large enough");
        let web = FakeWeb::start(model.clone(), &ManualClock::new(0)).await;
        let data = tempfile::tempdir().expect("a data directory");
        let time = tempfile::tempdir().expect("a clock directory");
        let clock = ClockFile::create(time.path(), 1_000_000).expect("a clock file");
        let mut service = crawler(&web, data.path(), &clock);
        let before = 15;
        web.hold_after(before);
        let client = Client::new(service.addr()).with_seed(seed);
        let id = begin(&client, "http://h0.test/", 4).await;
        eventually(
            "15 pages answered and checkpointed, the next requests held",
            || async {
                let (_, pages) = status_of(&client, id).await;
                (pages.len() == before && web.held() >= 1).then_some(())
            },
        )
        .await;
        let answered: Vec<String> = web
            .page_hits()
            .iter()
            .take(before)
            .map(|h| h.url())
            .collect();
        tokio::task::block_in_place(|| service.kill9());

        tokio::task::block_in_place(|| service.restart());
        let client = Client::new(service.addr()).with_seed(seed);
        let (done, pages) = status_of(&client, id).await;
        assert!(
            !done && pages.len() >= before,
            "resume: after kill -9 and a restart, crawl {id} is still there, running, with \
             the {before} pages it had shown (it shows {} pages, done = {done})",
            pages.len()
        );
        web.open();
        let found = finish(&client, id).await;
        assert_found(
            "resume: a crawl resumed after kill -9 finds exactly what an uninterrupted one finds",
            seed,
            &found.pages,
            &expected.pages,
        );
        let counts = requests_per_url(&web);
        for url in &answered {
            assert_eq!(
                counts[url], 1,
                "resume: {url} was answered and shown before the crash, so it was in the \
                 checkpoint and must not be fetched again (seed {seed})"
            );
        }
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            twice.len() <= WORKERS && twice.iter().all(|(_, n)| **n == 2),
            "resume: only the pages in flight at the crash (at most workers = {WORKERS}) are \
             fetched again, once; refetched: {twice:?} (seed {seed})"
        );
        let next = begin(&client, "http://h0.test/", 0).await;
        assert_eq!(
            next,
            id + 1,
            "resume: a crawl started after the restart gets the id after the largest"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_crawl_survives_an_immediate_crash() {
    let model: Model = generate(5, 2, 6, 3, Spelling::Plain);
    let web = FakeWeb::start(model.clone(), &ManualClock::new(0)).await;
    let data = tempfile::tempdir().expect("a data directory");
    let time = tempfile::tempdir().expect("a clock directory");
    let clock = ClockFile::create(time.path(), 1_000_000).expect("a clock file");
    let mut service = crawler(&web, data.path(), &clock);
    web.hold_after(0);
    let client = Client::new(service.addr());
    let id = begin(&client, "http://h0.test/", 3).await;
    tokio::task::block_in_place(|| service.kill9());
    tokio::task::block_in_place(|| service.restart());
    let client = Client::new(service.addr());
    let answer = client.get(&format!("/crawls/{id}")).await;
    answer.expect_status(
        "resume: a crawl acknowledged with 201 is checkpointed first: it survives kill -9",
        200,
    );
    web.open();
    let found = finish(&client, id).await;
    assert_found(
        "resume: the crawl runs to its end after the restart",
        5,
        &found.pages,
        &model.reference(&["http://h0.test/"], 3, 5).pages,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_and_running_crawls_keep_their_ids_across_a_restart() {
    let model: Model = generate(5, 2, 6, 3, Spelling::Plain);
    let web = FakeWeb::start(model.clone(), &ManualClock::new(0)).await;
    let data = tempfile::tempdir().expect("a data directory");
    let time = tempfile::tempdir().expect("a clock directory");
    let clock = ClockFile::create(time.path(), 1_000_000).expect("a clock file");
    let mut service = crawler(&web, data.path(), &clock);
    let client = Client::new(service.addr());
    let first = begin(&client, "http://h0.test/", 3).await;
    let finished = finish(&client, first).await;
    web.hold_after(0);
    let second = begin(&client, "http://h0.test/", 3).await;
    tokio::task::block_in_place(|| service.kill9());
    tokio::task::block_in_place(|| service.restart());
    let client = Client::new(service.addr());
    let (done, pages) = status_of(&client, first).await;
    assert!(
        done && pages == finished.pages,
        "resume: crawl {first} was done before the crash, so it is shown done with its {} \
         pages (it shows {}, done = {done})",
        finished.pages.len(),
        pages.len()
    );
    let (done, _) = status_of(&client, second).await;
    assert!(
        !done,
        "resume: crawl {second} was running at the crash: it resumes"
    );
    web.open();
    finish(&client, second).await;
    let third = begin(&client, "http://h0.test/", 0).await;
    assert_eq!(
        third,
        second + 1,
        "resume: ids go on after the largest checkpointed one"
    );
}

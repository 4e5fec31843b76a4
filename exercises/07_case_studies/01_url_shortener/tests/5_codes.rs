//! Stage 5: codes are unique. 10,000 creates, 64 in flight on a clock that
//! never moves, give 10,000 distinct well-formed codes; and after kill -9
//! (and a wall clock stepped back), new codes never repeat an acknowledged
//! one and every old code still leads to its own URL. The wrong designs: a
//! counter that is not recovered and starts again at 0, an ID made from the
//! time alone, a generator that waits for a frozen clock to move.

use std::collections::{HashMap, HashSet};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_creates_give_distinct_codes() {
    let s = Shortener::start().await;
    smoke(&s.client).await;
    let mut rng = rng("ten thousand");
    let urls: Vec<String> = (0..10_000)
        .map(|i| format!("{}&n={i}", random_url(&mut rng)))
        .collect();
    let answers = within(
        "codes: 10,000 creates on a frozen clock (a generator must never wait for the clock)",
        bounded(urls.len(), 64, |i| {
            let client = s.client.clone();
            let body = serde_json::json!({ "url": urls[i] });
            async move { client.post_json("/shorten", &body).await }
        }),
    )
    .await;
    let mut owners: HashMap<String, usize> = HashMap::new();
    for (i, answer) in answers.iter().enumerate() {
        let code = created_code(answer);
        check_generated_code(answer, &code);
        if let Some(first) = owners.insert(code.clone(), i) {
            answer.fail(
                "codes: no two links share a code",
                format!("{code} was given to {} and to {}", urls[first], urls[i]),
            );
        }
    }
    for _ in 0..300 {
        let i = rng.below(urls.len() as u64) as usize;
        let code = answers[i].json()["code"].as_str().unwrap().to_owned();
        expect_redirect(
            &s.client,
            &code,
            &urls[i],
            "codes: each code leads to its own URL",
        )
        .await;
    }
}

#[tokio::test]
async fn codes_after_a_crash_never_repeat_acknowledged_ones() {
    let mut app = Binary::start(&[]);
    let mut rng = rng("restart codes");
    let mut links: Vec<(String, String)> = Vec::new();
    for round in 0..3 {
        for _ in 0..150 {
            let url = random_url(&mut rng);
            links.push((create(&app.client(), &url).await, url));
        }
        app.service.kill9();
        if round == 1 {
            // An NTP step back by an hour: time-based IDs must not repeat.
            let back = app.clock.unix_millis() - 3_600_000;
            app.clock.set(back).expect("set the clock file");
        }
        app.service.restart();
    }
    let client = app.client();
    let mut seen = HashSet::new();
    for (code, _) in &links {
        assert!(
            seen.insert(code),
            "codes: {code} was handed out twice across restarts: the generator's state (a \
             counter, the last ID) must be recovered from the log, not start again"
        );
    }
    for (code, url) in &links {
        expect_redirect(
            &client,
            code,
            url,
            "codes: after crashes every code still leads to its own, original URL",
        )
        .await;
    }
}

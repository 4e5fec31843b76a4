//! Stage 2: custom aliases. An alias becomes the code; a taken one answers
//! 409 and leaves its link alone, even when 20 clients race for it; reserved
//! words (any case) and malformed aliases answer 400.

use serde_json::json;

use crate::common::*;

fn random_alias(rng: &mut kit::rng::Rng) -> String {
    let mut alias = random_word(rng, 2, 30);
    alias.insert(
        rng.below(alias.len() as u64) as usize,
        ['-', '_'][rng.below(2) as usize],
    );
    alias
}

#[tokio::test]
async fn an_alias_becomes_the_code() {
    let s = Shortener::start().await;
    smoke(&s.client).await;
    let mut rng = rng("aliases");
    for _ in 0..10 {
        let (alias, url) = (random_alias(&mut rng), random_url(&mut rng));
        let exchange = shorten(&s.client, json!({ "url": url, "alias": alias })).await;
        let code = created_code(&exchange);
        if code != alias {
            exchange.fail("aliases: the alias is the code", format!("code {code:?}"));
        }
        expect_redirect(&s.client, &alias, &url, "aliases: GET /{alias} redirects").await;
    }
    let url_upper = random_url(&mut rng);
    let url_lower = random_url(&mut rng);
    created_code(
        &shorten(
            &s.client,
            json!({ "url": url_upper, "alias": "CaseMatters" }),
        )
        .await,
    );
    created_code(
        &shorten(
            &s.client,
            json!({ "url": url_lower, "alias": "casematters" }),
        )
        .await,
    );
    expect_redirect(
        &s.client,
        "CaseMatters",
        &url_upper,
        "aliases: codes are case-sensitive",
    )
    .await;
    expect_redirect(
        &s.client,
        "casematters",
        &url_lower,
        "aliases: codes are case-sensitive",
    )
    .await;
}

#[tokio::test]
async fn a_taken_alias_answers_409_and_keeps_its_link() {
    let s = Shortener::start().await;
    let mut rng = rng("taken");
    let alias = random_alias(&mut rng);
    let (first, second) = (random_url(&mut rng), random_url(&mut rng));
    created_code(&shorten(&s.client, json!({ "url": first, "alias": alias })).await);
    let exchange = shorten(&s.client, json!({ "url": second, "alias": alias })).await;
    exchange.expect_status("aliases: an alias that is taken answers 409 Conflict", 409);
    if exchange.json()["error"].as_str().is_none() {
        exchange.fail(
            "errors: a refusal's body is {\"error\": why}",
            "no `error` string",
        );
    }
    expect_redirect(
        &s.client,
        &alias,
        &first,
        "aliases: a refused create never changes the link that has the alias",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_racing_creates_of_one_alias_have_one_winner() {
    let s = Shortener::start().await;
    let mut rng = rng("race");
    for round in 0..5 {
        let alias = format!("race-{round}-{}", random_word(&mut rng, 4, 8));
        let urls: Vec<String> = (0..20).map(|_| random_url(&mut rng)).collect();
        let answers = bounded(20, 20, |i| {
            let client = s.client.clone();
            let body = json!({ "url": urls[i], "alias": alias });
            async move { client.post_json("/shorten", &body).await }
        })
        .await;
        let winners: Vec<usize> = (0..20).filter(|&i| answers[i].status == 201).collect();
        assert_eq!(
            winners.len(),
            1,
            "aliases: of 20 concurrent creates of `{alias}` exactly one may win (got {}); \
             checking that an alias is free and then taking it must be one atomic step",
            winners.len()
        );
        for answer in &answers {
            if answer.status != 201 {
                answer.expect_status("aliases: the losers of a race answer 409", 409);
            }
        }
        expect_redirect(
            &s.client,
            &alias,
            &urls[winners[0]],
            "aliases: the alias leads to the winner's URL",
        )
        .await;
    }
}

#[tokio::test]
async fn reserved_words_are_refused_with_400_in_any_case() {
    let s = Shortener::start().await;
    let mut rng = rng("reserved");
    for word in [
        "shorten", "metrics", "stats", "health", "api", "admin", "static", "login", "www",
    ] {
        let cased: String = word
            .chars()
            .map(|c| {
                if rng.chance(0.5) {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        for alias in [word.to_owned(), cased] {
            let exchange = shorten(
                &s.client,
                json!({ "url": "https://example.com/", "alias": alias }),
            )
            .await;
            exchange.expect_status(
                "aliases: a reserved word (compared ignoring case) answers 400",
                400,
            );
        }
    }
}

#[tokio::test]
async fn malformed_aliases_are_refused_with_400() {
    let s = Shortener::start().await;
    for alias in [
        "",
        "ab",
        "a".repeat(33).as_str(),
        "has space",
        "slash/ed",
        "dot.ted",
        "ümlaut",
        "semi;colon",
    ] {
        shorten(
            &s.client,
            json!({ "url": "https://example.com/", "alias": alias }),
        )
        .await
        .expect_status(
            "aliases: an alias is 3 to 32 characters of [A-Za-z0-9_-]; any other answers 400",
            400,
        );
    }
    for alias in ["a_b", "-".repeat(32).as_str(), "0-9"] {
        let exchange = shorten(
            &s.client,
            json!({ "url": "https://example.com/", "alias": alias }),
        )
        .await;
        created_code(&exchange);
    }
    shorten(
        &s.client,
        json!({ "url": "https://example.com/", "alias": 42 }),
    )
    .await
    .expect_status("validation: an alias that is not a string answers 400", 400);
}

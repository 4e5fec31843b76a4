//! Stage 2: unguessable tokens and the secret delete token. A thousand
//! tokens are 22 base62 characters each, all distinct, with no shared
//! structure (no counter, no timestamp, no hash of the body) and no order;
//! a paste is deleted only with its own delete token.

use std::collections::{BTreeSet, HashSet};

use kit::rng::Rng;

use crate::common::{self, Pastebin, create, expect_error, expect_readable};

fn is_base62_token(token: &str) -> bool {
    token.len() == 22 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tokens_share_no_structure() {
    let bin = Pastebin::default().await;
    common::smoke(&bin.client).await;
    // The same body every time: a token derived from the content would
    // repeat. 500 creates give 1,000 tokens: 500 read and 500 delete tokens.
    let body = b"the same paste, five hundred times".to_vec();
    let mut writers = Vec::new();
    for _ in 0..8 {
        let (client, body) = (bin.client.clone(), body.clone());
        writers.push(tokio::spawn(async move {
            let mut made = Vec::new();
            for _ in 0..500 / 8 + 1 {
                made.push(create(&client, &body, "text/plain", "").await);
            }
            made
        }));
    }
    let mut pastes = Vec::new();
    for writer in writers {
        pastes.extend(writer.await.expect("a writer task"));
    }
    pastes.truncate(500);
    // In the order the service created them, as far as rowids tell.
    let db = common::database(bin.dir.path());
    let order: Vec<String> = db
        .prepare("SELECT token FROM pastes ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("the pastes table of the stated schema");
    let created: HashSet<&String> = pastes.iter().map(|p| &p.token).collect();
    let tokens: Vec<String> = order.into_iter().filter(|t| created.contains(t)).collect();
    let secrets: Vec<String> = pastes.iter().map(|p| p.delete_token.clone()).collect();
    for token in tokens.iter().chain(&secrets) {
        assert!(
            is_base62_token(token),
            "tokens: {token:?} is not 22 base62 characters; fewer characters, or fewer \
             symbols, leave fewer than 128 bits to guess"
        );
    }
    let all: Vec<&String> = tokens.iter().chain(&secrets).collect();
    let distinct: HashSet<&&String> = all.iter().collect();
    assert_eq!(
        distinct.len(),
        1_000,
        "tokens: 500 read tokens and 500 delete tokens must all differ (identical bodies \
         included): a token derived from the body lets anyone who knows a text find its paste"
    );
    for position in 0..22 {
        let mut counts = [0u32; 256];
        for token in &all {
            counts[usize::from(token.as_bytes()[position])] += 1;
        }
        let distinct = counts.iter().filter(|&&c| c > 0).count();
        let most = counts.iter().max().copied().unwrap_or(0);
        assert!(
            distinct >= 55 && most <= 45,
            "tokens: character {position} of 1,000 tokens takes {distinct} distinct values, the \
             commonest {most} times; uniform random characters take all 62 about 16 times each. \
             A counter, a timestamp or a number's base62 digits leave some positions predictable"
        );
    }
    let rising = tokens.windows(2).filter(|w| w[0] < w[1]).count();
    assert!(
        (200..=300).contains(&rising),
        "tokens: {rising} of 499 tokens are greater than the one created before; random tokens are \
         about half, sequential or time-ordered ones nearly all, and the next is then guessable"
    );
    let rising = secrets.windows(2).filter(|w| w[0] < w[1]).count();
    assert!(
        (200..=300).contains(&rising),
        "tokens: {rising} of 499 consecutive delete tokens are in increasing order; random tokens are \
         about half, sequential or time-ordered ones nearly all, and the next is then guessable"
    );
    let prefixes: BTreeSet<&str> = all.iter().map(|t| &t[..6]).collect();
    assert_eq!(
        prefixes.len(),
        1_000,
        "tokens: two of 1,000 tokens share their first 6 characters; random ones almost never do"
    );
}

/// `token` with its first two different characters swapped: a comparison
/// that folds the differences with XOR instead of OR lets them cancel.
fn swapped(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let j = (1..chars.len())
        .find(|&j| chars[j] != chars[0])
        .expect("a 22-character random token has two different characters");
    chars.swap(0, j);
    chars.into_iter().collect()
}

#[tokio::test]
async fn only_the_delete_token_deletes() {
    let bin = Pastebin::default().await;
    let mut rng = Rng::new(5);
    let a = create(&bin.client, &common::text(&mut rng, 500), "text/plain", "").await;
    let b = create(&bin.client, &common::text(&mut rng, 500), "text/plain", "").await;
    let path = format!("/pastes/{}", a.token);
    for (header, why) in [
        (None, "no X-Delete-Token"),
        (Some(a.token.clone()), "the read token"),
        (Some(b.delete_token.clone()), "another paste's delete token"),
        (
            Some(a.delete_token[..21].to_owned()),
            "a prefix of the delete token",
        ),
        (
            Some(swapped(&a.delete_token)),
            "the delete token with two of its characters swapped",
        ),
    ] {
        let mut request = bin.client.request("DELETE", &path);
        if let Some(secret) = header {
            request = request.header("x-delete-token", secret);
        }
        let exchange = request.send().await;
        expect_error(
            &exchange,
            &format!(
                "delete: {why} answers 403 {{\"error\": \"wrong delete token\"}}: whoever can \
                 read a paste must not be able to delete it"
            ),
            403,
            "wrong delete token",
        );
        expect_readable(&bin.client, &a, "delete: a refused delete leaves the paste").await;
    }
    let exchange = bin
        .client
        .request("DELETE", &path)
        .header("x-delete-token", a.delete_token.clone())
        .send()
        .await;
    exchange.expect_status(
        "delete: the right X-Delete-Token answers 204 No Content",
        204,
    );
    expect_error(
        &bin.client.get(&path).await,
        "delete: a deleted paste answers 404",
        404,
        "paste not found",
    );
    let again = bin
        .client
        .request("DELETE", &path)
        .header("x-delete-token", a.delete_token.clone())
        .send()
        .await;
    expect_error(
        &again,
        "delete: deleting a paste that is gone answers 404",
        404,
        "paste not found",
    );
    expect_readable(&bin.client, &b, "delete: other pastes are untouched").await;
}

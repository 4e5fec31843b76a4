//! Stage 2: URL normalisation and the seen set. Every spelling of a page is
//! one URL, fetched once; the seen set is a Bloom filter in front of an
//! exact set, and its cost is counted: the filter must spare the exact set
//! nearly every new URL, and its false positives must never lose a page.

use kit::clock::ManualClock;
use kit::rng::Rng;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed};
use web_crawler::{Bloom, Seen, SeenSet, Url};

use crate::common::{
    self, Crawler, FakeWeb, Link, Model, Resource, Spelling, assert_found, assert_no_refetch,
    generate,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(1).await;
}

fn parsed(text: &str) -> Option<String> {
    Url::parse(text).map(|u| u.to_string())
}

#[test]
fn spellings_normalise_to_one_url() {
    let cases = [
        ("http://h0.test/a/b", Some("http://h0.test/a/b")),
        ("HTTP://H0.Test/a/B", Some("http://h0.test/a/B")),
        ("http://h0.test:80/a", Some("http://h0.test/a")),
        ("http://h0.test:8080/a", Some("http://h0.test:8080/a")),
        ("http://h0.test:/a", Some("http://h0.test/a")),
        ("http://h0.test", Some("http://h0.test/")),
        ("http://h0.test?q=1", Some("http://h0.test/?q=1")),
        ("http://h0.test/a/./b/../c", Some("http://h0.test/a/c")),
        ("http://h0.test/a/b/..", Some("http://h0.test/a/")),
        ("http://h0.test/a/.", Some("http://h0.test/a/")),
        ("http://h0.test/../../a", Some("http://h0.test/a")),
        ("http://h0.test/a#part", Some("http://h0.test/a")),
        (
            "http://h0.test/a?b=1&a=2#f",
            Some("http://h0.test/a?b=1&a=2"),
        ),
        ("http://h0.test/d/", Some("http://h0.test/d/")),
        ("http://h0.test/%7Euser", Some("http://h0.test/%7Euser")),
        ("https://h0.test/", None),
        ("mailto:a@h0.test", None),
        ("/relative", None),
        ("http://user@h0.test/", None),
        ("http:///nohost", None),
        ("http://h0.test:http/", None),
        ("http://h0 test/", None),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parsed(text).as_deref(),
            expected,
            "normalise: Url::parse({text:?}): lower-case scheme and host, no :80, no dot \
             segments, no fragment, path at least `/`, query and escapes kept; None for \
             anything but an absolute http URL with a valid host"
        );
    }
}

#[test]
fn links_resolve_against_their_page() {
    let base = Url::parse("http://h0.test/a/b/c?x=1").expect("a URL");
    let cases = [
        ("d", Some("http://h0.test/a/b/d")),
        ("./d", Some("http://h0.test/a/b/d")),
        ("../d", Some("http://h0.test/a/d")),
        ("../../../../d", Some("http://h0.test/d")),
        ("d/", Some("http://h0.test/a/b/d/")),
        ("..", Some("http://h0.test/a/")),
        ("/d/./e", Some("http://h0.test/d/e")),
        ("?y=2", Some("http://h0.test/a/b/c?y=2")),
        ("#top", Some("http://h0.test/a/b/c?x=1")),
        ("", Some("http://h0.test/a/b/c?x=1")),
        ("d?q#f", Some("http://h0.test/a/b/d?q")),
        ("//H1.test:80/p", Some("http://h1.test/p")),
        ("HTTP://h1.TEST/p/../q", Some("http://h1.test/q")),
        ("  /spaced  ", Some("http://h0.test/spaced")),
        ("https://h0.test/", None),
        ("mailto:x@h0.test", None),
        ("javascript:void(0)", None),
    ];
    for (href, expected) in cases {
        assert_eq!(
            base.join(href).map(|u| u.to_string()).as_deref(),
            expected,
            "normalise: http://h0.test/a/b/c?x=1 joined with {href:?} (RFC 3986 §5.2, then \
             normal form)"
        );
    }
    let other_port = Url::parse("http://h0.test:8080/a/b").expect("a URL");
    assert_eq!(
        other_port.join("c").map(|u| u.to_string()).as_deref(),
        Some("http://h0.test:8080/a/c"),
        "normalise: a relative link keeps its page's port"
    );
    assert_eq!(other_port.authority(), "h0.test:8080");
    assert_eq!(
        base.authority(),
        "h0.test:80",
        "normalise: the authority always has a port"
    );
    assert_eq!(
        base.host_header(),
        "h0.test",
        "normalise: Host leaves out port 80"
    );
    assert_eq!(other_port.host_header(), "h0.test:8080");
    assert_eq!(base.target(), "/a/b/c?x=1");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x5EED_0002),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever dot segments a link holds, the result has none, and the
    /// normal form parses back to itself.
    #[test]
    fn the_normal_form_is_a_fixed_point(
        segments in proptest::collection::vec(prop_oneof!["a", "bb", "\\.", "\\.\\.", ""], 0..8),
        absolute in any::<bool>(),
    ) {
        let base = Url::parse("http://h0.test/x/y/z").expect("a URL");
        let href = format!("{}{}", if absolute { "/" } else { "" }, segments.join("/"));
        // `//x` is a network-path reference (a host), not a path.
        prop_assume!(!href.starts_with("//"));
        let joined = base.join(&href).expect("a relative link resolves");
        let text = joined.to_string();
        let target = joined.target();
        prop_assert!(target.starts_with('/'), "{href:?} -> {text}: the path starts with /");
        for segment in target.split('/') {
            prop_assert!(segment != "." && segment != "..", "{href:?} -> {text}: a dot segment is left");
        }
        prop_assert_eq!(Url::parse(&text), Some(joined.clone()), "the normal form parses back to itself");
        prop_assert_eq!(base.join(&text), Some(joined), "an absolute link in normal form joins to itself");
    }
}

#[test]
fn a_bloom_filter_has_no_false_negatives_and_few_false_positives() {
    let mut rng = Rng::new(0xB100);
    let mut bloom = Bloom::new(10_000, 7);
    let keys: Vec<String> = (0..1_000)
        .map(|_| format!("http://h.test/{:x}", rng.next_u64()))
        .collect();
    assert!(
        !bloom.contains(keys[0].as_bytes()),
        "bloom: an empty filter contains nothing"
    );
    for key in &keys {
        bloom.insert(key.as_bytes());
    }
    for key in &keys {
        assert!(
            bloom.contains(key.as_bytes()),
            "bloom: no false negatives: {key} was inserted"
        );
    }
    let false_positives = (0..10_000)
        .filter(|i| bloom.contains(format!("http://other.test/{i}").as_bytes()))
        .count();
    // 10 bits per key and 7 hashes: about 0.8 % (1 hash would give about 9.5 %).
    assert!(
        false_positives <= 200,
        "bloom: 1,000 keys in 10,000 bits with 7 hashes give about 0.8 % false positives; \
         {false_positives} of 10,000 absent keys were reported present (are the 7 positions \
         independent? is every bit of the filter used?)"
    );
    let result = std::panic::catch_unwind(|| Bloom::new(0, 3));
    let message = result
        .err()
        .and_then(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        })
        .unwrap_or_default();
    assert!(
        message.contains("a Bloom filter needs at least one bit and one hash"),
        "bloom: Bloom::new(0, 3) panics with \"a Bloom filter needs at least one bit and one hash\", got {message:?}"
    );
}

#[test]
fn the_seen_set_says_what_each_insert_cost() {
    let mut tiny = SeenSet::new(8, 1);
    let urls: Vec<String> = (0..40).map(|i| format!("http://h0.test/{i}")).collect();
    let mut false_positives = 0;
    for url in &urls {
        match tiny.insert(url) {
            Seen::BloomNew => {}
            Seen::FalsePositive => false_positives += 1,
            Seen::Duplicate => panic!(
                "seen: {url} is new: a Bloom filter's \"maybe\" is checked against the exact \
                 set, never trusted (a Bloom-only seen set loses pages)"
            ),
        }
    }
    assert!(
        false_positives >= 30,
        "seen: 40 URLs in an 8-bit filter collide nearly always; only {false_positives} \
         false positives reported"
    );
    assert_eq!(tiny.len(), 40, "seen: len counts distinct URLs");
    for url in &urls {
        assert_eq!(
            tiny.insert(url),
            Seen::Duplicate,
            "seen: a second insert of {url} is a duplicate"
        );
    }
    assert_eq!(tiny.len(), 40);
    let mut large = SeenSet::new(1 << 16, 7);
    assert!(large.is_empty());
    let new = urls
        .iter()
        .filter(|u| large.insert(u) == Seen::BloomNew)
        .count();
    assert!(
        new >= 39,
        "seen: in a large filter nearly every new URL is answered by the filter alone \
         (BloomNew), with no exact lookup; only {new} of 40 were"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spelling_of_a_page_is_fetched_once() {
    for seed in common::seeds() {
        let model = generate(seed, 3, 14, 4, Spelling::Mangled);
        let clock = ManualClock::new(1_000_000);
        let web = FakeWeb::start(model.clone(), &clock).await;
        let crawler = Crawler::start(common::config(&web, &clock)).await;
        let found = crawler
            .crawl(&["HTTP://H0.TEST:80/./#start"], 3, None)
            .await;
        let expected = model.reference(&["http://h0.test/"], 3, 5);
        assert_found(
            "normalise: each page is one URL in normal form, whatever the link's spelling",
            seed,
            &found.pages,
            &expected.pages,
        );
        assert_no_refetch(
            "normalise: a page is fetched once under all its spellings",
            &web,
        );
        let requested: std::collections::BTreeSet<String> =
            web.page_hits().iter().map(|h| h.url()).collect();
        assert_eq!(
            requested, expected.requested,
            "normalise: exactly the normalised URLs are requested (seed {seed}); a link that \
             is https:, mailto:, unquoted, in a comment or in a <link> tag is not followed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bloom_filter_spares_the_exact_set() {
    for seed in common::seeds() {
        let model = generate(seed, 3, 14, 4, Spelling::Mangled);
        let expected = model.reference(&["http://h0.test/"], 3, 5);
        for (bits, hashes) in [(1 << 20, 7), (32, 1)] {
            let clock = ManualClock::new(1_000_000);
            let web = FakeWeb::start(model.clone(), &clock).await;
            let mut config = common::config(&web, &clock);
            config.bloom_bits = bits;
            config.bloom_hashes = hashes;
            let crawler = Crawler::start(config).await;
            let found = crawler.crawl(&["http://h0.test/"], 3, None).await;
            assert_found(
                &format!("seen: a {bits}-bit Bloom filter costs lookups but never loses a page"),
                seed,
                &found.pages,
                &expected.pages,
            );
            let m = crawler.metrics().await;
            let (seen, negatives, lookups, fp) = (
                m.get("urls_seen"),
                m.get("bloom_negatives"),
                m.get("exact_lookups"),
                m.get("bloom_false_positives"),
            );
            let context = format!(
                "seed {seed}, {bits} bits: urls_seen {seen}, bloom_negatives {negatives}, \
                 exact_lookups {lookups}, bloom_false_positives {fp}"
            );
            assert_eq!(
                seen, expected.urls_seen as f64,
                "seen: urls_seen counts the seed, every followed link and redirect target ({context})"
            );
            assert_eq!(
                negatives + lookups,
                seen,
                "seen: every insertion is answered by the filter alone or by an exact lookup ({context})"
            );
            assert_eq!(
                negatives + fp,
                expected.new_urls as f64,
                "seen: the new URLs are the filter's negatives plus its false positives ({context})"
            );
            let duplicates = (expected.urls_seen - expected.new_urls) as f64;
            if bits > 32 {
                assert!(
                    fp <= 2.0 && lookups <= duplicates + 2.0,
                    "seen: with 2^20 bits, exact lookups are the {duplicates} true duplicates \
                     and at most 2 false positives: the filter must answer new URLs alone \
                     ({context})"
                );
            } else {
                assert!(
                    fp >= 5.0,
                    "seen: a 32-bit filter over {} URLs reports many false positives ({context})",
                    expected.new_urls
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_order_and_trailing_slashes_are_kept() {
    let clock = ManualClock::new(1_000_000);
    let spelled = ["/q?a=1&amp;b=2", "/q?b=2&a=1", "/d", "/d/", "/q?a=1&b=2#x"];
    let targets = ["/q?a=1&b=2", "/q?b=2&a=1", "/d", "/d/", "/q?a=1&b=2"];
    let mut model = Model::default();
    let links = spelled
        .iter()
        .zip(targets)
        .map(|(s, t)| Link::to(*s, &format!("http://h0.test{t}")))
        .collect();
    model
        .resources
        .insert("http://h0.test/".to_owned(), Resource::page(links));
    for target in targets {
        model.resources.insert(
            format!("http://h0.test{target}"),
            Resource::Page {
                links: vec![],
                text: target.to_owned(),
            },
        );
    }
    let web = FakeWeb::start(model.clone(), &clock).await;
    let crawler = Crawler::start(common::config(&web, &clock)).await;
    let found = crawler.crawl(&["http://h0.test/"], 1, None).await;
    assert_found(
        "normalise: the query is kept byte for byte (two orders are two URLs), and /d and /d/ \
         are two URLs",
        0,
        &found.pages,
        &model.reference(&["http://h0.test/"], 1, 5).pages,
    );
    assert_no_refetch("normalise: each URL once", &web);
}

//! Stage 6: content fingerprints. The same body under another URL (a mirror)
//! is a page, but its links are not extracted again; a body that differs by
//! one byte is a different page.

use kit::clock::ManualClock;

use crate::common::{self, Crawler, FakeWeb, Link, Model, Resource, assert_found};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earlier_stages_still_hold() {
    common::smoke(5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_bodies_are_parsed_once() {
    for seed in common::seeds() {
        let mut rng = kit::rng::Rng::new(seed).stream("mirror");
        let names: Vec<String> = (0..6).map(|_| format!("{:08x}", rng.next_u32())).collect();
        let origin = |n: &str| format!("http://a.test/doc/{n}");
        let mut model = Model::default();
        // a.test/doc/* link each other absolutely; m1.test and m2.test serve
        // byte-identical copies under their own names.
        for (i, name) in names.iter().enumerate() {
            let next = &names[(i + 1) % names.len()];
            let body = Resource::Page {
                links: vec![
                    Link::to(origin(next), &origin(next)),
                    Link::to(
                        format!("http://a.test/leaf/{name}"),
                        &format!("http://a.test/leaf/{name}"),
                    ),
                ],
                text: format!("<p>document {name}</p>"),
            };
            model.resources.insert(origin(name), body.clone());
            model
                .resources
                .insert(format!("http://m1.test/{name}"), body.clone());
            model
                .resources
                .insert(format!("http://m2.test/copy/{name}"), body);
            model.resources.insert(
                format!("http://a.test/leaf/{name}"),
                Resource::Page {
                    links: vec![],
                    text: format!("leaf {name}"),
                },
            );
        }
        // A near-duplicate: one byte more, and a link only it has.
        let near = Resource::Page {
            links: vec![
                Link::to(origin(&names[1]), &origin(&names[1])),
                Link::to(
                    format!("http://a.test/leaf/{}", names[0]),
                    &format!("http://a.test/leaf/{}", names[0]),
                ),
                Link::to("http://a.test/only-near", "http://a.test/only-near"),
            ],
            text: format!("<p>document {}</p>!", names[0]),
        };
        model
            .resources
            .insert("http://m1.test/near".to_owned(), near);
        model
            .resources
            .insert("http://a.test/only-near".to_owned(), Resource::page(vec![]));
        let mut seed_links = Vec::new();
        for name in &names {
            seed_links.push(Link::to(origin(name), &origin(name)));
            seed_links.push(Link::to(
                format!("http://m1.test/{name}"),
                &format!("http://m1.test/{name}"),
            ));
            seed_links.push(Link::to(
                format!("http://m2.test/copy/{name}"),
                &format!("http://m2.test/copy/{name}"),
            ));
        }
        seed_links.push(Link::to("http://m1.test/near", "http://m1.test/near"));
        model
            .resources
            .insert("http://a.test/".to_owned(), Resource::page(seed_links));

        let clock = ManualClock::new(1_000_000);
        let web = FakeWeb::start(model.clone(), &clock).await;
        let crawler = Crawler::start(common::config(&web, &clock)).await;
        let found = crawler.crawl(&["http://a.test/"], 3, None).await;
        let expected = model.reference(&["http://a.test/"], 3, 5);
        assert_found(
            "fingerprint: mirrors are pages too, and a near-duplicate's own links are followed",
            seed,
            &found.pages,
            &expected.pages,
        );
        let m = crawler.metrics().await;
        assert_eq!(
            m.get("duplicate_bodies"),
            expected.duplicate_bodies as f64,
            "fingerprint: duplicate_bodies counts the 200 bodies identical to one already \
             had: 2 mirror copies of each of 6 documents (seed {seed})"
        );
        assert_eq!(
            m.get("urls_seen"),
            expected.urls_seen as f64,
            "fingerprint: the links of an identical body are not extracted again, so they \
             cost no seen-set insertions (seed {seed})"
        );
    }
}

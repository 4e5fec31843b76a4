//! Stage 4: loom tries every interleaving (up to a preemption bound) of two
//! threads publishing on one wire, and of a feed leaving while news is
//! published. Run it with
//!
//!     cargo test -p observer --features loom --test 4_loom
//!
//! The bug this finds is sending outside the lock: a publish that copies the
//! list of senders under the lock, releases it, then sends, can be overtaken
//! half-way by another publish, so one feed gets "1, 2" and another "2, 1".
//! A stress test of real threads sees that only when the scheduler switches
//! threads inside that loop; loom tries that schedule on every run.

use std::sync::Arc;

use loom::model::Builder;
use observer::sync::thread;
use observer::{Feed, News, NewsWire};

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(f);
}

fn headlines(feed: &Feed) -> Vec<String> {
    feed.drain()
        .iter()
        .map(|n: &Arc<News>| n.headline.clone())
        .collect()
}

#[test]
fn two_publishers_give_every_feed_the_same_order() {
    model(|| {
        let wire = NewsWire::new();
        let (a, b) = (wire.subscribe(), wire.subscribe());
        let other = {
            let wire = wire.clone();
            thread::spawn(move || wire.publish(News::new("world", "1")))
        };
        let mine = wire.publish(News::new("world", "2"));
        let theirs = other.join().unwrap();
        assert_eq!((mine, theirs), (2, 2), "both feeds receive both publishes");
        let (x, y) = (headlines(&a), headlines(&b));
        assert_eq!(x.len(), 2, "feed a lost or duplicated news: {x:?}");
        assert_eq!(
            x, y,
            "two feeds saw two concurrent publishes in different orders: send to every \
             feed while holding the lock, so one publish is delivered to all feeds before \
             the next one starts"
        );
    });
}

#[test]
fn a_feed_leaving_during_a_publish_is_gone_afterwards() {
    model(|| {
        let wire = NewsWire::new();
        let stays = wire.subscribe();
        let leaves = wire.subscribe();
        let leaver = thread::spawn(move || drop(leaves));
        let delivered = wire.publish(News::new("world", "x"));
        leaver.join().unwrap();
        assert!(
            delivered == 1 || delivered == 2,
            "publish counted {delivered} feeds, but only two existed, one leaving"
        );
        assert_eq!(
            wire.subscriber_count(),
            1,
            "a dropped feed must leave the list, whenever it is dropped"
        );
        assert_eq!(headlines(&stays), ["x"]);
    });
}

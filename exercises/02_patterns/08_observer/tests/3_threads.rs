//! Stage 3: a thread-safe variant that delivers over channels.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use observer::{Feed, News, NewsWire};

/// Generous: only reached if something deadlocks or a message is lost.
const WATCHDOG: Duration = Duration::from_secs(5);

/// Runs `body` on a thread of its own and fails the test, saying `what`
/// hung, if it takes longer than [`WATCHDOG`]. A panic in the body is the
/// test's failure, message and all.
fn watchdog<T: Send + 'static>(what: &str, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let handle = thread::spawn(move || {
        let _ = done.send(body());
    });
    match finished.recv_timeout(WATCHDOG) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(handle.join().expect_err("the body panicked"))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("hung: {what}"),
    }
}

fn news(headline: &str) -> News {
    News::new("world", headline)
}

fn headlines(items: &[Arc<News>]) -> Vec<&str> {
    items.iter().map(|n| n.headline.as_str()).collect()
}

#[test]
fn the_wire_and_its_feeds_can_cross_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync::<NewsWire>();
    send::<Feed>();
}

#[test]
fn every_feed_receives_everything_published_after_it_subscribed() {
    let wire = NewsWire::new();
    assert_eq!(wire.publish(news("before anyone")), 0);
    let a = wire.subscribe();
    assert_eq!(wire.publish(news("1")), 1);
    let b = wire.subscribe();
    assert_eq!(wire.subscriber_count(), 2);
    assert_eq!(wire.publish(news("2")), 2);
    assert_eq!(headlines(&a.drain()), ["1", "2"]);
    assert_eq!(
        headlines(&b.drain()),
        ["2"],
        "a new feed gets news from its subscription on, not older news"
    );
    assert!(a.try_recv().is_none(), "nothing more is waiting");
}

#[test]
fn every_feed_shares_one_copy_of_each_news() {
    let wire = NewsWire::new();
    let (a, b) = (wire.subscribe(), wire.subscribe());
    wire.publish(news("big story"));
    let (x, y) = (a.try_recv().unwrap(), b.try_recv().unwrap());
    assert!(
        Arc::ptr_eq(&x, &y),
        "send an Arc<News> to each feed, not a deep copy per subscriber"
    );
    assert_eq!(*x, news("big story"));
}

#[test]
fn publishing_never_waits_for_a_feed_nobody_reads() {
    let (count, first, last) = watchdog(
        "publishing 10,000 news to a feed nobody reads blocked: the feeds' channels are \
         unbounded (sync::channel), so a slow reader never holds up the publisher",
        || {
            let wire = NewsWire::new();
            let feed = wire.subscribe();
            for i in 0..10_000 {
                assert_eq!(wire.publish(news(&i.to_string())), 1);
            }
            let all = feed.drain();
            let first = all.first().map(|n| n.headline.clone());
            let last = all.last().map(|n| n.headline.clone());
            (all.len(), first, last)
        },
    );
    assert_eq!(
        (count, first.as_deref(), last.as_deref()),
        (10_000, Some("0"), Some("9999")),
        "a feed nobody read for a while must still hold every news, oldest first: none \
         dropped because the reader was slow"
    );
}

#[test]
fn dropping_a_feed_unsubscribes_at_once() {
    let wire = NewsWire::new();
    let a = wire.subscribe();
    let b = wire.subscribe();
    drop(a);
    assert_eq!(
        wire.subscriber_count(),
        1,
        "a dropped feed must leave the list immediately"
    );
    assert_eq!(wire.publish(news("x")), 1);
    assert_eq!(headlines(&b.drain()), ["x"]);
}

#[test]
// The stub's NewsWire has no fields yet, so clippy calls these drops no-ops.
#[allow(clippy::drop_non_drop)]
fn a_feed_ends_when_every_wire_is_gone() {
    let wire = NewsWire::new();
    let other = wire.clone();
    let feed = wire.subscribe();
    other.publish(news("last"));
    assert_eq!(other.subscriber_count(), 1, "clones share the subscribers");
    drop(wire);
    other.publish(news("really last"));
    drop(other);
    assert_eq!(feed.recv().map(|n| n.headline.clone()), Some("last".into()));
    assert_eq!(
        feed.recv().map(|n| n.headline.clone()),
        Some("really last".into())
    );
    let feed = watchdog(
        "recv on a feed whose wires are all gone blocked: the feed must hold only a weak \
         link to the wire's state, or it keeps its own sender alive and recv never sees \
         the channel close",
        move || {
            assert_eq!(
                feed.recv(),
                None,
                "with the wire gone and the queue empty, recv ends, not hangs"
            );
            feed
        },
    );
    assert_eq!(feed.recv_timeout(Duration::from_millis(1)), None);
    drop(feed); // must not panic with the wire gone
}

#[test]
fn recv_timeout_returns_news_or_none() {
    let wire = NewsWire::new();
    let feed = wire.subscribe();
    assert_eq!(
        feed.recv_timeout(Duration::from_millis(1)),
        None,
        "nothing published yet"
    );
    wire.publish(news("x"));
    assert_eq!(
        feed.recv_timeout(WATCHDOG).map(|n| n.headline.clone()),
        Some("x".into())
    );
    let shown = format!("{wire:?}");
    assert!(
        shown.contains("NewsWire") && shown.contains('1'),
        "Debug shows the subscriber count: {shown}"
    );
    let shown = format!("{feed:?}");
    assert!(shown.starts_with("Feed"), "{shown}");
}

#[test]
fn a_consumer_thread_reads_its_feed() {
    let wire = NewsWire::new();
    let feed = wire.subscribe();
    let reader = thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(n) = feed.recv_timeout(WATCHDOG) {
            if n.headline == "stop" {
                break;
            }
            got.push(n.headline.clone());
        }
        got
    });
    for i in 0..100 {
        wire.publish(news(&i.to_string()));
    }
    wire.publish(news("stop"));
    let got = reader.join().expect("reader thread");
    let expected: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    assert_eq!(
        got, expected,
        "a single publisher's news arrives complete and in order"
    );
}

#[test]
fn concurrent_publishers_and_churning_subscribers() {
    const PUBLISHERS: usize = 4;
    const EACH: usize = 250;
    let wire = NewsWire::new();
    let feeds: Vec<Feed> = (0..3).map(|_| wire.subscribe()).collect();

    let (done_tx, done_rx) = mpsc::channel();
    let worker = {
        let wire = wire.clone();
        thread::spawn(move || {
            thread::scope(|s| {
                for p in 0..PUBLISHERS {
                    let wire = wire.clone();
                    s.spawn(move || {
                        for i in 0..EACH {
                            wire.publish(News::new(p.to_string(), i.to_string()));
                        }
                    });
                }
                // Subscribers come and go while news flows: must not deadlock
                // or disturb the steady feeds.
                let wire = wire.clone();
                s.spawn(move || {
                    for _ in 0..200 {
                        let f = wire.subscribe();
                        let _ = f.try_recv();
                        drop(f);
                    }
                });
            });
            done_tx.send(()).expect("test is waiting");
        })
    };
    if done_rx.recv_timeout(WATCHDOG).is_err() {
        // Dropping the feeds would wait for the lock a stuck publisher holds.
        std::mem::forget(feeds);
        panic!(
            "publishers did not finish in time: deadlock between publish and \
             subscribe/drop, or a publish blocked on a feed nobody reads?"
        );
    }
    worker.join().expect("worker");
    assert_eq!(
        wire.subscriber_count(),
        3,
        "every churned feed must have been removed"
    );

    let received: Vec<Vec<(String, String)>> = feeds
        .iter()
        .map(|f| {
            f.drain()
                .iter()
                .map(|n| (n.topic.clone(), n.headline.clone()))
                .collect()
        })
        .collect();
    for (i, got) in received.iter().enumerate() {
        assert_eq!(
            got.len(),
            PUBLISHERS * EACH,
            "feed {i} lost or duplicated news"
        );
        for p in 0..PUBLISHERS {
            let from_p: Vec<&str> = got
                .iter()
                .filter(|(t, _)| *t == p.to_string())
                .map(|(_, h)| h.as_str())
                .collect();
            let expected: Vec<String> = (0..EACH).map(|i| i.to_string()).collect();
            assert_eq!(
                from_p, expected,
                "feed {i}: publisher {p}'s news out of order"
            );
        }
    }
    assert!(
        received.iter().all(|r| *r == received[0]),
        "every feed must see the same total order of news: publish sends to all feeds \
         under one lock"
    );
}

//! Stage 2: subscribers that change the subscriber list while being notified.
//!
//! The agency must not hold a `RefCell` borrow while calling a subscriber (or
//! the first callback that subscribes or unsubscribes panics with "already
//! borrowed"), nor a lock (or that callback waits for itself for ever: each
//! test runs under a watchdog that says so), and must not call a subscriber
//! dropped earlier in the same publish.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use observer::{News, NewsAgency, Subscription};

#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    fn push(&self, s: String) {
        self.0.borrow_mut().push(s);
    }
    fn recorder(&self, name: &str) -> impl Fn(&News) + 'static {
        let log = self.clone();
        let name = name.to_string();
        move |news: &News| log.push(format!("{name}:{}", news.headline))
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Somewhere a callback can reach a subscription handle (its own or another's).
type Slot = Rc<RefCell<Option<Subscription>>>;

/// Runs a test body on a thread of its own and fails the test if it takes
/// more than a few seconds. A callback that calls back into the agency
/// finishes at once unless the agency still holds a lock (a `Mutex` instead of
/// a `RefCell`): then it waits for itself for ever, and this says so instead
/// of hanging. A panic in the body is the test's failure, message and all.
fn watchdog(what: &str, body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let handle = thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(5)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(handle.join().expect_err("the body panicked"))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!(
            "hung: {what} did not finish in 5 s. A callback called the agency and waited \
             for ever: publish must not hold a lock (or any borrow) of the subscriber list \
             while a callback runs; take a snapshot, release it, then call"
        ),
    }
}

fn news(headline: &str) -> News {
    News::new("world", headline)
}

#[test]
fn a_subscriber_can_unsubscribe_itself_during_a_notification() {
    watchdog(
        "a subscriber can unsubscribe itself during a notification",
        || {
            let agency = NewsAgency::new();
            let log = Log::default();
            let slot: Slot = Rc::default();
            let _a = agency.subscribe(log.recorder("a"));
            let own = Rc::clone(&slot);
            let l = log.clone();
            *slot.borrow_mut() = Some(agency.subscribe(move |n: &News| {
                l.push(format!("once:{}", n.headline));
                own.borrow_mut().take(); // drop my own subscription, mid-publish
            }));
            let _c = agency.subscribe(log.recorder("c"));

            assert_eq!(agency.publish(&news("1")), 3);
            assert_eq!(agency.subscriber_count(), 2);
            assert_eq!(agency.publish(&news("2")), 2);
            assert_eq!(
                log.take(),
                ["a:1", "once:1", "c:1", "a:2", "c:2"],
                "unsubscribing itself must not panic, skip later subscribers, or leave it subscribed"
            );
        },
    );
}

#[test]
fn a_subscriber_dropped_earlier_in_the_same_publish_is_not_called() {
    watchdog(
        "a subscriber dropped earlier in the same publish is not called",
        || {
            let agency = NewsAgency::new();
            let log = Log::default();
            let victim: Slot = Rc::default();
            let v = Rc::clone(&victim);
            let l = log.clone();
            let _killer = agency.subscribe(move |n: &News| {
                l.push(format!("killer:{}", n.headline));
                v.borrow_mut().take(); // unsubscribe the *later* subscriber
            });
            let _b = agency.subscribe(log.recorder("b"));
            *victim.borrow_mut() = Some(agency.subscribe(log.recorder("victim")));
            let _d = agency.subscribe(log.recorder("d"));

            assert_eq!(
                agency.publish(&news("x")),
                3,
                "three subscribers were actually called"
            );
            assert_eq!(
                log.take(),
                ["killer:x", "b:x", "d:x"],
                "the victim's subscription was dropped before its turn: calling it anyway (a stale \
         snapshot) breaks the promise that a dropped Subscription means no more calls"
            );
        },
    );
}

#[test]
fn dropping_an_earlier_subscriber_affects_only_later_publishes() {
    watchdog(
        "dropping an earlier subscriber affects only later publishes",
        || {
            let agency = NewsAgency::new();
            let log = Log::default();
            let first: Slot = Rc::new(RefCell::new(Some(agency.subscribe(log.recorder("first")))));
            let f = Rc::clone(&first);
            let l = log.clone();
            let _last = agency.subscribe(move |n: &News| {
                l.push(format!("last:{}", n.headline));
                f.borrow_mut().take();
            });
            agency.publish(&news("1"));
            agency.publish(&news("2"));
            assert_eq!(log.take(), ["first:1", "last:1", "last:2"]);
        },
    );
}

#[test]
fn a_subscriber_added_during_a_publish_gets_the_next_publish_not_this_one() {
    watchdog(
        "a subscriber added during a publish gets the next publish not this one",
        || {
            let agency = Rc::new(NewsAgency::new());
            let log = Log::default();
            let recruits: Rc<RefCell<Vec<Subscription>>> = Rc::default();
            let (ag, r, l) = (Rc::clone(&agency), Rc::clone(&recruits), log.clone());
            let recruited = Rc::new(Cell::new(false));
            let done = Rc::clone(&recruited);
            let _recruiter = agency.subscribe(move |n: &News| {
                l.push(format!("recruiter:{}", n.headline));
                if !done.replace(true) {
                    // Subscribing from inside a callback must not panic.
                    r.borrow_mut().push(ag.subscribe(l.recorder("recruit")));
                }
            });
            let _b = agency.subscribe(log.recorder("b"));

            assert_eq!(
                agency.publish(&news("1")),
                2,
                "the recruit does not receive this publish"
            );
            assert_eq!(agency.subscriber_count(), 3);
            assert_eq!(agency.publish(&news("2")), 3);
            assert_eq!(
                log.take(),
                ["recruiter:1", "b:1", "recruiter:2", "b:2", "recruit:2"],
                "documented rule: who receives a publish is fixed when it starts; the recruit joins at \
         the end of the order and receives from the next publish on"
            );
        },
    );
}

#[test]
fn a_subscriber_may_publish_and_that_news_is_delivered_first() {
    watchdog(
        "a subscriber may publish and that news is delivered first",
        || {
            let agency = Rc::new(NewsAgency::new());
            let log = Log::default();
            let ag = Rc::clone(&agency);
            let l = log.clone();
            let _editor = agency.subscribe(move |n: &News| {
                l.push(format!("editor:{}", n.headline));
                if n.headline == "quake" {
                    ag.publish(&News::new("world", "aftershock"));
                }
            });
            let _b = agency.subscribe(log.recorder("b"));
            assert_eq!(agency.publish(&news("quake")), 2);
            assert_eq!(
                log.take(),
                [
                    "editor:quake",
                    "editor:aftershock",
                    "b:aftershock",
                    "b:quake"
                ],
                "a publish from inside a callback is delivered in full before the outer one continues"
            );
        },
    );
}

#[test]
fn callbacks_may_query_the_agency_during_a_publish() {
    watchdog("callbacks may query the agency during a publish", || {
        let agency = Rc::new(NewsAgency::new());
        let seen = Rc::new(Cell::new(usize::MAX));
        let (ag, s) = (Rc::clone(&agency), Rc::clone(&seen));
        let _a = agency.subscribe(move |_: &News| s.set(ag.subscriber_count()));
        let _b = agency.subscribe(|_: &News| {});
        agency.publish(&news("x"));
        assert_eq!(
            seen.get(),
            2,
            "subscriber_count inside a callback must work, not panic"
        );
    });
}

#[test]
fn everybody_unsubscribes_during_one_publish() {
    watchdog("everybody unsubscribes during one publish", || {
        let agency = NewsAgency::new();
        let log = Log::default();
        let all: Rc<RefCell<Vec<Subscription>>> = Rc::default();
        let a = Rc::clone(&all);
        let l = log.clone();
        all.borrow_mut().push(agency.subscribe(move |n: &News| {
            l.push(format!("first:{}", n.headline));
            a.borrow_mut().clear(); // drops every handle, its own included
        }));
        for name in ["b", "c", "d"] {
            let h = agency.subscribe(log.recorder(name));
            all.borrow_mut().push(h);
        }
        assert_eq!(agency.publish(&news("x")), 1);
        assert_eq!(agency.subscriber_count(), 0);
        assert_eq!(agency.publish(&news("y")), 0);
        assert_eq!(log.take(), ["first:x"]);
    });
}

#[test]
fn a_subscriber_can_swap_itself_for_another() {
    watchdog("a subscriber can swap itself for another", || {
        // Unsubscribe self and subscribe a replacement, in one callback.
        let agency = Rc::new(NewsAgency::new());
        let log = Log::default();
        let me: Slot = Rc::default();
        let (ag, slot, l) = (Rc::clone(&agency), Rc::clone(&me), log.clone());
        *me.borrow_mut() = Some(agency.subscribe(move |n: &News| {
            l.push(format!("old:{}", n.headline));
            let replacement = ag.subscribe(l.recorder("new"));
            *slot.borrow_mut() = Some(replacement); // drops the old handle
        }));
        let _z = agency.subscribe(log.recorder("z"));
        agency.publish(&news("1"));
        agency.publish(&news("2"));
        assert_eq!(log.take(), ["old:1", "z:1", "z:2", "new:2"]);
        assert_eq!(agency.subscriber_count(), 2);
    });
}

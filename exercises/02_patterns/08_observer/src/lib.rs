//! Observer: a publisher notifies whoever subscribed, without knowing who
//! they are.
//!
//! Two forms:
//! - [`NewsAgency`]: single-threaded, synchronous callbacks. Subscribing returns
//!   a [`Subscription`] guard that unsubscribes when dropped (RAII), and
//!   callbacks may subscribe or unsubscribe anyone, themselves included, while
//!   a publish is running.
//! - [`NewsWire`]: thread-safe; each subscriber gets a [`Feed`], the receiving
//!   end of a channel, and reads news on its own thread at its own pace.
//!
//! The wire takes its lock and its channel from [`sync`] only (never
//! `std::sync::Mutex` or `std::sync::mpsc` directly), so that loom can
//! model-check two threads publishing at once
//! (`cargo test -p observer --features loom --test 4_loom`).

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, unused_imports, dead_code)]

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Duration;

pub mod sync;
use sync::{Arc, Mutex, MutexGuard, PoisonError, Receiver, Sender, channel};

/// One piece of news.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct News {
    /// What it is about: `"sport"`, `"weather"`, ...
    pub topic: String,
    /// The headline.
    pub headline: String,
}

impl News {
    /// News about `topic` with this `headline`.
    pub fn new(topic: impl Into<String>, headline: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            headline: headline.into(),
        }
    }
}

// ---------------------------------------------------------------------------
// Single-threaded: callbacks
// ---------------------------------------------------------------------------

/// A single-threaded news agency with synchronous subscribers.
///
/// Delivery rules, precisely:
/// - `publish` calls the subscribers in subscription order.
/// - The set of subscribers that may receive a publish is fixed when the
///   publish starts: **a subscriber added during a publish (by a callback)
///   does not receive that publish**; it receives the next one.
/// - A subscriber removed during a publish (its [`Subscription`] dropped by any
///   callback, its own included) before its turn **is not called** for that
///   publish, nor ever again.
/// - A publish from inside a callback is delivered in full, to the subscribers
///   at that moment, before the outer publish moves on to its next subscriber
///   (depth-first, like a function call).
/// - No borrow or lock of the agency (a `RefCell` borrow, a `Mutex` guard) is
///   held while a callback runs, so callbacks may call `subscribe`,
///   `publish`, `subscriber_count`, or drop subscriptions, without panicking
///   ("already borrowed") or deadlocking.
#[derive(Default)]
pub struct NewsAgency {
    // TODO: the subscribers in order, each with its callback, shared with the
    // Subscription handles (an `Rc` here, a `Weak` in the handle). Think about
    // what a publish must see when a callback unsubscribes someone.
}

impl NewsAgency {
    /// An agency with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `callback` as the last subscriber. It stays subscribed until the
    /// returned [`Subscription`] is dropped (or [`Subscription::detach`]ed).
    pub fn subscribe(&self, callback: impl Fn(&News) + 'static) -> Subscription {
        todo!("add the callback at the end; return a handle that removes it on drop")
    }

    /// Delivers `news` to every subscriber, as the type documents; returns how
    /// many were called.
    pub fn publish(&self, news: &News) -> usize {
        todo!("call the subscribers in order, without holding a RefCell borrow during a call")
    }

    /// How many subscribers there are now.
    pub fn subscriber_count(&self) -> usize {
        todo!("how many subscribers now")
    }
}

impl fmt::Debug for NewsAgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewsAgency")
            .field("subscribers", &self.subscriber_count())
            .finish()
    }
}

/// Proof of a subscription; dropping it unsubscribes.
///
/// Holds only a weak reference to the agency, so a forgotten subscription
/// does not keep the agency alive, and one that outlives the agency is
/// harmless.
#[must_use = "dropping a Subscription unsubscribes at once; bind it to a named variable"]
pub struct Subscription {
    // TODO: a weak link to the agency and which subscriber this is.
}

impl Subscription {
    /// Unsubscribes now (the same as dropping it, but says so).
    pub fn unsubscribe(self) {
        todo!("the same as dropping it")
    }

    /// Gives up the handle but stays subscribed for as long as the agency lives.
    pub fn detach(self) {
        todo!("give up the handle, stay subscribed")
    }

    /// Whether this subscriber would receive the next publish: the agency
    /// still exists and this subscription has not ended.
    pub fn is_active(&self) -> bool {
        todo!("is the agency alive, and am I still in its list?")
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // TODO: remove this subscriber from the agency, if the agency still exists.
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("active", &self.is_active())
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Thread-safe: channels
// ---------------------------------------------------------------------------

/// A thread-safe news agency: subscribers receive over channels.
///
/// `Clone` (clones share the subscribers), `Send` and `Sync`. Publishing never
/// runs subscriber code: it only puts an `Arc<News>` into each feed's channel
/// (unbounded, [`sync::channel`], so it never blocks, however far behind a
/// feed's reader is), under the lock. Holding the lock while sending gives
/// every feed the same total order of news, even with many publishing
/// threads; copying the list of senders under the lock and sending after
/// releasing it does not (stage 4 finds the schedule where two feeds disagree).
#[derive(Clone, Default)]
pub struct NewsWire {
    // TODO: the feeds' senders, in order, behind a lock shared by every clone.
}

impl NewsWire {
    /// A wire with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new feed that receives everything published from now on (nothing
    /// published earlier).
    pub fn subscribe(&self) -> Feed {
        todo!("a channel per feed: keep the sender, hand out the receiver")
    }

    /// Sends `news` to every feed; returns how many received it.
    pub fn publish(&self, news: News) -> usize {
        todo!("send an Arc of the news to every feed, under the lock")
    }

    /// How many feeds there are now.
    pub fn subscriber_count(&self) -> usize {
        todo!("how many feeds now")
    }
}

impl fmt::Debug for NewsWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewsWire")
            .field("subscribers", &self.subscriber_count())
            .finish()
    }
}

/// One subscriber's end of a [`NewsWire`]; dropping it unsubscribes.
///
/// `Send`: move it to the thread that consumes the news.
pub struct Feed {
    // TODO: the receiving end of a channel, and a weak link back to the wire.
}

impl Feed {
    /// Waits for the next news. `None` once every [`NewsWire`] clone is gone
    /// and everything already sent has been read.
    pub fn recv(&self) -> Option<Arc<News>> {
        todo!("block for the next news")
    }

    /// The next news if one is waiting, without blocking.
    pub fn try_recv(&self) -> Option<Arc<News>> {
        todo!("the next news, if waiting")
    }

    /// Waits at most `timeout` for the next news.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Arc<News>> {
        todo!("wait at most timeout")
    }

    /// Everything waiting now, oldest first, without blocking.
    pub fn drain(&self) -> Vec<Arc<News>> {
        todo!("everything waiting now")
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        // TODO: leave the wire's list, if the wire still exists.
    }
}

impl fmt::Debug for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed").finish_non_exhaustive()
    }
}

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

/// One subscriber. Shared (`Rc`) between the registry and any publish that is
/// running, so removing it from the registry mid-publish neither frees the
/// closure while it runs nor disturbs the publish's iteration.
struct Entry {
    id: u64,
    /// Cleared on unsubscribe; a publish checks it just before each delivery.
    active: Cell<bool>,
    callback: Box<dyn Fn(&News)>,
}

#[derive(Default)]
struct Registry {
    /// In subscription order.
    entries: RefCell<Vec<Rc<Entry>>>,
    next_id: Cell<u64>,
}

impl Registry {
    fn remove(&self, id: u64) {
        let mut entries = self.entries.borrow_mut();
        // `remove`, not `swap_remove`: the others keep their order.
        if let Some(at) = entries.iter().position(|e| e.id == id) {
            entries.remove(at).active.set(false);
        }
    }
}

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
    registry: Rc<Registry>,
}

impl NewsAgency {
    /// An agency with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `callback` as the last subscriber. It stays subscribed until the
    /// returned [`Subscription`] is dropped (or [`Subscription::detach`]ed).
    pub fn subscribe(&self, callback: impl Fn(&News) + 'static) -> Subscription {
        let id = self.registry.next_id.get();
        self.registry.next_id.set(id + 1);
        self.registry.entries.borrow_mut().push(Rc::new(Entry {
            id,
            active: Cell::new(true),
            callback: Box::new(callback),
        }));
        Subscription {
            registry: Rc::downgrade(&self.registry),
            id,
            detached: false,
        }
    }

    /// Delivers `news` to every subscriber, as the type documents; returns how
    /// many were called.
    pub fn publish(&self, news: &News) -> usize {
        // Snapshot, then release the borrow before calling anyone: a callback
        // that subscribes or unsubscribes needs `borrow_mut`, and would panic
        // with "already borrowed" if we were still iterating the RefCell.
        let snapshot: Vec<Rc<Entry>> = self.registry.entries.borrow().clone();
        let mut delivered = 0;
        for entry in snapshot {
            // Removed since the snapshot (by an earlier callback)? Skip it: a
            // dropped Subscription is a promise of no more calls.
            if entry.active.get() {
                (entry.callback)(news);
                delivered += 1;
            }
        }
        delivered
    }

    /// How many subscribers there are now.
    pub fn subscriber_count(&self) -> usize {
        self.registry.entries.borrow().len()
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
    registry: Weak<Registry>,
    id: u64,
    detached: bool,
}

impl Subscription {
    /// Unsubscribes now (the same as dropping it, but says so).
    pub fn unsubscribe(self) {
        drop(self);
    }

    /// Gives up the handle but stays subscribed for as long as the agency lives.
    pub fn detach(mut self) {
        self.detached = true;
    }

    /// Whether this subscriber would receive the next publish: the agency
    /// still exists and this subscription has not ended.
    pub fn is_active(&self) -> bool {
        self.registry
            .upgrade()
            .is_some_and(|registry| registry.entries.borrow().iter().any(|e| e.id == self.id))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        if let Some(registry) = self.registry.upgrade() {
            registry.remove(self.id);
        }
    }
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("active", &self.is_active())
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Thread-safe: channels
// ---------------------------------------------------------------------------

#[derive(Default)]
struct WireState {
    /// In subscription order.
    feeds: Vec<(u64, Sender<Arc<News>>)>,
    next_id: u64,
}

type SharedState = Arc<Mutex<WireState>>;

/// Locks, shrugging off poisoning: the state is a list that every operation
/// leaves consistent, so a panic elsewhere while holding the lock cannot
/// have left it half-updated.
fn lock(state: &Mutex<WireState>) -> MutexGuard<'_, WireState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

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
    state: SharedState,
}

impl NewsWire {
    /// A wire with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new feed that receives everything published from now on (nothing
    /// published earlier).
    pub fn subscribe(&self) -> Feed {
        let (sender, receiver) = channel();
        let mut state = lock(&self.state);
        let id = state.next_id;
        state.next_id += 1;
        state.feeds.push((id, sender));
        Feed {
            receiver,
            state: Arc::downgrade(&self.state),
            id,
        }
    }

    /// Sends `news` to every feed; returns how many received it.
    pub fn publish(&self, news: News) -> usize {
        let news = Arc::new(news);
        let mut state = lock(&self.state);
        // A feed whose receiver is gone fails to send: drop it from the list.
        state
            .feeds
            .retain(|(_, sender)| sender.send(Arc::clone(&news)).is_ok());
        state.feeds.len()
    }

    /// How many feeds there are now.
    pub fn subscriber_count(&self) -> usize {
        lock(&self.state).feeds.len()
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
    receiver: Receiver<Arc<News>>,
    state: sync::Weak<Mutex<WireState>>,
    id: u64,
}

impl Feed {
    /// Waits for the next news. `None` once every [`NewsWire`] clone is gone
    /// and everything already sent has been read.
    pub fn recv(&self) -> Option<Arc<News>> {
        self.receiver.recv().ok()
    }

    /// The next news if one is waiting, without blocking.
    pub fn try_recv(&self) -> Option<Arc<News>> {
        // Empty and disconnected both mean "nothing to read now".
        self.receiver.try_recv().ok()
    }

    /// Waits at most `timeout` for the next news.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Arc<News>> {
        self.receiver.recv_timeout(timeout).ok()
    }

    /// Everything waiting now, oldest first, without blocking.
    pub fn drain(&self) -> Vec<Arc<News>> {
        // `try_recv` in a loop: loom's receiver has no `try_iter`.
        std::iter::from_fn(|| self.try_recv()).collect()
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            lock(&state).feeds.retain(|(id, _)| *id != self.id);
        }
    }
}

impl fmt::Debug for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feed").field("id", &self.id).finish()
    }
}

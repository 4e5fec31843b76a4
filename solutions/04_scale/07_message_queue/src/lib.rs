//! Message queues: visibility timeouts, receipts, dead letters and at-least-once delivery.
//!
//! Build, in this order (the stages follow it):
//! - [`Queue`]: an SQS-like queue on an injected [`Clock`]. [`Queue::send`]
//!   stores a message; [`Queue::receive`] hands it out and hides it for the
//!   visibility timeout instead of removing it; only [`Queue::delete`], with
//!   the [`ReceiptHandle`] of the latest receive, removes it. A consumer that
//!   crashes simply never deletes, and the message comes back.
//! - [`Queue::change_visibility`]: the heartbeat of a slow consumer, and the
//!   "give it back now" of one that gives up.
//! - Dead letters: a message received `max_receives` times is moved aside on
//!   its next delivery instead of being handed out again; [`Queue::redrive`]
//!   puts the dead letters back.
//! - Delays and back-pressure: a delayed message stays hidden until its
//!   delay is over; a full queue refuses [`Queue::send`] with
//!   [`QueueError::Full`], a definite error: the message was not stored.
//! - Message groups: messages of one group are delivered one at a time, in
//!   the order they were sent.
//! - [`DedupWindow`]: the consumer's side of at-least-once delivery, a
//!   bounded memory of the message ids whose effects were applied, so a
//!   redelivered message is recognised and not applied twice.
//!
//! Read README.md first. The private fields are a suggestion; the public API
//! is fixed.
//!
//! ```
//! use std::time::Duration;
//! use kit::clock::ManualClock;
//! use message_queue::{Queue, QueueConfig};
//!
//! let clock = ManualClock::new(0);
//! let config = QueueConfig { visibility_timeout: Duration::from_secs(30), ..QueueConfig::default() };
//! let mut queue = Queue::new(config, clock.clone());
//! let id = queue.send("hello").unwrap();
//!
//! let first = queue.receive(1);
//! assert_eq!(first[0].id, id);
//! assert!(queue.receive(1).is_empty()); // hidden while the first consumer works
//!
//! clock.advance(Duration::from_secs(30)); // ...which crashed: it never deleted
//! let again = queue.receive(1);
//! assert_eq!(again[0].receive_count, 2);
//! assert!(queue.delete(&first[0].receipt).is_err()); // a stale receipt
//! queue.delete(&again[0].receipt).unwrap();
//! assert!(queue.is_empty());
//! ```

#![forbid(unsafe_code)]

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use kit::clock::Clock;

/// The longest a message may stay hidden after one receive: 12 hours, as in
/// SQS. Neither the queue's visibility timeout nor any number of
/// [`Queue::change_visibility`] calls can hide a message for longer than
/// this, counted from the receive.
pub const MAX_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(12 * 60 * 60);

/// The longest delay a message may be sent with: 15 minutes, as in SQS.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// The visibility timeout of [`QueueConfig::default`]: 30 seconds, as in SQS.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);

/// A message's identity, assigned by [`Queue::send`]: unique within a queue
/// and increasing in send order. It never changes, not even when the message
/// moves to the dead-letter queue and back, so a consumer can deduplicate by
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(pub u64);

/// Proof of one particular receive of a message, needed to delete it or to
/// change its visibility.
///
/// Every receive makes a new handle; only the latest handle of a message is
/// valid. It stays valid until the message is received again, deleted or
/// moved to the dead-letter queue, even after its visibility timeout is over
/// (a consumer that finishes a little late may still delete the message if
/// nobody else has received it meanwhile).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReceiptHandle {
    id: MessageId,
    nonce: u64,
}

impl ReceiptHandle {
    /// The message this handle is a receipt for.
    pub fn message_id(&self) -> MessageId {
        self.id
    }
}

/// How a [`Queue`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// How long a received message stays hidden from other receives.
    pub visibility_timeout: Duration,
    /// The most messages the queue holds at once: visible, delayed, waiting
    /// behind their group and in flight all count; dead letters do not.
    pub capacity: usize,
    /// The redrive policy (SQS's `maxReceiveCount`): `Some(n)` moves a
    /// message to the dead-letter queue on the delivery that would be its
    /// (n + 1)-th; `None` redelivers forever.
    pub max_receives: Option<u32>,
}

impl Default for QueueConfig {
    /// A 30 s visibility timeout, room for 10 000 messages, no dead-letter
    /// queue.
    fn default() -> Self {
        Self {
            visibility_timeout: DEFAULT_VISIBILITY_TIMEOUT,
            capacity: 10_000,
            max_receives: None,
        }
    }
}

/// The options of [`Queue::send_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// How long the message stays hidden after it is sent (at most
    /// [`MAX_DELAY`]).
    pub delay: Duration,
    /// The message group: messages of one group are delivered in send order,
    /// one at a time. `None` for an ungrouped message.
    pub group: Option<String>,
}

/// One delivery of a message, as [`Queue::receive`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received<T> {
    /// The message's id, the same on every delivery.
    pub id: MessageId,
    /// A copy of the message's body.
    pub body: T,
    /// The handle of this receive, for [`Queue::delete`] and
    /// [`Queue::change_visibility`].
    pub receipt: ReceiptHandle,
    /// How many times the message has been received, this time included
    /// (1 on the first delivery).
    pub receive_count: u32,
}

/// A message moved to the dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter<T> {
    /// The message's id (unchanged).
    pub id: MessageId,
    /// Its body.
    pub body: T,
    /// Its group, if it had one.
    pub group: Option<String>,
    /// How many times it was received before it was moved.
    pub receive_count: u32,
}

/// Why a queue operation was refused. Every error is definite: the call
/// changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueError {
    /// The queue holds `capacity` messages; the message was not stored.
    /// Back-pressure: the producer must slow down or retry later.
    Full,
    /// The receipt is not the latest one of a message in the queue: the
    /// message was received again since, deleted, or moved to the
    /// dead-letter queue.
    InvalidReceipt,
    /// The delay is longer than [`MAX_DELAY`].
    DelayTooLong,
    /// The message would stay hidden longer than [`MAX_VISIBILITY_TIMEOUT`]
    /// after its receive.
    VisibilityTooLong,
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueError::Full => "the queue is full: the message was not stored",
            QueueError::InvalidReceipt => "the receipt handle is not the message's latest",
            QueueError::DelayTooLong => "the delay is longer than 15 minutes",
            QueueError::VisibilityTooLong => {
                "the message would stay hidden more than 12 hours after its receive"
            }
        })
    }
}

impl std::error::Error for QueueError {}

/// Where a message is in the queue's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Deliverable now: in `ready`.
    Ready,
    /// Hidden until `visible_at` (delayed or in flight): in `waiting`.
    Waiting,
    /// Behind an earlier message of its group: in neither set.
    Backlog,
}

/// The latest receive of a message.
#[derive(Debug, Clone, Copy)]
struct Receipt {
    nonce: u64,
    received_at: Duration,
}

#[derive(Debug)]
struct Message<T> {
    body: T,
    group: Option<String>,
    /// The order in which messages entered the queue (a redriven message
    /// enters again): delivery is oldest first by this.
    seq: u64,
    /// On the monotonic clock: when the message is (or was) visible.
    visible_at: Duration,
    receive_count: u32,
    receipt: Option<Receipt>,
    place: Place,
}

/// An SQS-like queue of messages with bodies of type `T`, timed on the
/// clock `C` (its monotonic reading only, so a wall-clock jump changes
/// nothing).
///
/// - Delivery order: oldest first, in the order messages entered the queue
///   (a message whose visibility timeout ran out is delivered again before
///   newer ones; a redriven one enters again at the back).
/// - A message is visible from `now + delay` after its send, and from
///   `now + visibility_timeout` after a receive (exactly then: hidden one
///   nanosecond before).
/// - Message groups: a grouped message is deliverable only when every
///   earlier message of its group has been deleted or dead-lettered, so at
///   most one message per group is in flight, and a group's messages are
///   delivered in send order even across redeliveries. Other groups and
///   ungrouped messages are not held up.
#[derive(Debug)]
pub struct Queue<T, C> {
    config: QueueConfig,
    clock: C,
    messages: HashMap<MessageId, Message<T>>,
    /// Deliverable messages, oldest first.
    ready: BTreeSet<(u64, MessageId)>,
    /// Hidden messages, by the time they become visible.
    waiting: BTreeSet<(Duration, MessageId)>,
    /// Each group's messages in send order; the front is the only one that
    /// is scheduled (ready or waiting).
    groups: HashMap<String, VecDeque<MessageId>>,
    dead: Vec<DeadLetter<T>>,
    next_id: u64,
    next_seq: u64,
    next_nonce: u64,
}

impl<T: Clone, C: Clock> Queue<T, C> {
    /// An empty queue.
    ///
    /// # Panics
    /// If `config.visibility_timeout` is above [`MAX_VISIBILITY_TIMEOUT`]
    /// ("visibility timeout above the 12-hour maximum"), or if
    /// `config.max_receives` is `Some(0)` ("max_receives must be at least 1").
    pub fn new(config: QueueConfig, clock: C) -> Self {
        assert!(
            config.visibility_timeout <= MAX_VISIBILITY_TIMEOUT,
            "visibility timeout above the 12-hour maximum"
        );
        assert!(
            config.max_receives != Some(0),
            "max_receives must be at least 1"
        );
        Self {
            config,
            clock,
            messages: HashMap::new(),
            ready: BTreeSet::new(),
            waiting: BTreeSet::new(),
            groups: HashMap::new(),
            dead: Vec::new(),
            next_id: 0,
            next_seq: 0,
            next_nonce: 0,
        }
    }

    /// Sends an ungrouped message with no delay: `send_with(body,
    /// SendOptions::default())`.
    pub fn send(&mut self, body: T) -> Result<MessageId, QueueError> {
        self.send_with(body, SendOptions::default())
    }

    /// Stores a message and returns its id.
    ///
    /// Errors, checked in this order, and storing nothing:
    /// [`QueueError::DelayTooLong`] if `options.delay` is above
    /// [`MAX_DELAY`]; [`QueueError::Full`] if the queue already holds
    /// `capacity` messages.
    pub fn send_with(&mut self, body: T, options: SendOptions) -> Result<MessageId, QueueError> {
        if options.delay > MAX_DELAY {
            return Err(QueueError::DelayTooLong);
        }
        if self.messages.len() >= self.config.capacity {
            return Err(QueueError::Full);
        }
        let id = MessageId(self.next_id);
        self.next_id += 1;
        let visible_at = self.now() + options.delay;
        self.enqueue(id, body, options.group, visible_at, 0);
        Ok(id)
    }

    /// Delivers up to `max` visible messages, oldest first, and hides each
    /// for the visibility timeout.
    ///
    /// Each delivery counts as a receive of its message and makes a new
    /// receipt handle (the previous one stops working). With
    /// `max_receives: Some(n)`, a message already received `n` times is not
    /// delivered: it moves to the dead-letter queue, does not count towards
    /// `max`, and the next message is considered instead.
    pub fn receive(&mut self, max: usize) -> Vec<Received<T>> {
        let now = self.now();
        self.release_due(now);
        let mut out = Vec::new();
        while out.len() < max {
            let Some((_, id)) = self.ready.pop_first() else {
                break;
            };
            let msg = self.messages.get_mut(&id).expect("ready messages exist");
            if self
                .config
                .max_receives
                .is_some_and(|max| msg.receive_count >= max)
            {
                msg.place = Place::Backlog; // out of `ready` already
                let msg = self.remove(id);
                self.dead.push(DeadLetter {
                    id,
                    body: msg.body,
                    group: msg.group,
                    receive_count: msg.receive_count,
                });
                continue;
            }
            let nonce = self.next_nonce;
            self.next_nonce += 1;
            msg.receive_count += 1;
            msg.receipt = Some(Receipt {
                nonce,
                received_at: now,
            });
            msg.visible_at = now + self.config.visibility_timeout;
            msg.place = Place::Waiting;
            self.waiting.insert((msg.visible_at, id));
            out.push(Received {
                id,
                body: msg.body.clone(),
                receipt: ReceiptHandle { id, nonce },
                receive_count: msg.receive_count,
            });
        }
        out
    }

    /// Removes the message `receipt` is the latest receipt of, for good.
    ///
    /// [`QueueError::InvalidReceipt`] if `receipt` is not the message's
    /// latest, or the message is no longer in the queue (deleted already,
    /// or dead-lettered). Deleting the head of a group lets the group's
    /// next message be delivered.
    pub fn delete(&mut self, receipt: &ReceiptHandle) -> Result<(), QueueError> {
        self.check_receipt(receipt)?;
        self.remove(receipt.id);
        Ok(())
    }

    /// Hides the message `receipt` is the latest receipt of until
    /// `now + timeout`, whatever its visibility was: a heartbeat that
    /// extends the time a slow consumer has, or, with a zero timeout, a
    /// message handed back for immediate redelivery. The receipt stays
    /// valid and the receive count does not change.
    ///
    /// Errors, changing nothing: [`QueueError::InvalidReceipt`] as for
    /// [`Queue::delete`]; [`QueueError::VisibilityTooLong`] if `now +
    /// timeout` is more than [`MAX_VISIBILITY_TIMEOUT`] after the receive.
    pub fn change_visibility(
        &mut self,
        receipt: &ReceiptHandle,
        timeout: Duration,
    ) -> Result<(), QueueError> {
        let received_at = self.check_receipt(receipt)?;
        let now = self.now();
        let until = now + timeout;
        if until - received_at > MAX_VISIBILITY_TIMEOUT {
            return Err(QueueError::VisibilityTooLong);
        }
        let id = receipt.id;
        self.unschedule(id);
        self.messages
            .get_mut(&id)
            .expect("a valid receipt names a stored message")
            .visible_at = until;
        self.schedule(id, now);
        Ok(())
    }

    /// Moves dead letters back into the queue, oldest dead letter first,
    /// while there is room (`capacity`); returns how many moved. Each one
    /// keeps its id, body and group, enters at the back of the queue (and of
    /// its group) as if just sent without delay, and starts again with a
    /// receive count of 0. Those that do not fit stay dead letters.
    pub fn redrive(&mut self) -> usize {
        let room = self.config.capacity.saturating_sub(self.messages.len());
        let n = room.min(self.dead.len());
        let now = self.now();
        let moved: Vec<DeadLetter<T>> = self.dead.drain(..n).collect();
        for letter in moved {
            self.enqueue(letter.id, letter.body, letter.group, now, 0);
        }
        n
    }

    /// The messages in the queue: visible, delayed, waiting behind their
    /// group and in flight (not the dead letters).
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True if the queue holds no message (dead letters aside).
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The messages received and still hidden now (their visibility timeout,
    /// or the one a [`Queue::change_visibility`] set, not yet over).
    pub fn in_flight(&self) -> usize {
        let now = self.now();
        self.waiting
            .iter()
            .filter(|&&(at, id)| at > now && self.messages[&id].receipt.is_some())
            .count()
    }

    /// The dead-letter queue, in the order messages were moved there.
    pub fn dead_letters(&self) -> &[DeadLetter<T>] {
        &self.dead
    }

    fn now(&self) -> Duration {
        self.clock.monotonic()
    }

    /// Adds a message at the back of the queue (and of its group).
    fn enqueue(
        &mut self,
        id: MessageId,
        body: T,
        group: Option<String>,
        visible_at: Duration,
        receive_count: u32,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let is_head = match &group {
            None => true,
            Some(g) => {
                let members = self.groups.entry(g.clone()).or_default();
                members.push_back(id);
                members.len() == 1
            }
        };
        self.messages.insert(
            id,
            Message {
                body,
                group,
                seq,
                visible_at,
                receive_count,
                receipt: None,
                place: Place::Backlog,
            },
        );
        if is_head {
            self.schedule(id, self.now());
        }
    }

    /// Moves every hidden message whose time has come to `ready`.
    fn release_due(&mut self, now: Duration) {
        while let Some(&(at, id)) = self.waiting.first() {
            if at > now {
                break;
            }
            self.waiting.pop_first();
            let msg = self.messages.get_mut(&id).expect("waiting messages exist");
            msg.place = Place::Ready;
            self.ready.insert((msg.seq, id));
        }
    }

    /// Puts a message (out of both sets) into `ready` or `waiting` by its
    /// `visible_at`.
    fn schedule(&mut self, id: MessageId, now: Duration) {
        let msg = self
            .messages
            .get_mut(&id)
            .expect("scheduled messages exist");
        if msg.visible_at <= now {
            msg.place = Place::Ready;
            self.ready.insert((msg.seq, id));
        } else {
            msg.place = Place::Waiting;
            self.waiting.insert((msg.visible_at, id));
        }
    }

    /// Takes a message out of `ready` or `waiting`.
    fn unschedule(&mut self, id: MessageId) {
        let msg = self
            .messages
            .get_mut(&id)
            .expect("unscheduled messages exist");
        match msg.place {
            Place::Ready => {
                self.ready.remove(&(msg.seq, id));
            }
            Place::Waiting => {
                self.waiting.remove(&(msg.visible_at, id));
            }
            Place::Backlog => {}
        }
        msg.place = Place::Backlog;
    }

    /// Removes a scheduled message from the queue and lets the next message
    /// of its group be scheduled.
    fn remove(&mut self, id: MessageId) -> Message<T> {
        self.unschedule(id);
        let msg = self.messages.remove(&id).expect("removed messages exist");
        if let Some(group) = &msg.group {
            let members = self
                .groups
                .get_mut(group)
                .expect("a grouped message's group exists");
            debug_assert_eq!(members.front(), Some(&id), "only a group's head leaves");
            members.pop_front();
            match members.front().copied() {
                Some(next) => self.schedule(next, self.now()),
                None => {
                    self.groups.remove(group);
                }
            }
        }
        msg
    }

    /// The time of the receive `receipt` proves, if it is the latest receipt
    /// of a message in the queue.
    fn check_receipt(&self, receipt: &ReceiptHandle) -> Result<Duration, QueueError> {
        self.messages
            .get(&receipt.id)
            .and_then(|msg| msg.receipt)
            .filter(|r| r.nonce == receipt.nonce)
            .map(|r| r.received_at)
            .ok_or(QueueError::InvalidReceipt)
    }
}

/// A bounded memory of the message ids whose effects a consumer has
/// applied: the consumer half of "at-least-once delivery, effectively
/// once".
///
/// It remembers the `capacity` ids most recently inserted for the first
/// time, and forgets the oldest of them when a new one arrives and it is
/// full. Seeing an id again does not refresh it (first in, first out). Its
/// size never exceeds `capacity`, however many messages pass: an unbounded
/// set of every id ever seen is the memory leak this type exists to avoid.
/// A capacity of 0 remembers nothing.
///
/// Keep it where the effects are (in the same transaction), not in the
/// consumer's memory: a consumer that crashes loses its memory, and the
/// redelivery goes to another consumer anyway.
#[derive(Debug, Clone)]
pub struct DedupWindow {
    capacity: usize,
    seen: HashSet<MessageId>,
    order: VecDeque<MessageId>,
}

impl DedupWindow {
    /// An empty window remembering at most `capacity` ids.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            seen: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    /// Records `id` and returns true if it was not in the window (apply the
    /// message's effect now); returns false, changing nothing, if it is (a
    /// duplicate: skip the effect, but still delete the message).
    pub fn insert(&mut self, id: MessageId) -> bool {
        if self.seen.contains(&id) {
            return false;
        }
        if self.capacity == 0 {
            return true;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.seen.remove(&oldest);
        }
        self.order.push_back(id);
        self.seen.insert(id);
        true
    }

    /// True if `id` is in the window.
    pub fn contains(&self, id: MessageId) -> bool {
        self.seen.contains(&id)
    }

    /// How many ids the window holds now (at most `capacity`).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True if the window holds no id.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The most ids the window holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

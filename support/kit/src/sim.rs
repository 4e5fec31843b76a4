//! A deterministic, single-threaded simulated network for distributed lessons.
//!
//! Real networks drop, duplicate, delay and reorder messages, split into
//! partitions, and lose machines; a distributed algorithm is only as good as
//! its behaviour under all of that. Testing against real sockets and threads
//! finds such bugs by luck and cannot replay them. This simulator makes every
//! one of those faults a seeded, replayable decision:
//!
//! - **Logical time.** Time is a tick counter the harness advances with
//!   [`Network::tick`]. Nothing sleeps; a thousand simulated heartbeats take
//!   milliseconds.
//! - **One seed.** A [`Network`] draws from its own stream of the run's seed
//!   ([`Rng::stream`]`("network")`), so the workload and each node can draw
//!   from streams of their own without reshuffling the network's decisions.
//!   Same seed, same trace.
//! - **Messages in flight** are ordered by delivery tick, ties broken by a
//!   seeded draw, so two messages sent in the same tick may arrive in either
//!   order. Each link has a [`LinkConfig`] (drop, duplicate, delay, and rare
//!   long delays that reorder aggressively), with presets.
//! - **Partitions** are a reachability relation checked both when a message
//!   is sent and when it would be delivered: a message in flight when a
//!   partition starts is lost, as on a real network whose route went away.
//! - **Crash and restart.** [`Network::crash`] takes a node down and drops
//!   everything in flight to it. What the node persisted lives in a [`Disk`],
//!   which the harness owns and which survives the crash; a restart builds a
//!   new node from it.
//! - **Budgets.** A [`Budget`] in ticks and messages turns a livelock or a
//!   message storm into a prompt, clear failure instead of a hung test.
//! - **Flight recorder.** The network keeps the last events (sends,
//!   deliveries, drops, and the harness's own [`Network::note`]s). If the
//!   thread panics while a network is alive, its drop prints the seed, the
//!   tick and those events, so any failure, including a panic inside the code
//!   under test, arrives with its context. [`run_seeds`] adds the line to
//!   replay it.
//!
//! Seeds: [`seeds`] returns a test's fixed seeds, or the one given by
//! `SDKATA_SEED=n` (replay), or `0..n` for `SDKATA_SEEDS=n` (a sweep).
//!
//! ```
//! use kit::sim::{LinkConfig, Network};
//!
//! let mut net: Network<&str> = Network::new(3, 42);
//! net.set_links(LinkConfig::reliable());
//! net.send(0, 1, "hello");
//! net.partition(&[&[0], &[1, 2]]);
//! net.send(0, 2, "lost: 0 cannot reach 2");
//! let mut got = Vec::new();
//! for _ in 0..10 {
//!     net.tick();
//!     while let Some(envelope) = net.deliver() {
//!         got.push(envelope.msg);
//!     }
//! }
//! // "hello" was in flight when the partition started: lost too.
//! assert!(got.is_empty());
//! assert_eq!(net.stats().dropped, 2);
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::fmt::{self, Debug, Write as _};

use crate::rng::Rng;

mod diagram;

/// A node's address: `0..nodes`.
pub type NodeId = usize;

/// How one directed link misbehaves. Probabilities are per message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkConfig {
    /// Probability that a message is lost.
    pub drop: f64,
    /// Probability that a delivered message arrives twice (each copy with its
    /// own delay, so the copies may be far apart).
    pub duplicate: f64,
    /// Smallest delay in ticks (at least 1: nothing arrives in the tick it
    /// was sent).
    pub min_delay: u64,
    /// Largest ordinary delay in ticks (inclusive).
    pub max_delay: u64,
    /// Probability that a message takes a long delay instead, overtaken by
    /// many later messages.
    pub long_delay: f64,
    /// Largest long delay in ticks (inclusive; drawn from
    /// `max_delay..=long_delay_max`).
    pub long_delay_max: u64,
}

impl LinkConfig {
    /// No loss, no duplicates, delays of 1-2 ticks (reordering only within a
    /// tick or two).
    pub const fn reliable() -> Self {
        Self {
            drop: 0.0,
            duplicate: 0.0,
            min_delay: 1,
            max_delay: 2,
            long_delay: 0.0,
            long_delay_max: 2,
        }
    }

    /// 10% loss, 5% duplicates, delays of 1-4 ticks.
    pub const fn unreliable() -> Self {
        Self {
            drop: 0.1,
            duplicate: 0.05,
            min_delay: 1,
            max_delay: 4,
            long_delay: 0.0,
            long_delay_max: 4,
        }
    }

    /// No loss, but one message in five takes up to 40 ticks: messages
    /// arrive long after newer ones (stale replies, old terms).
    pub const fn long_reordering() -> Self {
        Self {
            drop: 0.0,
            duplicate: 0.0,
            min_delay: 1,
            max_delay: 3,
            long_delay: 0.2,
            long_delay_max: 40,
        }
    }

    /// Everything at once: 15% loss, 10% duplicates, 1-5 ticks, and one
    /// message in ten delayed up to 60 ticks.
    pub const fn chaos() -> Self {
        Self {
            drop: 0.15,
            duplicate: 0.1,
            min_delay: 1,
            max_delay: 5,
            long_delay: 0.1,
            long_delay_max: 60,
        }
    }

    /// A link that loses every message.
    pub const fn dead() -> Self {
        Self {
            drop: 1.0,
            ..Self::reliable()
        }
    }
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self::reliable()
    }
}

/// Limits that turn a livelock or a message storm into a prompt failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// [`Network::tick`] panics when time would pass this tick.
    pub max_ticks: u64,
    /// [`Network::send`] panics when more messages than this were sent.
    pub max_messages: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            max_ticks: 100_000,
            max_messages: 1_000_000,
        }
    }
}

/// A delivered message.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<M> {
    /// The sender.
    pub from: NodeId,
    /// The receiver.
    pub to: NodeId,
    /// The tick it was sent at.
    pub sent_at: u64,
    /// The message itself.
    pub msg: M,
}

/// Counters of what the network did, for message-count bounds in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages handed to [`Network::send`] (including ones dropped at once).
    pub sent: u64,
    /// Messages handed out by [`Network::deliver`] (duplicates count twice).
    pub delivered: u64,
    /// Messages lost: by the link, a partition, or a crashed endpoint.
    pub dropped: u64,
    /// Extra copies made by duplication.
    pub duplicated: u64,
}

/// Why a message was lost, for the flight recorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loss {
    Link,
    Unreachable,
    SenderDown,
    ReceiverDown,
    Partitioned,
}

#[derive(Debug, Clone)]
enum EventKind<M> {
    Send { from: NodeId, to: NodeId, msg: M },
    Deliver { from: NodeId, to: NodeId, msg: M },
    Drop { from: NodeId, to: NodeId, why: Loss },
    Note(String),
}

#[derive(Debug, Clone)]
struct Event<M> {
    tick: u64,
    kind: EventKind<M>,
}

struct InFlight<M> {
    from: NodeId,
    to: NodeId,
    sent_at: u64,
    /// The receiver's incarnation at send time: a crash in between loses it.
    epoch: u64,
    msg: M,
}

/// How many events the flight recorder keeps.
const RECENT_EVENTS: usize = 40;
/// Events kept for the sequence diagram a failure writes.
const DIAGRAM_EVENTS: usize = 200;

/// The simulated network: message queue, link faults, partitions, crashes.
///
/// It does not own the nodes: the harness keeps them (they are the code under
/// test) and moves messages between [`Network::deliver`] and the nodes' step
/// functions, and from the nodes' outboxes to [`Network::send`].
pub struct Network<M: Clone + Debug> {
    nodes: usize,
    seed: u64,
    now: u64,
    rng: Rng,
    default_link: LinkConfig,
    links: HashMap<(NodeId, NodeId), LinkConfig>,
    /// `cut[a * nodes + b]`: a partition separates a from b.
    cut: Vec<bool>,
    disconnected: Vec<bool>,
    up: Vec<bool>,
    epoch: Vec<u64>,
    /// Min-heap on (delivery tick, seeded tie-break, sequence number).
    queue: BinaryHeap<Reverse<(u64, u64, u64)>>,
    in_flight: HashMap<u64, InFlight<M>>,
    next_seq: u64,
    budget: Budget,
    stats: Stats,
    recent: VecDeque<Event<M>>,
    record_traffic: bool,
    /// Set once `fail` has printed the flight recorder, so unwinding does
    /// not print it (and write the diagram) a second time.
    reported: std::sync::atomic::AtomicBool,
}

impl<M: Clone + Debug> Network<M> {
    /// A network of `nodes` nodes, all up and connected by reliable links,
    /// whose every decision comes from `seed`.
    pub fn new(nodes: usize, seed: u64) -> Self {
        Self {
            nodes,
            seed,
            now: 0,
            rng: Rng::new(seed).stream("network"),
            default_link: LinkConfig::reliable(),
            links: HashMap::new(),
            cut: vec![false; nodes * nodes],
            disconnected: vec![false; nodes],
            up: vec![true; nodes],
            epoch: vec![0; nodes],
            queue: BinaryHeap::new(),
            in_flight: HashMap::new(),
            next_seq: 0,
            budget: Budget::default(),
            stats: Stats::default(),
            recent: VecDeque::with_capacity(RECENT_EVENTS),
            record_traffic: true,
            reported: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The number of nodes.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The seed of this run.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The current tick.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// What the network has done so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Messages sent but neither delivered nor lost yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Sets every link (and clears per-link overrides).
    pub fn set_links(&mut self, config: LinkConfig) {
        self.default_link = config;
        self.links.clear();
    }

    /// Overrides the directed link `from -> to`.
    pub fn set_link(&mut self, from: NodeId, to: NodeId, config: LinkConfig) {
        self.links.insert((from, to), config);
    }

    /// The configuration of the directed link `from -> to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.links
            .get(&(from, to))
            .copied()
            .unwrap_or(self.default_link)
    }

    /// Sets the tick and message budgets of the run.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
    }

    /// Whether sends and deliveries go into the flight recorder (on by
    /// default; notes always do).
    pub fn record_traffic(&mut self, on: bool) {
        self.record_traffic = on;
    }

    /// Advances time by one tick.
    ///
    /// # Panics
    /// When the tick budget is exhausted (a livelock, or a test waiting for
    /// something that never happens).
    pub fn tick(&mut self) {
        if self.now >= self.budget.max_ticks {
            self.fail(&format!(
                "tick budget exhausted: {} ticks passed and the run has not finished \
                 (a livelock, or progress that never comes)",
                self.budget.max_ticks
            ));
        }
        self.now += 1;
    }

    /// Sends `msg` from `from` to `to`. It is lost at once if the sender is
    /// down, the receiver is down or unreachable, or the link drops it;
    /// otherwise it is queued (perhaps twice) for a later tick. Returns
    /// whether at least one copy was queued.
    ///
    /// # Panics
    /// When the message budget is exhausted (a message storm), or if `from`
    /// or `to` is not a node.
    pub fn send(&mut self, from: NodeId, to: NodeId, msg: M) -> bool {
        assert!(
            from < self.nodes && to < self.nodes,
            "send {from} -> {to}: the network has nodes 0..{}",
            self.nodes
        );
        self.stats.sent += 1;
        if self.stats.sent > self.budget.max_messages {
            self.fail(&format!(
                "message budget exhausted: more than {} messages sent by tick {} \
                 (a message storm: does something reply to every message, or send every tick?)",
                self.budget.max_messages, self.now
            ));
        }
        let loss = if !self.up[from] {
            Some(Loss::SenderDown)
        } else if !self.up[to] {
            Some(Loss::ReceiverDown)
        } else if !self.can_reach(from, to) {
            Some(Loss::Unreachable)
        } else {
            None
        };
        if let Some(why) = loss {
            self.lose(from, to, why);
            return false;
        }
        let link = self.link(from, to);
        // Draw every decision for this message in a fixed order, whatever
        // the outcome, so changing one probability shifts as little as possible.
        let dropped = self.rng.chance(link.drop);
        let duplicated = self.rng.chance(link.duplicate);
        if dropped {
            self.lose(from, to, Loss::Link);
            return false;
        }
        if self.record_traffic {
            self.record(EventKind::Send {
                from,
                to,
                msg: msg.clone(),
            });
        }
        if duplicated {
            self.stats.duplicated += 1;
            self.enqueue(from, to, msg.clone(), link);
        }
        self.enqueue(from, to, msg, link);
        true
    }

    fn enqueue(&mut self, from: NodeId, to: NodeId, msg: M, link: LinkConfig) {
        let min = link.min_delay.max(1);
        let max = link.max_delay.max(min);
        let delay = if self.rng.chance(link.long_delay) {
            self.rng.range(max..link.long_delay_max.max(max) + 1)
        } else {
            self.rng.range(min..max + 1)
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let tie = self.rng.next_u64();
        self.queue.push(Reverse((self.now + delay, tie, seq)));
        self.in_flight.insert(
            seq,
            InFlight {
                from,
                to,
                sent_at: self.now,
                epoch: self.epoch[to],
                msg,
            },
        );
    }

    /// The next message due at or before the current tick, if any. A message
    /// whose receiver crashed or became unreachable since it was sent is lost
    /// here instead of delivered.
    pub fn deliver(&mut self) -> Option<Envelope<M>> {
        while let Some(&Reverse((at, _, seq))) = self.queue.peek() {
            if at > self.now {
                return None;
            }
            self.queue.pop();
            let Some(m) = self.in_flight.remove(&seq) else {
                continue;
            };
            let loss = if !self.up[m.to] || self.epoch[m.to] != m.epoch {
                Some(Loss::ReceiverDown)
            } else if !self.can_reach(m.from, m.to) {
                Some(Loss::Partitioned)
            } else {
                None
            };
            if let Some(why) = loss {
                self.lose(m.from, m.to, why);
                continue;
            }
            self.stats.delivered += 1;
            if self.record_traffic {
                self.record(EventKind::Deliver {
                    from: m.from,
                    to: m.to,
                    msg: m.msg.clone(),
                });
            }
            return Some(Envelope {
                from: m.from,
                to: m.to,
                sent_at: m.sent_at,
                msg: m.msg,
            });
        }
        None
    }

    fn lose(&mut self, from: NodeId, to: NodeId, why: Loss) {
        self.stats.dropped += 1;
        if self.record_traffic {
            self.record(EventKind::Drop { from, to, why });
        }
    }

    /// Whether a message from `a` would reach `b` now (both up or not).
    pub fn can_reach(&self, a: NodeId, b: NodeId) -> bool {
        a == b || (!self.disconnected[a] && !self.disconnected[b] && !self.cut[a * self.nodes + b])
    }

    /// Cuts `node` off from everyone (it keeps running), as MIT's labs'
    /// `disconnect`. Messages in flight to or from it are lost.
    pub fn disconnect(&mut self, node: NodeId) {
        self.disconnected[node] = true;
        self.note(format!("disconnect {node}"));
    }

    /// Undoes [`Network::disconnect`] (partitions set separately still apply).
    pub fn reconnect(&mut self, node: NodeId) {
        self.disconnected[node] = false;
        self.note(format!("reconnect {node}"));
    }

    /// Whether `node` is disconnected.
    pub fn is_disconnected(&self, node: NodeId) -> bool {
        self.disconnected[node]
    }

    /// Splits the nodes into groups that can talk only within themselves.
    /// Nodes not named form one more group of their own.
    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        let mut group_of = vec![usize::MAX; self.nodes];
        for (g, members) in groups.iter().enumerate() {
            for &n in *members {
                group_of[n] = g;
            }
        }
        for a in 0..self.nodes {
            for b in 0..self.nodes {
                self.cut[a * self.nodes + b] = group_of[a] != group_of[b];
            }
        }
        self.note(format!("partition {groups:?}"));
    }

    /// Cuts or restores the single directed link `from -> to` (asymmetric
    /// partitions: `from` cannot reach `to`, but may still hear from it).
    pub fn set_reachable(&mut self, from: NodeId, to: NodeId, reachable: bool) {
        self.cut[from * self.nodes + to] = !reachable;
        self.note(format!("link {from} -> {to} reachable: {reachable}"));
    }

    /// Removes every partition and reconnects every node.
    pub fn heal(&mut self) {
        self.cut.fill(false);
        self.disconnected.fill(false);
        self.note("heal");
    }

    /// Takes `node` down: everything in flight to it is lost, and messages
    /// sent to or by it are lost until [`Network::restart`]. Its persisted
    /// state lives in the harness's [`Disk`], which a crash does not touch.
    pub fn crash(&mut self, node: NodeId) {
        self.up[node] = false;
        self.epoch[node] += 1;
        self.note(format!("crash {node}"));
    }

    /// Brings `node` back up (the harness builds a fresh node from its disk).
    pub fn restart(&mut self, node: NodeId) {
        self.up[node] = true;
        self.note(format!("restart {node}"));
    }

    /// Whether `node` is up.
    pub fn is_up(&self, node: NodeId) -> bool {
        self.up[node]
    }

    /// Records a harness event (an election, a proposal, a fault) in the
    /// flight recorder.
    pub fn note(&mut self, what: impl Into<String>) {
        self.record(EventKind::Note(what.into()));
    }

    fn record(&mut self, kind: EventKind<M>) {
        if self.recent.len() == DIAGRAM_EVENTS {
            self.recent.pop_front();
        }
        self.recent.push_back(Event {
            tick: self.now,
            kind,
        });
    }

    /// The flight recorder: the seed, the tick and the last events, one per
    /// line.
    pub fn report(&self) -> String {
        let mut out = format!(
            "seed {} (replay: SDKATA_SEED={}), tick {}, {:?}\nlast {} events:\n",
            self.seed,
            self.seed,
            self.now,
            self.stats,
            self.recent.len().min(RECENT_EVENTS)
        );
        let skip = self.recent.len().saturating_sub(RECENT_EVENTS);
        for event in self.recent.iter().skip(skip) {
            let _ = writeln!(out, "  {event}");
        }
        out
    }

    /// Panics with `message`, the flight recorder, and the path of a
    /// sequence diagram of the last events.
    pub fn fail(&self, message: &str) -> ! {
        self.reported
            .store(true, std::sync::atomic::Ordering::Relaxed);
        panic!("{message}\n{}{}", self.report(), self.diagram_line());
    }

    /// Writes a sequence diagram of the recorded events (HTML with SVG) and
    /// returns its path: under `SDKATA_DIAGRAMS` if set, else the system's
    /// temporary directory, named for the test thread and the seed.
    pub fn write_diagram(&self) -> std::io::Result<std::path::PathBuf> {
        let dir = std::env::var_os("SDKATA_DIAGRAMS")
            .map_or_else(|| std::env::temp_dir().join("sdkata-diagrams"), Into::into);
        std::fs::create_dir_all(&dir)?;
        let test = std::thread::current()
            .name()
            .unwrap_or("run")
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "-");
        let path = dir.join(format!("{test}-seed{}.html", self.seed));
        std::fs::write(&path, self.diagram())?;
        Ok(path)
    }

    /// The sequence diagram of the recorded events: a self-contained HTML
    /// page with one SVG, titled with the test thread, the seed and the tick.
    pub fn diagram(&self) -> String {
        let title = format!(
            "{} · seed {} · tick {}",
            std::thread::current().name().unwrap_or("run"),
            self.seed,
            self.now
        );
        let events: Vec<Event<M>> = self.recent.iter().cloned().collect();
        diagram::page(&title, self.nodes, &events)
    }

    /// The line that points a reader at the diagram (never fails: a diagram
    /// that cannot be written must not hide the failure itself).
    fn diagram_line(&self) -> String {
        match self.write_diagram() {
            Ok(path) => format!("diagram of the last events: {}\n", path.display()),
            Err(e) => format!("(no diagram: {e})\n"),
        }
    }
}

impl<M: Debug> fmt::Display for Event<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[tick {:>5}] ", self.tick)?;
        match &self.kind {
            EventKind::Send { from, to, msg } => write!(f, "send    {from} -> {to}: {msg:?}"),
            EventKind::Deliver { from, to, msg } => write!(f, "deliver {from} -> {to}: {msg:?}"),
            EventKind::Drop { from, to, why } => write!(f, "drop    {from} -> {to} ({why:?})"),
            EventKind::Note(note) => write!(f, "note    {note}"),
        }
    }
}

impl<M: Clone + Debug> Debug for Network<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("nodes", &self.nodes)
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("in_flight", &self.in_flight.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<M: Clone + Debug> Drop for Network<M> {
    fn drop(&mut self) {
        // Unwinding from any panic (an assertion in the harness, a bug in the
        // node): print the context, which the panic message may not have.
        if std::thread::panicking() && !self.reported.load(std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "--- simulated network at the failure ---\n{}{}",
                self.report(),
                self.diagram_line()
            );
        }
    }
}

/// Stable storage that survives crashes: one slot per node.
///
/// The harness saves what a node asks to persist *before* sending the
/// messages produced with it, as a real node fsyncs before replying.
#[derive(Debug, Clone)]
pub struct Disk<S> {
    slots: Vec<Option<S>>,
    writes: u64,
}

impl<S: Clone> Disk<S> {
    /// Empty disks for `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        Self {
            slots: vec![None; nodes],
            writes: 0,
        }
    }

    /// Replaces what `node` has persisted.
    pub fn save(&mut self, node: NodeId, state: S) {
        self.slots[node] = Some(state);
        self.writes += 1;
    }

    /// What `node` last persisted, if anything.
    pub fn load(&self, node: NodeId) -> Option<&S> {
        self.slots[node].as_ref()
    }

    /// How many saves happened (fsyncs, in a real system).
    pub fn writes(&self) -> u64 {
        self.writes
    }
}

/// The seeds a simulation test runs: `SDKATA_SEED=n` replays seed n alone,
/// `SDKATA_SEEDS=n` sweeps seeds `0..n`, and otherwise the test's `defaults`.
///
/// # Panics
/// If a variable is set but is not a number (a silent fallback would make a
/// replay look like it passed).
pub fn seeds(defaults: &[u64]) -> Vec<u64> {
    let read = |name: &str| -> Option<u64> {
        let value = std::env::var(name).ok()?;
        match value.trim().parse() {
            Ok(n) => Some(n),
            Err(_) => panic!("{name}={value:?} is not a number"),
        }
    };
    if let Some(seed) = read("SDKATA_SEED") {
        vec![seed]
    } else if let Some(n) = read("SDKATA_SEEDS") {
        (0..n).collect()
    } else {
        defaults.to_vec()
    }
}

/// Runs `scenario` once per seed of [`seeds`]`(defaults)`; on a failure, says
/// which seed failed and how to replay it, then lets the panic continue.
pub fn run_seeds(defaults: &[u64], mut scenario: impl FnMut(u64)) {
    for seed in seeds(defaults) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scenario(seed)));
        if let Err(panic) = outcome {
            eprintln!("=== failed with seed {seed}: replay it alone with SDKATA_SEED={seed} ===");
            std::panic::resume_unwind(panic);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(net: &mut Network<u32>, ticks: u64) -> Vec<(u64, Envelope<u32>)> {
        let mut out = Vec::new();
        for _ in 0..ticks {
            net.tick();
            while let Some(e) = net.deliver() {
                out.push((net.now(), e));
            }
        }
        out
    }

    #[test]
    fn reliable_delivers_everything_once_within_the_delay() {
        let mut net = Network::new(2, 1);
        for i in 0..100 {
            assert!(net.send(0, 1, i));
        }
        let got = drain(&mut net, 5);
        assert_eq!(got.len(), 100);
        let mut msgs: Vec<u32> = got.iter().map(|(_, e)| e.msg).collect();
        msgs.sort_unstable();
        assert_eq!(msgs, (0..100).collect::<Vec<_>>());
        assert!(
            got.iter()
                .all(|(at, e)| (1..=2).contains(&(at - e.sent_at)))
        );
        assert_eq!(net.stats().delivered, 100);
        assert_eq!(net.stats().dropped, 0);
        assert_eq!(net.in_flight(), 0);
    }

    #[test]
    fn nothing_arrives_in_the_tick_it_was_sent() {
        let mut net = Network::new(2, 1);
        net.send(0, 1, 7);
        assert!(net.deliver().is_none());
        net.tick();
        net.tick();
        assert_eq!(net.deliver().map(|e| e.msg), Some(7));
    }

    #[test]
    fn same_tick_messages_are_reordered_by_seed() {
        let mut orders = std::collections::HashSet::new();
        for seed in 0..20 {
            let mut net = Network::new(2, seed);
            net.set_links(LinkConfig {
                max_delay: 1,
                ..LinkConfig::reliable()
            });
            for i in 0..5 {
                net.send(0, 1, i);
            }
            let got: Vec<u32> = drain(&mut net, 2).into_iter().map(|(_, e)| e.msg).collect();
            assert_eq!(got.len(), 5);
            orders.insert(got);
        }
        assert!(orders.len() > 5, "the tie-break should vary with the seed");
    }

    #[test]
    fn same_seed_same_trace() {
        let run = |seed| {
            let mut net = Network::new(3, seed);
            net.set_links(LinkConfig::chaos());
            for i in 0..200 {
                net.send(i as usize % 3, (i as usize + 1) % 3, i);
            }
            drain(&mut net, 100)
                .into_iter()
                .map(|(at, e)| (at, e.from, e.to, e.msg))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn unreliable_drops_and_duplicates_at_about_the_configured_rates() {
        let mut net = Network::new(2, 3);
        net.set_links(LinkConfig::unreliable());
        for i in 0..10_000 {
            net.send(0, 1, i);
        }
        let got = drain(&mut net, 10);
        let s = net.stats();
        assert!((800..1200).contains(&s.dropped), "{s:?}");
        assert!((300..700).contains(&s.duplicated), "{s:?}");
        assert_eq!(got.len() as u64, s.delivered);
        assert_eq!(s.delivered, 10_000 - s.dropped + s.duplicated);
        assert!(
            got.iter()
                .all(|(at, e)| (1..=4).contains(&(at - e.sent_at)))
        );
    }

    #[test]
    fn long_delays_reorder_far() {
        let mut net = Network::new(2, 4);
        net.set_links(LinkConfig::long_reordering());
        for i in 0..1000 {
            net.send(0, 1, i);
            net.tick();
        }
        let mut got = Vec::new();
        for _ in 0..100 {
            while let Some(e) = net.deliver() {
                got.push(e);
            }
            net.tick();
        }
        assert_eq!(got.len(), 1000, "long_reordering loses nothing");
        let overtaken = got.windows(2).filter(|w| w[0].msg > w[1].msg + 5).count();
        assert!(
            overtaken > 50,
            "many messages overtaken by far newer ones: {overtaken}"
        );
    }

    #[test]
    fn per_link_override() {
        let mut net = Network::new(3, 5);
        net.set_link(0, 1, LinkConfig::dead());
        for i in 0..50 {
            net.send(0, 1, i);
            net.send(1, 0, i);
            net.send(0, 2, i);
        }
        let got = drain(&mut net, 5);
        assert!(got.iter().all(|(_, e)| !(e.from == 0 && e.to == 1)));
        assert_eq!(got.len(), 100);
        assert_eq!(net.link(1, 0), LinkConfig::reliable());
        net.set_links(LinkConfig::reliable());
        assert_eq!(
            net.link(0, 1),
            LinkConfig::reliable(),
            "set_links clears overrides"
        );
    }

    #[test]
    fn partitions_are_checked_at_send_and_at_delivery() {
        let mut net = Network::new(4, 6);
        net.send(0, 3, 1); // in flight when the partition starts
        net.partition(&[&[0, 1], &[2, 3]]);
        assert!(!net.can_reach(0, 3) && !net.can_reach(3, 0));
        assert!(net.can_reach(0, 1) && net.can_reach(2, 3) && net.can_reach(2, 2));
        assert!(!net.send(0, 2, 2), "unreachable at send");
        assert!(net.send(0, 1, 3));
        let got: Vec<u32> = drain(&mut net, 5).into_iter().map(|(_, e)| e.msg).collect();
        assert_eq!(got, [3]);
        assert_eq!(net.stats().dropped, 2);
        net.heal();
        assert!(net.send(0, 2, 4));
        assert_eq!(drain(&mut net, 5).len(), 1);
    }

    #[test]
    fn unnamed_nodes_form_their_own_group() {
        let mut net: Network<u32> = Network::new(5, 0);
        net.partition(&[&[0, 1]]);
        assert!(net.can_reach(2, 3) && net.can_reach(3, 4));
        assert!(!net.can_reach(1, 2));
    }

    #[test]
    fn disconnect_and_asymmetric_links() {
        let mut net: Network<u32> = Network::new(3, 0);
        net.disconnect(1);
        assert!(!net.can_reach(0, 1) && !net.can_reach(1, 2) && net.can_reach(0, 2));
        assert!(net.is_disconnected(1));
        net.reconnect(1);
        assert!(net.can_reach(0, 1));
        net.set_reachable(0, 1, false);
        assert!(!net.can_reach(0, 1) && net.can_reach(1, 0));
        net.set_reachable(0, 1, true);
        assert!(net.can_reach(0, 1));
        net.set_reachable(1, 2, false);
        assert!(!net.can_reach(1, 2) && net.can_reach(2, 1) && net.can_reach(0, 2));
    }

    #[test]
    fn crash_loses_messages_in_flight_even_after_restart() {
        let mut net = Network::new(2, 7);
        net.send(0, 1, 1);
        net.send(1, 0, 2); // from the crashing node: already on the wire
        net.crash(1);
        assert!(!net.is_up(1));
        assert!(!net.send(0, 1, 3), "receiver down");
        assert!(!net.send(1, 0, 4), "sender down");
        net.restart(1);
        assert!(net.send(0, 1, 5));
        let got: Vec<u32> = drain(&mut net, 5).into_iter().map(|(_, e)| e.msg).collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [2, 5],
            "only the restart's own and the old wire traffic"
        );
    }

    #[test]
    fn accessors_and_budget_boundaries() {
        let mut net: Network<u32> = Network::new(3, 21);
        assert_eq!((net.nodes(), net.seed(), net.now()), (3, 21, 0));
        assert!(net.is_up(0) && !net.is_disconnected(0));
        assert!(format!("{net:?}").starts_with("Network"));
        net.set_budget(Budget {
            max_ticks: 2,
            max_messages: 4,
        });
        for i in 0..4 {
            net.send(0, 1, i); // exactly the budget: fine
        }
        assert_eq!(net.in_flight(), 4);
        net.tick();
        net.tick(); // exactly the budget: fine
        assert_eq!(net.now(), 2);
    }

    #[test]
    fn long_delays_stay_within_their_bounds() {
        let mut net = Network::new(2, 8);
        net.set_links(LinkConfig {
            long_delay: 1.0,
            max_delay: 5,
            long_delay_max: 5,
            ..LinkConfig::reliable()
        });
        net.send(0, 1, 1);
        net.set_links(LinkConfig {
            long_delay: 1.0,
            max_delay: 3,
            long_delay_max: 9,
            ..LinkConfig::reliable()
        });
        for i in 0..200 {
            net.send(0, 1, 2 + i);
        }
        let got = drain(&mut net, 12);
        assert_eq!(got.len(), 201);
        let (first, rest) = got.iter().partition::<Vec<_>, _>(|(_, e)| e.msg == 1);
        assert_eq!(
            first[0].0, 5,
            "a long delay with long_delay_max = max_delay is max_delay"
        );
        assert!(rest.iter().all(|(at, _)| (3..=9).contains(at)));
        assert!(
            rest.iter().any(|(at, _)| *at == 9),
            "long_delay_max is reachable"
        );
    }

    #[test]
    #[should_panic(expected = "message budget exhausted")]
    fn message_budget() {
        let mut net = Network::new(2, 0);
        net.set_budget(Budget {
            max_ticks: 100,
            max_messages: 10,
        });
        for i in 0..11 {
            net.send(0, 1, i);
        }
    }

    #[test]
    #[should_panic(expected = "tick budget exhausted")]
    fn tick_budget() {
        let mut net: Network<u32> = Network::new(2, 0);
        net.set_budget(Budget {
            max_ticks: 5,
            max_messages: 10,
        });
        for _ in 0..6 {
            net.tick();
        }
    }

    #[test]
    fn report_names_seed_tick_and_events() {
        let mut net = Network::new(2, 1234);
        net.note("leader 0 elected");
        net.send(0, 1, 99);
        net.tick();
        net.tick();
        net.deliver();
        let report = net.report();
        assert!(report.contains("seed 1234"), "{report}");
        assert!(report.contains("SDKATA_SEED=1234"), "{report}");
        assert!(report.contains("tick 2"), "{report}");
        assert!(report.contains("leader 0 elected"), "{report}");
        assert!(report.contains("deliver 0 -> 1: 99"), "{report}");
        for i in 0..100 {
            net.note(format!("n{i}"));
        }
        assert_eq!(net.report().lines().count(), 2 + RECENT_EVENTS);
        net.record_traffic(false);
        net.send(0, 1, 5);
        assert!(!net.report().contains("send    0 -> 1: 5"));
    }

    #[test]
    fn fail_panics_with_the_report_and_a_diagram() {
        let mut net: Network<u32> = Network::new(3, 77);
        net.note("leader 0, term 2");
        net.send(0, 1, 41);
        net.set_reachable(0, 2, false);
        net.send(0, 2, 42);
        net.crash(2);
        for _ in 0..6 {
            net.tick();
            while net.deliver().is_some() {}
        }
        net.send(1, 0, 43);
        let err = std::panic::catch_unwind(|| net.fail("boom")).unwrap_err();
        let text = err.downcast_ref::<String>().unwrap();
        assert!(text.starts_with("boom\nseed 77"), "{text}");
        let path = text
            .lines()
            .find_map(|l| l.strip_prefix("diagram of the last events: "))
            .unwrap_or_else(|| panic!("the failure names its diagram: {text}"));
        let page = std::fs::read_to_string(path).unwrap();
        assert!(path.ends_with("-seed77.html"), "{path}");
        for part in ["node 0", "node 1", "node 2", "leader 0, term 2", "crash 2"] {
            assert!(page.contains(part), "the diagram shows {part:?}");
        }
        assert_eq!(
            page.matches("marker-end").count(),
            1,
            "one delivered arrow: 41"
        );
        assert!(
            page.contains(">41</text>"),
            "the arrow is labelled with its payload"
        );
        assert!(
            page.contains("lost (Unreachable)"),
            "the lost message is marked"
        );
        assert!(page.contains("in flight: 43"), "43 is still in flight");
        assert!(
            page.contains("stroke-dasharray=\"4 3\""),
            "node 2's lifeline is dashed after its crash"
        );
    }

    #[test]
    fn disk_survives_and_counts() {
        let mut disk: Disk<String> = Disk::new(2);
        assert!(disk.load(0).is_none());
        disk.save(0, "term 3".into());
        disk.save(0, "term 4".into());
        assert_eq!(disk.load(0).map(String::as_str), Some("term 4"));
        assert!(disk.load(1).is_none());
        assert_eq!(disk.writes(), 2);
    }

    #[test]
    fn seeds_default_replay_and_sweep() {
        // Setting variables is unsafe in edition 2024 (other test threads read
        // the environment), so this checks the default path and agreement.
        if std::env::var("SDKATA_SEED").is_err() && std::env::var("SDKATA_SEEDS").is_err() {
            assert_eq!(seeds(&[3, 5]), [3, 5]);
        }
        let mut seen = Vec::new();
        run_seeds(&[1, 2, 3], |s| seen.push(s));
        assert_eq!(seen, seeds(&[1, 2, 3]));
    }

    #[test]
    fn run_seeds_passes_the_panic_on() {
        if std::env::var("SDKATA_SEED").is_ok() || std::env::var("SDKATA_SEEDS").is_ok() {
            return;
        }
        let mut ran = Vec::new();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_seeds(&[1, 2, 3], |s| {
                ran.push(s);
                assert_ne!(s, 2, "seed two fails");
            })
        }));
        assert!(result.is_err());
        assert_eq!(ran, [1, 2], "stops at the failing seed");
    }
}

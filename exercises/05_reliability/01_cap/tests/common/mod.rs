//! The harness shared by the stages: single-node helpers, and a cluster of
//! register nodes on `kit::sim`'s simulated network, each with its own
//! manual wall clock (skewed as a test asks), clients whose every request is
//! recorded in a `kit::history` history, and seeded partition schedules.
//!
//! The harness also tracks the lineage of every write: which writes its
//! node held (and so had seen) when it was made. From that it says which
//! acknowledged writes a converged register lost (the winner does not
//! descend from them), and which writes were dropped by their own node
//! because they were stamped below a version that node already held: a
//! causally later write that last-writer-wins must never drop.
//!
//! A failure prints the seed, the tick and the last network events; replay
//! one seed alone with `SDKATA_SEED=n`, or sweep `SDKATA_SEEDS=n` seeds.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

pub use cap::*;
use kit::clock::ManualClock;
use kit::history::{History, Register, RegisterOp, RegisterRet, check_linearizable};
use kit::rng::Rng;
pub use kit::sim::run_seeds;
use kit::sim::{Budget, LinkConfig, Network};

/// The fixed seeds of every scenario.
pub const SEEDS: [u64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

/// Where every wall clock starts (milliseconds), before its skew.
pub const START_MS: u64 = 1_000_000;

/// Every tick, every wall clock moves this many milliseconds.
pub const MS_PER_TICK: u64 = 10;

/// Ticks after a partition change before the failure detectors have
/// settled: a cut-off peer is suspected after `suspect_ticks` (12), a
/// returning one is heard within `sync_ticks` plus a delay (5 + 2).
pub const SETTLE: u64 = 20;

/// Search budget of the linearizability checker.
pub const CHECK_STEPS: u64 = 2_000_000;

// ------------------------------------------------------------ one node

/// Node `id` of `nodes` in `mode` with the default configuration, and the
/// handle of its wall clock (at [`START_MS`]).
pub fn node(id: NodeId, nodes: usize, mode: Mode) -> (Node, ManualClock) {
    node_with(Config::new(id, nodes, mode))
}

/// A node with `config`, and the handle of its wall clock.
pub fn node_with(config: Config) -> (Node, ManualClock) {
    let clock = ManualClock::new(START_MS);
    (Node::new(config, Box::new(clock.clone())), clock)
}

/// A timestamp.
pub fn ts(physical: u64, logical: u32, node: NodeId) -> Timestamp {
    Timestamp {
        physical,
        logical,
        node,
    }
}

/// A version.
pub fn ver(value: Value, stamp: Timestamp) -> Version {
    Version { stamp, value }
}

/// The messages in `ready` for `to`.
pub fn to(ready: &Ready, to: NodeId) -> Vec<Message> {
    ready
        .messages
        .iter()
        .filter(|(t, _)| *t == to)
        .map(|(_, m)| m.clone())
        .collect()
}

/// The receivers of `ready`'s messages, sorted.
pub fn receivers(ready: &Ready) -> Vec<NodeId> {
    let mut r: Vec<NodeId> = ready.messages.iter().map(|(t, _)| *t).collect();
    r.sort_unstable();
    r
}

/// The op of the Query messages in `ready` (all the same), failing if there
/// is none.
pub fn query_op(ready: &Ready) -> OpId {
    ready
        .messages
        .iter()
        .find_map(|(_, m)| match m {
            Message::Query { op } => Some(*op),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!("a CP request must start by sending Query to every other node; sent {ready:?}")
        })
}

/// The Store messages of `ready`: (to, op, version).
pub fn stores(ready: &Ready) -> Vec<(NodeId, OpId, Version)> {
    ready
        .messages
        .iter()
        .filter_map(|(t, m)| match m {
            Message::Store { op, version } => Some((*t, *op, *version)),
            _ => None,
        })
        .collect()
}

/// Links that deliver every message after exactly one tick.
pub fn in_order() -> LinkConfig {
    LinkConfig {
        min_delay: 1,
        max_delay: 1,
        ..LinkConfig::reliable()
    }
}

// ---------------------------------------------------------- the cluster

/// Messages sent, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sync: u64,
    pub query: u64,
    pub query_reply: u64,
    pub store: u64,
    pub store_ack: u64,
}

impl Counts {
    /// Messages of a CP operation (everything but Sync).
    pub fn quorum(&self) -> u64 {
        self.query + self.query_reply + self.store + self.store_ack
    }
}

/// What a client asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    Read,
    Write(Value),
}

/// One answered request, with what the harness knew when it was asked.
#[derive(Debug, Clone)]
pub struct Answer {
    pub req: RequestId,
    pub node: NodeId,
    pub ask: Ask,
    pub reply: Reply,
    pub invoked: u64,
    pub answered: u64,
    /// The partition did not change between the request and its answer.
    pub same_partition: bool,
    /// At the request, the partition had stood for at least [`SETTLE`] ticks.
    pub settled: bool,
    /// At the request, the node's group held a majority of the nodes.
    pub in_majority: bool,
}

impl Answer {
    pub fn latency(&self) -> u64 {
        self.answered - self.invoked
    }

    pub fn is_ok(&self) -> bool {
        matches!(self.reply, Reply::Value(_) | Reply::Written)
    }
}

struct Pending {
    node: NodeId,
    ask: Ask,
    op: kit::history::OpId,
    invoked: u64,
    epoch: u64,
    settled: bool,
    in_majority: bool,
}

/// A write the harness made.
#[derive(Debug, Clone)]
pub struct WriteInfo {
    pub node: NodeId,
    pub tick: u64,
    /// Whether its node held it right after the write (an AP write is kept
    /// unless stamped no greater than the version the node held).
    pub kept: bool,
    pub acked: bool,
}

/// What a converged register lost.
#[derive(Debug, Clone)]
pub struct Losses {
    /// The value every node holds.
    pub winner: Value,
    /// Acknowledged writes the winner does not descend from: no write in
    /// the winner's lineage was made on a node holding them. Their effect
    /// is gone (last-writer-wins discarded them in a merge, or they were
    /// dropped outright).
    pub lost: Vec<Value>,
    /// Acknowledged AP writes that their own node dropped at once, stamped
    /// no greater than the version it held: a write dropped in favour of
    /// one its node (and perhaps its client, who read it) had already seen.
    pub causally_later: Vec<Value>,
}

pub type RegisterHistory = History<RegisterOp<Value>, RegisterRet<Value>>;

/// Register nodes on a simulated network.
pub struct Cluster {
    pub net: Network<Message>,
    nodes: Vec<Node>,
    configs: Vec<Config>,
    clocks: Vec<ManualClock>,
    /// Each write's lineage: itself and every write it descends from (value
    /// 0 is the initial version).
    lineage: BTreeMap<Value, BTreeSet<Value>>,
    pub history: RegisterHistory,
    pending: BTreeMap<RequestId, Pending>,
    pub answers: Vec<Answer>,
    pub writes: BTreeMap<Value, WriteInfo>,
    pub counts: Counts,
    next_req: RequestId,
    next_value: Value,
    /// Partition changes so far, and the tick of the last one.
    epoch: u64,
    changed_at: u64,
    /// Each node's group in the current partition.
    group_of: Vec<usize>,
    group_sizes: Vec<usize>,
    /// Fail at once if a node's HLC runs ahead of every wall clock.
    pub check_hlc_bound: bool,
}

impl Cluster {
    /// `n` nodes in `mode` with default configurations and unskewed clocks,
    /// on reliable links.
    pub fn new(n: usize, mode: Mode, seed: u64) -> Self {
        Self::with(n, seed, &vec![0; n], |c| c.mode = mode)
    }

    /// `n` nodes whose wall clocks are off by `skews[i]` milliseconds, with
    /// `tweak` applied to every configuration (which starts as
    /// `Config::new(i, n, Mode::Cp)`).
    pub fn with(n: usize, seed: u64, skews: &[i64], tweak: impl Fn(&mut Config)) -> Self {
        assert_eq!(skews.len(), n, "one skew per node");
        let mut net = Network::new(n, seed);
        net.set_budget(Budget {
            max_ticks: 20_000,
            max_messages: 2_000_000,
        });
        let configs: Vec<Config> = (0..n)
            .map(|i| {
                let mut c = Config::new(i, n, Mode::Cp);
                tweak(&mut c);
                c
            })
            .collect();
        let clocks: Vec<ManualClock> = skews
            .iter()
            .map(|&s| ManualClock::new(START_MS.saturating_add_signed(s)))
            .collect();
        let nodes = configs
            .iter()
            .zip(&clocks)
            .map(|(c, clock)| Node::new(c.clone(), Box::new(clock.clone())))
            .collect();
        Self {
            net,
            nodes,
            configs,
            clocks,
            lineage: BTreeMap::from([(0, BTreeSet::from([0]))]),
            history: History::new(),
            pending: BTreeMap::new(),
            answers: Vec::new(),
            writes: BTreeMap::new(),
            counts: Counts::default(),
            next_req: 1,
            next_value: 100,
            epoch: 0,
            changed_at: 0,
            group_of: vec![0; n],
            group_sizes: vec![n],
            check_hlc_bound: false,
        }
    }

    pub fn n(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, i: NodeId) -> &Node {
        &self.nodes[i]
    }

    pub fn now(&self) -> u64 {
        self.net.now()
    }

    pub fn config(&self, i: NodeId) -> &Config {
        &self.configs[i]
    }

    /// The wall-clock reading of node `i`.
    pub fn wall(&self, i: NodeId) -> u64 {
        use kit::clock::Clock;
        self.clocks[i].unix_millis()
    }

    fn majority(&self) -> usize {
        self.n() / 2 + 1
    }

    /// Drains node `i`: send its messages, record its answers.
    fn process(&mut self, i: NodeId) {
        let ready = self.nodes[i].ready();
        for (to, msg) in ready.messages {
            if to == i || to >= self.n() {
                self.net
                    .fail(&format!("node {i} sent {msg:?} to {to}: no such peer"));
            }
            match msg {
                Message::Sync { .. } => self.counts.sync += 1,
                Message::Query { .. } => self.counts.query += 1,
                Message::QueryReply { .. } => self.counts.query_reply += 1,
                Message::Store { .. } => self.counts.store += 1,
                Message::StoreAck { .. } => self.counts.store_ack += 1,
            }
            self.net.send(i, to, msg);
        }
        for r in ready.responses {
            self.answer(i, r);
        }
        if self.check_hlc_bound {
            let hlc = self.nodes[i].hlc();
            let top = (0..self.n()).map(|j| self.wall(j)).max().unwrap_or(0);
            if hlc.physical > top {
                self.net.fail(&format!(
                    "node {i}'s HLC reads {hlc:?}, ahead of every wall clock (the fastest reads \
                     {top}): the physical part of a hybrid logical clock is the greatest \
                     wall-clock reading seen (a max), never more, so it stays within the clock \
                     skew of real time"
                ));
            }
        }
    }

    fn answer(&mut self, i: NodeId, r: Response) {
        let Some(p) = self.pending.remove(&r.req) else {
            self.net.fail(&format!(
                "node {i} answered request {} with {:?}, but that request is not waiting for an \
                 answer (answered twice, or never asked)",
                r.req, r.reply
            ));
        };
        if p.node != i {
            self.net.fail(&format!(
                "request {} was made on node {} but answered by node {i}",
                r.req, p.node
            ));
        }
        self.history.set_tick(self.now());
        match (p.ask, r.reply) {
            (Ask::Read, Reply::Value(v)) => self.history.ok(p.op, RegisterRet::Value(v)),
            (Ask::Write(v), Reply::Written) => {
                self.history.ok(p.op, RegisterRet::Done);
                if let Some(w) = self.writes.get_mut(&v) {
                    w.acked = true;
                }
            }
            (_, Reply::Unavailable) => self.history.fail(p.op),
            (_, Reply::Timeout) => self.history.unknown(p.op),
            (ask, reply) => self.net.fail(&format!(
                "node {i} answered a {ask:?} with {reply:?}: a read is answered with a Value, a \
                 write with Written (or either with Unavailable or Timeout)"
            )),
        }
        self.answers.push(Answer {
            req: r.req,
            node: i,
            ask: p.ask,
            reply: r.reply,
            invoked: p.invoked,
            answered: self.now(),
            same_partition: p.epoch == self.epoch,
            settled: p.settled,
            in_majority: p.in_majority,
        });
    }

    /// One tick: every wall clock moves [`MS_PER_TICK`], what is due is
    /// delivered, then every node ticks.
    pub fn tick(&mut self) {
        for clock in &self.clocks {
            clock.advance_millis(MS_PER_TICK);
        }
        self.net.tick();
        while let Some(e) = self.net.deliver() {
            self.nodes[e.to].step(e.from, e.msg);
            self.process(e.to);
        }
        for i in 0..self.n() {
            self.nodes[i].tick();
            self.process(i);
        }
    }

    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// A fresh value: every write in a run writes a different one.
    pub fn fresh_value(&mut self) -> Value {
        self.next_value += 1;
        self.next_value
    }

    fn invoke(&mut self, i: NodeId, ask: Ask) -> RequestId {
        let req = self.next_req;
        self.next_req += 1;
        self.history.set_tick(self.now());
        let op = match ask {
            Ask::Read => RegisterOp::Read,
            Ask::Write(v) => RegisterOp::Write(v),
        };
        // Every request is its own client: a client has one operation at a
        // time, and requests here overlap freely.
        let op = self.history.invoke(req as usize, op);
        let in_majority = self.group_sizes[self.group_of[i]] >= self.majority();
        self.pending.insert(
            req,
            Pending {
                node: i,
                ask,
                op,
                invoked: self.now(),
                epoch: self.epoch,
                settled: self.now() - self.changed_at >= SETTLE,
                in_majority,
            },
        );
        req
    }

    /// A client read on node `i`.
    pub fn read(&mut self, i: NodeId) -> RequestId {
        let req = self.invoke(i, Ask::Read);
        self.net.note(format!("read on {i}: request {req}"));
        self.nodes[i].read(req);
        self.process(i);
        req
    }

    /// A client write of a fresh value on node `i`: the request and value.
    pub fn write(&mut self, i: NodeId) -> (RequestId, Value) {
        let v = self.fresh_value();
        (self.write_value(i, v), v)
    }

    /// A client write of `v` on node `i` (values must be unique in a run).
    pub fn write_value(&mut self, i: NodeId, v: Value) -> RequestId {
        assert!(
            !self.writes.contains_key(&v) && v != 0,
            "value {v} written twice"
        );
        let held = self.nodes[i].version().value;
        let mut lineage = self.lineage.get(&held).cloned().unwrap_or_else(|| {
            self.net.fail(&format!(
                "node {i} holds value {held}, which no client wrote: a node holds only versions                  that writes made"
            ))
        });
        lineage.insert(v);
        self.lineage.insert(v, lineage);
        let req = self.invoke(i, Ask::Write(v));
        self.net.note(format!("write {v} on {i}: request {req}"));
        self.nodes[i].write(req, v);
        let kept = self.nodes[i].version().value == v;
        self.writes.insert(
            v,
            WriteInfo {
                node: i,
                tick: self.now(),
                kept,
                acked: false,
            },
        );
        self.process(i);
        req
    }

    /// The answer to `req`, if it came.
    pub fn answer_to(&self, req: RequestId) -> Option<&Answer> {
        self.answers.iter().find(|a| a.req == req)
    }

    /// The reply to `req`, failing if it has not come.
    pub fn reply(&self, req: RequestId) -> Reply {
        match self.answer_to(req) {
            Some(a) => a.reply,
            None => self
                .net
                .fail(&format!("request {req} has not been answered yet")),
        }
    }

    /// Ticks until `req` is answered (at most `max` ticks); its reply.
    pub fn wait(&mut self, req: RequestId, max: u64) -> Reply {
        for _ in 0..max {
            if self.answer_to(req).is_some() {
                break;
            }
            self.tick();
        }
        match self.answer_to(req) {
            Some(a) => a.reply,
            None => self.net.fail(&format!(
                "request {req} was not answered within {max} ticks: every request gets a reply \
                 (a CP one at the latest timeout_ticks after it started)"
            )),
        }
    }

    /// Requests not answered yet.
    pub fn unanswered(&self) -> usize {
        self.pending.len()
    }

    /// Splits the network into `groups` (nodes not named form one more).
    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        self.net.partition(groups);
        let mut group_of = vec![groups.len(); self.n()];
        for (g, members) in groups.iter().enumerate() {
            for &m in *members {
                group_of[m] = g;
            }
        }
        let mut sizes = vec![0; groups.len() + 1];
        for &g in &group_of {
            sizes[g] += 1;
        }
        self.group_of = group_of;
        self.group_sizes = sizes;
        self.epoch += 1;
        self.changed_at = self.now();
    }

    /// Ends every partition.
    pub fn heal(&mut self) {
        self.net.heal();
        self.group_of = vec![0; self.n()];
        self.group_sizes = vec![self.n()];
        self.epoch += 1;
        self.changed_at = self.now();
    }

    /// Whether every node holds the same version.
    pub fn converged(&self) -> bool {
        self.nodes
            .windows(2)
            .all(|w| w[0].version() == w[1].version())
    }

    /// Every node's version.
    pub fn versions(&self) -> Vec<Version> {
        self.nodes.iter().map(Node::version).collect()
    }

    /// What the register lost, judged from node 0's version (call it once
    /// converged).
    pub fn losses(&self) -> Losses {
        let winner = self.nodes[0].version().value;
        let empty = BTreeSet::new();
        let kept = self.lineage.get(&winner).unwrap_or(&empty);
        let lost: Vec<Value> = self
            .writes
            .iter()
            .filter(|(v, w)| w.acked && !kept.contains(v))
            .map(|(v, _)| *v)
            .collect();
        let causally_later = self
            .writes
            .iter()
            .filter(|(_, w)| w.acked && !w.kept && self.nodes[w.node].mode() == Mode::Ap)
            .map(|(v, _)| *v)
            .collect();
        Losses {
            winner,
            lost,
            causally_later,
        }
    }

    /// Fails unless the recorded history is linearizable.
    pub fn assert_linearizable(&self, why: &str) {
        let verdict = check_linearizable(&Register::new(0), &self.history, CHECK_STEPS);
        if !verdict.is_ok() {
            self.net.fail(&format!("{why}\n{verdict}"));
        }
    }

    /// Ticks until every node holds the same version, at most `max` ticks;
    /// fails with `why` otherwise.
    pub fn converge(&mut self, max: u64, why: &str) {
        for _ in 0..max {
            if self.converged() {
                return;
            }
            self.tick();
        }
        if !self.converged() {
            let versions = self.versions();
            self.net.fail(&format!(
                "the replicas did not converge within {max} ticks: {versions:?}. {why}"
            ));
        }
    }
}

// ------------------------------------------------- seeded workloads

/// Skews for `n` nodes: each clock off by up to ±`max_ms`, from `seed`.
pub fn skews(n: usize, seed: u64, max_ms: i64) -> Vec<i64> {
    let mut rng = Rng::new(seed).stream("skews");
    (0..n)
        .map(|_| rng.below(2 * max_ms as u64 + 1) as i64 - max_ms)
        .collect()
}

/// A seeded partition schedule: every 15 to 45 ticks the network either
/// heals (one time in three) or splits into two (or, one time in four,
/// three) random groups.
pub struct Partitions {
    rng: Rng,
    next: u64,
    pub changes: u64,
}

impl Partitions {
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed).stream("partitions");
        let next = rng.range(10..30);
        Self {
            rng,
            next,
            changes: 0,
        }
    }

    /// Applies the change due at this tick, if any.
    pub fn step(&mut self, c: &mut Cluster) {
        if c.now() < self.next {
            return;
        }
        self.next = c.now() + self.rng.range(15..46);
        self.changes += 1;
        if self.rng.below(3) == 0 {
            c.net.note("schedule: heal");
            c.heal();
            return;
        }
        let mut ids: Vec<NodeId> = (0..c.n()).collect();
        self.rng.shuffle(&mut ids);
        let three = c.n() >= 3 && self.rng.below(4) == 0;
        let groups: Vec<Vec<NodeId>> = if three {
            let a = self.rng.range(1..c.n() as u64 - 1) as usize;
            let b = self.rng.range(a as u64 + 1..c.n() as u64) as usize;
            vec![ids[..a].to_vec(), ids[a..b].to_vec(), ids[b..].to_vec()]
        } else {
            let a = self.rng.range(1..c.n() as u64) as usize;
            vec![ids[..a].to_vec(), ids[a..].to_vec()]
        };
        let refs: Vec<&[NodeId]> = groups.iter().map(Vec::as_slice).collect();
        c.partition(&refs);
    }
}

/// Runs `ticks` ticks of a seeded workload: each tick, with probability
/// `rate`, a request on a random node (a read or a fresh write, even odds),
/// with the network split and healed by a [`Partitions`] schedule if
/// `partitions`. Heals at the end.
pub fn random_run(c: &mut Cluster, seed: u64, ticks: u64, rate: f64, partitions: bool) {
    let mut rng = Rng::new(seed).stream("workload");
    let mut schedule = Partitions::new(seed);
    for _ in 0..ticks {
        if partitions {
            schedule.step(c);
        }
        if rng.chance(rate) {
            let i = rng.below(c.n() as u64) as NodeId;
            if rng.chance(0.5) {
                c.read(i);
            } else {
                c.write(i);
            }
        }
        c.tick();
    }
    c.heal();
}

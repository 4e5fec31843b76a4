//! The harness shared by the stages: single-node helpers, and a cluster of
//! replication nodes on `kit::sim`'s simulated network, with a coordinator
//! that runs failovers and a count of every replication message.
//!
//! The cluster checks, every time a node persists its log, that the log is
//! well formed (LSNs 1, 2, 3, ..., epochs never going down) and that a
//! follower's log is a prefix of its leader's. A failure prints the seed, the
//! tick and the last network events; replay one seed alone with
//! `SDKATA_SEED=n`, or sweep `SDKATA_SEEDS=n` seeds.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

pub use kit::sim::run_seeds;
use kit::sim::{Budget, Disk, LinkConfig, Network};
pub use replication::*;

/// The fixed seeds of every cluster scenario.
pub const SEEDS: [u64; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/// Ticks a cluster may take to converge before a test gives up.
pub const CONVERGE_BUDGET: u64 = 600;

/// An entry of `epoch` at `lsn`.
pub fn entry(epoch: Epoch, lsn: Lsn, key: Key, value: Value) -> Entry {
    Entry {
        epoch,
        lsn,
        key,
        value,
    }
}

/// A log whose entries have the given epochs (LSN i has key i, value 100 * i).
pub fn log_of_epochs(epochs: &[Epoch]) -> Vec<Entry> {
    epochs
        .iter()
        .enumerate()
        .map(|(i, &e)| entry(e, i as Lsn + 1, i as Key + 1, 100 * (i as Value + 1)))
        .collect()
}

/// A fresh node `id` of `nodes` in `mode`, with the default configuration.
pub fn node(id: NodeId, nodes: usize, mode: Mode) -> Node {
    Node::new(Config::new(id, nodes, mode), Vec::new())
}

/// Node 0 of `nodes`, leader of epoch 1, having heard every follower say
/// it is at LSN 0 (so it ships to them without probing first).
pub fn leader(nodes: usize, mode: Mode) -> Node {
    let mut n = node(0, nodes, mode);
    n.promote(1);
    for f in 1..nodes {
        n.step(f, Message::Ack { epoch: 1, lsn: 0 });
    }
    let _ = n.ready();
    n
}

/// Node `id` following node 0 in epoch 1 (its hello drained).
pub fn follower(id: NodeId, nodes: usize, mode: Mode) -> Node {
    let mut n = node(id, nodes, mode);
    n.follow(
        0,
        1,
        &[EpochStart {
            epoch: 1,
            first_lsn: 1,
        }],
    );
    let _ = n.ready();
    n
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

/// The LSNs of the entries of every Append in `msgs`.
pub fn shipped(msgs: &[Message]) -> Vec<Vec<Lsn>> {
    msgs.iter()
        .filter_map(|m| match m {
            Message::Append { entries, .. } => Some(entries.iter().map(|e| e.lsn).collect()),
            Message::Ack { .. } => None,
        })
        .collect()
}

/// Links that deliver every message after exactly one tick: in order, like
/// the TCP connection a real replication stream runs on.
pub fn in_order() -> LinkConfig {
    LinkConfig {
        min_delay: 1,
        max_delay: 1,
        ..LinkConfig::reliable()
    }
}

/// What the harness counted on the wire, per directed link.
#[derive(Debug, Clone, Default)]
pub struct Wire {
    /// Append messages sent (probes included).
    pub appends: BTreeMap<(NodeId, NodeId), u64>,
    /// Empty Appends (probes) sent.
    pub probes: u64,
    /// Entries carried by Appends.
    pub entries: BTreeMap<(NodeId, NodeId), u64>,
    /// Entries a leader shipped to a follower that it had shipped there
    /// before in the same epoch (resends).
    pub resent: u64,
    /// Ack messages sent.
    pub acks: u64,
    /// The most Appends one leader sent one follower in a single tick.
    pub max_appends_per_tick: u64,
    /// The most entries in one Append.
    pub max_batch_seen: usize,
}

impl Wire {
    pub fn total_appends(&self) -> u64 {
        self.appends.values().sum()
    }

    pub fn total_entries(&self) -> u64 {
        self.entries.values().sum()
    }
}

/// Replication nodes on a simulated network, with a disk each and a
/// coordinator that knows who leads.
pub struct Cluster {
    pub net: Network<Message>,
    nodes: Vec<Option<Node>>,
    configs: Vec<Config>,
    disk: Disk<Vec<Entry>>,
    /// The coordinator's view: the current leader and epoch.
    pub leader: NodeId,
    pub epoch: Epoch,
    /// Acknowledgements given to clients: (node, epoch, lsn), in order.
    pub acks: Vec<(NodeId, Epoch, Lsn)>,
    /// Read replies: (node, reply), in order.
    pub replies: Vec<(NodeId, ReadReply)>,
    pub wire: Wire,
    /// (epoch, from, to) -> the highest LSN shipped there.
    shipped_to: BTreeMap<(Epoch, NodeId, NodeId), Lsn>,
    /// (from, to) -> Appends sent in the current tick.
    this_tick: BTreeMap<(NodeId, NodeId), u64>,
    /// The last value handed out by `fresh_value`.
    next_value: Value,
}

impl Cluster {
    /// `n` nodes in `mode` on reliable links: node 0 leads epoch 1, the others
    /// follow it.
    pub fn new(n: usize, mode: Mode, seed: u64) -> Self {
        Self::with_config(n, seed, |c| c.mode = mode)
    }

    /// [`Cluster::new`], with `tweak` applied to every node's configuration.
    pub fn with_config(n: usize, seed: u64, tweak: impl Fn(&mut Config)) -> Self {
        let mut net = Network::new(n, seed);
        net.set_budget(Budget {
            max_ticks: 20_000,
            max_messages: 400_000,
        });
        let configs: Vec<Config> = (0..n)
            .map(|id| {
                let mut c = Config::new(id, n, Mode::Async);
                tweak(&mut c);
                c
            })
            .collect();
        let nodes = configs
            .iter()
            .map(|c| Some(Node::new(c.clone(), Vec::new())))
            .collect();
        let mut cluster = Self {
            net,
            nodes,
            configs,
            disk: Disk::new(n),
            leader: 0,
            epoch: 0,
            acks: Vec::new(),
            replies: Vec::new(),
            wire: Wire::default(),
            shipped_to: BTreeMap::new(),
            this_tick: BTreeMap::new(),
            next_value: 1,
        };
        cluster.failover_to(0, &(0..n).collect::<Vec<_>>());
        cluster
    }

    pub fn n(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, i: NodeId) -> Option<&Node> {
        self.nodes[i].as_ref()
    }

    pub fn leader_node(&self) -> &Node {
        self.node(self.leader).expect("the leader is up")
    }

    pub fn is_up(&self, i: NodeId) -> bool {
        self.nodes[i].is_some()
    }

    pub fn now(&self) -> u64 {
        self.net.now()
    }

    /// Drains node `i`'s ready: persist, then send, then record acks and reads.
    fn process(&mut self, i: NodeId) {
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        let ready = node.ready();
        let epoch = node.epoch();
        if let Some(log) = ready.persist {
            self.check_log(i, &log);
            self.disk.save(i, log);
        }
        for (to, msg) in ready.messages {
            if to == i || to >= self.nodes.len() {
                self.net
                    .fail(&format!("node {i} sent {msg:?} to {to}: no such peer"));
            }
            self.count(i, to, &msg);
            self.net.send(i, to, msg);
        }
        let mut last = None;
        for lsn in ready.acked {
            if last.is_some_and(|l| lsn <= l) {
                self.net.fail(&format!(
                    "node {i} acknowledged LSN {lsn} after {last:?}: Ready::acked is ascending, \
                     each write once"
                ));
            }
            if self.acks.contains(&(i, epoch, lsn)) {
                self.net.fail(&format!(
                    "node {i} acknowledged LSN {lsn} of epoch {epoch} twice"
                ));
            }
            last = Some(lsn);
            self.acks.push((i, epoch, lsn));
        }
        for reply in ready.reads {
            self.replies.push((i, reply));
        }
    }

    fn count(&mut self, from: NodeId, to: NodeId, msg: &Message) {
        match msg {
            Message::Ack { .. } => self.wire.acks += 1,
            Message::Append { epoch, entries } => {
                *self.wire.appends.entry((from, to)).or_default() += 1;
                *self.wire.entries.entry((from, to)).or_default() += entries.len() as u64;
                if entries.is_empty() {
                    self.wire.probes += 1;
                }
                self.wire.max_batch_seen = self.wire.max_batch_seen.max(entries.len());
                let n = self.this_tick.entry((from, to)).or_default();
                *n += 1;
                self.wire.max_appends_per_tick = self.wire.max_appends_per_tick.max(*n);
                let high = self.shipped_to.entry((*epoch, from, to)).or_default();
                for e in entries {
                    if e.lsn <= *high {
                        self.wire.resent += 1;
                    }
                }
                if let Some(e) = entries.last() {
                    *high = (*high).max(e.lsn);
                }
            }
        }
    }

    /// LSNs 1, 2, 3, ..., epochs never going down; a follower of the current
    /// leader holds a prefix of the leader's log.
    fn check_log(&self, i: NodeId, log: &[Entry]) {
        for (k, e) in log.iter().enumerate() {
            if e.lsn != k as Lsn + 1 {
                self.net.fail(&format!(
                    "node {i} persisted a log whose entry {k} has LSN {}: a log holds LSNs 1, 2, \
                     3, ... without gaps (store an Append only if it continues the log)",
                    e.lsn
                ));
            }
            if k > 0 && e.epoch < log[k - 1].epoch {
                self.net.fail(&format!(
                    "node {i} persisted a log whose epochs go down at LSN {}: {} after {}",
                    e.lsn,
                    e.epoch,
                    log[k - 1].epoch
                ));
            }
        }
        let Some(node) = self.node(i) else { return };
        if node.role() != Role::Follower(self.leader) || node.epoch() != self.epoch {
            return;
        }
        let Some(leader) = self.node(self.leader) else {
            return;
        };
        let theirs = leader.log();
        let diverges = log.iter().zip(theirs).position(|(a, b)| a != b);
        if log.len() > theirs.len() || diverges.is_some() {
            let at = diverges.unwrap_or(theirs.len());
            self.net.fail(&format!(
                "node {i} follows node {} in epoch {} but its log is not a prefix of the \
                 leader's: they differ at LSN {} ({:?} vs {:?}). A follower must cut off a \
                 divergent suffix when it starts following (Node::follow) and store only what \
                 its leader ships.",
                self.leader,
                self.epoch,
                at + 1,
                log.get(at),
                theirs.get(at)
            ));
        }
    }

    /// One tick: deliver what is due, then tick every live node.
    pub fn tick(&mut self) {
        self.net.tick();
        self.this_tick.clear();
        while let Some(e) = self.net.deliver() {
            if let Some(node) = self.nodes[e.to].as_mut() {
                node.step(e.from, e.msg);
                self.process(e.to);
            }
        }
        for i in 0..self.nodes.len() {
            if let Some(node) = self.nodes[i].as_mut() {
                node.tick();
                self.process(i);
            }
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

    /// A write of `key` on the current leader; returns its LSN.
    pub fn write(&mut self, key: Key, value: Value) -> Lsn {
        let leader = self.leader;
        let node = self.nodes[leader]
            .as_mut()
            .expect("writing on a live leader");
        let lsn = node
            .write(key, value)
            .unwrap_or_else(|e| panic!("the coordinator's leader {leader} refused a write: {e}"));
        self.net
            .note(format!("write key {key} = {value} on {leader}: LSN {lsn}"));
        self.process(leader);
        lsn
    }

    /// A write of `key` on node `i`, whatever the coordinator thinks.
    pub fn write_on(&mut self, i: NodeId, key: Key, value: Value) -> Result<Lsn, NotLeader> {
        let node = self.nodes[i].as_mut().expect("writing on a live node");
        let result = node.write(key, value);
        self.process(i);
        result
    }

    /// A read on node `i`.
    pub fn read(&mut self, i: NodeId, id: ReadId, key: Key, at_least: Lsn) {
        let node = self.nodes[i].as_mut().expect("reading from a live node");
        node.read(id, key, at_least);
        self.process(i);
    }

    /// Whether node `i` acknowledged `lsn` in `epoch`.
    pub fn acked(&self, i: NodeId, epoch: Epoch, lsn: Lsn) -> bool {
        self.acks.contains(&(i, epoch, lsn))
    }

    /// Crashes node `i`: it is gone; its disk stays.
    pub fn crash(&mut self, i: NodeId) {
        self.nodes[i] = None;
        self.net.crash(i);
    }

    /// Restarts node `i` from its disk; the coordinator then tells it to
    /// follow the current leader, as Sentinel reconfigures a returning node.
    pub fn restart(&mut self, i: NodeId) {
        let log = self.disk.load(i).cloned().unwrap_or_default();
        self.nodes[i] = Some(Node::new(self.configs[i].clone(), log));
        self.net.restart(i);
        if i != self.leader && self.is_up(self.leader) {
            let history = self.leader_node().history();
            let (leader, epoch) = (self.leader, self.epoch);
            self.nodes[i]
                .as_mut()
                .expect("just restarted")
                .follow(leader, epoch, &history);
            self.process(i);
        }
    }

    /// The coordinator tells live node `i` to follow the current leader (a
    /// deposed leader it can reach again, say).
    pub fn rejoin(&mut self, i: NodeId) {
        let history = self.leader_node().history();
        let (leader, epoch) = (self.leader, self.epoch);
        self.nodes[i]
            .as_mut()
            .expect("rejoining a live node")
            .follow(leader, epoch, &history);
        self.process(i);
    }

    /// What node `i` saved on disk.
    pub fn disk(&self, i: NodeId) -> Vec<Entry> {
        self.disk.load(i).cloned().unwrap_or_default()
    }

    /// The coordinator's failover: among `candidates` (live nodes it can
    /// reach), promote the one [`choose_leader`] picks into a new epoch and
    /// tell every other candidate to follow it. Returns the new leader.
    pub fn failover(&mut self, candidates: &[NodeId]) -> NodeId {
        let positions: Vec<(NodeId, Position)> = candidates
            .iter()
            .filter_map(|&i| self.node(i).map(|n| (i, n.position())))
            .collect();
        let Some(chosen) = choose_leader(&positions) else {
            self.net.fail(&format!(
                "choose_leader({positions:?}) returned None: with candidates, it names one"
            ));
        };
        if !candidates.contains(&chosen) {
            self.net.fail(&format!(
                "choose_leader({positions:?}) returned {chosen}, which is not a candidate"
            ));
        }
        self.failover_to(chosen, candidates);
        chosen
    }

    /// Promotes `chosen` into the next epoch; the other `candidates` follow.
    pub fn failover_to(&mut self, chosen: NodeId, candidates: &[NodeId]) {
        self.epoch += 1;
        self.leader = chosen;
        let epoch = self.epoch;
        self.net
            .note(format!("failover: node {chosen} leads epoch {epoch}"));
        let node = self.nodes[chosen].as_mut().expect("promoting a live node");
        node.promote(epoch);
        let history = node.history();
        self.process(chosen);
        for &i in candidates {
            if i == chosen {
                continue;
            }
            if let Some(node) = self.nodes[i].as_mut() {
                node.follow(chosen, epoch, &history);
                self.process(i);
            }
        }
    }

    /// Whether every live node's log equals the leader's.
    pub fn converged(&self) -> bool {
        let Some(leader) = self.node(self.leader) else {
            return false;
        };
        self.nodes.iter().flatten().all(|n| n.log() == leader.log())
    }

    /// Ticks until every live node holds the leader's log; fails after
    /// [`CONVERGE_BUDGET`] ticks.
    pub fn converge(&mut self) {
        for _ in 0..CONVERGE_BUDGET {
            if self.converged() {
                return;
            }
            self.tick();
        }
        if !self.converged() {
            let lasts: Vec<String> = (0..self.n())
                .map(|i| match self.node(i) {
                    Some(n) => format!("{i}: {:?} at LSN {}", n.role(), n.last_lsn()),
                    None => format!("{i}: down"),
                })
                .collect();
            self.net.fail(&format!(
                "the live nodes did not converge on the leader's log within {CONVERGE_BUDGET} \
                 ticks ({lasts:?}). A leader must keep shipping until every follower has \
                 acknowledged everything: resend from the last Ack after retransmit_ticks \
                 without progress, and probe followers it has not heard from."
            ));
        }
    }

    /// The entries of epoch-`epoch` writes that node `i` acknowledged.
    pub fn acked_entries(&self, i: NodeId, epoch: Epoch, log: &[Entry]) -> Vec<Entry> {
        let lsns: BTreeSet<Lsn> = self
            .acks
            .iter()
            .filter(|&&(n, e, _)| n == i && e == epoch)
            .map(|&(_, _, l)| l)
            .collect();
        lsns.iter()
            .map(|&l| {
                *log.get(l as usize - 1).unwrap_or_else(|| {
                    panic!("node {i} acknowledged LSN {l}, beyond the log it wrote it to")
                })
            })
            .collect()
    }
}

// ------------------------------------------------------------------------
// The failover scenario of stages 2 and 3.
// ------------------------------------------------------------------------

/// Writes one value per tick on the leader for `ticks` ticks.
pub fn write_for(c: &mut Cluster, ticks: u64) {
    for k in 0..ticks {
        let v = c.fresh_value();
        c.write(k % 8, v);
        c.tick();
    }
}

/// One failure: node 0 of 3 leads and takes a write every tick, then
/// crashes; the coordinator promotes a follower, which takes more writes;
/// node 0 comes back and follows it. Returns the writes node 0 acknowledged
/// that the converged cluster no longer has.
pub fn lost_writes_after_failover(mode: Mode, seed: u64, links: LinkConfig) -> Vec<Entry> {
    let mut c = Cluster::new(3, mode, seed);
    c.net.set_links(links);
    write_for(&mut c, 40 + seed % 20);
    c.crash(0);
    let old_log = c.disk(0);
    let acked = c.acked_entries(0, 1, &old_log);
    let new = c.failover(&[1, 2]);
    write_for(&mut c, 30);
    c.restart(0);
    c.converge();
    let log = c.node(new).expect("the new leader is up").log().to_vec();
    let lost: Vec<Entry> = acked.into_iter().filter(|e| !log.contains(e)).collect();
    // Whatever was lost is gone everywhere, the old leader included.
    for i in 0..3 {
        let here = c.node(i).expect("all up").log();
        if let Some(e) = lost.iter().find(|e| here.contains(e)) {
            c.net.fail(&format!(
                "node {i} still holds {e:?}, which the new leader does not: after failover every \
                 node must hold the new leader's log exactly"
            ));
        }
    }
    lost
}

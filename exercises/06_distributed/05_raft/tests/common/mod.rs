//! The test harness shared by every stage: single-node helpers, and a
//! cluster of `Raft` nodes driven on `kit::sim`'s simulated network that
//! checks Raft's safety properties after every tick.
//!
//! A failure prints the seed, the tick and the last network events; replay
//! one seed alone with `SDKATA_SEED=n`, or sweep `SDKATA_SEEDS=n` seeds.
#![allow(dead_code)]

use std::collections::BTreeMap;

use kit::rng::Rng;
pub use kit::sim::run_seeds;
use kit::sim::{Budget, Disk, LinkConfig, Network};
pub use raft::{
    Config, Entry, Index, Message, NodeId, NotLeader, Persisted, Raft, Ready, Role, Term,
};

/// The election timeout of every test node is drawn from `ELECTION..2 * ELECTION`.
pub const ELECTION: u64 = 10;
/// Leaders heartbeat every `HEARTBEAT` ticks.
pub const HEARTBEAT: u64 = 3;
/// How long an election may take, in ticks, before a test gives up: a dozen
/// timeouts, enough for a few split votes (MIT's labs allow about as many).
pub const ELECTION_BUDGET: u64 = 12 * 2 * ELECTION;

/// The fixed seeds of every cluster scenario.
pub const SEEDS: [u64; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// A command: distinct numbers make distinct commands.
pub fn cmd(n: u64) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

/// A test node's configuration with the course defaults.
pub fn config(id: NodeId, nodes: usize, seed: u64) -> Config {
    let mut c = Config::new(id, (0..nodes).collect(), seed);
    c.election_ticks = ELECTION;
    c.heartbeat_ticks = HEARTBEAT;
    c.max_entries_per_message = 64;
    c
}

/// An entry of `term` carrying command `n`.
pub fn entry(term: Term, n: u64) -> Entry {
    Entry {
        term,
        command: Some(cmd(n)),
    }
}

/// A log whose entries have the given terms (commands are their indexes).
pub fn log_of_terms(terms: &[Term]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(i, &t)| entry(t, i as u64 + 1))
        .collect()
}

/// A node restored from `state` (or fresh).
pub fn node(id: NodeId, nodes: usize, seed: u64, state: Option<Persisted>) -> Raft {
    Raft::new(config(id, nodes, seed), state)
}

/// Ticks `node` until it is a candidate; returns how many ticks it took.
pub fn ticks_until_candidate(node: &mut Raft, limit: u64) -> u64 {
    for t in 1..=limit {
        node.tick();
        if node.role() == Role::Candidate {
            return t;
        }
    }
    panic!(
        "node {} was still a {:?} after {limit} ticks: a follower must start an election when \
         its election timer (drawn from {ELECTION}..{} ticks) runs out",
        node.id(),
        node.role(),
        2 * ELECTION
    );
}

/// Makes `node` (id 0 of `nodes`) the leader of its next term by granting it
/// votes from nodes 1.. until it wins, then drains its `ready`.
pub fn make_leader(node: &mut Raft) -> Ready {
    ticks_until_candidate(node, 4 * ELECTION);
    let term = node.term();
    let _ = node.ready();
    let mut voter = 1;
    while node.role() != Role::Leader {
        node.step(
            voter,
            Message::RequestVoteReply {
                term,
                granted: true,
            },
        );
        voter += 1;
        assert!(
            voter < 100,
            "node never became leader despite every vote granted"
        );
    }
    node.ready()
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

/// The only message in `ready`, asserting there is exactly one.
pub fn only_message(ready: &Ready, what: &str) -> (NodeId, Message) {
    assert_eq!(
        ready.messages.len(),
        1,
        "{what}: expected exactly one message, got {:?}",
        ready.messages
    );
    ready.messages[0].clone()
}

// ------------------------------------------------------------------------
// The cluster.
// ------------------------------------------------------------------------

/// Raft nodes on a simulated network, with a disk each, checked every tick.
pub struct Cluster {
    pub net: Network<Message>,
    nodes: Vec<Option<Raft>>,
    disk: Disk<Persisted>,
    incarnation: Vec<u64>,
    root: Rng,
    /// The test's own randomness (independent of the network's and nodes').
    pub workload: Rng,
    n: usize,
    /// Election safety: the leader seen in each term.
    leaders: BTreeMap<Term, NodeId>,
    /// Leader append-only: each node's log when last seen leading, by term.
    leader_snapshot: Vec<Option<(Term, Vec<Entry>)>>,
    /// Leader completeness: how far each leader's log was checked, by term.
    leader_checked: Vec<(Term, usize)>,
    /// State-machine safety: the committed log as first applied anywhere,
    /// and the term of the node that applied it first.
    committed: Vec<Entry>,
    committed_in: Vec<Term>,
    /// What each node has applied (its last applied index).
    applied: Vec<Index>,
    /// Logs that changed since the last log-matching check.
    changed: Vec<bool>,
    /// AppendEntries sent to each node.
    appends_to: Vec<u64>,
    /// Changes the test defaults of every node's configuration.
    tweak: fn(&mut Config),
}

impl Cluster {
    /// `n` fresh nodes, reliable links, seeded with `seed`.
    pub fn new(n: usize, seed: u64) -> Self {
        Self::with_config(n, seed, |_| {})
    }

    /// [`Cluster::new`], with `tweak` applied to every node's [`config`].
    pub fn with_config(n: usize, seed: u64, tweak: fn(&mut Config)) -> Self {
        let root = Rng::new(seed);
        let mut net = Network::new(n, seed);
        net.set_budget(Budget {
            max_ticks: 60_000,
            max_messages: 2_000_000,
        });
        let mut c = Self {
            net,
            nodes: (0..n).map(|_| None).collect(),
            disk: Disk::new(n),
            incarnation: vec![0; n],
            workload: root.stream("workload"),
            root,
            n,
            leaders: BTreeMap::new(),
            leader_snapshot: vec![None; n],
            leader_checked: vec![(0, 0); n],
            committed: Vec::new(),
            committed_in: Vec::new(),
            applied: vec![0; n],
            changed: vec![true; n],
            appends_to: vec![0; n],
            tweak,
        };
        for i in 0..n {
            c.start(i);
        }
        c
    }

    /// Sets every link's behaviour.
    pub fn links(&mut self, config: LinkConfig) {
        self.net.set_links(config);
    }

    pub fn n(&self) -> usize {
        self.n
    }

    pub fn now(&self) -> u64 {
        self.net.now()
    }

    /// Node `i`, if it is up.
    pub fn node(&self, i: NodeId) -> Option<&Raft> {
        self.nodes[i].as_ref()
    }

    pub fn is_up(&self, i: NodeId) -> bool {
        self.nodes[i].is_some()
    }

    /// Up and not disconnected.
    pub fn is_connected(&self, i: NodeId) -> bool {
        self.is_up(i) && !self.net.is_disconnected(i)
    }

    fn start(&mut self, i: NodeId) {
        let seed = self
            .root
            .stream(&format!("node-{i}-{}", self.incarnation[i]))
            .next_u64();
        self.incarnation[i] += 1;
        let restored = self.disk.load(i).cloned();
        let mut config = config(i, self.n, seed);
        (self.tweak)(&mut config);
        self.nodes[i] = Some(Raft::new(config, restored));
        self.applied[i] = 0;
        self.leader_snapshot[i] = None;
        self.leader_checked[i] = (0, 0);
        self.changed[i] = true;
        self.process(i);
    }

    /// Crashes node `i`: its volatile state is gone, its disk stays.
    pub fn crash(&mut self, i: NodeId) {
        if self.nodes[i].take().is_some() {
            self.net.crash(i);
        }
    }

    /// Restarts node `i` from its disk (crashing it first if it is up).
    pub fn restart(&mut self, i: NodeId) {
        self.crash(i);
        self.net.restart(i);
        self.start(i);
    }

    pub fn disconnect(&mut self, i: NodeId) {
        self.net.disconnect(i);
    }

    pub fn connect(&mut self, i: NodeId) {
        self.net.reconnect(i);
    }

    /// Splits the cluster into groups (nodes not named form one more group).
    pub fn partition(&mut self, groups: &[&[NodeId]]) {
        self.net.partition(groups);
    }

    /// Cuts or restores the one direction `from -> to` only: `to` may still
    /// reach `from` (an asymmetric partition).
    pub fn set_reachable(&mut self, from: NodeId, to: NodeId, reachable: bool) {
        self.net.set_reachable(from, to, reachable);
    }

    /// Ends every partition and disconnection.
    pub fn heal(&mut self) {
        self.net.heal();
    }

    /// AppendEntries sent to node `i` so far.
    pub fn appends_to(&self, i: NodeId) -> u64 {
        self.appends_to[i]
    }

    /// Persist, then send, then apply: the order `Ready` prescribes.
    fn process(&mut self, i: NodeId) {
        let Some(node) = self.nodes[i].as_mut() else {
            return;
        };
        let ready = node.ready();
        let (term, voted_for, last_index, last) = (
            node.term(),
            node.voted_for(),
            node.last_index(),
            node.log().last().cloned(),
        );
        let commit = node.commit_index();
        if let Some(state) = ready.persist {
            self.disk.save(i, state);
            self.changed[i] = true;
        }
        let empty = Persisted::default();
        let disk = self.disk.load(i).unwrap_or(&empty);
        if disk.term != term
            || disk.voted_for != voted_for
            || disk.log.len() as Index != last_index
            || disk.log.last() != last.as_ref()
        {
            self.net.fail(&format!(
                "node {i}: state not persisted. After ready() the node has term {term}, vote \
                 {voted_for:?}, {last_index} entries (last {last:?}), but its disk has term {}, \
                 vote {:?}, {} entries (last {:?}). Term, vote and log must be in Ready::persist \
                 whenever they change, so they are on disk before any reply leaves: a vote or \
                 an acknowledged entry forgotten in a crash breaks safety.",
                disk.term,
                disk.voted_for,
                disk.log.len(),
                disk.log.last()
            ));
        }
        if commit > last_index {
            self.net.fail(&format!(
                "node {i}: commit index {commit} beyond its last log index {last_index}"
            ));
        }
        for (to, msg) in ready.messages {
            if to == i || to >= self.n {
                self.net.fail(&format!(
                    "node {i} sent {msg:?} to {to}: not another member"
                ));
            }
            if matches!(msg, Message::AppendEntries { .. }) {
                self.appends_to[to] += 1;
            }
            self.net.send(i, to, msg);
        }
        for (index, entry) in ready.committed {
            self.apply(i, index, entry);
        }
    }

    /// State-machine safety: every node applies the same entry at each
    /// index, in order, once.
    fn apply(&mut self, i: NodeId, index: Index, entry: Entry) {
        if index != self.applied[i] + 1 {
            self.net.fail(&format!(
                "node {i} handed out committed index {index} after {}: committed entries must \
                 come out of ready() in order, each once",
                self.applied[i]
            ));
        }
        self.applied[i] = index;
        let node = self.nodes[i].as_ref().expect("applying node is up");
        if node.log().get(index as usize - 1) != Some(&entry) {
            self.net.fail(&format!(
                "node {i} handed out {entry:?} as committed at {index}, but its log has {:?} there",
                node.log().get(index as usize - 1)
            ));
        }
        let k = index as usize - 1;
        if k < self.committed.len() {
            if self.committed[k] != entry {
                self.net.fail(&format!(
                    "STATE-MACHINE SAFETY violated: node {i} applied {entry:?} at index {index}, \
                     but {:?} was applied there before. A committed entry was lost or overwritten \
                     (a vote without the up-to-date check? an old-term entry committed by \
                     counting replicas? a follower commit beyond what the leader verified?)",
                    self.committed[k]
                ));
            }
        } else {
            self.committed.push(entry);
            self.committed_in.push(node.term());
        }
    }

    /// One tick: deliver what is due, tick every node, check the invariants.
    pub fn tick(&mut self) {
        self.net.tick();
        while let Some(envelope) = self.net.deliver() {
            if let Some(node) = self.nodes[envelope.to].as_mut() {
                node.step(envelope.from, envelope.msg);
                self.process(envelope.to);
            }
        }
        for i in 0..self.n {
            if let Some(node) = self.nodes[i].as_mut() {
                node.tick();
                self.process(i);
            }
        }
        self.check();
    }

    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// Ticks until `done` holds (checked after every tick); fails after
    /// `budget` ticks saying it was waiting for `what`.
    pub fn run_until(&mut self, what: &str, budget: u64, done: impl Fn(&Cluster) -> bool) {
        for _ in 0..budget {
            if done(self) {
                return;
            }
            self.tick();
        }
        if !done(self) {
            self.net.fail(&format!("waited {budget} ticks for {what}"));
        }
    }

    /// The last index of node `i`'s log (0 if it is down).
    pub fn last_index(&self, i: NodeId) -> Index {
        self.node(i).map_or(0, |n| n.last_index())
    }

    /// The safety properties of Figure 3, checked on the live nodes.
    fn check(&mut self) {
        for i in 0..self.n {
            let Some(node) = self.nodes[i].as_ref() else {
                continue;
            };
            if node.role() != Role::Leader {
                self.leader_snapshot[i] = None;
                continue;
            }
            let term = node.term();
            // Election safety.
            match self.leaders.get(&term) {
                Some(&other) if other != i => self.net.fail(&format!(
                    "ELECTION SAFETY violated: nodes {other} and {i} are both leaders of term \
                     {term}. A node votes at most once per term and a leader needs a majority."
                )),
                Some(_) => {}
                None => {
                    self.leaders.insert(term, i);
                    let note = format!("node {i} leads term {term}");
                    self.net.note(note);
                }
            }
            // Leader append-only.
            if self.changed[i] {
                let log = node.log();
                match &mut self.leader_snapshot[i] {
                    Some((t, old)) if *t == term => {
                        if old.len() > log.len() || old[..] != log[..old.len()] {
                            self.net.fail(&format!(
                                "LEADER APPEND-ONLY violated: leader {i} of term {term} changed \
                                 or removed entries of its own log ({} entries before, {} now). \
                                 A leader never overwrites or deletes its entries.",
                                old.len(),
                                log.len()
                            ));
                        }
                        let seen = old.len();
                        old.extend_from_slice(&log[seen..]);
                    }
                    snapshot => *snapshot = Some((term, log.to_vec())),
                }
            }
            // Leader completeness: everything committed when this term began
            // (or since, by nodes of a term <= this one) is in this log.
            let (checked_term, from) = self.leader_checked[i];
            let from = if checked_term == term { from } else { 0 };
            let log = node.log();
            for k in from..self.committed.len() {
                if self.committed_in[k] > term {
                    continue;
                }
                if log.get(k) != Some(&self.committed[k]) {
                    self.net.fail(&format!(
                        "LEADER COMPLETENESS violated: leader {i} of term {term} has {:?} at \
                         index {}, but {:?} was committed there (seen by a node in term {}). A \
                         candidate whose log is behind must not win votes: check the \
                         up-to-date rule of RequestVote.",
                        log.get(k),
                        k + 1,
                        self.committed[k],
                        self.committed_in[k]
                    ));
                }
            }
            self.leader_checked[i] = (term, self.committed.len());
        }
        self.check_log_matching();
    }

    /// Log matching: if two logs have an entry with the same index and term,
    /// they are identical up to it.
    fn check_log_matching(&mut self) {
        if !self.changed.iter().any(|&c| c) {
            return;
        }
        for a in 0..self.n {
            for b in a + 1..self.n {
                if !(self.changed[a] || self.changed[b]) {
                    continue;
                }
                let (Some(x), Some(y)) = (self.nodes[a].as_ref(), self.nodes[b].as_ref()) else {
                    continue;
                };
                let (x, y) = (x.log(), y.log());
                let common = x.len().min(y.len());
                let Some(k) = (0..common).rev().find(|&k| x[k].term == y[k].term) else {
                    continue;
                };
                if x[..=k] != y[..=k] {
                    let first = (0..=k).find(|&j| x[j] != y[j]).unwrap_or(0);
                    self.net.fail(&format!(
                        "LOG MATCHING violated: nodes {a} and {b} both have an entry of term {} \
                         at index {}, but differ at index {}: {:?} vs {:?}. AppendEntries must \
                         check prev_log_index/prev_log_term and remove conflicting entries.",
                        x[k].term,
                        k + 1,
                        first + 1,
                        x[first],
                        y[first]
                    ));
                }
            }
        }
        self.changed.fill(false);
    }

    // ---- observations ----

    /// The leader of the highest term among `group`, if that term has one
    /// there, and only if no node of the group has a higher term.
    pub fn leader_in(&self, group: &[NodeId]) -> Option<NodeId> {
        let live: Vec<&Raft> = group.iter().filter_map(|&i| self.node(i)).collect();
        let max_term = live.iter().map(|n| n.term()).max()?;
        live.iter()
            .find(|n| n.role() == Role::Leader && n.term() == max_term)
            .map(|n| n.id())
    }

    /// The connected (up, not disconnected) nodes.
    pub fn connected(&self) -> Vec<NodeId> {
        (0..self.n).filter(|&i| self.is_connected(i)).collect()
    }

    /// Ticks until the connected nodes have a leader; fails after `ELECTION_BUDGET`.
    pub fn wait_leader(&mut self) -> NodeId {
        let group = self.connected();
        self.wait_leader_in(&group)
    }

    /// Ticks until `group` has a leader of its highest term; fails after
    /// `ELECTION_BUDGET` ticks.
    pub fn wait_leader_in(&mut self, group: &[NodeId]) -> NodeId {
        for _ in 0..ELECTION_BUDGET {
            if let Some(l) = self.leader_in(group) {
                return l;
            }
            self.tick();
        }
        if let Some(l) = self.leader_in(group) {
            return l;
        }
        let roles: Vec<String> = group
            .iter()
            .filter_map(|&i| self.node(i))
            .map(|n| format!("{}: {:?} term {}", n.id(), n.role(), n.term()))
            .collect();
        self.net.fail(&format!(
            "no leader among {group:?} after {ELECTION_BUDGET} ticks ({roles:?}). With a \
             majority connected, randomised timeouts must produce a leader within a few \
             election timeouts."
        ))
    }

    /// Runs `ticks` and checks that no node of `group` is a leader.
    pub fn check_no_leader_in(&mut self, group: &[NodeId], ticks: u64) {
        self.run(ticks);
        for &i in group {
            if let Some(n) = self.node(i)
                && n.role() == Role::Leader
            {
                self.net.fail(&format!(
                    "node {i} is leader of term {} in {group:?}, which is not a majority of the \
                     {} nodes: a leader needs votes from a majority of the whole cluster",
                    n.term(),
                    self.n
                ));
            }
        }
    }

    /// The terms of the connected nodes, asserting they agree.
    pub fn check_terms(&self) -> Term {
        let terms: Vec<(NodeId, Term)> = self
            .connected()
            .into_iter()
            .filter_map(|i| self.node(i).map(|n| (i, n.term())))
            .collect();
        if terms.windows(2).any(|w| w[0].1 != w[1].1) {
            self.net
                .fail(&format!("connected nodes disagree on the term: {terms:?}"));
        }
        terms.first().map_or(0, |t| t.1)
    }

    /// How many nodes have applied index `index`, and its command.
    pub fn n_committed(&self, index: Index) -> (usize, Option<Option<Vec<u8>>>) {
        let count = (0..self.n)
            .filter(|&i| self.is_up(i) && self.applied[i] >= index)
            .count();
        let command = self
            .committed
            .get(index as usize - 1)
            .map(|e| e.command.clone());
        (count, command)
    }

    /// The committed log as applied so far.
    pub fn committed(&self) -> &[Entry] {
        &self.committed
    }

    /// The index at which `command` was committed, if it was.
    pub fn committed_index_of(&self, command: &[u8]) -> Option<Index> {
        self.committed
            .iter()
            .position(|e| e.command.as_deref() == Some(command))
            .map(|k| k as Index + 1)
    }

    /// Proposes `command` on node `i` (recording it in the trace).
    pub fn propose(&mut self, i: NodeId, command: Vec<u8>) -> Result<(Index, Term), NotLeader> {
        let node = self.nodes[i].as_mut().expect("proposing on a live node");
        let result = node.propose(command.clone());
        if result.is_ok() {
            self.net
                .note(format!("propose {command:?} on {i}: {result:?}"));
        }
        self.process(i);
        result
    }

    /// MIT's `one()`: gets `command` committed, by whichever connected node
    /// is leader, on at least `expected` nodes; returns its index. With
    /// `retry`, proposes again if a leader change lost it.
    pub fn one(&mut self, command: u64, expected: usize, retry: bool) -> Index {
        let group = self.connected();
        self.one_within(&group, command, expected, retry)
    }

    /// [`Cluster::one`] with leaders taken from `group` only (a partition's
    /// side), retrying.
    pub fn one_in(&mut self, group: &[NodeId], command: u64, expected: usize) -> Index {
        self.one_within(group, command, expected, true)
    }

    fn one_within(
        &mut self,
        group: &[NodeId],
        command: u64,
        expected: usize,
        retry: bool,
    ) -> Index {
        let data = cmd(command);
        let start = self.now();
        let mut next = 0;
        while self.now() < start + 40 * ELECTION {
            // Find a leader and propose.
            let mut index = None;
            for k in 0..group.len() {
                let i = group[(next + k) % group.len()];
                if self.is_connected(i)
                    && self.node(i).is_some_and(|n| n.role() == Role::Leader)
                    && let Ok((idx, _)) = self.propose(i, data.clone())
                {
                    index = Some(idx);
                    next = (next + k + 1) % group.len();
                    break;
                }
            }
            let Some(index) = index else {
                self.run(ELECTION / 2);
                continue;
            };
            // Wait for it to commit.
            for _ in 0..4 * ELECTION {
                self.tick();
                let (count, got) = self.n_committed(index);
                if count >= expected && got == Some(Some(data.clone())) {
                    return index;
                }
            }
            if !retry {
                let (count, got) = self.n_committed(index);
                self.net.fail(&format!(
                    "command {command} proposed at index {index} was not committed on \
                     {expected} nodes within {} ticks (on {count}, there: {got:?})",
                    4 * ELECTION
                ));
            }
        }
        self.net.fail(&format!(
            "command {command} was not committed on {expected} nodes within {} ticks",
            40 * ELECTION
        ))
    }

    /// Ticks until `count` nodes have applied `index`; fails after `budget`.
    pub fn wait_committed(&mut self, index: Index, count: usize, budget: u64) -> Option<Vec<u8>> {
        for _ in 0..budget {
            let (n, c) = self.n_committed(index);
            if n >= count {
                return c.flatten();
            }
            self.tick();
        }
        let (n, _) = self.n_committed(index);
        self.net.fail(&format!(
            "index {index} was applied on {n} nodes, not {count}, within {budget} ticks"
        ))
    }

    /// Messages sent so far.
    pub fn messages(&self) -> u64 {
        self.net.stats().sent
    }
}

//! The harness shared by the stages: single-node helpers, and an
//! active-passive pair on `kit::sim`'s simulated network, with the lock
//! service at node 0 and the servers at nodes 1 and 2.
//!
//! The cluster checks as it runs:
//!
//! - **one primary**: after every tick, at most one server holds a valid
//!   lease by its own reckoning (a paused server included: it believes
//!   what it believed when it froze);
//! - **monotonic tokens**: every token the lock service grants is larger
//!   than all before it, and no token goes to two nodes;
//! - **fencing**: a store that receives a message with a token older than
//!   the newest it has seen does not change;
//! - **one writer per epoch**: every entry a store accepts, and every write
//!   a primary acknowledges, was written by the node that the lock service
//!   granted its token, at that LSN (values are unique per write, so each
//!   entry names its write).
//!
//! A failure prints the seed, the tick and the last network events; replay
//! one seed alone with `SDKATA_SEED=n`, or sweep `SDKATA_SEEDS=n` seeds.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

pub use failover::*;
pub use kit::sim::run_seeds;
use kit::sim::{Budget, Envelope, LinkConfig, Network};

/// The lock service's node.
pub const LOCK: NodeId = 0;
/// The two servers' nodes.
pub const SERVERS: [NodeId; 2] = [1, 2];
/// The fixed seeds of every cluster scenario.
pub const SEEDS: [u64; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/// Ticks a cluster may take to converge before a test gives up.
pub const CONVERGE_BUDGET: u64 = 600;

/// The other server.
pub fn other(i: NodeId) -> NodeId {
    3 - i
}

/// An entry of `token` at `lsn` setting `key` to `value`.
pub fn entry(token: Token, lsn: Lsn, key: Key, value: Value) -> Entry {
    Entry {
        token,
        lsn,
        key,
        value,
    }
}

/// Entries at LSNs 1, 2, ... with the given tokens (LSN i sets key i to
/// 100 * i + token).
pub fn entries_of_tokens(tokens: &[Token]) -> Vec<Entry> {
    tokens
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let lsn = i as Lsn + 1;
            entry(t, lsn, lsn, 100 * lsn + t)
        })
        .collect()
}

/// A store holding [`entries_of_tokens`]`(tokens)`.
pub fn store_of_tokens(tokens: &[Token]) -> Store {
    let mut s = Store::new();
    let newest = tokens.iter().copied().max().unwrap_or(0);
    s.append(newest, &entries_of_tokens(tokens))
        .expect("a fresh store takes consecutive entries");
    s
}

/// An [`EpochStart`].
pub fn start(token: Token, first_lsn: Lsn) -> EpochStart {
    EpochStart { token, first_lsn }
}

/// Server `id`'s configuration: peer `3 - id`, lock service at node 0.
pub fn config(id: NodeId) -> Config {
    Config::new(id, other(id), LOCK)
}

/// A fresh server `id` at tick 0.
pub fn server(id: NodeId) -> Server {
    Server::new(config(id), Store::new(), 0)
}

/// Server 1, made primary with token `token` at tick 2 by a grant for an
/// Acquire sent at tick 1 (lease until 31), its outbox drained.
pub fn primary(token: Token) -> Server {
    let mut s = server(1);
    s.tick(1);
    let _ = s.ready();
    s.step(2, LOCK, Message::Granted { token, sent_at: 1 });
    let _ = s.ready();
    s
}

/// [`primary`], with server 2 attached as its standby (it rejoined with
/// an empty log).
pub fn primary_with_standby(token: Token) -> Server {
    let mut s = primary(token);
    s.step(
        3,
        2,
        Message::Rejoin {
            history: Vec::new(),
            last: 0,
            base: 0,
        },
    );
    let _ = s.ready();
    s
}

/// Server 2 following server 1 with `token`, synced (its store empty).
pub fn standby(token: Token) -> Server {
    let mut s = server(2);
    s.step(
        1,
        1,
        Message::Append {
            token,
            entries: Vec::new(),
        },
    );
    s.step(2, 1, Message::CatchUp { token, after: 0 });
    let _ = s.ready();
    s
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

/// Links that deliver every message after exactly one tick.
pub fn in_order() -> LinkConfig {
    LinkConfig {
        min_delay: 1,
        max_delay: 1,
        ..LinkConfig::reliable()
    }
}

/// A write the harness made: who, with which token, where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    pub node: NodeId,
    pub token: Token,
    pub lsn: Lsn,
    pub key: Key,
}

/// What the harness counted on the wire.
#[derive(Debug, Clone, Default)]
pub struct Wire {
    /// FullCopy messages sent.
    pub full_copies: u64,
    /// Keys carried by FullCopy messages.
    pub copied_keys: u64,
    /// CatchUp messages sent.
    pub catch_ups: u64,
    /// Rejoin messages sent.
    pub rejoins: u64,
    /// Entries carried by Appends, per receiver.
    pub entries_to: BTreeMap<NodeId, u64>,
    /// Stale replies sent.
    pub stale: u64,
    /// Acquire messages sent.
    pub acquires: u64,
}

impl Wire {
    pub fn entries_to(&self, node: NodeId) -> u64 {
        self.entries_to.get(&node).copied().unwrap_or(0)
    }
}

/// The lock service and two servers on a simulated network.
pub struct Cluster {
    pub net: Network<Message>,
    pub lock: LockService,
    servers: Vec<Option<Server>>,
    configs: Vec<Config>,
    disks: Vec<Store>,
    paused: Vec<bool>,
    held_out: Vec<Vec<(NodeId, Message)>>,
    held_in: Vec<Vec<Envelope<Message>>>,
    pause_on: Option<(NodeId, Value)>,
    /// Every write a server took, by its (unique) value.
    pub writes: BTreeMap<Value, Write>,
    /// (node, lsn) -> the value of that node's latest write at that LSN.
    by_lsn: BTreeMap<(NodeId, Lsn), Value>,
    /// Acknowledged writes, by value.
    pub acked: BTreeSet<Value>,
    /// The writes acknowledged while their primary had a standby attached.
    pub acked_with_standby: BTreeSet<Value>,
    /// Token -> the node granted it.
    pub grants: BTreeMap<Token, NodeId>,
    /// (tick, node, token) of every promotion seen.
    pub promotions: Vec<(u64, NodeId, Token)>,
    pub wire: Wire,
    next_value: Value,
}

impl Cluster {
    /// A fresh pair on reliable links.
    pub fn new(seed: u64) -> Self {
        Self::with_config(seed, |_| {})
    }

    /// [`Cluster::new`], with `tweak` applied to both servers' configurations.
    pub fn with_config(seed: u64, tweak: impl Fn(&mut Config)) -> Self {
        let mut net = Network::new(3, seed);
        net.set_budget(Budget {
            max_ticks: 20_000,
            max_messages: 200_000,
        });
        let mut configs = vec![config(1)];
        for id in SERVERS {
            let mut c = config(id);
            tweak(&mut c);
            configs.push(c);
        }
        let lease_ticks = configs[1].lease_ticks;
        let servers = (0..3)
            .map(|i| (i != LOCK).then(|| Server::new(configs[i].clone(), Store::new(), 0)))
            .collect();
        Self {
            net,
            lock: LockService::new(lease_ticks),
            servers,
            configs,
            disks: vec![Store::new(); 3],
            paused: vec![false; 3],
            held_out: vec![Vec::new(); 3],
            held_in: vec![Vec::new(); 3],
            pause_on: None,
            writes: BTreeMap::new(),
            by_lsn: BTreeMap::new(),
            acked: BTreeSet::new(),
            acked_with_standby: BTreeSet::new(),
            grants: BTreeMap::new(),
            promotions: Vec::new(),
            wire: Wire::default(),
            next_value: 1000,
        }
    }

    pub fn now(&self) -> u64 {
        self.net.now()
    }

    pub fn config(&self, i: NodeId) -> &Config {
        &self.configs[i]
    }

    pub fn server(&self, i: NodeId) -> &Server {
        self.servers[i]
            .as_ref()
            .unwrap_or_else(|| panic!("server {i} is down"))
    }

    pub fn is_up(&self, i: NodeId) -> bool {
        self.servers[i].is_some()
    }

    pub fn is_paused(&self, i: NodeId) -> bool {
        self.paused[i]
    }

    /// The server holding a valid lease now, if any.
    pub fn primary(&self) -> Option<NodeId> {
        let now = self.now();
        SERVERS
            .into_iter()
            .find(|&i| self.servers[i].as_ref().is_some_and(|s| s.holds_lease(now)))
    }

    /// One tick: deliver what is due, then tick every running server, then
    /// check that at most one server holds a lease.
    pub fn tick(&mut self) {
        self.net.tick();
        while let Some(e) = self.net.deliver() {
            self.deliver(e);
        }
        let now = self.now();
        for i in SERVERS {
            if self.paused[i] {
                continue;
            }
            if let Some(s) = self.servers[i].as_mut() {
                s.tick(now);
                self.process(i);
            }
        }
        self.check_one_primary();
    }

    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// Ticks until `done` holds; fails with `what` after `budget` ticks.
    pub fn run_until(&mut self, budget: u64, what: &str, done: impl Fn(&Cluster) -> bool) {
        for _ in 0..budget {
            if done(self) {
                return;
            }
            self.tick();
        }
        if !done(self) {
            self.net
                .fail(&format!("{what}: not reached within {budget} ticks"));
        }
    }

    fn deliver(&mut self, e: Envelope<Message>) {
        let now = self.now();
        if e.to == LOCK {
            if let Some(reply) = self.lock.step(e.from, e.msg, now) {
                self.observe_lock_reply(e.from, &reply);
                self.net.send(LOCK, e.from, reply);
            }
            return;
        }
        if self.paused[e.to] {
            self.held_in[e.to].push(e);
            return;
        }
        if self.servers[e.to].is_some() {
            self.step(e.to, e.from, e.msg);
        }
    }

    fn observe_lock_reply(&mut self, to: NodeId, reply: &Message) {
        let Message::Granted { token, .. } = *reply else {
            return;
        };
        match self.grants.get(&token) {
            Some(&holder) if holder != to => self.net.fail(&format!(
                "the lock service granted token {token} to node {to}, but it had granted it to \
                 node {holder}: two writers in one epoch. Every acquire must mint a new token."
            )),
            Some(_) => {}
            None => {
                if let Some((&top, _)) = self.grants.last_key_value()
                    && token < top
                {
                    self.net.fail(&format!(
                        "the lock service granted token {token} after token {top}: fencing \
                         tokens must increase with every grant, or a store that saw {top} \
                         would reject the new primary and accept the old one"
                    ));
                }
                self.grants.insert(token, to);
            }
        }
    }

    /// A message to server `i`, checking the fence.
    fn step(&mut self, i: NodeId, from: NodeId, msg: Message) {
        let now = self.now();
        let server = self.servers[i].as_mut().expect("stepping a live server");
        let carried = match &msg {
            Message::Append { token, .. }
            | Message::CatchUp { token, .. }
            | Message::FullCopy { token, .. } => Some(*token),
            _ => None,
        };
        let probe = |s: &Server| {
            let st = s.store();
            (
                st.last_lsn(),
                st.last_token(),
                st.base_lsn(),
                st.history().to_vec(),
            )
        };
        let newest = server.store().newest_token();
        let before = carried.filter(|&t| t < newest).map(|t| (t, probe(server)));
        let pre_last = server.store().last_lsn();
        let what = format!("{msg:?}");
        server.step(now, from, msg);
        if let Some((t, was)) = before
            && probe(server) != was
        {
            self.net.fail(&format!(
                "fencing: node {i}'s store had seen token {newest}, yet it changed on {what} \
                 from node {from}, whose token {t} is older. The storage must reject a write \
                 whose token is older than the newest it has seen: that is what stops a \
                 deposed primary that does not know it was deposed."
            ));
        }
        self.check_new_entries(i, pre_last);
        self.process(i);
    }

    /// Every entry after `pre_last` in server `i`'s store was written by the
    /// holder of its token, at its LSN; the history's tokens increase.
    fn check_new_entries(&self, i: NodeId, pre_last: Lsn) {
        let store = self.server(i).store();
        let h = store.history();
        if h.windows(2)
            .any(|w| w[0].token >= w[1].token || w[0].first_lsn >= w[1].first_lsn)
        {
            self.net.fail(&format!(
                "node {i}'s store history {h:?} does not go up: tokens and first LSNs must \
                 increase along the log"
            ));
        }
        let Some(new) = store.entries_after(pre_last.min(store.last_lsn())) else {
            return;
        };
        for e in new {
            self.check_entry(i, e);
        }
    }

    fn check_entry(&self, i: NodeId, e: &Entry) {
        let Some(w) = self.writes.get(&e.value) else {
            self.net.fail(&format!(
                "node {i}'s store holds {e:?}, which no server was asked to write"
            ));
        };
        if (w.token, w.lsn, w.key) != (e.token, e.lsn, e.key) {
            self.net.fail(&format!(
                "node {i}'s store holds {e:?}, but that value was written by node {} as token \
                 {} at LSN {} (key {}): an entry must travel unchanged",
                w.node, w.token, w.lsn, w.key
            ));
        }
        if self.grants.get(&e.token) != Some(&w.node) {
            self.net.fail(&format!(
                "node {i}'s store holds {e:?}, written by node {} with token {}, but the lock \
                 service granted that token to {:?}: two writers in one epoch",
                w.node,
                e.token,
                self.grants.get(&e.token)
            ));
        }
    }

    /// Drains server `i`'s ready: send (or hold, while paused), record acks.
    fn process(&mut self, i: NodeId) {
        let Some(server) = self.servers[i].as_mut() else {
            return;
        };
        let with_standby = server.has_standby();
        let ready = server.ready();
        if let Some((node, value)) = self.pause_on {
            let ships = node == i
                && ready.messages.iter().any(|(_, m)| {
                    matches!(m, Message::Append { entries, .. }
                        if entries.iter().any(|e| e.value == value))
                });
            if ships {
                self.pause_on = None;
                self.paused[i] = true;
                self.net.note(format!(
                    "node {i} freezes (a GC pause) just before its Append with {value} leaves"
                ));
            }
        }
        for (to, msg) in ready.messages {
            if to == i || to > 2 {
                self.net
                    .fail(&format!("node {i} sent {msg:?} to {to}: no such peer"));
            }
            if let Message::Append { entries, .. } = &msg {
                let max = self.configs[i].max_batch;
                if entries.len() > max {
                    self.net.fail(&format!(
                        "node {i} sent an Append of {} entries: at most max_batch = {max}",
                        entries.len()
                    ));
                }
            }
            self.count(to, &msg);
            if self.paused[i] {
                self.held_out[i].push((to, msg));
            } else {
                self.net.send(i, to, msg);
            }
        }
        let mut last = None;
        for lsn in ready.acked {
            if last.is_some_and(|l| lsn <= l) {
                self.net.fail(&format!(
                    "node {i} acknowledged LSN {lsn} after {last:?}: Ready::acked is ascending, \
                     each write once"
                ));
            }
            last = Some(lsn);
            let Some(&value) = self.by_lsn.get(&(i, lsn)) else {
                self.net.fail(&format!(
                    "node {i} acknowledged LSN {lsn}, which it was never asked to write"
                ));
            };
            let w = self.writes[&value];
            if self.grants.get(&w.token) != Some(&i) {
                self.net.fail(&format!(
                    "node {i} acknowledged a write of token {}, which the lock service granted \
                     to {:?}: two writers in one epoch",
                    w.token,
                    self.grants.get(&w.token)
                ));
            }
            if with_standby {
                self.acked_with_standby.insert(value);
            }
            if !self.acked.insert(value) {
                self.net.fail(&format!(
                    "node {i} acknowledged the write of {value} (LSN {lsn}) twice"
                ));
            }
        }
    }

    fn count(&mut self, to: NodeId, msg: &Message) {
        let w = &mut self.wire;
        match msg {
            Message::FullCopy { snapshot, .. } => {
                w.full_copies += 1;
                w.copied_keys += snapshot.data.len() as u64;
            }
            Message::CatchUp { .. } => w.catch_ups += 1,
            Message::Rejoin { .. } => w.rejoins += 1,
            Message::Append { entries, .. } => {
                *w.entries_to.entry(to).or_default() += entries.len() as u64;
            }
            Message::Stale { .. } => w.stale += 1,
            Message::Acquire { .. } => w.acquires += 1,
            _ => {}
        }
    }

    fn check_one_primary(&mut self) {
        let now = self.now();
        let holders: Vec<(NodeId, Token, Option<u64>)> = SERVERS
            .into_iter()
            .filter_map(|i| self.servers[i].as_ref().map(|s| (i, s)))
            .filter(|(_, s)| s.holds_lease(now))
            .map(|(i, s)| (i, s.token(), s.lease_until()))
            .collect();
        if holders.len() > 1 {
            self.net.fail(&format!(
                "two primaries at tick {now}: {holders:?} (node, token, lease until) both hold a \
                 valid lease by their own reckoning. A server must not be promoted before the old \
                 lease has expired, and a lease counts from when its request was sent."
            ));
        }
        for &(i, token, _) in &holders {
            if !self
                .promotions
                .iter()
                .any(|&(_, n, t)| n == i && t == token)
            {
                self.promotions.push((now, i, token));
                self.net
                    .note(format!("node {i} is primary with token {token}"));
            }
        }
    }

    /// A fresh value: every write in a run writes a different one.
    pub fn fresh_value(&mut self) -> Value {
        self.next_value += 1;
        self.next_value
    }

    /// A write of `key` on server `i`; returns its LSN and value.
    pub fn write(&mut self, i: NodeId, key: Key) -> Result<(Lsn, Value), NotPrimary> {
        let value = self.fresh_value();
        let now = self.now();
        let server = self.servers[i].as_mut().expect("writing on a live server");
        let token = server.token();
        let lsn = server.write(now, key, value)?;
        if !server.holds_lease(now) {
            self.net.fail(&format!(
                "node {i} took a write at tick {now} without holding a valid lease"
            ));
        }
        self.writes.insert(
            value,
            Write {
                node: i,
                token,
                lsn,
                key,
            },
        );
        self.by_lsn.insert((i, lsn), value);
        self.net.note(format!(
            "write {key} = {value} on {i}: token {token}, LSN {lsn}"
        ));
        self.check_new_entries(i, lsn - 1);
        self.process(i);
        Ok((lsn, value))
    }

    /// A write of `key` on the current primary, if there is one.
    pub fn write_on_primary(&mut self, key: Key) -> Option<(Lsn, Value)> {
        let p = self.primary()?;
        self.write(p, key).ok()
    }

    /// Server `i` freezes (a GC pause) when its next Append carrying `value`
    /// is ready to leave: that Append and everything else it sends or
    /// receives is held, and it takes no steps, until [`Cluster::resume`].
    pub fn pause_when_shipping(&mut self, i: NodeId, value: Value) {
        self.pause_on = Some((i, value));
    }

    /// Server `i` freezes now (see [`Cluster::pause_when_shipping`]).
    pub fn pause(&mut self, i: NodeId) {
        self.paused[i] = true;
        self.net.note(format!("node {i} freezes (a GC pause)"));
    }

    /// Server `i` wakes up: what it was sending leaves, what arrived for it
    /// is delivered in order, and it takes steps again.
    pub fn resume(&mut self, i: NodeId) {
        self.paused[i] = false;
        self.net.note(format!("node {i} wakes up"));
        for (to, msg) in std::mem::take(&mut self.held_out[i]) {
            self.net.send(i, to, msg);
        }
        for e in std::mem::take(&mut self.held_in[i]) {
            if self.servers[i].is_some() && !self.paused[i] {
                self.step(i, e.from, e.msg);
            }
        }
    }

    /// Crashes server `i`: it is gone; its store stays on disk.
    pub fn crash(&mut self, i: NodeId) {
        if let Some(s) = self.servers[i].take() {
            self.disks[i] = s.store().clone();
        }
        self.paused[i] = false;
        self.held_out[i].clear();
        self.held_in[i].clear();
        self.net.crash(i);
        self.net.note(format!("node {i} crashes"));
    }

    /// Restarts server `i` from its disk.
    pub fn restart(&mut self, i: NodeId) {
        let now = self.now();
        self.servers[i] = Some(Server::new(
            self.configs[i].clone(),
            self.disks[i].clone(),
            now,
        ));
        self.net.restart(i);
        self.net.note(format!("node {i} restarts"));
    }

    /// What server `i` had on disk when it last crashed.
    pub fn disk(&self, i: NodeId) -> &Store {
        &self.disks[i]
    }

    /// Whether one server holds the lease with the other (if up) synced to
    /// it and both stores byte-identical.
    pub fn converged(&self) -> bool {
        let Some(p) = self.primary() else {
            return false;
        };
        let o = other(p);
        if self.paused[p] || self.paused[o] {
            return false;
        }
        let Some(standby) = self.servers[o].as_ref() else {
            return true;
        };
        let primary = self.server(p);
        primary.has_standby()
            && standby.is_synced()
            && standby.following() == Some(p)
            && standby.token() == primary.token()
            && standby.store().to_bytes() == primary.store().to_bytes()
    }

    /// Ticks until [`Cluster::converged`]; fails after [`CONVERGE_BUDGET`].
    pub fn converge(&mut self) {
        for _ in 0..CONVERGE_BUDGET {
            if self.converged() {
                return;
            }
            self.tick();
        }
        if !self.converged() {
            let now = self.now();
            let states: Vec<String> = SERVERS
                .into_iter()
                .map(|i| match self.servers[i].as_ref() {
                    Some(s) => format!(
                        "{i}: {:?} token {} lease {:?} following {:?} synced {} standby {} last \
                         LSN {}",
                        s.role(),
                        s.token(),
                        s.lease_until().filter(|_| s.holds_lease(now)),
                        s.following(),
                        s.is_synced(),
                        s.has_standby(),
                        s.store().last_lsn()
                    ),
                    None => format!("{i}: down"),
                })
                .collect();
            self.net.fail(&format!(
                "the pair did not converge within {CONVERGE_BUDGET} ticks: one primary holding \
                 the lease, the other synced to it with a byte-identical store ({states:?}). A \
                 standby that suspects its primary asks for the lease; a server that learns of a \
                 newer primary rejoins it; a primary answers a Rejoin and then streams its log."
            ));
        }
    }

    /// Every entry in every live store was written by its token's holder
    /// (a full sweep; the cluster checks new entries as it goes).
    pub fn check_stores(&self) {
        for i in SERVERS {
            if let Some(s) = self.servers[i].as_ref() {
                for e in s.store().entries() {
                    self.check_entry(i, e);
                }
            }
        }
    }

    /// The value `key` has in server `i`'s store.
    pub fn get(&self, i: NodeId, key: Key) -> Option<Value> {
        self.server(i).store().get(key)
    }
}

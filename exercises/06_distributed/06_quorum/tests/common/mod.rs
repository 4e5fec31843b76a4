//! The harness shared by the stages: quorum nodes on `kit::sim`'s simulated
//! network. A failure prints the seed, the tick and the last network events;
//! `SDKATA_SEED=n` replays one seed, `SDKATA_SEEDS=n` sweeps n.
#![allow(dead_code)]

use std::collections::BTreeMap;

#[allow(unused_imports)]
pub use kit::sim::run_seeds;
use kit::sim::{Budget, LinkConfig, Network};
pub use quorum::*;

/// The fixed seeds of every cluster scenario.
pub const SEEDS: [u64; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// Ticks a request may take before the test gives up on it.
pub const REQUEST_BUDGET: u64 = 200;

pub fn val(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

pub fn values(siblings: &[Versioned]) -> Vec<String> {
    let mut v: Vec<String> = siblings
        .iter()
        .map(|s| String::from_utf8_lossy(&s.value).into_owned())
        .collect();
    v.sort();
    v
}

/// Nodes on a simulated network. A node that is "down" keeps its storage
/// (it is durable) but neither receives, sends nor ticks.
pub struct Cluster {
    pub net: Network<Message>,
    nodes: Vec<Node>,
    down: Vec<bool>,
    outcomes: BTreeMap<(NodeId, RequestId), Outcome>,
}

impl Cluster {
    /// `nodes` nodes with N, W, R as given and the other defaults.
    pub fn new(nodes: usize, n: usize, w: usize, r: usize, seed: u64) -> Self {
        let mut net = Network::new(nodes, seed);
        net.set_budget(Budget {
            max_ticks: 50_000,
            max_messages: 500_000,
        });
        let nodes_v = (0..nodes)
            .map(|id| {
                let mut c = Config::new(id, nodes);
                (c.n, c.w, c.r) = (n, w, r);
                Node::new(c)
            })
            .collect();
        Self {
            net,
            nodes: nodes_v,
            down: vec![false; nodes],
            outcomes: BTreeMap::new(),
        }
    }

    pub fn links(&mut self, config: LinkConfig) {
        self.net.set_links(config);
    }

    pub fn node(&self, i: NodeId) -> &Node {
        &self.nodes[i]
    }

    pub fn is_down(&self, i: NodeId) -> bool {
        self.down[i]
    }

    pub fn fail(&mut self, i: NodeId) {
        self.down[i] = true;
        self.net.crash(i);
    }

    pub fn recover(&mut self, i: NodeId) {
        self.down[i] = false;
        self.net.restart(i);
    }

    fn process(&mut self, i: NodeId) {
        let ready = self.nodes[i].ready();
        for (to, msg) in ready.messages {
            if to == i || to >= self.nodes.len() {
                self.net.fail(&format!("node {i} sent {msg:?} to {to}"));
            }
            self.net.send(i, to, msg);
        }
        for outcome in ready.outcomes {
            let req = match &outcome {
                Outcome::Put { req, .. } | Outcome::Get { req, .. } => *req,
            };
            if self.outcomes.insert((i, req), outcome).is_some() {
                self.net
                    .fail(&format!("node {i} finished request {req} twice"));
            }
        }
    }

    pub fn tick(&mut self) {
        self.net.tick();
        while let Some(e) = self.net.deliver() {
            if !self.down[e.to] {
                self.nodes[e.to].step(e.from, e.msg);
                self.process(e.to);
            }
        }
        for i in 0..self.nodes.len() {
            if !self.down[i] {
                self.nodes[i].tick();
                self.process(i);
            }
        }
    }

    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    pub fn put(
        &mut self,
        coordinator: NodeId,
        key: &str,
        value: &str,
        context: &Version,
        client: ClientId,
    ) -> RequestId {
        let req = self.nodes[coordinator].put(key, val(value), context, client);
        self.net.note(format!(
            "put {key}={value} via {coordinator}: request {req}"
        ));
        self.process(coordinator);
        req
    }

    pub fn get(&mut self, coordinator: NodeId, key: &str) -> RequestId {
        let req = self.nodes[coordinator].get(key);
        self.net
            .note(format!("get {key} via {coordinator}: request {req}"));
        self.process(coordinator);
        req
    }

    /// The outcome of request `req` at `coordinator`, if finished.
    pub fn outcome(&self, coordinator: NodeId, req: RequestId) -> Option<&Outcome> {
        self.outcomes.get(&(coordinator, req))
    }

    /// Ticks until request `req` finishes; fails after `REQUEST_BUDGET`.
    pub fn wait(&mut self, coordinator: NodeId, req: RequestId) -> Outcome {
        for _ in 0..REQUEST_BUDGET {
            if let Some(o) = self.outcome(coordinator, req) {
                return o.clone();
            }
            self.tick();
        }
        match self.outcome(coordinator, req) {
            Some(o) => o.clone(),
            None => self.net.fail(&format!(
                "request {req} at node {coordinator} did not finish within {REQUEST_BUDGET} \
                 ticks: a request must succeed or fail (Unavailable) by its deadline"
            )),
        }
    }

    /// A write that must succeed; returns its version.
    pub fn write(
        &mut self,
        coordinator: NodeId,
        key: &str,
        value: &str,
        context: &Version,
        client: ClientId,
    ) -> Version {
        let req = self.put(coordinator, key, value, context, client);
        match self.wait(coordinator, req) {
            Outcome::Put { result: Ok(v), .. } => v,
            other => self
                .net
                .fail(&format!("write {key}={value} via {coordinator}: {other:?}")),
        }
    }

    /// A read that must succeed; returns the siblings.
    pub fn read(&mut self, coordinator: NodeId, key: &str) -> Vec<Versioned> {
        let req = self.get(coordinator, key);
        match self.wait(coordinator, req) {
            Outcome::Get { result: Ok(s), .. } => s,
            other => self
                .net
                .fail(&format!("read {key} via {coordinator}: {other:?}")),
        }
    }
}

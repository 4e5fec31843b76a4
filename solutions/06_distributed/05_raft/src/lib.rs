//! Raft consensus: one node, as a deterministic state machine.
//!
//! The node does no I/O, owns no thread and reads no clock, in the style of
//! etcd's `raft` and TiKV's `raft-rs`: the caller moves time forward with
//! [`Raft::tick`], hands it each incoming message with [`Raft::step`], and
//! collects what to do with [`Raft::ready`]: the state to persist, the
//! messages to send (only *after* persisting), and the entries that became
//! committed, to apply in order.
//!
//! ```text
//!                 times out,                    receives votes from
//!  starts up      starts election               a majority of servers
//!  ─────────► Follower ──────────► Candidate ─────────────────────► Leader
//!                ▲  ▲                │   ▲ times out,                  │
//!                │  │  discovers the │   │ new election                │
//!                │  │  current leader│   └─────┘                       │
//!                │  └────────────────┘ or a new term                   │
//!                └─────────────────────────────────────────────────────┘
//!                          discovers a server with a higher term
//! ```
//!
//! Every rule below is a line of Figure 2 of the Raft paper (Ongaro and
//! Ousterhout, "In Search of an Understandable Consensus Algorithm", 2014),
//! plus its section 5.4.2 (commit only current-term entries by counting) and
//! the fast log back-up of its section 5.3, as MIT 6.5840 teaches it.

use std::collections::{BTreeMap, BTreeSet};

use kit::rng::Rng;

/// A node's address. The same as `kit::sim::NodeId`, so a node plugs
/// straight into the simulated network.
pub type NodeId = usize;
/// An election term: a logical clock that only grows.
pub type Term = u64;
/// A position in the log, starting at 1. Index 0 means "before the first
/// entry", whose term is 0.
pub type Index = u64;

/// One log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The term of the leader that created it.
    pub term: Term,
    /// The client's command, or `None` for the no-op a new leader appends so
    /// that it can commit entries of earlier terms (see [`Raft::become_leader`]).
    pub command: Option<Vec<u8>>,
}

/// The messages of the protocol: Figure 2's two RPCs and their replies.
///
/// The sender's id is not in the message: [`Raft::step`] receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A candidate asks for a vote.
    RequestVote {
        /// The candidate's term.
        term: Term,
        /// The index of the candidate's last log entry.
        last_log_index: Index,
        /// The term of the candidate's last log entry.
        last_log_term: Term,
    },
    /// The answer to [`Message::RequestVote`].
    RequestVoteReply {
        /// The voter's current term, for the candidate to update itself.
        term: Term,
        /// Whether the vote was granted.
        granted: bool,
    },
    /// The leader replicates entries; with no entries it is a heartbeat.
    AppendEntries {
        /// The leader's term.
        term: Term,
        /// The index of the entry just before the new ones.
        prev_log_index: Index,
        /// The term of that entry (0 when `prev_log_index` is 0).
        prev_log_term: Term,
        /// The entries to store, starting at `prev_log_index + 1` (may be empty).
        entries: Vec<Entry>,
        /// The leader's commit index.
        leader_commit: Index,
    },
    /// The answer to [`Message::AppendEntries`].
    AppendEntriesReply {
        /// The follower's current term, for the leader to update itself.
        term: Term,
        /// Whether the follower's log matched at `prev_log_index` and now
        /// holds the entries.
        success: bool,
        /// On success: the index of the last entry the request verified,
        /// `prev_log_index + entries.len()` (not the follower's log length:
        /// entries beyond it were not checked against the leader). 0 on failure.
        match_index: Index,
        /// On failure, where the leader should back up to: the follower's
        /// last index + 1 if its log is too short, otherwise the first index
        /// of the term `conflict_term`. 0 on success.
        conflict_index: Index,
        /// On failure: the term of the follower's entry at `prev_log_index`,
        /// or `None` if it has no entry there. `None` on success.
        conflict_term: Option<Term>,
    },
}

impl Message {
    /// The term the message carries.
    pub fn term(&self) -> Term {
        match *self {
            Message::RequestVote { term, .. }
            | Message::RequestVoteReply { term, .. }
            | Message::AppendEntries { term, .. }
            | Message::AppendEntriesReply { term, .. } => term,
        }
    }
}

/// What a node must keep on stable storage: Figure 2's "persistent state on
/// all servers". Everything else is rebuilt after a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Persisted {
    /// The latest term the node has seen.
    pub term: Term,
    /// The candidate it voted for in `term`, if any.
    pub voted_for: Option<NodeId>,
    /// The log; `log[i - 1]` is the entry at index `i`.
    pub log: Vec<Entry>,
}

/// A node's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// This node's id; it must be in `peers`.
    pub id: NodeId,
    /// Every member of the cluster, this node included.
    pub peers: Vec<NodeId>,
    /// The election timeout is drawn uniformly from
    /// `election_ticks..2 * election_ticks` ticks, afresh every time the
    /// election timer is reset.
    pub election_ticks: u64,
    /// A leader sends AppendEntries to every follower every
    /// `heartbeat_ticks` ticks (and at once when there is something new).
    pub heartbeat_ticks: u64,
    /// At most this many entries in one AppendEntries.
    pub max_entries_per_message: usize,
    /// The seed of this node's randomness (its election timeouts).
    pub seed: u64,
}

impl Config {
    /// The defaults the tests use: election timeouts of 10-19 ticks,
    /// heartbeats every 3 ticks, up to 64 entries per message.
    pub fn new(id: NodeId, peers: Vec<NodeId>, seed: u64) -> Self {
        Self {
            id,
            peers,
            election_ticks: 10,
            heartbeat_ticks: 3,
            max_entries_per_message: 64,
            seed,
        }
    }
}

/// The three roles of Figure 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Passive: answers leaders and candidates.
    Follower,
    /// Campaigning for the leadership of its term.
    Candidate,
    /// Accepts proposals and replicates its log.
    Leader,
}

/// [`Raft::propose`] on a node that is not the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotLeader {
    /// The leader this node last heard from in its current term, if any,
    /// for the client to retry there.
    pub leader: Option<NodeId>,
}

impl std::fmt::Display for NotLeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.leader {
            Some(leader) => write!(f, "not the leader; try node {leader}"),
            None => write!(f, "not the leader; no leader known"),
        }
    }
}

impl std::error::Error for NotLeader {}

/// What the node asks its caller to do, drained by [`Raft::ready`].
///
/// The caller must, in this order: write `persist` to stable storage (if
/// `Some`), then send `messages`, then apply `committed` to the state
/// machine. Persisting first is what makes a vote or an acknowledged entry
/// survive a crash that happens right after the reply left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ready {
    /// The whole persistent state, if it changed since the last `ready`.
    pub persist: Option<Persisted>,
    /// Messages to send: `(to, message)`.
    pub messages: Vec<(NodeId, Message)>,
    /// Entries newly committed since the last `ready`, in index order, each
    /// exactly once per incarnation of the node.
    pub committed: Vec<(Index, Entry)>,
}

/// What a leader knows about one follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    /// The next index to send.
    next: Index,
    /// The highest index known to be replicated there.
    matched: Index,
}

/// A Raft node.
#[derive(Debug)]
pub struct Raft {
    id: NodeId,
    peers: Vec<NodeId>,
    election_ticks: u64,
    heartbeat_ticks: u64,
    max_entries: usize,
    rng: Rng,

    // Persistent state (Figure 2).
    term: Term,
    voted_for: Option<NodeId>,
    log: Vec<Entry>,

    // Volatile state.
    role: Role,
    leader: Option<NodeId>,
    commit_index: Index,
    last_applied: Index,
    election_elapsed: u64,
    election_timeout: u64,
    heartbeat_elapsed: u64,
    /// Votes granted to this candidate in its current term (itself included).
    votes: BTreeSet<NodeId>,
    /// The leader's view of every member (itself included). A BTreeMap, not
    /// a HashMap: iteration order decides message order, and a run must
    /// replay exactly from its seed.
    progress: BTreeMap<NodeId, Progress>,

    // What `ready` hands out.
    dirty: bool,
    outbox: Vec<(NodeId, Message)>,
}

impl Raft {
    /// A follower in the state `restored` from stable storage (`None` on
    /// first boot: term 0, no vote, empty log). Its commit index starts at 0:
    /// it learns again from the leader what is committed, and `ready` then
    /// hands out the committed entries from index 1 again to rebuild the
    /// state machine.
    ///
    /// # Panics
    /// If `config.peers` does not contain `config.id`, or a timing setting is 0.
    pub fn new(config: Config, restored: Option<Persisted>) -> Self {
        assert!(
            config.peers.contains(&config.id),
            "node {} is not in its own peer list {:?}",
            config.id,
            config.peers
        );
        assert!(config.election_ticks > 0 && config.heartbeat_ticks > 0);
        assert!(config.max_entries_per_message > 0);
        let state = restored.unwrap_or_default();
        let mut node = Self {
            id: config.id,
            peers: config.peers,
            election_ticks: config.election_ticks,
            heartbeat_ticks: config.heartbeat_ticks,
            max_entries: config.max_entries_per_message,
            rng: Rng::new(config.seed),
            term: state.term,
            voted_for: state.voted_for,
            log: state.log,
            role: Role::Follower,
            leader: None,
            commit_index: 0,
            last_applied: 0,
            election_elapsed: 0,
            election_timeout: 0,
            heartbeat_elapsed: 0,
            votes: BTreeSet::new(),
            progress: BTreeMap::new(),
            dirty: false,
            outbox: Vec::new(),
        };
        node.reset_election_timer();
        node
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The current term.
    pub fn term(&self) -> Term {
        self.term
    }

    /// Whom this node voted for in the current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.voted_for
    }

    /// The current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The leader of the current term, as far as this node knows.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The highest index known to be committed.
    pub fn commit_index(&self) -> Index {
        self.commit_index
    }

    /// The log; `log()[i - 1]` is the entry at index `i`.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    /// The index of the last entry (0 for an empty log).
    pub fn last_index(&self) -> Index {
        self.log.len() as Index
    }

    /// The term of the entry at `index` (0 for index 0), or `None` past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        match index {
            0 => Some(0),
            i => self.log.get(i as usize - 1).map(|e| e.term),
        }
    }

    fn last_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }

    fn quorum(&self) -> usize {
        self.peers.len() / 2 + 1
    }

    /// One unit of logical time. A follower or candidate whose election
    /// timer runs out starts an election; a leader sends heartbeats every
    /// `heartbeat_ticks`.
    pub fn tick(&mut self) {
        match self.role {
            Role::Follower | Role::Candidate => {
                self.election_elapsed += 1;
                if self.election_elapsed >= self.election_timeout {
                    self.become_candidate();
                }
            }
            Role::Leader => {
                self.heartbeat_elapsed += 1;
                if self.heartbeat_elapsed >= self.heartbeat_ticks {
                    self.heartbeat_elapsed = 0;
                    self.broadcast_append();
                }
            }
        }
    }

    /// Handles one message from `from`.
    pub fn step(&mut self, from: NodeId, msg: Message) {
        if from == self.id || !self.peers.contains(&from) {
            return; // not a member: nothing it says counts
        }
        let term = msg.term();
        if term > self.term {
            // Any higher term makes us a follower of that term. Only an
            // AppendEntries tells us who leads it.
            let leader = matches!(msg, Message::AppendEntries { .. }).then_some(from);
            self.become_follower(term, leader);
        } else if term < self.term {
            // A stale leader or candidate: answer with our term so it steps
            // down. Stale replies are ignored.
            match msg {
                Message::RequestVote { .. } => self.send(
                    from,
                    Message::RequestVoteReply {
                        term: self.term,
                        granted: false,
                    },
                ),
                Message::AppendEntries { .. } => {
                    self.send(from, self.append_reply_failure(0, None))
                }
                _ => {}
            }
            return;
        }
        match msg {
            Message::RequestVote {
                last_log_index,
                last_log_term,
                ..
            } => self.handle_request_vote(from, last_log_index, last_log_term),
            msg => match self.role {
                Role::Follower => self.step_follower(from, msg),
                Role::Candidate => self.step_candidate(from, msg),
                Role::Leader => self.step_leader(from, msg),
            },
        }
    }

    /// Appends `command` to the leader's log and starts replicating it.
    /// Returns its index and term; it is committed once a later `ready`
    /// hands it out (which may never happen if leadership is lost).
    pub fn propose(&mut self, command: Vec<u8>) -> Result<(Index, Term), NotLeader> {
        if self.role != Role::Leader {
            return Err(NotLeader {
                leader: self.leader,
            });
        }
        let index = self.append(Some(command));
        self.broadcast_append();
        self.maybe_commit(); // a cluster of one commits at once
        Ok((index, self.term))
    }

    /// Drains what the caller must do: persist, then send, then apply.
    pub fn ready(&mut self) -> Ready {
        let persist = std::mem::take(&mut self.dirty).then(|| Persisted {
            term: self.term,
            voted_for: self.voted_for,
            log: self.log.clone(),
        });
        let committed = (self.last_applied + 1..=self.commit_index)
            .map(|i| (i, self.log[i as usize - 1].clone()))
            .collect();
        self.last_applied = self.commit_index;
        Ready {
            persist,
            messages: std::mem::take(&mut self.outbox),
            committed,
        }
    }

    // ---- role changes: every side effect of a transition lives here ----

    /// Becomes a follower of `term` (a new term clears the vote), knowing
    /// `leader` if the message that caused it was the leader's.
    ///
    /// The election timer keeps running unless this node was leading (a
    /// leader runs none): Figure 2 resets it only on hearing the current
    /// leader or granting a vote. Resetting it on every higher term would
    /// let a candidate with a stale log, which cannot win, hold back the
    /// up-to-date nodes' timers every time it stands.
    fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        if term > self.term {
            self.term = term;
            self.voted_for = None;
            self.dirty = true;
        }
        if self.role == Role::Leader {
            self.reset_election_timer();
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.votes.clear();
        self.progress.clear();
    }

    /// Starts an election: a new term, a vote for itself, a fresh random
    /// timeout, and RequestVote to everyone else.
    fn become_candidate(&mut self) {
        self.term += 1;
        self.voted_for = Some(self.id);
        self.dirty = true;
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.id]);
        self.reset_election_timer();
        let request = Message::RequestVote {
            term: self.term,
            last_log_index: self.last_index(),
            last_log_term: self.last_term(),
        };
        for peer in self.others() {
            self.send(peer, request.clone());
        }
        if self.votes.len() >= self.quorum() {
            self.become_leader(); // a cluster of one
        }
    }

    /// Takes the lead: fresh progress for every follower, a no-op entry of
    /// the new term (the only way to commit earlier terms' entries without
    /// waiting for a client, section 5.4.2), and AppendEntries to all at once.
    fn become_leader(&mut self) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.heartbeat_elapsed = 0;
        let next = self.last_index() + 1;
        self.progress = self
            .peers
            .iter()
            .map(|&p| (p, Progress { next, matched: 0 }))
            .collect();
        self.append(None);
        self.broadcast_append();
        self.maybe_commit();
    }

    // ---- per-role message handling ----

    fn step_follower(&mut self, from: NodeId, msg: Message) {
        if let Message::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        } = msg
        {
            self.handle_append_entries(from, prev_log_index, prev_log_term, entries, leader_commit);
        }
        // Vote replies and append replies of our own term are late answers
        // to a candidacy or leadership we no longer hold: nothing to do.
    }

    fn step_candidate(&mut self, from: NodeId, msg: Message) {
        match msg {
            Message::AppendEntries { .. } => {
                // Someone won this term: stand down and follow it.
                self.become_follower(self.term, Some(from));
                self.step_follower(from, msg);
            }
            Message::RequestVoteReply { granted: true, .. } => {
                self.votes.insert(from);
                if self.votes.len() >= self.quorum() {
                    self.become_leader();
                }
            }
            _ => {}
        }
    }

    fn step_leader(&mut self, from: NodeId, msg: Message) {
        if let Message::AppendEntriesReply {
            success,
            match_index,
            conflict_index,
            conflict_term,
            ..
        } = msg
        {
            if success {
                self.handle_append_success(from, match_index);
            } else {
                self.handle_append_conflict(from, conflict_index, conflict_term);
            }
        }
        // A same-term AppendEntries cannot come from another leader (one
        // leader per term); vote replies are late: ignore both.
    }

    // ---- the rules ----

    /// RequestVote receiver (Figure 2): grant if we have not voted for
    /// someone else this term and the candidate's log is at least as
    /// up-to-date as ours (last term first, then length: section 5.4.1).
    fn handle_request_vote(&mut self, from: NodeId, last_log_index: Index, last_log_term: Term) {
        let free = self.voted_for.is_none_or(|v| v == from);
        let up_to_date = (last_log_term, last_log_index) >= (self.last_term(), self.last_index());
        let granted = free && up_to_date;
        if granted {
            if self.voted_for != Some(from) {
                self.voted_for = Some(from);
                self.dirty = true;
            }
            self.reset_election_timer();
        }
        self.send(
            from,
            Message::RequestVoteReply {
                term: self.term,
                granted,
            },
        );
    }

    /// AppendEntries receiver (Figure 2), for a message of our term.
    fn handle_append_entries(
        &mut self,
        from: NodeId,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: Index,
    ) {
        self.leader = Some(from);
        self.reset_election_timer();

        match self.term_at(prev_log_index) {
            None => {
                // Our log is too short: back up to our end.
                let reply = self.append_reply_failure(self.last_index() + 1, None);
                self.send(from, reply);
                return;
            }
            Some(term) if term != prev_log_term => {
                // Different term at prev: skip back over that whole term.
                let mut first = prev_log_index;
                while first > 1 && self.term_at(first - 1) == Some(term) {
                    first -= 1;
                }
                let reply = self.append_reply_failure(first, Some(term));
                self.send(from, reply);
                return;
            }
            Some(_) => {}
        }

        let verified = prev_log_index + entries.len() as Index;
        for (index, entry) in (prev_log_index + 1..).zip(entries) {
            match self.term_at(index) {
                // Already have it: a delayed or duplicated message must not
                // truncate entries that a newer message appended after it.
                Some(term) if term == entry.term => continue,
                Some(_) => {
                    debug_assert!(index > self.commit_index, "truncating a committed entry");
                    self.log.truncate(index as usize - 1);
                }
                None => {}
            }
            self.log.push(entry);
            self.dirty = true;
        }

        // Only up to what this message verified: entries past it may be
        // leftovers of an old term that the leader's log does not have.
        let new_commit = leader_commit.min(verified);
        if new_commit > self.commit_index {
            self.commit_index = new_commit;
        }
        self.send(
            from,
            Message::AppendEntriesReply {
                term: self.term,
                success: true,
                match_index: verified,
                conflict_index: 0,
                conflict_term: None,
            },
        );
    }

    fn handle_append_success(&mut self, from: NodeId, match_index: Index) {
        let last = self.last_index();
        let Some(p) = self.progress.get_mut(&from) else {
            return;
        };
        // Replies may arrive late or twice: only ever move forward.
        if match_index <= p.matched {
            return;
        }
        p.matched = match_index;
        p.next = p.next.max(match_index + 1);
        let behind = p.next <= last;
        self.maybe_commit();
        if behind {
            self.send_append(from); // more to send than one message held
        }
    }

    /// Fast log back-up: jump over a whole conflicting term per round trip
    /// instead of one entry at a time.
    fn handle_append_conflict(
        &mut self,
        from: NodeId,
        conflict_index: Index,
        conflict_term: Option<Term>,
    ) {
        let hint = match conflict_term {
            // If we have entries of that term, our logs agree up to our last
            // one of them; otherwise skip the follower's whole term.
            Some(term) => self
                .last_index_of_term(term)
                .map_or(conflict_index, |i| i + 1),
            None => conflict_index,
        };
        let Some(p) = self.progress.get_mut(&from) else {
            return;
        };
        // Never below what is verified; never up on a stale reply.
        let next = hint.min(p.next).max(p.matched + 1);
        if next == p.next {
            return; // stale or duplicate: the retry is already in flight
        }
        p.next = next;
        self.send_append(from);
    }

    fn last_index_of_term(&self, term: Term) -> Option<Index> {
        self.log
            .iter()
            .rposition(|e| e.term == term)
            .map(|i| i as Index + 1)
    }

    /// Commit the highest index replicated on a majority, but only if it is
    /// of the current term (section 5.4.2, Figure 8): an older entry on a
    /// majority can still be overwritten by a leader that never saw it.
    /// Entries before it become committed with it.
    fn maybe_commit(&mut self) {
        let mut n = self.last_index();
        while n > self.commit_index && self.term_at(n) == Some(self.term) {
            let replicas = self.progress.values().filter(|p| p.matched >= n).count();
            if replicas >= self.quorum() {
                self.commit_index = n;
                return;
            }
            n -= 1;
        }
    }

    // ---- sending ----

    fn append(&mut self, command: Option<Vec<u8>>) -> Index {
        self.log.push(Entry {
            term: self.term,
            command,
        });
        self.dirty = true;
        let last = self.last_index();
        // The leader's own copy counts towards a majority like a follower's.
        if let Some(me) = self.progress.get_mut(&self.id) {
            me.matched = last;
        }
        last
    }

    fn broadcast_append(&mut self) {
        for peer in self.others() {
            self.send_append(peer);
        }
    }

    /// AppendEntries to `to` from its next index: the entries it lacks (up
    /// to the per-message limit), or none as a heartbeat.
    fn send_append(&mut self, to: NodeId) {
        let Some(p) = self.progress.get(&to) else {
            return;
        };
        let prev_log_index = p.next - 1;
        let start = prev_log_index as usize;
        let end = self.log.len().min(start + self.max_entries);
        let msg = Message::AppendEntries {
            term: self.term,
            prev_log_index,
            prev_log_term: self.term_at(prev_log_index).unwrap_or(0),
            entries: self.log[start..end].to_vec(),
            leader_commit: self.commit_index,
        };
        self.send(to, msg);
    }

    fn append_reply_failure(&self, conflict_index: Index, conflict_term: Option<Term>) -> Message {
        Message::AppendEntriesReply {
            term: self.term,
            success: false,
            match_index: 0,
            conflict_index,
            conflict_term,
        }
    }

    fn send(&mut self, to: NodeId, msg: Message) {
        self.outbox.push((to, msg));
    }

    fn others(&self) -> Vec<NodeId> {
        self.peers
            .iter()
            .copied()
            .filter(|&p| p != self.id)
            .collect()
    }

    /// Restarts the election timer with a fresh random timeout: the same
    /// timeout on every node would make them all stand at once, split the
    /// vote, and do it again, forever.
    fn reset_election_timer(&mut self) {
        self.election_elapsed = 0;
        self.election_timeout = self.election_ticks + self.rng.below(self.election_ticks);
    }
}

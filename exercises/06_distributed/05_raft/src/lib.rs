//! Raft consensus: one node, as a deterministic state machine.
//!
//! YOUR TASK: implement [`Raft`]. The message, entry, persisted-state and
//! configuration types are given complete; `Raft`'s private fields and
//! helpers are a suggestion you may change. Read the concept note
//! (README.md) first, then fill the `todo!()`s stage by stage: election
//! (tick, step, RequestVote), replication (AppendEntries, commit, fast
//! back-up), persistence (Ready::persist), chaos (nothing new: it all has
//! to hold at once).
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

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

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

/// What a leader knows about one follower (Figure 2's nextIndex[] and matchIndex[]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Progress {
    /// The next index to send.
    next: Index,
    /// The highest index known to be replicated there.
    matched: Index,
}

/// A Raft node.
///
/// Suggested fields below; change them as you like (they are private).
#[derive(Debug)]
pub struct Raft {
    id: NodeId,
    peers: Vec<NodeId>,
    election_ticks: u64,
    heartbeat_ticks: u64,
    max_entries: usize,
    /// All randomness comes from here (seeded from `Config::seed`), so a run
    /// replays exactly from its seed.
    rng: Rng,

    // Persistent state (Figure 2): save in `Ready::persist` whenever it changes.
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
    /// A set: a duplicated reply must not count twice.
    votes: BTreeSet<NodeId>,
    /// The leader's view of every member. Use a BTreeMap or a Vec, not a
    /// HashMap: iteration order decides message order, and a run must replay
    /// exactly from its seed.
    progress: BTreeMap<NodeId, Progress>,

    // What `ready` hands out.
    /// Set when term, vote or log changed since the last `ready`.
    dirty: bool,
    outbox: Vec<(NodeId, Message)>,
}

impl Raft {
    /// A follower in the state `restored` from stable storage (`None` on
    /// first boot: term 0, no vote, empty log). Its commit index starts at 0:
    /// it learns again from the leader what is committed, and `ready` then
    /// hands out the committed entries from index 1 again to rebuild the
    /// state machine. It draws its first election timeout at once.
    ///
    /// Restoring is not a change: the first `ready` need not persist anything.
    ///
    /// # Panics
    /// If `config.peers` does not contain `config.id`, or a timing setting is 0.
    pub fn new(config: Config, restored: Option<Persisted>) -> Self {
        todo!("build the node from its config and restored state, as a follower")
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        todo!()
    }

    /// The current term.
    pub fn term(&self) -> Term {
        todo!()
    }

    /// Whom this node voted for in the current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        todo!()
    }

    /// The current role.
    pub fn role(&self) -> Role {
        todo!()
    }

    /// The leader of the current term, as far as this node knows: itself
    /// when leading, the sender of the last valid AppendEntries when
    /// following, `None` after moving to a new term until a leader speaks.
    pub fn leader(&self) -> Option<NodeId> {
        todo!()
    }

    /// The highest index known to be committed.
    pub fn commit_index(&self) -> Index {
        todo!()
    }

    /// The log; `log()[i - 1]` is the entry at index `i`.
    pub fn log(&self) -> &[Entry] {
        todo!()
    }

    /// The index of the last entry (0 for an empty log).
    pub fn last_index(&self) -> Index {
        todo!()
    }

    /// The term of the entry at `index` (0 for index 0), or `None` past the end.
    pub fn term_at(&self, index: Index) -> Option<Term> {
        todo!()
    }

    /// One unit of logical time.
    ///
    /// - Follower or candidate: count up; when the election timer reaches
    ///   the current random timeout, [`Raft::become_candidate`] (a candidate
    ///   that has not won by then starts a new election, with a new term).
    /// - Leader: count up; every `heartbeat_ticks` ticks send AppendEntries
    ///   to every follower (from its next index: the heartbeat also carries
    ///   whatever it still lacks, which retransmits lost messages). Not every
    ///   tick: that floods the network.
    pub fn tick(&mut self) {
        todo!("election timer for followers and candidates, heartbeat timer for leaders")
    }

    /// Handles one message from `from`. Rules for all servers, first:
    ///
    /// - Ignore messages from non-members (and from itself).
    /// - `msg.term() > term`: [`Raft::become_follower`] of that term (the
    ///   leader is `from` if the message is an AppendEntries, else unknown),
    ///   then handle the message as a follower.
    /// - `msg.term() < term`: stale. Answer a RequestVote with
    ///   `granted: false` and an AppendEntries with `success: false`, both
    ///   carrying our term so the sender steps down, and change nothing else
    ///   (no timer restarted, no leader learned); drop stale replies of both
    ///   kinds unread (a vote or an acknowledgement of an older term counts
    ///   for nothing in this one).
    /// - Same term: a RequestVote is handled the same way in every role
    ///   ([`Raft::handle_request_vote`]); anything else goes to the role's
    ///   own `step_*`.
    pub fn step(&mut self, from: NodeId, msg: Message) {
        todo!("term checks, then dispatch by message and role")
    }

    /// Appends `command` to the leader's log (an entry of the current term),
    /// sends it to the followers at once, and returns its index and term. It
    /// is committed once a later `ready` hands it out, which may never
    /// happen if leadership is lost. Not the leader: `Err(NotLeader)` naming
    /// the leader this node knows, if any.
    pub fn propose(&mut self, command: Vec<u8>) -> Result<(Index, Term), NotLeader> {
        todo!("append on a leader, refuse elsewhere")
    }

    /// Drains what the caller must do, in this order: persist (the whole
    /// [`Persisted`] state if term, vote or log changed since the last
    /// `ready`, else `None`), then send the messages produced since, then
    /// apply the entries committed since (index order, each once per
    /// incarnation).
    pub fn ready(&mut self) -> Ready {
        todo!("hand out persist, messages and newly committed entries")
    }

    // ---- role changes: every side effect of a transition lives here ----

    /// Becomes a follower of `term`, knowing `leader` if the message that
    /// caused it came from the leader. A *higher* term also clears the vote
    /// (a new term, a new vote); the same term keeps it (a candidate that
    /// stands down still voted for itself): a vote lasts for the whole term,
    /// whatever the node hears later in it, or one term can elect two leaders. Forget votes and progress. The
    /// election timer keeps running (Figure 2 resets it only on hearing the
    /// current leader or granting a vote: a stale candidate that cannot win
    /// must not hold back the others' timers), except for a former leader,
    /// which ran none: it starts one with a fresh random timeout.
    fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        todo!()
    }

    /// Starts an election: term + 1, vote for itself, no known leader,
    /// a fresh random timeout, and RequestVote { term, last log index, last
    /// log term } to every other member. Term and vote are persisted (they
    /// reach `Ready::persist` with the requests). In a cluster of one, its
    /// own vote is a majority: become leader at once.
    fn become_candidate(&mut self) {
        todo!()
    }

    /// Takes the lead: every follower's next index = last index + 1, match
    /// index 0; append a no-op entry (`command: None`) of the new term (a
    /// leader commits only entries of its own term by counting replicas, and
    /// the no-op lets it commit its predecessors' entries without waiting for
    /// a client), and send AppendEntries to everyone at once so no follower
    /// times out.
    fn become_leader(&mut self) {
        todo!()
    }

    // ---- per-role message handling (same-term messages) ----

    /// A follower handles AppendEntries ([`Raft::handle_append_entries`]);
    /// late vote or append replies are ignored.
    fn step_follower(&mut self, from: NodeId, msg: Message) {
        todo!()
    }

    /// A candidate that receives an AppendEntries of its own term learns
    /// that someone else won: it becomes that leader's follower, and handles
    /// the message as a follower. A granted vote counts once per voter;
    /// votes from a majority of all members (itself included) make it leader.
    fn step_candidate(&mut self, from: NodeId, msg: Message) {
        todo!()
    }

    /// A leader handles AppendEntries replies: success moves the follower's
    /// progress forward ([`Raft::handle_append_success`]), failure backs its
    /// next index up ([`Raft::handle_append_conflict`]).
    fn step_leader(&mut self, from: NodeId, msg: Message) {
        todo!()
    }

    // ---- the rules ----

    /// RequestVote receiver (Figure 2), same term: grant if we have not
    /// voted for someone else in this term (voting again for the same
    /// candidate is fine: its first reply may have been lost) AND the
    /// candidate's log is at least as up-to-date as ours: its last term is
    /// higher, or equal with a last index at least ours (section 5.4.1).
    /// Granting records the vote (persisted) and restarts the election
    /// timer. Reply with our term either way.
    fn handle_request_vote(&mut self, from: NodeId, last_log_index: Index, last_log_term: Term) {
        todo!()
    }

    /// AppendEntries receiver (Figure 2), same term. `from` is the leader:
    /// remember it and restart the election timer. Then:
    ///
    /// 1. No entry at `prev_log_index`: fail with `conflict_index` = our last
    ///    index + 1, `conflict_term` = None.
    /// 2. An entry of another term there: fail with `conflict_term` = that
    ///    term and `conflict_index` = the first index we hold of that term.
    /// 3. Otherwise, for each new entry: if we have an entry at its index of
    ///    the same term, keep ours and go on (a late or duplicated message
    ///    must not truncate entries a newer one appended); at the first
    ///    conflict (same index, other term) delete it and everything after
    ///    it; append what we do not have. Log changes are persisted.
    /// 4. If `leader_commit` > our commit index, set it to
    ///    min(leader_commit, prev_log_index + entries.len()): the index this
    ///    message verified, not our log's end, which may hold stale entries.
    ///    Never lower it.
    /// 5. Reply success with `match_index = prev_log_index + entries.len()`.
    fn handle_append_entries(
        &mut self,
        from: NodeId,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: Index,
    ) {
        todo!()
    }

    /// A successful reply: replies may arrive late or twice, so match index
    /// only grows (next index to at least match + 1). Then try to commit
    /// ([`Raft::maybe_commit`]), and if the follower still lacks entries
    /// (more than one message holds), send the next batch at once.
    fn handle_append_success(&mut self, from: NodeId, match_index: Index) {
        todo!()
    }

    /// A failed reply: fast log back-up (section 5.3), one round trip per
    /// conflicting *term*, not per entry.
    ///
    /// - `conflict_term` = Some(t): if our log has entries of term t, next
    ///   index = our last index of term t + 1; else next = `conflict_index`.
    /// - `conflict_term` = None (its log is short): next = `conflict_index`.
    ///
    /// Never move next up on a failure (that reply was stale), never below
    /// match index + 1 (that much is verified). If next moved, retry at once.
    fn handle_append_conflict(
        &mut self,
        from: NodeId,
        conflict_index: Index,
        conflict_term: Option<Term>,
    ) {
        todo!()
    }

    /// Commitment (Figure 2, leaders; section 5.4.2): the highest N > commit
    /// index such that a majority (the leader included) has match index >= N
    /// AND log[N].term == current term. Entries before N are committed with
    /// it. Never commit an older term's entry by counting its replicas:
    /// Figure 8 shows such an entry overwritten after it was applied.
    fn maybe_commit(&mut self) {
        todo!()
    }

    // ---- sending ----

    /// AppendEntries to `to` from its next index: prev = next - 1 and its
    /// term, the entries from next on (at most `max_entries_per_message`),
    /// and our commit index.
    fn send_append(&mut self, to: NodeId) {
        todo!()
    }

    /// Queues `msg` for `to`; `ready` hands it out.
    fn send(&mut self, to: NodeId, msg: Message) {
        self.outbox.push((to, msg));
    }

    /// Restarts the election timer with a fresh random timeout from
    /// `election_ticks..2 * election_ticks`, drawn from `rng`: the same
    /// timeout on every node (or every time) makes nodes stand at once,
    /// split the vote, and do it again, forever.
    fn reset_election_timer(&mut self) {
        todo!()
    }
}

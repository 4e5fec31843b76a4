//! Stage 4: reads from replicas. A read carries the client's LSN token; a
//! node behind it waits, then answers with the value as of its visible LSN
//! and that LSN, which the client's session keeps. Checked with
//! `kit::history`'s session checkers over seeded runs with followers that lag
//! by different amounts: the token path keeps read-your-writes and monotonic
//! reads. The wrong designs, run from the same API: reads sent to any
//! follower without a token break read-your-writes, and a token that only
//! writes advance breaks monotonic reads.

use std::collections::BTreeMap;

use crate::common;

use common::*;
use kit::history::{Guarantee, History, KvMap, KvOp, KvRet, OpId, Verdict, check_session};
use kit::rng::Rng;
use kit::sim::LinkConfig;

fn reply(id: ReadId, key: Key, value: Option<Value>, lsn: Lsn) -> ReadReply {
    ReadReply {
        id,
        key,
        value,
        lsn,
    }
}

fn append(f: &mut Node, entries: &[Entry]) {
    f.step(
        0,
        Message::Append {
            epoch: 1,
            entries: entries.to_vec(),
        },
    );
}

// --------------------------------------------------------------- session

#[test]
fn a_session_token_is_the_highest_lsn_the_client_has_seen() {
    let mut s = Session::new();
    assert_eq!(s.token(), 0, "a new session has seen nothing");
    s.wrote(5);
    assert_eq!(
        s.token(),
        5,
        "an acknowledged write raises the token to its LSN"
    );
    s.read(&reply(1, 1, None, 3));
    assert_eq!(
        s.token(),
        5,
        "a read answered at LSN 3 does not lower it: the client already saw LSN 5"
    );
    s.read(&reply(2, 1, Some(9), 9));
    assert_eq!(
        s.token(),
        9,
        "a read answered at LSN 9 raises it: the next read must not see less (monotonic reads)"
    );
    s.wrote(7);
    assert_eq!(s.token(), 9, "the token never goes down");
}

// ------------------------------------------------------------- one node

#[test]
fn a_caught_up_node_answers_at_once_with_its_visible_lsn() {
    let mut f = follower(1, 3, Mode::Async);
    append(
        &mut f,
        &[entry(1, 1, 7, 70), entry(1, 2, 8, 80), entry(1, 3, 7, 71)],
    );
    let _ = f.ready();
    f.read(10, 7, 2);
    f.read(11, 9, 0);
    assert_eq!(
        f.ready().reads,
        [reply(10, 7, Some(71), 3), reply(11, 9, None, 3)],
        "a node at LSN 3 answers a read that needs LSN 2 at once, with the value as of LSN 3 \
         (key 7 was rewritten at LSN 3) and lsn = 3, its visible LSN, not the token it was sent; \
         a key never written is None"
    );
}

#[test]
fn a_lagging_follower_waits_until_it_has_caught_up() {
    let mut f = follower(1, 3, Mode::Async);
    let log = [
        entry(1, 1, 7, 70),
        entry(1, 2, 8, 80),
        entry(1, 3, 7, 71),
        entry(1, 4, 7, 72),
    ];
    append(&mut f, &log[..1]);
    let _ = f.ready();
    f.read(1, 7, 3);
    f.read(2, 8, 2);
    f.read(3, 7, 4);
    assert!(
        f.ready().reads.is_empty(),
        "a follower at LSN 1 must not answer reads that need LSN 2 or more: the client would \
         miss its own write. It waits (this lesson never redirects)."
    );
    append(&mut f, &log[1..2]);
    assert_eq!(
        f.ready().reads,
        [reply(2, 8, Some(80), 2)],
        "at LSN 2 the read that needs 2 is answered; the others still wait"
    );
    append(&mut f, &log[2..]);
    assert_eq!(
        f.ready().reads,
        [reply(1, 7, Some(72), 4), reply(3, 7, Some(72), 4)],
        "one Append took the follower to LSN 4: both waiting reads are answered, in the order \
         they came, as of LSN 4"
    );
}

#[test]
fn reads_work_on_every_role() {
    let mut n = leader(3, Mode::Async);
    n.write(1, 10).unwrap();
    n.read(1, 1, 1);
    assert_eq!(n.ready().reads, [reply(1, 1, Some(10), 1)], "on the leader");
    let mut u = Node::new(Config::new(2, 3, Mode::Async), vec![entry(1, 1, 4, 40)]);
    u.read(2, 4, 0);
    assert_eq!(
        u.ready().reads,
        [reply(2, 4, Some(40), 1)],
        "on a node restored from its disk, before it is told what to do"
    );
}

#[test]
fn a_cut_follower_reads_without_the_lost_suffix() {
    let mut n = Node::new(
        Config::new(0, 3, Mode::Async),
        vec![entry(1, 1, 5, 50), entry(1, 2, 5, 51)],
    );
    n.follow(
        1,
        2,
        &[
            EpochStart {
                epoch: 1,
                first_lsn: 1,
            },
            EpochStart {
                epoch: 2,
                first_lsn: 2,
            },
        ],
    );
    n.read(1, 5, 0);
    assert_eq!(
        n.ready().reads,
        [reply(1, 5, Some(50), 1)],
        "LSN 2 was cut off by follow(): reads no longer see its value"
    );
}

// ------------------------------------------------------ seeded workloads

/// How the test's clients choose the token they send with a read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reads {
    /// The learner's `Session`: acknowledgements and replies raise it.
    Session,
    /// The naive design: any follower, no token (0).
    NoToken,
    /// A token that only the client's own writes raise.
    WriteTokenOnly,
}

type KvHistory = History<KvOp<Key, Value>, KvRet<Value>>;

#[derive(Debug)]
enum Busy {
    Write { op: OpId },
    Read { op: OpId },
}

struct Client {
    session: Session,
    last_write: Lsn,
    busy: Option<Busy>,
}

/// The clients' side of a run: who waits for which write or read.
struct Clients {
    clients: Vec<Client>,
    history: KvHistory,
    writes: BTreeMap<Lsn, usize>,
    reads: BTreeMap<ReadId, usize>,
    seen_acks: usize,
    seen_replies: usize,
}

impl Clients {
    /// Completes the operations whose acknowledgement or reply arrived.
    fn settle(&mut self, c: &Cluster) {
        self.history.set_tick(c.now());
        for &(node, _, lsn) in &c.acks[self.seen_acks..] {
            assert_eq!(node, 0, "only the leader acknowledges writes");
            let who = self
                .writes
                .remove(&lsn)
                .expect("an acknowledged LSN was written");
            let client = &mut self.clients[who];
            let Some(Busy::Write { op }) = client.busy.take() else {
                panic!("client {who} was not writing");
            };
            self.history.ok(op, KvRet::Done);
            client.session.wrote(lsn);
            client.last_write = lsn;
        }
        self.seen_acks = c.acks.len();
        for (node, r) in &c.replies[self.seen_replies..] {
            let who = self.reads.remove(&r.id).unwrap_or_else(|| {
                panic!(
                    "node {node} answered read {} twice, or a read nobody sent",
                    r.id
                )
            });
            let client = &mut self.clients[who];
            let Some(Busy::Read { op }) = client.busy.take() else {
                panic!("client {who} was not reading");
            };
            self.history.ok(op, KvRet::Value(r.value));
            client.session.read(r);
        }
        self.seen_replies = c.replies.len();
    }
}

/// Four nodes: node 0 leads, followers 1, 2 and 3 lag by about 1, 3 and 8
/// ticks. Six clients write to the leader and read from random followers,
/// on three keys, for 300 ticks; then the outstanding reads finish.
fn run_workload(reads: Reads, seed: u64) -> KvHistory {
    let mut c = Cluster::new(4, Mode::Async, seed);
    c.net.set_link(0, 1, in_order());
    c.net.set_link(
        0,
        2,
        LinkConfig {
            min_delay: 2,
            max_delay: 4,
            ..LinkConfig::reliable()
        },
    );
    c.net.set_link(
        0,
        3,
        LinkConfig {
            min_delay: 6,
            max_delay: 10,
            ..LinkConfig::reliable()
        },
    );
    let mut rng = Rng::new(seed).stream("clients");
    let mut w = Clients {
        clients: (0..6)
            .map(|_| Client {
                session: Session::new(),
                last_write: 0,
                busy: None,
            })
            .collect(),
        history: KvHistory::new(),
        writes: BTreeMap::new(),
        reads: BTreeMap::new(),
        seen_acks: 0,
        seen_replies: 0,
    };
    let mut next_id: ReadId = 0;
    for tick in 0..340 {
        if tick < 300 {
            for who in 0..w.clients.len() {
                if w.clients[who].busy.is_some() || !rng.chance(0.5) {
                    continue;
                }
                let key = rng.below(3);
                if rng.chance(0.4) {
                    let value = c.fresh_value();
                    let op = w.history.invoke(who, KvOp::Put(key, value));
                    w.clients[who].busy = Some(Busy::Write { op });
                    let lsn = c.write(key, value);
                    w.writes.insert(lsn, who);
                } else {
                    let node = 1 + rng.below(3) as NodeId;
                    let at_least = match reads {
                        Reads::Session => w.clients[who].session.token(),
                        Reads::NoToken => 0,
                        Reads::WriteTokenOnly => w.clients[who].last_write,
                    };
                    next_id += 1;
                    let op = w.history.invoke(who, KvOp::Get(key));
                    w.clients[who].busy = Some(Busy::Read { op });
                    w.reads.insert(next_id, who);
                    c.read(node, next_id, key, at_least);
                }
                w.settle(&c);
            }
        }
        c.tick();
        w.settle(&c);
    }
    if let Some(who) = w.clients.iter().position(|cl| cl.busy.is_some()) {
        c.net.fail(&format!(
            "client {who}'s {:?} never finished, 40 ticks after the last request: a waiting read \
             must be answered once its node reaches the token",
            w.clients[who].busy
        ));
    }
    w.history
}

#[track_caller]
fn check_ok(h: &KvHistory, g: Guarantee, seed: u64, why: &str) {
    let verdict = check_session(&KvMap::new(), h, g);
    if !verdict.is_ok() {
        panic!(
            "{} broken on seed {seed} (replay: SDKATA_SEED={seed}): {why}\n{verdict}",
            g.rule()
        );
    }
}

#[test]
fn session_tokens_give_read_your_writes_and_monotonic_reads() {
    run_seeds(&SEEDS, |seed| {
        let h = run_workload(Reads::Session, seed);
        check_ok(
            &h,
            Guarantee::ReadYourWrites,
            seed,
            "a read sent with the session's token waits on a follower until it has the \
             client's last write",
        );
        check_ok(
            &h,
            Guarantee::MonotonicReads,
            seed,
            "the token rises with every reply (Session::read), and a reply's lsn is the node's \
             visible LSN, so the next read cannot see an older state",
        );
        check_ok(
            &h,
            Guarantee::MonotonicWrites,
            seed,
            "one leader's log orders every client's writes",
        );
    });
}

#[test]
fn reads_from_any_follower_without_a_token_break_read_your_writes() {
    run_seeds(&SEEDS, |seed| {
        let h = run_workload(Reads::NoToken, seed);
        let verdict = check_session(&KvMap::new(), &h, Guarantee::ReadYourWrites);
        let Verdict::Violation(report) = &verdict else {
            panic!(
                "seed {seed}: reads sent to lagging followers with no token must show a client \
                 missing its own acknowledged write (read-your-writes), but the checker said: \
                 {verdict}. Does read() answer with the value as of the node's visible LSN?"
            );
        };
        assert_eq!(report.rule, "read-your-writes");
    });
}

#[test]
fn a_token_only_writes_advance_breaks_monotonic_reads() {
    let mut broken = 0;
    let seeds = kit::sim::seeds(&SEEDS);
    for &seed in &seeds {
        let h = run_workload(Reads::WriteTokenOnly, seed);
        check_ok(
            &h,
            Guarantee::ReadYourWrites,
            seed,
            "a token of the client's last write still waits for that write",
        );
        if !check_session(&KvMap::new(), &h, Guarantee::MonotonicReads).is_ok() {
            broken += 1;
        }
    }
    assert!(
        broken * 2 >= seeds.len(),
        "a client that read a new value on a fresh follower and then asks a lagging one with \
         only its write token sees the value go back in time: monotonic reads broke on only \
         {broken} of {} seeds. Does read() answer as of the visible LSN?",
        seeds.len()
    );
}

//! `kit::history`: the textbook histories, differential tests against
//! brute-force checkers on seeded random histories, budgets, session
//! guarantees, queue/log rules, reports, and recording from threads.

use std::sync::Mutex;

use kit::history::{
    Anomaly, Guarantee, History, KvMap, KvOp, KvRet, KvWorkload, Log, LogOptions, Model, OpId,
    Operation, Outcome, Recorder, Register, RegisterOp, RegisterRet, Report, Verdict,
    check_linearizable, check_sequential, check_session, kv_history,
};
use kit::rng::Rng;

type Op = RegisterOp<u8>;
type Ret = RegisterRet<u8>;
type H = History<Op, Ret>;

const STEPS: u64 = 100_000;

fn reg() -> Register<u8> {
    Register::new(0)
}

fn write(h: &mut H, client: usize, v: u8) -> OpId {
    h.invoke(client, RegisterOp::Write(v))
}

fn read(h: &mut H, client: usize) -> OpId {
    h.invoke(client, RegisterOp::Read)
}

fn cas(h: &mut H, client: usize, expect: u8, new: u8) -> OpId {
    h.invoke(client, RegisterOp::Cas { expect, new })
}

fn done(h: &mut H, id: OpId) {
    h.ok(id, RegisterRet::Done);
}

fn value(h: &mut H, id: OpId, v: u8) {
    h.ok(id, RegisterRet::Value(v));
}

/// A write (or a read) that starts and completes before the next event.
fn wrote(h: &mut H, client: usize, v: u8) -> OpId {
    let id = write(h, client, v);
    done(h, id);
    id
}

fn read_back(h: &mut H, client: usize, v: u8) -> OpId {
    let id = read(h, client);
    value(h, id, v);
    id
}

fn lin(h: &H) -> Verdict {
    check_linearizable(&reg(), h, STEPS)
}

fn sc(h: &H) -> Verdict {
    check_sequential(&reg(), h, STEPS)
}

#[track_caller]
fn violation(v: &Verdict) -> &Report {
    v.violation()
        .unwrap_or_else(|| panic!("expected a violation, got: {v}"))
}

// ---- The textbook histories ----------------------------------------------

#[test]
fn stale_read_after_a_completed_write_is_a_violation() {
    let mut h = H::new();
    let w = wrote(&mut h, 0, 1);
    let r = read_back(&mut h, 1, 0);
    let v = lin(&h);
    let report = violation(&v);
    assert_eq!(report.rule, "linearizability");
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert_eq!(
        report.prefix.iter().map(|op| op.id).collect::<Vec<_>>(),
        [w]
    );
    assert_eq!(report.state.as_deref(), Some("1"));
    assert!(report.why.contains("answers read->1"), "{report}");
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    for seen in [0, 1] {
        let mut h = H::new();
        let w = write(&mut h, 0, 1);
        read_back(&mut h, 1, seen);
        done(&mut h, w);
        lin(&h).assert_ok();
    }
    // Two concurrent reads may disagree while the write is in progress.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    let a = read(&mut h, 1);
    let b = read(&mut h, 2);
    value(&mut h, a, 0);
    value(&mut h, b, 1);
    done(&mut h, w);
    lin(&h).assert_ok();
}

#[test]
fn once_a_read_saw_the_new_value_a_later_read_cannot_see_the_old() {
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    read_back(&mut h, 1, 1);
    let late = read_back(&mut h, 2, 0); // invoked after the first read completed
    done(&mut h, w);
    let v = lin(&h);
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(late));
}

#[test]
fn a_read_from_the_future_is_a_violation() {
    let mut h = H::new();
    let r = read_back(&mut h, 1, 1);
    wrote(&mut h, 0, 1); // invoked after the read returned its value
    let v = lin(&h);
    let report = violation(&v);
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert!(report.prefix.is_empty());
    assert_eq!(report.state.as_deref(), Some("0"));
}

#[test]
fn a_crashed_write_may_take_effect_then_later_or_never() {
    // Applied before the crash: a later read sees it.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    read_back(&mut h, 1, 1);
    lin(&h).assert_ok();

    // Never applied: a later read does not see it.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    read_back(&mut h, 1, 0);
    lin(&h).assert_ok();

    // Applied late, after the client gave up: old, then new.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    read_back(&mut h, 1, 0);
    read_back(&mut h, 1, 1);
    lin(&h).assert_ok();

    // Still outstanding at the end of the history: the same.
    let mut h = H::new();
    write(&mut h, 0, 1);
    read_back(&mut h, 1, 1);
    lin(&h).assert_ok();
}

#[test]
fn a_crashed_write_cannot_be_seen_and_then_unseen() {
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    read_back(&mut h, 1, 1);
    let r = read_back(&mut h, 2, 0);
    let v = lin(&h);
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(r));
}

#[test]
fn a_definite_failure_took_no_effect() {
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.fail(w);
    let r = read_back(&mut h, 1, 1);
    let v = lin(&h);
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(r));
    assert!(!sc(&h).is_ok(), "not even sequentially consistent");

    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.fail(w);
    read_back(&mut h, 1, 0);
    lin(&h).assert_ok();
}

#[test]
fn a_cas_race_with_two_winners_is_a_lost_update() {
    let race = |second: bool| {
        let mut h = H::new();
        let a = cas(&mut h, 0, 0, 1);
        let b = cas(&mut h, 1, 0, 1);
        h.ok(a, RegisterRet::Swapped(true));
        h.ok(b, RegisterRet::Swapped(second));
        h
    };
    assert!(!lin(&race(true)).is_ok(), "two cas(0,1) cannot both win");
    lin(&race(false)).assert_ok();
}

/// A counter whose `incr` returns the new value, for the read-modify-write
/// form of the lost update.
struct Counter;

impl Model for Counter {
    type State = u32;
    type Op = &'static str;
    type Ret = u32;
    fn init(&self) -> u32 {
        0
    }
    fn step(&self, n: &u32, op: &&'static str) -> (u32, u32) {
        match *op {
            "incr" => (n + 1, n + 1),
            _ => (*n, *n),
        }
    }
}

#[test]
fn a_lost_update_needs_a_model_that_knows_the_update() {
    // Two read-then-write increments, as a register sees them: read 0, read
    // 0, write 1, write 1. Each step is a legal register operation, so this
    // is linearizable: the register cannot tell that an update was lost...
    let mut h = H::new();
    let (a, b) = (read(&mut h, 0), read(&mut h, 1));
    value(&mut h, a, 0);
    value(&mut h, b, 0);
    let (c, d) = (write(&mut h, 0, 1), write(&mut h, 1, 1));
    done(&mut h, c);
    done(&mut h, d);
    lin(&h).assert_ok();

    // ...but a counter can: two increments that both return 1.
    let mut h: History<&'static str, u32> = History::new();
    let (a, b) = (h.invoke(0, "incr"), h.invoke(1, "incr"));
    h.ok(a, 1);
    h.ok(b, 1);
    let v = check_linearizable(&Counter, &h, STEPS);
    let report = violation(&v);
    assert!(report.to_string().contains("\"incr\"->1"), "{report}");
    assert_eq!(report.state.as_deref(), Some("1"));
}

// ---- Differential tests against brute force --------------------------------

/// Every order of the non-failed operations that places each one after all
/// those `before` says must precede it, leaving out any indefinite ones:
/// does one of them replay legally? Brute force, obviously right.
fn brute_force<M: Model>(
    model: &M,
    h: &History<M::Op, M::Ret>,
    before: impl Fn(&Operation<M::Op, M::Ret>, &Operation<M::Op, M::Ret>) -> bool,
) -> bool {
    fn go<M: Model, F>(
        model: &M,
        ops: &[&Operation<M::Op, M::Ret>],
        placed: &mut Vec<bool>,
        state: &M::State,
        before: &F,
    ) -> bool
    where
        F: Fn(&Operation<M::Op, M::Ret>, &Operation<M::Op, M::Ret>) -> bool,
    {
        if (0..ops.len()).all(|i| placed[i] || ops[i].is_indefinite()) {
            return true;
        }
        for i in 0..ops.len() {
            if placed[i] || (0..ops.len()).any(|j| !placed[j] && before(ops[j], ops[i])) {
                continue;
            }
            let (next, ret) = model.step(state, ops[i].op());
            if ops[i].ret().is_some_and(|r| *r != ret) {
                continue;
            }
            placed[i] = true;
            if go(model, ops, placed, &next, before) {
                return true;
            }
            placed[i] = false;
        }
        false
    }
    let ops: Vec<_> = h.ops().iter().filter(|o| !o.is_fail()).collect();
    go(
        model,
        &ops,
        &mut vec![false; ops.len()],
        &model.init(),
        &before,
    )
}

/// Real time: a definite operation that completed before `b` was invoked.
fn real_time<O, R>(a: &Operation<O, R>, b: &Operation<O, R>) -> bool {
    !a.is_indefinite() && a.completed().is_some_and(|c| c < b.invoked())
}

/// Program order: an earlier definite operation of the same client.
fn program_order<O, R>(a: &Operation<O, R>, b: &Operation<O, R>) -> bool {
    a.client() == b.client() && !a.is_indefinite() && a.invoked() < b.invoked()
}

/// 2 to 7 operations of 3 clients on a register with values 0..4, applied
/// atomically somewhere inside their intervals, with timeouts, refusals,
/// late deliveries and operations left outstanding. Most runs are buggy:
/// reads and cas may return a wrong answer, and refusals may apply anyway.
fn random_register_history(rng: &mut Rng) -> H {
    enum Client {
        Idle,
        Waiting(OpId, Op, Option<Ret>),
    }
    let ops = 2 + rng.below(6) as usize;
    let buggy = rng.chance(0.6);
    let mut h = H::new();
    let mut register = 0u8;
    let mut late: Vec<Op> = Vec::new();
    let mut clients = [Client::Idle, Client::Idle, Client::Idle];
    let mut invoked = 0;
    let apply = |register: &mut u8, op: &Op| reg().step(register, op);
    loop {
        let waiting = clients.iter().any(|c| matches!(c, Client::Waiting(..)));
        if invoked == ops && (!waiting || rng.chance(0.15)) {
            return h; // the rest stays outstanding
        }
        if !late.is_empty() && rng.chance(0.2) {
            let op = late.swap_remove(0);
            register = apply(&mut register, &op).0;
        }
        let c = rng.below(3) as usize;
        clients[c] = match std::mem::replace(&mut clients[c], Client::Idle) {
            Client::Idle if invoked < ops => {
                invoked += 1;
                let op = match rng.below(3) {
                    0 => RegisterOp::Read,
                    1 => RegisterOp::Write(rng.range(1..4) as u8),
                    _ => RegisterOp::Cas {
                        expect: rng.below(3) as u8,
                        new: rng.range(1..4) as u8,
                    },
                };
                Client::Waiting(h.invoke(c, op.clone()), op, None)
            }
            Client::Idle => Client::Idle,
            Client::Waiting(id, op, None) => match rng.below(10) {
                0 => {
                    if buggy && rng.chance(0.5) {
                        register = apply(&mut register, &op).0;
                    }
                    h.fail(id);
                    Client::Idle
                }
                1 => {
                    h.unknown(id);
                    if rng.chance(0.5) {
                        late.push(op);
                    }
                    Client::Idle
                }
                _ => {
                    let (next, mut ret) = apply(&mut register, &op);
                    register = next;
                    if buggy && rng.chance(0.5) {
                        ret = match ret {
                            RegisterRet::Value(_) => RegisterRet::Value(rng.below(4) as u8),
                            RegisterRet::Swapped(b) => RegisterRet::Swapped(!b),
                            RegisterRet::Done => RegisterRet::Done,
                        };
                    }
                    Client::Waiting(id, op, Some(ret))
                }
            },
            Client::Waiting(id, _, Some(ret)) => {
                if rng.below(10) == 0 {
                    h.unknown(id);
                } else {
                    h.ok(id, ret);
                }
                Client::Idle
            }
        };
    }
}

/// Replays a violation's prefix: legal for the model and ordered as
/// `before` requires, ending in the reported state.
fn check_prefix<M: Model>(
    model: &M,
    h: &History<M::Op, M::Ret>,
    report: &Report,
    before: impl Fn(&Operation<M::Op, M::Ret>, &Operation<M::Op, M::Ret>) -> bool,
) {
    let mut state = model.init();
    let placed: Vec<&Operation<M::Op, M::Ret>> =
        report.prefix.iter().filter_map(|op| h.get(op.id)).collect();
    for (i, op) in placed.iter().enumerate() {
        let (next, ret) = model.step(&state, op.op());
        assert!(
            op.ret().is_none_or(|r| *r == ret),
            "illegal prefix\n{report}"
        );
        assert!(
            placed[i + 1..].iter().all(|later| !before(later, op)),
            "prefix out of order\n{report}"
        );
        state = next;
    }
    assert_eq!(report.state.as_deref(), Some(format!("{state:?}").as_str()));
    let stuck = report.op.as_ref().and_then(|op| h.get(op.id));
    assert!(stuck.is_some_and(|op| !op.is_indefinite()), "{report}");
}

fn describe(h: &H) -> String {
    let mut out = String::new();
    for op in h.ops() {
        out += &format!(
            "  client {} {:?} [{}, {:?}] {:?}\n",
            op.client(),
            op.op(),
            op.invoked(),
            op.completed(),
            op.outcome()
        );
    }
    out
}

#[test]
fn linearizability_agrees_with_brute_force_on_300_random_histories() {
    let mut rng = Rng::new(2024).stream("linearizability");
    let (mut ok, mut bad) = (0, 0);
    for _ in 0..300 {
        let h = random_register_history(&mut rng);
        let expected = brute_force(&reg(), &h, real_time);
        let verdict = lin(&h);
        assert_eq!(
            verdict.is_ok(),
            expected,
            "checker says {verdict}\nbrute force says linearizable: {expected}\n{}",
            describe(&h)
        );
        match verdict.violation() {
            Some(report) => {
                check_prefix(&reg(), &h, report, real_time);
                bad += 1;
            }
            None => ok += 1,
        }
    }
    assert!(
        ok >= 50 && bad >= 50,
        "both verdicts occur: {ok} ok, {bad} violations"
    );
}

#[test]
fn sequential_consistency_agrees_with_brute_force_on_300_random_histories() {
    let mut rng = Rng::new(2025).stream("sequential");
    let (mut ok, mut bad, mut sc_only) = (0, 0, 0);
    for _ in 0..300 {
        let h = random_register_history(&mut rng);
        let expected = brute_force(&reg(), &h, program_order);
        let verdict = sc(&h);
        assert_eq!(
            verdict.is_ok(),
            expected,
            "checker says {verdict}\nbrute force says sequentially consistent: {expected}\n{}",
            describe(&h)
        );
        match verdict.violation() {
            Some(report) => {
                check_prefix(&reg(), &h, report, program_order);
                bad += 1;
            }
            None => ok += 1,
        }
        if expected && !brute_force(&reg(), &h, real_time) {
            sc_only += 1;
        }
    }
    assert!(
        ok >= 50 && bad >= 30,
        "both verdicts occur: {ok} ok, {bad} violations"
    );
    assert!(sc_only >= 5, "some are SC but not linearizable: {sc_only}");
}

/// A model with its partitions hidden: the whole history in one search.
struct Whole<M>(M);

impl<M: Model> Model for Whole<M> {
    type State = M::State;
    type Op = M::Op;
    type Ret = M::Ret;
    fn init(&self) -> M::State {
        self.0.init()
    }
    fn step(&self, s: &M::State, op: &M::Op) -> (M::State, M::Ret) {
        self.0.step(s, op)
    }
}

#[test]
fn checking_per_key_agrees_with_checking_the_whole_map() {
    let (mut ok, mut bad) = (0, 0);
    for seed in 0..80 {
        let h = kv_history(&KvWorkload {
            seed,
            ops: 14,
            keys: 3,
            clients: 3,
            indefinite: 0.1,
            failures: 0.05,
            stale_reads: 0.3,
            deletes: 0.1,
        });
        let split = check_linearizable(&KvMap::new(), &h, STEPS);
        let whole = check_linearizable(&Whole(KvMap::new()), &h, STEPS);
        assert_eq!(
            split.is_ok(),
            whole.is_ok(),
            "seed {seed}: {split}\n{whole}"
        );
        assert!(!matches!(split, Verdict::Unknown { .. }), "{split}");
        if split.is_ok() {
            ok += 1;
        } else {
            bad += 1;
        }
    }
    assert!(ok >= 10 && bad >= 10, "{ok} ok, {bad} violations");
}

// ---- Key-value maps, budgets, generated histories --------------------------

type Kv = History<KvOp<&'static str, u32>, KvRet<u32>>;

#[test]
fn a_map_violation_names_its_key_and_draws_only_that_key() {
    let mut h = Kv::new();
    let a = h.invoke(0, KvOp::Put("x", 1));
    let b = h.invoke(1, KvOp::Put("y", 2));
    h.ok(a, KvRet::Done);
    h.ok(b, KvRet::Done);
    let c = h.invoke(2, KvOp::Get("x"));
    h.ok(c, KvRet::Value(Some(1)));
    let d = h.invoke(2, KvOp::Get("y"));
    h.ok(d, KvRet::Value(None)); // stale
    let v = check_linearizable(&KvMap::new(), &h, STEPS);
    let report = violation(&v);
    assert_eq!(report.key.as_deref(), Some("\"y\""));
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(d));
    assert!(report.timeline.contains("put(\"y\",2)"), "{report}");
    assert!(
        !report.timeline.contains("\"x\""),
        "other keys stay out\n{report}"
    );
}

#[test]
fn a_tiny_budget_gives_unknown_never_a_pass() {
    let mut h = H::new();
    let ids: Vec<OpId> = (0..3).map(|c| write(&mut h, c, c as u8 + 1)).collect();
    for id in ids {
        done(&mut h, id);
    }
    read_back(&mut h, 0, 3);
    lin(&h).assert_ok();
    for verdict in [
        check_linearizable(&reg(), &h, 3),
        check_sequential(&reg(), &h, 3),
    ] {
        assert!(
            matches!(verdict, Verdict::Unknown { steps: 3, .. }),
            "{verdict}"
        );
        assert!(!verdict.is_ok());
        assert!(
            verdict.to_string().contains("budget of 3 steps"),
            "{verdict}"
        );
        let panicked = std::panic::catch_unwind(|| verdict.assert_ok());
        assert!(panicked.is_err(), "assert_ok must not pass an Unknown");
    }
}

#[test]
fn a_budget_of_exactly_the_steps_needed_is_enough() {
    // Three writes one after another: the linearizability search takes one
    // step per call it linearizes, so 3 steps and no backtracking.
    let mut h = H::new();
    for v in 1..=3 {
        wrote(&mut h, 0, v);
    }
    check_linearizable(&reg(), &h, 3).assert_ok();
    let short = check_linearizable(&reg(), &h, 2);
    assert!(
        matches!(short, Verdict::Unknown { steps: 2, .. }),
        "{short}"
    );

    // A stale read: not linearizable, but sequentially consistent by
    // putting the read first. The program-order search tries the read (it
    // changes nothing, so it is the only move), then the write: 2 steps.
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    read_back(&mut h, 1, 0);
    violation(&lin(&h));
    check_sequential(&reg(), &h, 2).assert_ok();
    let short = check_sequential(&reg(), &h, 1);
    assert!(
        matches!(short, Verdict::Unknown { steps: 1, .. }),
        "{short}"
    );
}

#[test]
fn the_memo_keeps_interchangeable_orders_cheap() {
    // Eight overlapping writes of the same value, then a read of a value
    // never written. Every order of the writes fails at the read: 8! orders
    // without the memo (about 260,000 steps), but only 2^8 distinct
    // (written set, state) pairs with it (under 1,300 steps).
    let mut h = H::new();
    let ids: Vec<OpId> = (0..8).map(|c| write(&mut h, c, 1)).collect();
    for id in ids {
        done(&mut h, id);
    }
    let r = read_back(&mut h, 0, 2);
    let v = check_linearizable(&reg(), &h, 10_000);
    assert_eq!(violation(&v).op.as_ref().map(|o| o.id), Some(r), "{v}");
}

#[test]
fn a_definite_violation_in_one_key_beats_an_exhausted_budget_in_another() {
    let mut h = Kv::new();
    for i in 0..20 {
        let id = h.invoke(0, KvOp::Put("busy", i));
        h.ok(id, KvRet::Done);
    }
    let w = h.invoke(1, KvOp::Put("bad", 1));
    h.ok(w, KvRet::Done);
    let r = h.invoke(1, KvOp::Get("bad"));
    h.ok(r, KvRet::Value(None));
    let v = check_linearizable(&KvMap::new(), &h, 10);
    assert_eq!(violation(&v).key.as_deref(), Some("\"bad\""));
}

#[test]
fn a_generated_2000_operation_history_is_linearizable_and_keeps_the_sessions() {
    let h = kv_history(&KvWorkload::default());
    assert_eq!(h.len(), 2_000);
    assert!(h.ops().iter().any(|o| o.is_indefinite()));
    check_linearizable(&KvMap::new(), &h, 1_000_000).assert_ok();
    // Linearizable implies each session guarantee: no false alarms there.
    for g in [
        Guarantee::ReadYourWrites,
        Guarantee::MonotonicReads,
        Guarantee::MonotonicWrites,
    ] {
        check_session(&KvMap::new(), &h, g).assert_ok();
    }
}

#[test]
fn a_generated_history_with_stale_reads_is_caught() {
    let h = kv_history(&KvWorkload {
        stale_reads: 0.05,
        ..KvWorkload::default()
    });
    let v = check_linearizable(&KvMap::new(), &h, 1_000_000);
    let report = violation(&v);
    assert!(report.key.is_some());
    let stuck = report.op.as_ref().and_then(|op| h.get(op.id));
    assert!(
        stuck.is_some_and(|op| matches!(op.op(), KvOp::Get(_))),
        "a stale get is what cannot be placed\n{report}"
    );
    assert!(report.timeline.lines().count() >= 2, "{report}");
}

// ---- Sequential consistency -------------------------------------------------

#[test]
fn sequential_consistency_ignores_real_time_but_not_program_order() {
    // A stale read across clients: fine without real time.
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    read_back(&mut h, 1, 0);
    sc(&h).assert_ok();
    assert!(!lin(&h).is_ok());

    // One client's writes seen in the reverse order.
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    wrote(&mut h, 0, 2);
    read_back(&mut h, 1, 2);
    let r = read_back(&mut h, 1, 1);
    let v = sc(&h);
    let report = violation(&v);
    assert_eq!(report.rule, "sequential-consistency");
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));

    // Unless the first write was indefinite: it may have landed late.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    wrote(&mut h, 0, 2);
    read_back(&mut h, 1, 2);
    read_back(&mut h, 1, 1);
    sc(&h).assert_ok();
    lin(&h).assert_ok();
}

// ---- Session guarantees -----------------------------------------------------

fn session(h: &H, g: Guarantee) -> Verdict {
    check_session(&reg(), h, g)
}

#[test]
fn read_your_writes() {
    // Another client may lag; the writer itself may not.
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    read_back(&mut h, 1, 0);
    read_back(&mut h, 0, 1);
    session(&h, Guarantee::ReadYourWrites).assert_ok();

    let mut h = H::new();
    let w = wrote(&mut h, 0, 1);
    let r = read_back(&mut h, 0, 0);
    let v = session(&h, Guarantee::ReadYourWrites);
    let report = violation(&v);
    assert_eq!(report.rule, "read-your-writes");
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert!(report.why.contains(&format!("({w})")), "{report}");
    assert!(report.why.contains("the initial value"), "{report}");
    session(&h, Guarantee::MonotonicReads).assert_ok();

    // A value the client saw before its write is older than the write.
    let mut h = H::new();
    wrote(&mut h, 1, 1);
    read_back(&mut h, 0, 1);
    wrote(&mut h, 0, 2);
    let r = read_back(&mut h, 0, 1);
    let v = session(&h, Guarantee::ReadYourWrites);
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(r));

    // An indefinite write obliges nothing.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    read_back(&mut h, 0, 0);
    session(&h, Guarantee::ReadYourWrites).assert_ok();
}

#[test]
fn monotonic_reads() {
    let mut h = H::new();
    wrote(&mut h, 1, 1);
    read_back(&mut h, 0, 0);
    read_back(&mut h, 0, 1);
    read_back(&mut h, 0, 1);
    session(&h, Guarantee::MonotonicReads).assert_ok();

    // Back to the initial value.
    let mut h = H::new();
    wrote(&mut h, 1, 1);
    read_back(&mut h, 0, 1);
    let r = read_back(&mut h, 0, 0);
    let v = session(&h, Guarantee::MonotonicReads);
    let report = violation(&v);
    assert_eq!(report.rule, "monotonic-reads");
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    session(&h, Guarantee::ReadYourWrites).assert_ok();

    // Flip-flopping between two concurrent writes: stale one way or the other.
    let mut h = H::new();
    let (a, b) = (write(&mut h, 1, 1), write(&mut h, 2, 2));
    done(&mut h, a);
    done(&mut h, b);
    read_back(&mut h, 0, 1);
    read_back(&mut h, 0, 2);
    let r = read_back(&mut h, 0, 1);
    let v = session(&h, Guarantee::MonotonicReads);
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(r));
}

#[test]
fn monotonic_writes() {
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    wrote(&mut h, 0, 2);
    read_back(&mut h, 1, 1);
    read_back(&mut h, 1, 2);
    session(&h, Guarantee::MonotonicWrites).assert_ok();

    let mut h = H::new();
    let first = wrote(&mut h, 0, 1);
    let second = wrote(&mut h, 0, 2);
    let saw = read_back(&mut h, 1, 2);
    let r = read_back(&mut h, 1, 1);
    let v = session(&h, Guarantee::MonotonicWrites);
    let report = violation(&v);
    assert_eq!(report.rule, "monotonic-writes");
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert!(report.why.contains(&format!("({saw})")), "{report}");
    for id in [first, second, saw, r] {
        assert!(
            report
                .timeline
                .contains(&h.ops()[id.index()].client().to_string())
        );
    }
    session(&h, Guarantee::ReadYourWrites).assert_ok();

    // An indefinite first write may have been applied after the second.
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    h.unknown(w);
    wrote(&mut h, 0, 2);
    read_back(&mut h, 1, 2);
    read_back(&mut h, 1, 1);
    session(&h, Guarantee::MonotonicWrites).assert_ok();
}

#[test]
fn monotonic_writes_compares_with_the_latest_write_seen() {
    // Read 1, then 3, then 2: 2 is older than the 3 already seen.
    let mut h = H::new();
    for v in 1..=3 {
        wrote(&mut h, 0, v);
    }
    read_back(&mut h, 1, 1);
    let saw = read_back(&mut h, 1, 3);
    let r = read_back(&mut h, 1, 2);
    let v = session(&h, Guarantee::MonotonicWrites);
    let report = violation(&v);
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert!(report.why.contains(&format!("({saw})")), "{report}");
    assert!(
        report.timeline.contains("write(3)"),
        "the write the evidence read returned is in the timeline: {report}"
    );

    // An indefinite write read in between does not lower what was seen: the
    // evidence stays the read of the latest write.
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    let maybe = write(&mut h, 0, 2);
    h.unknown(maybe);
    wrote(&mut h, 0, 3);
    let saw = read_back(&mut h, 1, 3);
    read_back(&mut h, 1, 2);
    let r = read_back(&mut h, 1, 1);
    let v = session(&h, Guarantee::MonotonicWrites);
    let report = violation(&v);
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert!(report.why.contains(&format!("({saw})")), "{report}");
}

#[test]
fn of_two_clients_breaking_a_guarantee_the_earlier_read_is_reported() {
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    read_back(&mut h, 1, 1);
    let first = read_back(&mut h, 1, 0);
    read_back(&mut h, 2, 1);
    read_back(&mut h, 2, 0);
    let v = session(&h, Guarantee::MonotonicReads);
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(first));
}

#[test]
fn session_checks_need_unique_values() {
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    wrote(&mut h, 1, 1);
    let v = session(&h, Guarantee::ReadYourWrites);
    assert!(matches!(v, Verdict::Unknown { steps: 0, .. }), "{v}");
    assert!(v.to_string().contains("unique"), "{v}");

    let mut h = H::new();
    wrote(&mut h, 0, 0); // the initial value again
    assert!(!session(&h, Guarantee::MonotonicReads).is_ok());

    let mut h = Kv::new();
    let d = h.invoke(0, KvOp::Delete("x"));
    h.ok(d, KvRet::Done);
    assert!(!check_session(&KvMap::new(), &h, Guarantee::MonotonicWrites).is_ok());
}

// ---- Queues and logs --------------------------------------------------------

fn rules(anomalies: &[Anomaly]) -> Vec<&'static str> {
    anomalies.iter().map(Anomaly::rule).collect()
}

#[test]
fn a_clean_log_has_no_anomalies() {
    let mut log = Log::new();
    for id in 0..5 {
        log.sent(id, Outcome::Ok(()));
    }
    log.sent(5, Outcome::Unknown); // never arrived: fine
    for offset in 0..5 {
        log.received_at(0, 0, offset, offset);
    }
    log.assert_ok(&LogOptions::default());
}

#[test]
fn lost_and_unexpected_records() {
    let mut log = Log::new();
    log.sent(1, Outcome::Ok(()));
    log.sent(2, Outcome::Ok(()));
    log.sent(3, Outcome::Fail);
    log.sent(4, Outcome::Unknown);
    log.received(0, 1);
    log.received(0, 3); // a refused send delivered
    log.received(1, 9); // never sent
    log.received(1, 4);
    let anomalies = log.check(&LogOptions::default());
    assert_eq!(
        anomalies,
        [
            Anomaly::Unexpected { id: 3, consumer: 0 },
            Anomaly::Unexpected { id: 9, consumer: 1 },
            Anomaly::Lost { id: 2 },
        ]
    );
    assert!(anomalies[2].to_string().starts_with("lost: record 2"));
}

#[test]
fn duplicates_unless_allowed() {
    let mut log = Log::new();
    log.sent(1, Outcome::Ok(()));
    log.received(0, 1);
    log.received(1, 1);
    log.received(0, 1);
    let anomalies = log.check(&LogOptions::default());
    assert_eq!(
        anomalies,
        [Anomaly::Duplicate {
            id: 1,
            consumers: vec![0, 1, 0]
        }]
    );
    assert!(
        anomalies[0].to_string().contains("3 times"),
        "{}",
        anomalies[0]
    );
    let at_least_once = LogOptions {
        allow_duplicates: true,
    };
    log.assert_ok(&at_least_once);
}

#[test]
fn skipped_offsets() {
    let mut log = Log::new();
    for id in 0..6 {
        log.sent(id, Outcome::Ok(()));
    }
    for offset in [0, 1, 4, 5] {
        log.received_at(0, 0, offset, offset);
    }
    log.received_at(1, 0, 2, 2); // another consumer read 2 and 3: not lost
    log.received_at(1, 0, 3, 3);
    assert_eq!(
        log.check(&LogOptions::default()),
        [Anomaly::Skip {
            consumer: 0,
            partition: 0,
            expected: 2,
            got: 4,
            unread: 2
        }]
    );

    // Jumping over offsets it already read is no skip.
    let mut log = Log::new();
    for id in 0..3 {
        log.sent(id, Outcome::Ok(()));
    }
    for offset in [0, 1, 2] {
        log.received_at(0, 3, offset, offset);
    }
    log.rewind(0, 3, 0);
    log.received_at(0, 3, 0, 0);
    log.received_at(0, 3, 2, 2);
    let found = log.check(&LogOptions {
        allow_duplicates: true,
    });
    assert_eq!(found, []);
}

#[test]
fn offsets_going_back_need_a_declared_rewind() {
    let reads = |rewind: Option<u64>| {
        let mut log = Log::new();
        for id in 0..3 {
            log.sent(id, Outcome::Ok(()));
        }
        for offset in 0..3 {
            log.received_at(7, 1, offset, offset);
        }
        if let Some(to) = rewind {
            log.rewind(7, 1, to);
        }
        log.received_at(7, 1, 1, 1);
        log.check(&LogOptions {
            allow_duplicates: true,
        })
    };
    assert_eq!(
        reads(None),
        [Anomaly::Nonmonotonic {
            consumer: 7,
            partition: 1,
            previous: 2,
            rewound: false,
            got: 1
        }]
    );
    assert_eq!(reads(Some(1)), []);
    let below = reads(Some(2));
    assert_eq!(rules(&below), ["nonmonotonic"]);
    assert!(
        below[0].to_string().contains("rewinding to 2"),
        "{}",
        below[0]
    );
    // Re-reading the last offset is a duplicate, not a step back.
    let mut log = Log::new();
    log.sent(0, Outcome::Ok(()));
    log.received_at(0, 0, 0, 0);
    log.received_at(0, 0, 0, 0);
    assert_eq!(rules(&log.check(&LogOptions::default())), ["duplicate"]);
}

#[test]
#[should_panic(expected = "lost: record 1")]
fn log_assert_ok_lists_the_anomalies() {
    let mut log = Log::new();
    log.sent(1, Outcome::Ok(()));
    log.assert_ok(&LogOptions::default());
}

// ---- Reports ------------------------------------------------------------------

#[test]
fn the_report_names_the_rule_the_stuck_op_and_draws_each_client() {
    let mut h = H::new();
    let w = write(&mut h, 0, 1);
    done(&mut h, w);
    let other = write(&mut h, 2, 2);
    h.unknown(other);
    let r = read_back(&mut h, 1, 0);
    let v = lin(&h);
    let text = v.to_string();
    let expected = "\
linearizability violated at client 1's read->0 (#2)
  why: no order consistent with real time places it: after the longest legal prefix the model, in state 1, answers read->1
  longest legal prefix: 1 operation
    client 0's write(1) (#0)
  model state after it: 1
  timeline (|--op--| invocation to completion, --? indefinite, --x failed, ==op== the operation above):
    client 0  |--write(1)--|
    client 1                              |==read->0==|
    client 2                |--write(2)--?
";
    assert_eq!(text, expected, "\n{text}");
    assert_eq!(violation(&v).op.as_ref().map(|op| op.id), Some(r));
}

#[test]
fn a_session_report_draws_the_clients_involved() {
    let mut h = H::new();
    wrote(&mut h, 0, 1);
    read_back(&mut h, 3, 1);
    read_back(&mut h, 3, 0);
    let text = session(&h, Guarantee::MonotonicReads).to_string();
    assert!(
        text.starts_with("monotonic-reads violated at client 3's read->0 (#2)"),
        "{text}"
    );
    assert!(text.contains("the initial value"), "{text}");
    let row = |client: &str, bar: &str| {
        text.lines()
            .any(|l| l.trim_start().starts_with(client) && l.contains(bar))
    };
    assert!(row("client 0", "|--write(1)--|"), "{text}");
    assert!(row("client 3", "|--read->1--|"), "{text}");
    assert!(row("client 3", "|==read->0==|"), "{text}");

    // A value nobody wrote is named as such, not as the initial value.
    let mut h = H::new();
    read_back(&mut h, 0, 7);
    wrote(&mut h, 1, 1);
    read_back(&mut h, 0, 1);
    let r = read_back(&mut h, 0, 7);
    let v = session(&h, Guarantee::MonotonicReads);
    let report = violation(&v);
    assert_eq!(report.op.as_ref().map(|op| op.id), Some(r));
    assert!(
        report.why.contains("a value no operation wrote"),
        "{report}"
    );
}

// ---- Recording from threads ---------------------------------------------------

#[test]
fn a_recorder_records_each_kind_of_outcome() {
    let recorder: Recorder<RegisterOp<u64>, RegisterRet<u64>> = Recorder::new();
    assert!(recorder.snapshot().is_empty());
    let a = recorder.invoke(0, RegisterOp::Write(1));
    let b = recorder.invoke(1, RegisterOp::Write(2));
    let c = recorder.invoke(2, RegisterOp::Read);
    recorder.fail(a);
    recorder.unknown(b);
    recorder.ok(c, RegisterRet::Value(0));
    let history = recorder.into_history();
    assert!(!history.is_empty());
    assert_eq!(history.len(), 3);
    let outcomes: Vec<_> = history.ops().iter().map(|o| o.outcome().cloned()).collect();
    assert_eq!(
        outcomes,
        [
            Some(Outcome::Fail),
            Some(Outcome::Unknown),
            Some(Outcome::Ok(RegisterRet::Value(0)))
        ]
    );
}

#[test]
fn a_recorder_collects_a_linearizable_history_from_real_threads() {
    let recorder: Recorder<RegisterOp<u64>, RegisterRet<u64>> = Recorder::new();
    let register = Mutex::new(0u64);
    let model = Register::new(0u64);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (recorder, register, model) = (&recorder, &register, &model);
            s.spawn(move || {
                let mut rng = Rng::new(t).stream("recorder");
                for i in 0..50 {
                    let op = match rng.below(3) {
                        0 => RegisterOp::Read,
                        1 => RegisterOp::Write(t * 1_000 + i),
                        _ => RegisterOp::Cas {
                            expect: *register.lock().unwrap(),
                            new: t * 1_000 + i + 500,
                        },
                    };
                    // Invoke before the operation starts, complete after it ends.
                    let id = recorder.invoke(t as usize, op.clone());
                    let ret = {
                        let mut value = register.lock().unwrap();
                        let (next, ret) = model.step(&value, &op);
                        *value = next;
                        ret
                    };
                    recorder.ok(id, ret);
                }
            });
        }
    });
    let snapshot = recorder.snapshot();
    let h = recorder.into_history();
    assert_eq!((h.len(), snapshot.len()), (200, 200));
    let mut times: Vec<u64> = h
        .ops()
        .iter()
        .flat_map(|o| [o.invoked()].into_iter().chain(o.completed()))
        .collect();
    times.sort_unstable();
    assert_eq!(times, (0..400).collect::<Vec<_>>(), "one logical clock");
    check_linearizable(&model, &h, 1_000_000).assert_ok();
}

#[test]
fn a_recording_mistake_on_one_thread_leaves_the_recorder_usable() {
    let recorder: Recorder<Op, Ret> = Recorder::new();
    let first = recorder.invoke(0, RegisterOp::Read);
    let twice = std::panic::catch_unwind(|| recorder.invoke(0, RegisterOp::Read));
    assert!(twice.is_err());
    recorder.ok(first, RegisterRet::Value(0));
    recorder.fail(recorder.invoke(1, RegisterOp::Write(1)));
    let id = recorder.invoke(2, RegisterOp::Write(2));
    recorder.unknown(id);
    let h = recorder.into_history();
    assert_eq!(h.len(), 3);
    lin(&h).assert_ok();
}

//! The `consistency` lesson's linearizability checker (Wing–Gong search,
//! Lowe's memo, split per key) against `kit::history`'s, the course's own
//! checker of the same algorithm, on the same histories:
//!
//! - `linearizable_10_keys`: a 2,000-operation, 10-key history of a correct
//!   store (kit's generator, seed 1: 8 clients, about 4% indefinite, 1%
//!   refused). The lesson's goal: well under a second in release.
//! - `violation_10_keys`: the same workload with 5% stale reads, where the
//!   search of the first bad key must fail (exhaust its tree) and build a
//!   counterexample.
//! - `linearizable_1_key`: 2,000 operations on one key, where partitioning
//!   cannot help.
//!
//! The published Rust rival is `consistency_model` (the
//! `LinearizabilityTester` of stateright, by the same author, without
//! stateright's other dependencies): a depth-first search over the clients'
//! histories without a memo, that clones its state at every step. It has no
//! per-key split, so it is given one tester per key here (which is fair to
//! it), and no notion of an `Unknown` completion, so each indefinite
//! operation gets a thread of its own that stays in flight, which its
//! search may or may not place (the same meaning). Its time grows
//! exponentially with the operations per key, so it is measured on the first
//! operations of each history (printed for several lengths, benchmarked on
//! one). A prefix by invocation can cut out a write that a read in it saw,
//! so a prefix of a linearizable history need not be linearizable; both
//! checkers must and do agree on it.

use std::hint::black_box;
use std::time::Instant;

use consistency::{History, KvMap, KvOp, KvRet, Verdict, check_linearizable};
use consistency_model::{ConsistencyTester, LinearizabilityTester, SequentialSpec};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kit::history as rival;

const STEPS: u64 = 10_000_000;

type RivalHistory = rival::History<rival::KvOp<u64, u64>, rival::KvRet<u64>>;

/// The rival's generated history as a history of the lesson's types,
/// replayed event by event so the logical times are the same.
fn convert(h: &RivalHistory) -> History<KvOp, KvRet> {
    let mut events: Vec<(u64, usize, bool)> = Vec::new();
    for (i, o) in h.ops().iter().enumerate() {
        events.push((o.invoked(), i, true));
        if let Some(t) = o.completed() {
            events.push((t, i, false));
        }
    }
    events.sort_unstable();
    let mut out = History::new();
    let mut ids = vec![None; h.len()];
    for (_, i, invoke) in events {
        let o = &h.ops()[i];
        if invoke {
            let op = match *o.op() {
                rival::KvOp::Get(k) => KvOp::Get(k),
                rival::KvOp::Put(k, v) => KvOp::Put(k, v),
                rival::KvOp::Delete(k) => KvOp::Delete(k),
            };
            ids[i] = Some(out.invoke(o.client(), op));
            continue;
        }
        let Some(id) = ids[i] else {
            unreachable!("events are sorted: the invocation comes first")
        };
        match o.outcome() {
            Some(rival::Outcome::Ok(rival::KvRet::Value(v))) => out.ok(id, KvRet::Value(*v)),
            Some(rival::Outcome::Ok(rival::KvRet::Done)) => out.ok(id, KvRet::Done),
            Some(rival::Outcome::Fail) => out.fail(id),
            _ => out.unknown(id),
        }
    }
    out
}

/// The first `n` operations of `h` (by invocation), with their events.
fn prefix_of(h: &History<KvOp, KvRet>, n: usize) -> History<KvOp, KvRet> {
    let mut events: Vec<(u64, usize, bool)> = Vec::new();
    for (i, o) in h.ops().iter().enumerate().take(n) {
        events.push((o.invoked(), i, true));
        if let Some(t) = o.completed() {
            events.push((t, i, false));
        }
    }
    events.sort_unstable();
    let mut out = History::new();
    let mut ids = vec![None; n];
    for (_, i, invoke) in events {
        let o = &h.ops()[i];
        match (invoke, ids[i], o.outcome()) {
            (true, _, _) => ids[i] = Some(out.invoke(o.client(), *o.op())),
            (false, Some(id), Some(outcome)) => out.complete(id, outcome.clone()),
            _ => unreachable!("a completion follows its invocation"),
        }
    }
    out
}

/// One key of the map, as `consistency_model`'s reference object.
#[derive(Clone, Debug, Default)]
struct Key(Option<u64>);

impl SequentialSpec for Key {
    type Op = KvOp;
    type Ret = KvRet;

    fn invoke(&mut self, op: &KvOp) -> KvRet {
        match *op {
            KvOp::Get(_) => KvRet::Value(self.0),
            KvOp::Put(_, v) => {
                self.0 = Some(v);
                KvRet::Done
            }
            KvOp::Delete(_) => {
                self.0 = None;
                KvRet::Done
            }
        }
    }
}

/// `consistency_model`'s verdict on `h`, one tester per key.
fn published(h: &History<KvOp, KvRet>) -> bool {
    let mut events: Vec<(u64, usize, bool)> = Vec::new();
    for (i, o) in h.ops().iter().enumerate() {
        if o.is_fail() {
            continue;
        }
        events.push((o.invoked(), i, true));
        if let (Some(t), Some(_)) = (o.completed(), o.ret()) {
            events.push((t, i, false));
        }
    }
    events.sort_unstable();
    let mut testers: std::collections::BTreeMap<u64, LinearizabilityTester<usize, Key>> =
        Default::default();
    for (_, i, invoke) in events {
        let o = &h.ops()[i];
        let tester = testers
            .entry(o.op().key())
            .or_insert_with(|| LinearizabilityTester::new(Key::default()));
        // An indefinite operation stays in flight on a thread of its own.
        let thread = if o.is_indefinite() {
            1_000_000 + i
        } else {
            o.client()
        };
        let recorded = match (invoke, o.ret()) {
            (true, _) => tester.on_invoke(thread, *o.op()).map(|_| ()),
            (false, Some(ret)) => tester.on_return(thread, *ret).map(|_| ()),
            (false, None) => Ok(()),
        };
        if let Err(e) = recorded {
            panic!("consistency_model rejected the history: {e}");
        }
    }
    testers.values().all(|t| t.is_consistent())
}

fn checkers(c: &mut Criterion) {
    let workloads = [
        (
            "linearizable_10_keys",
            rival::KvWorkload::default(),
            true,
            &[100, 200, 400, 800][..],
            800,
        ),
        (
            "violation_10_keys",
            rival::KvWorkload {
                stale_reads: 0.05,
                ..rival::KvWorkload::default()
            },
            false,
            &[2_000][..],
            2_000,
        ),
        (
            "linearizable_1_key",
            rival::KvWorkload {
                keys: 1,
                ..rival::KvWorkload::default()
            },
            true,
            &[20, 40, 60, 80][..],
            60,
        ),
    ];
    let mut group = c.benchmark_group("consistency_kv_2000_ops");
    // The published tester takes up to a tenth of a second a run.
    group.sample_size(10);
    for (name, workload, expect_ok, published_sizes, published_bench) in workloads {
        let theirs = rival::kv_history(&workload);
        let ours = convert(&theirs);
        // One plain timed run of each, printed, before criterion's statistics.
        let start = Instant::now();
        let checked = check_linearizable(&KvMap, &ours, STEPS);
        let took = start.elapsed();
        assert_eq!(checked.verdict.is_ok(), expect_ok, "{:?}", checked.verdict);
        assert!(!matches!(checked.verdict, Verdict::Unknown { .. }));
        let start = Instant::now();
        let verdict = rival::check_linearizable(&rival::KvMap::new(), &theirs, STEPS);
        let rival_took = start.elapsed();
        assert_eq!(verdict.is_ok(), expect_ok, "{verdict}");
        println!(
            "{name}: lesson {took:?} ({} steps), kit::history {rival_took:?}",
            checked.steps
        );
        // The published tester, on prefixes it can finish: the first
        // operations of the same history.
        for &n in published_sizes {
            let prefix = prefix_of(&ours, n.min(ours.len()));
            let start = Instant::now();
            let verdict = published(&prefix);
            let took = start.elapsed();
            let start = Instant::now();
            let lesson = check_linearizable(&KvMap, &prefix, STEPS);
            println!(
                "{name}, first {n} operations: consistency_model {took:?} (linearizable: \
                 {verdict}), lesson {:?} ({:?})",
                start.elapsed(),
                lesson.verdict.is_ok()
            );
        }
        group.throughput(Throughput::Elements(ours.len() as u64));
        group.bench_function(format!("{name}/lesson"), |b| {
            b.iter(|| check_linearizable(&KvMap, black_box(&ours), STEPS))
        });
        group.bench_function(format!("{name}/kit_history"), |b| {
            b.iter(|| rival::check_linearizable(&rival::KvMap::new(), black_box(&theirs), STEPS))
        });
        let prefix = prefix_of(&ours, published_bench);
        group.throughput(Throughput::Elements(prefix.len() as u64));
        group.bench_function(format!("{name}/first_{published_bench}/lesson"), |b| {
            b.iter(|| check_linearizable(&KvMap, black_box(&prefix), STEPS))
        });
        group.bench_function(
            format!("{name}/first_{published_bench}/consistency_model"),
            |b| b.iter(|| published(black_box(&prefix))),
        );
    }
    group.finish();
}

criterion_group!(benches, checkers);
criterion_main!(benches);

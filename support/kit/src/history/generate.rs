//! Seeded workloads against an in-memory store, to benchmark the checkers
//! and to test them on histories far larger than a test writes by hand.

use std::collections::BTreeMap;

use super::{ClientId, History, KvOp, KvRet, OpId};
use crate::rng::Rng;

/// The shape of a [`kv_history`] run.
#[derive(Debug, Clone, PartialEq)]
pub struct KvWorkload {
    /// Fixes every decision of the run.
    pub seed: u64,
    /// Operations invoked in all.
    pub ops: usize,
    /// Keys `0..keys`, chosen uniformly.
    pub keys: u64,
    /// Concurrent clients, one operation outstanding each.
    pub clients: usize,
    /// Probability that an operation's request is lost, and again that its
    /// reply is lost: either way it ends `Unknown` (so about twice this
    /// fraction of operations do). A lost request may still be applied
    /// later, or never.
    pub indefinite: f64,
    /// Probability that an operation is refused (`Fail`, no effect).
    pub failures: f64,
    /// Probability that a get is answered from a stale copy (the key's
    /// value before its latest write): a bug, for histories that are not
    /// linearizable.
    pub stale_reads: f64,
    /// Fraction of operations that are deletes (the rest are half gets,
    /// half puts). Puts write unique values.
    pub deletes: f64,
}

impl Default for KvWorkload {
    /// 2,000 operations, 10 keys, 8 clients, about 4% indefinite, 1%
    /// refused, a correct store, no deletes.
    fn default() -> Self {
        Self {
            seed: 1,
            ops: 2_000,
            keys: 10,
            clients: 8,
            indefinite: 0.02,
            failures: 0.01,
            stale_reads: 0.0,
            deletes: 0.0,
        }
    }
}

enum Client {
    Idle,
    /// Invoked; `applied` holds its return value once the store ran it.
    Waiting {
        id: OpId,
        op: KvOp<u64, u64>,
        applied: Option<KvRet<u64>>,
    },
}

/// A history of `workload.clients` clients against one in-memory map that
/// applies each operation atomically at a random moment between its
/// invocation and its completion: linearizable unless `stale_reads > 0`.
/// Clients still waiting when the last operation has been invoked never
/// complete, applied or not.
pub fn kv_history(workload: &KvWorkload) -> History<KvOp<u64, u64>, KvRet<u64>> {
    let mut rng = Rng::new(workload.seed).stream("history::kv_history");
    let mut history = History::new();
    let mut store: BTreeMap<u64, u64> = BTreeMap::new();
    // The value of each key before its latest write, for stale answers.
    let mut previous: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    // Requests whose client gave up, still on their way to the store.
    let mut in_flight: Vec<KvOp<u64, u64>> = Vec::new();
    let mut clients: Vec<Client> = (0..workload.clients.max(1)).map(|_| Client::Idle).collect();
    let mut next_value = 1u64;
    let mut invoked = 0;

    let mut apply = |store: &mut BTreeMap<u64, u64>, op: &KvOp<u64, u64>, rng: &mut Rng| match *op {
        KvOp::Get(k) => {
            if rng.chance(workload.stale_reads)
                && let Some(&stale) = previous.get(&k)
            {
                return KvRet::Value(stale);
            }
            KvRet::Value(store.get(&k).copied())
        }
        KvOp::Put(k, v) => {
            previous.insert(k, store.insert(k, v));
            KvRet::Done
        }
        KvOp::Delete(k) => {
            previous.insert(k, store.remove(&k));
            KvRet::Done
        }
    };

    while invoked < workload.ops {
        if !in_flight.is_empty() && rng.chance(0.05) {
            let late = in_flight.swap_remove(rng.below(in_flight.len() as u64) as usize);
            apply(&mut store, &late, &mut rng);
        }
        let c = rng.below(clients.len() as u64) as usize;
        clients[c] = match std::mem::replace(&mut clients[c], Client::Idle) {
            Client::Idle => {
                let key = rng.below(workload.keys.max(1));
                let op = if rng.chance(workload.deletes) {
                    KvOp::Delete(key)
                } else if rng.chance(0.5) {
                    KvOp::Get(key)
                } else {
                    next_value += 1;
                    KvOp::Put(key, next_value - 1)
                };
                invoked += 1;
                let id = history.invoke(c as ClientId, op.clone());
                Client::Waiting {
                    id,
                    op,
                    applied: None,
                }
            }
            Client::Waiting {
                id,
                op,
                applied: None,
            } => {
                if rng.chance(workload.failures) {
                    history.fail(id);
                    Client::Idle
                } else if rng.chance(workload.indefinite) {
                    history.unknown(id);
                    if rng.chance(0.5) {
                        in_flight.push(op);
                    }
                    Client::Idle
                } else {
                    let ret = apply(&mut store, &op, &mut rng);
                    Client::Waiting {
                        id,
                        op,
                        applied: Some(ret),
                    }
                }
            }
            Client::Waiting {
                id,
                applied: Some(ret),
                ..
            } => {
                if rng.chance(workload.indefinite) {
                    history.unknown(id); // applied, but the reply was lost
                } else {
                    history.ok(id, ret);
                }
                Client::Idle
            }
        };
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_has_the_requested_shape_and_is_replayable() {
        let w = KvWorkload::default();
        let h = kv_history(&w);
        assert_eq!(h.len(), 2_000);
        let clients: std::collections::HashSet<_> = h.ops().iter().map(|o| o.client()).collect();
        assert_eq!(clients.len(), 8);
        let indefinite = h.ops().iter().filter(|o| o.is_indefinite()).count();
        let failed = h.ops().iter().filter(|o| o.is_fail()).count();
        assert!((20..=120).contains(&indefinite), "{indefinite}");
        assert!((5..=60).contains(&failed), "{failed}");
        // Operations overlap: some invocation falls inside another's interval.
        let overlapping = h
            .ops()
            .windows(2)
            .filter(|w| w[0].completed().is_none_or(|c| c > w[1].invoked()))
            .count();
        assert!(overlapping > 1_000, "{overlapping}");
        let again = kv_history(&w);
        let labels = |h: &History<KvOp<u64, u64>, KvRet<u64>>| {
            h.ops()
                .iter()
                .map(|o| {
                    (
                        o.client(),
                        o.op().clone(),
                        o.outcome().cloned(),
                        o.completed(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(labels(&h), labels(&again));
    }
}

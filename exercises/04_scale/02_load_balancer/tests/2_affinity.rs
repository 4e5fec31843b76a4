//! Stage 2: affinity by consistent hashing. The same key (a client's IP
//! address) reaches the same backend; a backend leaving moves only its own
//! keys, and hashing modulo the number of backends is rejected.

use std::collections::{BTreeSet, HashMap};

use load_balancer::{Candidate, ConsistentHash, Policy};

fn ids(ids: &[usize]) -> Vec<Candidate> {
    ids.iter().map(|&id| Candidate::new(id)).collect()
}

/// Client IP addresses as keys: 10.0.x.y.
fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| vec![10, 0, (i / 256) as u8, (i % 256) as u8])
        .collect()
}

fn assign(ring: &mut ConsistentHash, candidates: &[Candidate], keys: &[Vec<u8>]) -> Vec<usize> {
    keys.iter()
        .map(|k| ring.pick(candidates, k).expect("a backend for every key"))
        .collect()
}

#[test]
fn the_same_key_always_reaches_the_same_backend() {
    let mut ring = ConsistentHash::new(100);
    let mut candidates = ids(&[0, 1, 2, 3]);
    let first = ring.pick(&candidates, b"203.0.113.7").expect("a backend");
    for round in 0..50u32 {
        // Load changes nothing: affinity is by key alone.
        for c in &mut candidates {
            c.in_flight = (round * 7 + c.id as u32) % 5;
        }
        assert_eq!(
            ring.pick(&candidates, b"203.0.113.7"),
            Some(first),
            "request {round} of the same client went elsewhere: consistent hashing sends a key \
             to the same backend whatever the load"
        );
    }
    assert_eq!(ring.pick(&[], b"203.0.113.7"), None);
}

#[test]
fn two_balancers_agree_on_every_key() {
    let candidates = ids(&[0, 1, 2, 3, 4]);
    let keys = keys(500);
    let mut one = ConsistentHash::new(50);
    let mut other = ConsistentHash::new(50);
    assert_eq!(
        assign(&mut one, &candidates, &keys),
        assign(&mut other, &candidates, &keys),
        "two rings built the same way must map every key to the same backend (every balancer \
         replica must agree): hash with kit::hash, not a per-process random hasher"
    );
}

#[test]
fn keys_spread_over_the_backends() {
    let candidates = ids(&[0, 1, 2]);
    let keys = keys(3_000);
    let mut ring = ConsistentHash::new(100);
    let mut counts = [0usize; 3];
    for id in assign(&mut ring, &candidates, &keys) {
        counts[id] += 1;
    }
    for (id, &count) in counts.iter().enumerate() {
        assert!(
            (600..=1_400).contains(&count),
            "backend {id} got {count} of 3000 keys (expected about 1000, between 600 and 1400): \
             with 100 virtual nodes each, no backend should get a share far from a third \
             ({counts:?}); one point per backend leaves arcs of very uneven length"
        );
    }
}

#[test]
fn removing_a_backend_moves_only_its_keys() {
    let all = ids(&[0, 1, 2, 3, 4]);
    let without_2 = ids(&[0, 1, 3, 4]);
    let keys = keys(2_000);
    let mut ring = ConsistentHash::new(100);
    let before = assign(&mut ring, &all, &keys);
    let after = assign(&mut ring, &without_2, &keys);
    let mut moved_to = BTreeSet::new();
    for (i, (&b, &a)) in before.iter().zip(&after).enumerate() {
        if b == 2 {
            moved_to.insert(a);
        } else {
            assert_eq!(
                a, b,
                "key {i} was on backend {b}, which is still there, yet moved to {a} when \
                 backend 2 left: only the leaving backend's keys may move (hashing modulo \
                 the number of backends moves most keys)"
            );
        }
    }
    assert!(
        moved_to.len() >= 3,
        "backend 2's keys should spread over the remaining backends (virtual nodes), but all \
         went to {moved_to:?}: one neighbour would take its whole load"
    );
    assert_eq!(
        assign(&mut ring, &all, &keys),
        before,
        "when backend 2 comes back, every key must return to where it was"
    );
}

#[test]
fn adding_a_backend_only_takes_keys_for_itself() {
    let keys = keys(2_000);
    let mut ring = ConsistentHash::new(100);
    let before = assign(&mut ring, &ids(&[0, 1, 2]), &keys);
    // Backend 3 appears for the first time.
    let after = assign(&mut ring, &ids(&[0, 1, 2, 3]), &keys);
    let mut taken = 0;
    for (i, (&b, &a)) in before.iter().zip(&after).enumerate() {
        if a != b {
            assert_eq!(
                a, 3,
                "key {i} moved from {b} to {a} when backend 3 joined: a new backend may only \
                 take keys for itself"
            );
            taken += 1;
        }
    }
    assert!(
        (250..=750).contains(&taken),
        "the new 4th backend took {taken} of 2000 keys; about a quarter (500) is expected"
    );
    let mut fresh = ConsistentHash::new(100);
    assert_eq!(
        assign(&mut fresh, &ids(&[0, 1, 2, 3]), &keys),
        after,
        "the mapping must not depend on the order in which backends were first seen"
    );
}

#[test]
fn the_key_decides_not_the_call_count() {
    // Interleave many keys: a policy that counts calls (round robin in
    // disguise) gives the same key different backends.
    let candidates = ids(&[0, 1, 2]);
    let keys = keys(30);
    let mut ring = ConsistentHash::new(20);
    let mut first: HashMap<&[u8], usize> = HashMap::new();
    for round in 0..5 {
        for k in &keys {
            let id = ring.pick(&candidates, k).expect("a backend");
            let was = *first.entry(k.as_slice()).or_insert(id);
            assert_eq!(
                id, was,
                "round {round}: key {k:?} went to {id}, earlier to {was}"
            );
        }
    }
}

#[test]
#[should_panic(expected = "a consistent-hash ring needs at least one point per backend")]
fn a_ring_without_points_is_refused() {
    let _ = ConsistentHash::new(0);
}

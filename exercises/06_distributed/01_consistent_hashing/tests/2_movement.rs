//! Stage 2: the point of consistent hashing. Changing membership moves only
//! the keys that have to move; `hash % n` would move almost all of them.

use consistent_hashing::HashRing;
use kit::rng::Rng;
use proptest::prelude::*;

const KEYS: usize = 20_000;

fn keys(seed: u64) -> Vec<[u8; 8]> {
    let mut rng = Rng::new(seed);
    (0..KEYS).map(|_| rng.next_u64().to_le_bytes()).collect()
}

fn ring_of(n: usize, vnodes: u32) -> HashRing {
    let mut ring = HashRing::new(vnodes);
    for i in 0..n {
        ring.add_node(&format!("node-{i}"));
    }
    ring
}

fn placement(ring: &HashRing, keys: &[[u8; 8]]) -> Vec<String> {
    keys.iter()
        .map(|k| ring.node_for(k).expect("non-empty ring").to_string())
        .collect()
}

#[test]
fn removing_a_node_moves_exactly_its_keys() {
    let keys = keys(2);
    let mut ring = ring_of(10, 100);
    let before = placement(&ring, &keys);
    assert!(ring.remove_node("node-3"));
    let after = placement(&ring, &keys);
    let mut moved = 0;
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if b == "node-3" {
            moved += 1;
            assert_ne!(a, "node-3", "key {i} still maps to the removed node");
        } else {
            assert_eq!(
                a, b,
                "key {i} moved from {b} to {a} although {b} is still there"
            );
        }
    }
    assert!(
        moved > 0,
        "node-3 owned no keys at all: the ring is not spreading keys"
    );
}

#[test]
fn adding_a_node_moves_only_keys_to_it_about_k_over_n() {
    let keys = keys(3);
    let mut ring = ring_of(10, 160);
    let before = placement(&ring, &keys);
    assert!(ring.add_node("node-new"));
    let after = placement(&ring, &keys);
    let mut moved = 0;
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if a != b {
            moved += 1;
            assert_eq!(
                a, "node-new",
                "key {i} moved from {b} to {a}: a new node may only take keys, never reshuffle others"
            );
        }
    }
    let expected = KEYS / 11;
    assert!(
        moved > expected * 7 / 10 && moved < expected * 13 / 10,
        "adding 1 node to 10 should move about K/11 = {expected} keys, moved {moved} \
         (hash % n would move about 10/11 of all keys)"
    );
}

#[test]
fn remove_then_add_restores_the_same_placement() {
    let keys = keys(4);
    let mut ring = ring_of(8, 64);
    ring.add_node_weighted("heavy", 3);
    let before = placement(&ring, &keys);
    ring.remove_node("node-5");
    ring.remove_node("heavy");
    ring.add_node_weighted("heavy", 3);
    ring.add_node("node-5");
    assert_eq!(
        placement(&ring, &keys),
        before,
        "a node that leaves and comes back must get exactly its old keys back (its points are a function of its name)"
    );
}

#[test]
fn every_client_computes_the_same_placement() {
    let keys = keys(5);
    let a = ring_of(12, 50);
    let mut b = HashRing::new(50);
    for i in (0..12).rev() {
        b.add_node(&format!("node-{i}"));
    }
    assert_eq!(
        placement(&a, &keys),
        placement(&b, &keys),
        "two clients that learned the members in different orders must agree on every key"
    );
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 48,
        rng_seed: proptest::test_runner::RngSeed::Fixed(207),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn membership_changes_move_only_what_they_must(
        n in 2usize..8,
        vnodes in 1u32..40,
        victim in 0usize..8,
        seed in any::<u64>(),
    ) {
        let victim = format!("node-{}", victim % n);
        let mut rng = Rng::new(seed);
        let keys: Vec<[u8; 8]> = (0..200).map(|_| rng.next_u64().to_le_bytes()).collect();
        let mut ring = ring_of(n, vnodes);
        let before = placement(&ring, &keys);
        ring.remove_node(&victim);
        let after = placement(&ring, &keys);
        for (b, a) in before.iter().zip(&after) {
            prop_assert!(b == &victim || a == b, "only the removed node's keys may move");
            prop_assert!(a != &victim);
        }
        ring.add_node(&victim);
        prop_assert_eq!(placement(&ring, &keys), before, "re-adding must restore the placement");
    }
}

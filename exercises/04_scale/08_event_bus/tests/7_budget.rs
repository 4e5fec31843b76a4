//! Stage 7 (counted efficiency): partitions moved per rebalance, and
//! events published per relay.
//!
//! - A rebalance moves exactly the fewest partitions that leave the group
//!   balanced: a partition moves only if its owner left or holds more than
//!   its share. Each move costs a pause, a commit and a re-read of the
//!   uncommitted tail; an eager assignor (revoke everything, deal the
//!   partitions out again by `p % members`) moves most of them on every join.
//! - The relay publishes each outbox event exactly once when nothing
//!   crashes, nothing at all on an empty outbox, and after a crash re-
//!   publishes at most the one batch that was in flight: it re-publishes
//!   what is unpublished, never the whole history.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use event_bus::{Group, MemberId, Orders};
use proptest::prelude::*;

use crate::common::{Shared, TestBus, TestDb, When, World, orders, owners, payload, run_outbox};

/// The fewest partitions that must change hands to go from the table
/// `before` to a balanced one over `members`: each member keeps at most
/// its target, and the ⌈P/M⌉ targets go to the members that own the most.
fn fewest_moves(before: &[Option<MemberId>], members: &[MemberId]) -> usize {
    let p = before.len();
    if members.is_empty() {
        return before.iter().filter(|o| o.is_some()).count();
    }
    let (share, extra) = (p / members.len(), p % members.len());
    let mut owned: Vec<usize> = members
        .iter()
        .map(|&m| before.iter().filter(|&&o| o == Some(m)).count())
        .collect();
    owned.sort_unstable_by(|a, b| b.cmp(a));
    let kept: usize = owned
        .iter()
        .enumerate()
        .map(|(i, &o)| o.min(share + usize::from(i < extra)))
        .sum();
    p - kept
}

#[test]
fn each_join_moves_only_the_new_members_share() {
    let mut group = Group::new(12);
    let mut counts = Vec::new();
    for m in 0..4 {
        counts.push(group.join(m).len());
    }
    assert_eq!(
        counts,
        [12, 6, 4, 3],
        "12 partitions, members joining one by one: each newcomer takes its share (12/2, \
         12/3, 12/4) and nothing else moves; an eager p % members assignment moves 6, 8 \
         and 9"
    );
    let moves = group.leave(1);
    assert_eq!(
        moves.len(),
        3,
        "a leaver's 3 partitions move, one to each of the 3 others, and no other partition: \
         {moves:?}"
    );
    assert!(moves.iter().all(|m| m.from == Some(1)));
}

#[test]
fn a_join_to_a_big_group_moves_a_small_fraction() {
    let mut group = Group::new(64);
    for m in 0..8 {
        group.join(m);
    }
    let moves = group.join(8).len();
    assert_eq!(
        moves, 7,
        "64 partitions, 8 -> 9 members: the newcomer takes 64/9 = 7, which is all that moves \
         (an eager assignor moves about 8/9 of 64)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(87),
        failure_persistence: None,
        cases: 256,
        ..ProptestConfig::default()
    })]

    /// After every join and leave of a random history, the number of moves
    /// is exactly the fewest a balanced table allows.
    #[test]
    fn every_rebalance_moves_the_fewest_partitions(
        partitions in 1u32..25,
        ops in proptest::collection::vec((any::<bool>(), 0u32..7), 1..40),
    ) {
        let mut group = Group::new(partitions);
        for (join, m) in ops {
            let before = owners(&group);
            let moves = if join { group.join(m) } else { group.leave(m) };
            let want = fewest_moves(&before, &group.members());
            prop_assert_eq!(
                moves.len(),
                want,
                "{}({}) over {} partitions, members now {:?}, table before {:?}",
                if join { "join" } else { "leave" },
                m,
                partitions,
                group.members(),
                before
            );
        }
    }
}

#[test]
fn the_relay_publishes_each_event_once_without_crashes() {
    let workload = orders(40, 5);
    let run = run_outbox(&workload, 10, 4, &[]);
    assert_eq!(
        run.world.publishes, 40,
        "40 orders, no crash: 40 publishes (the relay must publish only what is still in the \
         outbox, not everything each time)"
    );
}

#[test]
fn a_relay_over_an_empty_outbox_publishes_nothing() {
    let world: Shared = Rc::new(RefCell::new(World::default()));
    let mut svc = Orders::new(TestDb(Rc::clone(&world)), TestBus(Rc::clone(&world)));
    for (id, key) in orders(3, 2) {
        svc.place(id, &key, &payload(id)).expect("no crash");
    }
    assert_eq!(svc.relay(8), Ok(3));
    let (publishes, marks) = (world.borrow().publishes, world.borrow().marks);
    assert_eq!(publishes, 3);
    assert_eq!(svc.relay(8), Ok(0));
    assert_eq!(svc.relay_once(8), Ok(0));
    let w = world.borrow();
    assert_eq!(
        (w.publishes, w.marks),
        (publishes, marks),
        "relaying an empty outbox publishes nothing and marks nothing"
    );
}

#[test]
fn after_a_crash_the_relay_republishes_at_most_one_batch() {
    let workload = orders(20, 3);
    let batch = 4;
    let steps = run_outbox(&workload, 5, batch, &[]).world.steps;
    for step in 0..steps {
        for when in [When::Before, When::After] {
            let run = run_outbox(&workload, 5, batch, &[(step, when)]);
            let distinct = run
                .world
                .published
                .iter()
                .map(|e| e.id)
                .collect::<BTreeSet<_>>()
                .len();
            let extra = run.world.publishes - distinct;
            assert!(
                extra <= batch,
                "a crash at step {step} ({when:?}) cost {extra} extra publishes; at most the \
                 one batch in flight ({batch}) may go out twice"
            );
        }
    }
}

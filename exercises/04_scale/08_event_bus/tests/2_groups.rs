//! Stage 2: consumer groups. The coordinator gives every partition to
//! exactly one member, balanced, and rebalances on join and leave, reporting
//! exactly the partitions that changed hands; a consumer reads only what it
//! is assigned. Two members reading one partition (a join that adds the new
//! member without taking the partition from its old owner, or a consumer
//! that keeps reading a revoked partition) fails here.

use std::collections::{BTreeMap, BTreeSet};

use event_bus::{Consumer, Group, MemberId, Move, OffsetStore};
use proptest::prelude::*;

use crate::common::{TestOffsets, owners, topic_with};

/// Every rule of a group's table, with the moves `moves` that led from
/// `before` to it; `Err` says which broke.
fn check(group: &Group, before: &[Option<MemberId>], moves: &[Move]) -> Result<(), String> {
    let members = group.members();
    let after = owners(group);
    let p = after.len();
    for (part, owner) in after.iter().enumerate() {
        match owner {
            None if !members.is_empty() => {
                return Err(format!(
                    "partition {part} has no owner although the group has members {members:?}: \
                     its records would pile up unread"
                ));
            }
            Some(o) if !members.contains(o) => {
                return Err(format!(
                    "partition {part} is owned by {o}, who is not a member ({members:?})"
                ));
            }
            _ => {}
        }
    }
    let mut seen = BTreeMap::new();
    for &m in &members {
        let assigned = group.assignment(m);
        let want: Vec<u32> = (0..p as u32)
            .filter(|&q| after[q as usize] == Some(m))
            .collect();
        if assigned != want {
            return Err(format!(
                "assignment({m}) is {assigned:?} but owner() says {want:?}"
            ));
        }
        for q in assigned {
            if let Some(other) = seen.insert(q, m) {
                return Err(format!(
                    "partition {q} is assigned to both {other} and {m}: two members of one \
                     group would process its records twice and out of order"
                ));
            }
        }
    }
    if !members.is_empty() {
        let (share, extra) = (p / members.len(), p % members.len());
        for &m in &members {
            let n = group.assignment(m).len();
            if n != share && !(extra > 0 && n == share + 1) {
                return Err(format!(
                    "member {m} owns {n} of {p} partitions among {} members; balanced is \
                     {share} or {}",
                    members.len(),
                    share + usize::from(extra > 0)
                ));
            }
        }
    }
    let want: Vec<Move> = (0u32..)
        .zip(before.iter().zip(&after))
        .filter(|(_, (a, b))| a != b)
        .map(|(partition, (&from, &to))| Move {
            partition,
            from,
            to,
        })
        .collect();
    if moves != want {
        return Err(format!(
            "the rebalance reported {moves:?}, but the partitions that changed hands are \
             {want:?}: consumers act on the moves, so they must be exact"
        ));
    }
    Ok(())
}

#[test]
fn a_new_group_has_no_members_and_no_owners() {
    let group = Group::new(4);
    assert_eq!(group.partitions(), 4);
    assert!(group.members().is_empty());
    assert_eq!(group.generation(), 0);
    assert_eq!(owners(&group), [None; 4]);
    assert!(group.assignment(1).is_empty());
    assert_eq!(
        group.owner(9),
        None,
        "a partition that does not exist has no owner"
    );
}

#[test]
fn the_first_member_takes_every_partition() {
    let mut group = Group::new(3);
    let moves = group.join(7);
    assert_eq!(
        moves,
        (0..3)
            .map(|p| Move {
                partition: p,
                from: None,
                to: Some(7)
            })
            .collect::<Vec<_>>(),
        "the only member owns everything"
    );
    assert_eq!(group.assignment(7), [0, 1, 2]);
    assert_eq!(group.members(), [7]);
    assert_eq!(group.generation(), 1);
}

#[test]
fn joining_twice_or_leaving_as_a_stranger_changes_nothing() {
    let mut group = Group::new(4);
    group.join(1);
    group.join(2);
    let table = owners(&group);
    assert!(
        group.join(2).is_empty(),
        "a member that joins again moves nothing"
    );
    assert!(
        group.leave(5).is_empty(),
        "a stranger that leaves moves nothing"
    );
    assert_eq!(owners(&group), table);
    assert_eq!(group.generation(), 2, "a no-op is not a new generation");
}

#[test]
fn joins_spread_the_partitions_evenly() {
    let mut group = Group::new(10);
    for m in [4, 1, 9] {
        let before = owners(&group);
        let moves = group.join(m);
        check(&group, &before, &moves).unwrap_or_else(|e| panic!("after join({m}): {e}"));
    }
    assert_eq!(
        group.members(),
        [1, 4, 9],
        "members are listed in ascending order"
    );
    let mut sizes: Vec<usize> = [1, 4, 9]
        .iter()
        .map(|&m| group.assignment(m).len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [3, 3, 4], "10 partitions over 3 members: 3, 3 and 4");
    assert_eq!(group.generation(), 3);
}

#[test]
fn members_beyond_the_partition_count_stand_by() {
    let mut group = Group::new(3);
    for m in 0..5 {
        let before = owners(&group);
        let moves = group.join(m);
        check(&group, &before, &moves).unwrap_or_else(|e| panic!("after join({m}): {e}"));
    }
    let idle = (0..5).filter(|&m| group.assignment(m).is_empty()).count();
    assert_eq!(idle, 2, "3 partitions, 5 members: 2 members own nothing");
}

#[test]
fn a_leaving_member_hands_its_partitions_to_the_others() {
    let mut group = Group::new(6);
    for m in 0..3 {
        group.join(m);
    }
    let theirs = group.assignment(1);
    let before = owners(&group);
    let moves = group.leave(1);
    check(&group, &before, &moves).unwrap_or_else(|e| panic!("after leave(1): {e}"));
    assert!(
        group.assignment(1).is_empty(),
        "a member that left owns nothing"
    );
    for p in theirs {
        assert!(
            moves
                .iter()
                .any(|m| m.partition == p && m.from == Some(1) && m.to.is_some()),
            "partition {p} of the leaver must move to a member: {moves:?}"
        );
    }
    assert_eq!(group.members(), [0, 2]);
}

#[test]
fn when_the_last_member_leaves_nobody_owns_anything() {
    let mut group = Group::new(2);
    group.join(3);
    let moves = group.leave(3);
    assert_eq!(
        moves,
        [
            Move {
                partition: 0,
                from: Some(3),
                to: None
            },
            Move {
                partition: 1,
                from: Some(3),
                to: None
            }
        ]
    );
    assert_eq!(owners(&group), [None, None]);
    assert_eq!(group.generation(), 2);
}

// -------------------------------------------------------------- Consumer

#[test]
fn a_new_consumer_reads_nothing() {
    let topic = topic_with(2, 10, 3);
    let mut c = Consumer::new();
    assert!(c.assigned().is_empty());
    assert!(
        c.poll(&topic, 10).is_empty(),
        "a consumer with no partitions reads nothing"
    );
}

#[test]
fn an_assigned_partition_starts_at_its_committed_offset_or_at_zero() {
    let mut offsets = TestOffsets::default();
    offsets.commit(1, 4);
    let mut c = Consumer::new();
    c.assign(&[2, 1, 2], &offsets);
    assert_eq!(
        c.assigned(),
        [1, 2],
        "assigned partitions, ascending, each once"
    );
    assert_eq!(c.position(1), Some(4), "partition 1 resumes at its commit");
    assert_eq!(
        c.position(2),
        Some(0),
        "a partition never committed starts at the beginning"
    );
    assert_eq!(c.position(0), None, "partition 0 is not this consumer's");
}

#[test]
fn poll_reads_up_to_max_from_each_partition_and_moves_on() {
    let topic = topic_with(3, 60, 9);
    let offsets = TestOffsets::default();
    let mut c = Consumer::new();
    c.assign(&[0, 2], &offsets);
    let got = c.poll(&topic, 3);
    let at: Vec<(u32, u64)> = got.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(
        at,
        [(0, 0), (0, 1), (0, 2), (2, 0), (2, 1), (2, 2)],
        "poll takes up to 3 from each assigned partition, partitions ascending, offsets in order"
    );
    for r in &got {
        assert_eq!(&topic.read(r.partition, r.offset, 1)[0], r);
    }
    assert_eq!(c.position(0), Some(3));
    let next = c.poll(&topic, 1);
    assert_eq!(
        next.iter()
            .map(|r| (r.partition, r.offset))
            .collect::<Vec<_>>(),
        [(0, 3), (2, 3)],
        "the next poll continues where the last one stopped"
    );
    assert_eq!(offsets.commits, 0, "polling commits nothing");
}

#[test]
fn a_reassigned_consumer_keeps_its_place_and_drops_what_it_lost() {
    let topic = topic_with(3, 60, 9);
    let mut offsets = TestOffsets::default();
    let mut c = Consumer::new();
    c.assign(&[0, 1], &offsets);
    c.poll(&topic, 5);
    offsets.commit(0, 2); // someone committed partition 0 behind our position
    offsets.commit(2, 3);
    c.assign(&[0, 2], &offsets);
    assert_eq!(
        c.position(0),
        Some(5),
        "a partition kept across a rebalance keeps its in-memory position: re-reading from \
         the commit would redeliver what this consumer already read"
    );
    assert_eq!(
        c.position(2),
        Some(3),
        "a new partition starts at its commit"
    );
    assert_eq!(c.position(1), None);
    let got = c.poll(&topic, 100);
    assert!(
        got.iter().all(|r| r.partition != 1),
        "partition 1 was revoked: reading it now means two members of the group read it"
    );
}

#[test]
fn commit_writes_every_assigned_position() {
    let topic = topic_with(2, 20, 5);
    let mut offsets = TestOffsets::default();
    let mut c = Consumer::new();
    c.assign(&[0, 1], &offsets);
    let got = c.poll(&topic, 3);
    assert!(got.len() >= 3);
    c.commit(&mut offsets);
    for p in [0, 1] {
        assert_eq!(
            offsets.committed(p),
            c.position(p),
            "the committed offset of partition {p} is the next offset to read"
        );
    }
}

/// Members join and leave while every member keeps polling; each record
/// any member reads comes from a partition the group gave it.
#[test]
fn no_two_members_ever_read_one_partition() {
    let topic = topic_with(6, 600, 40);
    let offsets = TestOffsets::default();
    let mut group = Group::new(6);
    let mut consumers: BTreeMap<MemberId, Consumer> = BTreeMap::new();
    let script: &[(bool, MemberId)] = &[
        (true, 0),
        (true, 1),
        (true, 2),
        (false, 1),
        (true, 3),
        (true, 4),
        (false, 0),
        (true, 1),
    ];
    for &(join, m) in script {
        if join {
            group.join(m);
            consumers.insert(m, Consumer::new());
        } else {
            group.leave(m);
            consumers.remove(&m);
        }
        for (&id, c) in &mut consumers {
            c.assign(&group.assignment(id), &offsets);
        }
        let mut readers: BTreeMap<u32, BTreeSet<MemberId>> = BTreeMap::new();
        for (&id, c) in &mut consumers {
            for r in c.poll(&topic, 4) {
                assert_eq!(
                    group.owner(r.partition),
                    Some(id),
                    "member {id} read partition {} at generation {}, which the group gave to \
                     {:?}",
                    r.partition,
                    group.generation(),
                    group.owner(r.partition)
                );
                readers.entry(r.partition).or_default().insert(id);
            }
        }
        for (p, who) in readers {
            assert_eq!(
                who.len(),
                1,
                "partition {p} was read by members {who:?} in one generation: each partition \
                 belongs to exactly one member of a group"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(82),
        failure_persistence: None,
        cases: 256,
        ..ProptestConfig::default()
    })]

    /// Every rule after every join and leave of a random membership history.
    #[test]
    fn every_rebalance_keeps_the_rules(
        partitions in 1u32..20,
        ops in proptest::collection::vec((any::<bool>(), 0u32..8), 1..40),
    ) {
        let mut group = Group::new(partitions);
        let mut model: BTreeSet<MemberId> = BTreeSet::new();
        let mut generation = 0;
        for (join, m) in ops {
            let before = owners(&group);
            let moves = if join { group.join(m) } else { group.leave(m) };
            let changed = if join { model.insert(m) } else { model.remove(&m) };
            generation += u64::from(changed);
            if let Err(e) = check(&group, &before, &moves) {
                return Err(TestCaseError::fail(format!(
                    "after {}({m}): {e}", if join { "join" } else { "leave" }
                )));
            }
            prop_assert_eq!(group.members(), model.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(group.generation(), generation);
        }
    }
}

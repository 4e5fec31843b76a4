//! Stage 4: rejoin, counted. The shared prefix of two logs from their
//! histories; the store's compaction, rewind and snapshot; the primary's
//! choice between a catch-up and a full copy. Then scenarios on in-order
//! links, counted from the messages the harness hands the network: a
//! restarted old primary catches up from the log with no full copy and
//! each missing entry shipped once; a paused one rewinds the write the new
//! primary never had; a full copy is taken exactly once, and only when the
//! log it needs was compacted away; an attached standby's entries are kept
//! for it. Both copies end byte-identical.

use crate::common::*;

// ------------------------------------------------------------ shared prefix

#[test]
fn identical_histories_share_the_shorter_log() {
    let h = [start(1, 1), start(2, 4)];
    assert_eq!(shared_prefix(&h, 6, &h, 6), 6);
    assert_eq!(shared_prefix(&h, 6, &h, 4), 4);
    assert_eq!(shared_prefix(&[start(1, 1)], 9, &[start(1, 1)], 4), 4);
    assert_eq!(
        shared_prefix(&[], 0, &h, 6),
        0,
        "an empty log shares nothing"
    );
}

#[test]
fn logs_part_where_their_tokens_first_differ() {
    // The old primary wrote LSNs 1..=7 with token 1; the new primary took
    // over at LSN 5 and wrote 6..=9 with token 2.
    let old = [start(1, 1)];
    let new = [start(1, 1), start(2, 6)];
    assert_eq!(
        shared_prefix(&old, 7, &new, 9),
        5,
        "LSN 6 is token 1 in one log, token 2 in the other: the logs share 1..=5"
    );
    assert_eq!(shared_prefix(&new, 9, &old, 7), 5, "either way round");
}

#[test]
fn a_divergence_can_hide_behind_a_later_epoch() {
    // This log kept token 1 up to LSN 2, then took 3..=5 from a primary of
    // token 2 whose branch was lost; the other has token 1 up to LSN 4,
    // then token 3.
    let a = [start(1, 1), start(2, 3)];
    let b = [start(1, 1), start(3, 5)];
    assert_eq!(
        shared_prefix(&a, 5, &b, 6),
        2,
        "LSN 3 is token 2 here, token 1 there: comparing only the last tokens, or only where \
         the newest epoch begins, would keep the dead entries at 3 and 4"
    );
    assert_eq!(
        shared_prefix(&[start(2, 1)], 2, &[start(1, 1), start(3, 2)], 3),
        0,
        "LSN 1 already differs"
    );
}

// ------------------------------------------------------------ the store

#[test]
fn compaction_folds_old_entries_into_the_snapshot() {
    let mut s = store_of_tokens(&[1, 1, 2, 2, 2]);
    let bytes = s.to_bytes();
    let history = s.history().to_vec();
    s.compact(10);
    assert_eq!(s.base_lsn(), 0, "fewer than 10 entries: nothing to fold");
    s.compact(2);
    assert_eq!(s.base_lsn(), 3);
    assert_eq!(s.entries(), &entries_of_tokens(&[1, 1, 2, 2, 2])[3..]);
    assert_eq!(s.last_lsn(), 5);
    assert_eq!(s.history(), &history[..], "the history is kept whole");
    for k in 1..=5 {
        assert_eq!(s.get(k), Some(100 * k + if k <= 2 { 1 } else { 2 }));
    }
    assert_eq!(s.to_bytes(), bytes, "compaction changes no data");
    s.compact(0);
    assert_eq!((s.base_lsn(), s.last_lsn(), s.last_token()), (5, 5, 2));
    assert!(s.entries().is_empty());
    assert_eq!(s.to_bytes(), bytes);
}

#[test]
fn entries_after_says_when_they_are_gone() {
    let mut s = store_of_tokens(&[1, 1, 1, 1, 1]);
    s.compact(2);
    assert_eq!(
        s.entries_after(2),
        None,
        "LSN 3 was folded into the snapshot"
    );
    assert_eq!(
        s.entries_after(3)
            .map(|e| e.iter().map(|e| e.lsn).collect::<Vec<_>>()),
        Some(vec![4, 5])
    );
    assert_eq!(s.entries_after(4).map(<[Entry]>::len), Some(1));
    assert_eq!(s.entries_after(5), Some(&[][..]));
    assert_eq!(s.entries_after(9), Some(&[][..]));
}

#[test]
fn truncate_after_rewinds_the_log_and_its_history() {
    let mut s = store_of_tokens(&[1, 1, 2, 2, 3]);
    s.truncate_after(3).unwrap();
    assert_eq!(s.last_lsn(), 3);
    assert_eq!(s.last_token(), 2);
    assert_eq!(s.history(), &[start(1, 1), start(2, 3)]);
    assert_eq!(s.get(4), None);
    assert_eq!(s.newest_token(), 3, "the newest token seen stays seen");
    s.truncate_after(9).unwrap();
    assert_eq!(s.last_lsn(), 3, "nothing after 9 to cut");
    let mut c = store_of_tokens(&[1, 1, 1, 1]);
    c.compact(1);
    let before = c.clone();
    assert_eq!(
        c.truncate_after(2),
        Err(StoreError::Compacted { base: 3 }),
        "LSN 3 is in the snapshot: a rewind cannot reach behind it (pg_rewind needs the WAL \
         from the fork point)"
    );
    assert_eq!(c, before);
    assert_eq!(c.truncate_after(3), Ok(()));
    assert_eq!(c.last_lsn(), 3);
}

#[test]
fn a_snapshot_makes_an_identical_store() {
    let mut s = store_of_tokens(&[1, 1, 2, 2]);
    s.compact(1);
    let snap = s.snapshot();
    assert_eq!((snap.lsn, snap.token), (4, 2));
    assert_eq!(snap.data.len(), 4);
    assert_eq!(snap.history, s.history());
    let mut t = Store::from_snapshot(snap.clone());
    assert_eq!(t.to_bytes(), s.to_bytes(), "a full copy is byte-identical");
    assert_eq!((t.base_lsn(), t.last_lsn(), t.last_token()), (4, 4, 2));
    assert_eq!(t.newest_token(), 2);
    assert!(t.entries().is_empty());
    assert_eq!(t.history(), s.history());
    assert_eq!(
        t.append(2, &[entry(2, 5, 9, 9)]),
        Ok(1),
        "and continues the log"
    );
}

// ------------------------------------------------------------ the plan

#[test]
fn the_primary_catches_up_what_it_still_has_and_copies_the_rest() {
    let mut primary = store_of_tokens(&[1, 1, 1, 2, 2]);
    let theirs = [start(1, 1)];
    assert_eq!(
        plan_rejoin(&primary, &theirs, 4, 0),
        RejoinPlan::CatchUp { after: 3 },
        "they share LSNs 1..=3; LSN 4 is token 2 here, token 1 there"
    );
    assert_eq!(
        plan_rejoin(&primary, &theirs, 4, 4),
        RejoinPlan::FullCopy,
        "their own log is compacted up to LSN 4: they cannot cut it at 3"
    );
    primary.compact(2);
    assert_eq!(primary.base_lsn(), 3);
    assert_eq!(
        plan_rejoin(&primary, &theirs, 4, 0),
        RejoinPlan::CatchUp { after: 3 },
        "the primary still has everything after LSN 3"
    );
    primary.compact(1);
    assert_eq!(
        plan_rejoin(&primary, &theirs, 4, 0),
        RejoinPlan::FullCopy,
        "LSN 4 was compacted away: nothing to stream from, a full copy it is"
    );
}

// ------------------------------------------------------------ the servers

/// Server 1 with `log`, promoted with `token` at tick 2, its outbox drained.
fn primary_with_log(log: Store, token: Token) -> Server {
    let mut s = Server::new(config(1), log, 0);
    s.tick(1);
    s.step(2, LOCK, Message::Granted { token, sent_at: 1 });
    let _ = s.ready();
    s
}

#[test]
fn a_primary_answers_a_rejoin_with_a_catch_up_and_then_streams() {
    let mut p = primary_with_log(store_of_tokens(&[1, 1, 1]), 2);
    p.write(3, 40, 4000).unwrap();
    p.write(3, 50, 5000).unwrap();
    let _ = p.ready();
    p.step(
        4,
        2,
        Message::Rejoin {
            history: vec![start(1, 1)],
            last: 5,
            base: 0,
        },
    );
    assert_eq!(
        p.ready().messages,
        vec![(2, Message::CatchUp { token: 2, after: 3 })],
        "the old primary's LSNs 4 and 5 are its own token-1 writes: cut after 3"
    );
    assert!(p.has_standby());
    p.tick(5);
    assert_eq!(
        p.ready().messages,
        vec![(
            2,
            Message::Append {
                token: 2,
                entries: vec![entry(2, 4, 40, 4000), entry(2, 5, 50, 5000)]
            }
        )],
        "the stream continues after the shared prefix"
    );
}

#[test]
fn a_primary_without_the_log_sends_a_full_copy() {
    let mut log = store_of_tokens(&[1, 1, 1, 1]);
    log.compact(1);
    let mut p = primary_with_log(log, 2);
    p.step(
        3,
        2,
        Message::Rejoin {
            history: vec![start(1, 1)],
            last: 1,
            base: 0,
        },
    );
    let snapshot = p.store().snapshot();
    assert_eq!(
        p.ready().messages,
        vec![(2, Message::FullCopy { token: 2, snapshot })]
    );
    assert!(p.has_standby());
}

#[test]
fn a_rejoining_server_rewinds_then_streams() {
    let mut s = Server::new(config(2), store_of_tokens(&[1, 1, 1, 1, 1]), 0);
    s.step(
        1,
        1,
        Message::Append {
            token: 2,
            entries: Vec::new(),
        },
    );
    assert_eq!(
        s.ready().messages,
        vec![(
            1,
            Message::Rejoin {
                history: vec![start(1, 1)],
                last: 5,
                base: 0
            }
        )]
    );
    s.step(2, 1, Message::CatchUp { token: 2, after: 3 });
    assert_eq!(s.store().last_lsn(), 3, "cut after the shared prefix");
    assert!(s.is_synced());
    assert_eq!(
        s.ready().messages,
        vec![(1, Message::Ack { token: 2, lsn: 3 })]
    );
    let new = [entry(2, 4, 40, 4000), entry(2, 5, 50, 5000)];
    s.step(
        3,
        1,
        Message::Append {
            token: 2,
            entries: new.to_vec(),
        },
    );
    assert_eq!(s.store().last_lsn(), 5);
    s.step(4, 1, Message::CatchUp { token: 2, after: 1 });
    assert_eq!(
        s.store().last_lsn(),
        5,
        "a late duplicate answer to the same rejoin must not cut entries that were \
         acknowledged since"
    );
    assert_eq!(s.store().get(40), Some(4000));
}

#[test]
fn a_standby_compacts_to_keep_log() {
    let c = Config {
        keep_log: 2,
        ..config(2)
    };
    let mut s = Server::new(c, Store::new(), 0);
    s.step(
        1,
        1,
        Message::Append {
            token: 1,
            entries: Vec::new(),
        },
    );
    s.step(2, 1, Message::CatchUp { token: 1, after: 0 });
    s.step(
        3,
        1,
        Message::Append {
            token: 1,
            entries: entries_of_tokens(&[1, 1, 1, 1, 1]),
        },
    );
    assert_eq!(s.store().last_lsn(), 5);
    assert_eq!(
        (s.store().base_lsn(), s.store().entries().len()),
        (3, 2),
        "after each Append a standby compacts to keep_log entries"
    );
}

#[test]
fn a_rejoining_server_takes_a_full_copy() {
    let mut s = Server::new(config(2), store_of_tokens(&[1, 1, 1]), 0);
    s.step(
        1,
        1,
        Message::Append {
            token: 2,
            entries: Vec::new(),
        },
    );
    let _ = s.ready();
    let mut theirs = store_of_tokens(&[1, 1, 2, 2, 2, 2]);
    theirs.compact(1);
    let snapshot = theirs.snapshot();
    s.step(
        2,
        1,
        Message::FullCopy {
            token: 2,
            snapshot: snapshot.clone(),
        },
    );
    assert!(s.is_synced());
    assert_eq!(s.store().to_bytes(), theirs.to_bytes(), "byte-identical");
    assert_eq!(s.store().history(), theirs.history());
    assert_eq!(s.store().newest_token(), 2);
    assert_eq!(
        s.ready().messages,
        vec![(1, Message::Ack { token: 2, lsn: 6 })]
    );
    let copy = s.store().clone();
    s.step(
        3,
        1,
        Message::FullCopy {
            token: 2,
            snapshot: Store::new().snapshot(),
        },
    );
    assert_eq!(
        s.store(),
        &copy,
        "a second answer to the same rejoin is ignored"
    );
}

#[test]
fn an_answer_with_an_old_token_is_stale() {
    let mut s = Server::new(config(2), Store::new(), 0);
    s.step(
        1,
        1,
        Message::Append {
            token: 3,
            entries: Vec::new(),
        },
    );
    let _ = s.ready();
    s.step(2, 1, Message::CatchUp { token: 2, after: 0 });
    assert!(!s.is_synced());
    assert_eq!(s.ready().messages, vec![(1, Message::Stale { newest: 3 })]);
    s.step(
        3,
        1,
        Message::FullCopy {
            token: 2,
            snapshot: Store::new().snapshot(),
        },
    );
    assert!(!s.is_synced());
    assert_eq!(
        s.ready().messages,
        vec![(1, Message::Stale { newest: 3 })],
        "a full copy with an old token is stale too"
    );
}

// ------------------------------------------------------------ scenarios

fn write_for(c: &mut Cluster, first_key: Key, ticks: u64) {
    for k in 0..ticks {
        c.write_on_primary(first_key + k);
        c.tick();
    }
}

/// Converged on in-order links, 20 writes, then the primary crashes and the
/// standby takes over. Returns the old primary.
fn crash_and_fail_over(c: &mut Cluster) -> NodeId {
    c.converge();
    c.net.set_links(in_order());
    write_for(c, 0, 20);
    c.run(10);
    let old = c.primary().expect("a primary");
    c.crash(old);
    c.run_until(200, "the standby takes over", |c| {
        c.primary() == Some(other(old))
    });
    old
}

#[test]
fn a_restarted_old_primary_catches_up_from_the_log() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        let old = crash_and_fail_over(&mut c);
        let new = other(old);
        write_for(&mut c, 100, 40);
        c.run(5);
        let missing = c.server(new).store().last_lsn() - c.disk(old).last_lsn();
        let before = c.wire.clone();
        c.restart(old);
        c.converge();
        let copies = c.wire.full_copies - before.full_copies;
        if copies > 0 {
            c.net.fail(&format!(
                "{copies} full copies for an old primary whose log is a prefix of the new \
                 primary's, which still has everything after it: a catch-up from the log ships \
                 {missing} entries, a full copy the whole database"
            ));
        }
        assert!(
            c.wire.catch_ups > before.catch_ups,
            "it rejoined with a catch-up"
        );
        let shipped = c.wire.entries_to(old) - before.entries_to(old);
        if shipped > missing + missing / 20 {
            c.net.fail(&format!(
                "{shipped} entries shipped to the rejoining node, which missed {missing}: on \
                 in-order links each missing entry travels once (the catch-up starts after the \
                 shared prefix, not from LSN 0)"
            ));
        }
        assert!(shipped >= missing, "everything missing was shipped");
        assert_eq!(
            c.server(old).store().to_bytes(),
            c.server(new).store().to_bytes()
        );
        c.check_stores();
    });
}

#[test]
fn a_paused_old_primary_rewinds_what_the_new_one_never_had() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        c.net.set_links(in_order());
        write_for(&mut c, 0, 10);
        c.run(10);
        let old = c.primary().expect("a primary");
        let new = other(old);
        let (lsn, value) = c.write(old, 99).expect("the primary takes the write");
        c.pause_when_shipping(old, value);
        c.run_until(10, "the primary ships the write", |c| c.is_paused(old));
        c.run_until(200, "the standby takes over", |c| c.primary() == Some(new));
        write_for(&mut c, 200, 10);
        let before = c.wire.clone();
        c.resume(old);
        c.converge();
        assert_eq!(
            c.wire.full_copies,
            before.full_copies,
            "the old primary's log differs only after LSN {}: rewind and catch up, no full copy",
            lsn - 1
        );
        let (o, n) = (c.server(old).store(), c.server(new).store());
        assert_eq!(
            o.get(99),
            None,
            "the old primary's own write at LSN {lsn} (token 1) was never on the new primary: \
             a catch-up that replays from the old primary's last LSN instead of from the shared \
             prefix keeps it, and the copies diverge"
        );
        assert_eq!(o.history(), n.history());
        assert_eq!(o.to_bytes(), n.to_bytes());
        c.check_stores();
    });
}

#[test]
fn a_compacted_log_forces_exactly_one_full_copy() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::with_config(seed, |cfg| cfg.keep_log = 16);
        let old = crash_and_fail_over(&mut c);
        let new = other(old);
        write_for(&mut c, 100, 60);
        c.run(5);
        assert!(
            c.server(new).store().base_lsn() > c.disk(old).last_lsn(),
            "keep_log = 16: the new primary, alone, compacted past what the old one has"
        );
        let before = c.wire.clone();
        c.restart(old);
        c.converge();
        assert_eq!(
            c.wire.full_copies - before.full_copies,
            1,
            "the entries after LSN {} are gone from the new primary's log: one full copy \
             (pg_basebackup), no more",
            c.disk(old).last_lsn()
        );
        assert_eq!(
            c.server(old).store().to_bytes(),
            c.server(new).store().to_bytes(),
            "byte-identical after the copy"
        );
        let copies = c.wire.full_copies;
        write_for(&mut c, 300, 30);
        c.converge();
        assert_eq!(
            c.wire.full_copies, copies,
            "once attached, the standby streams: no more copies"
        );
    });
}

#[test]
fn a_primary_keeps_the_log_its_standby_still_needs() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::with_config(seed, |cfg| cfg.keep_log = 16);
        c.converge();
        c.net.set_links(in_order());
        let p = c.primary().expect("a primary");
        let s = other(p);
        c.net.set_reachable(p, s, false);
        c.net.set_reachable(s, p, false);
        for k in 0..60 {
            c.write(p, k).expect("the primary keeps its lease");
            if k % 3 == 0 {
                c.tick();
            }
        }
        let before = c.wire.clone();
        c.net.heal();
        c.converge();
        c.run(5);
        assert_eq!(
            c.wire.full_copies, before.full_copies,
            "the standby is attached: its primary must keep every entry it has not \
             acknowledged (a replication slot), however small keep_log is, so that it can \
             catch up from the log"
        );
        assert!(
            c.server(p).store().entries().len() <= 16,
            "once the standby has acknowledged, the primary compacts to keep_log again"
        );
    });
}

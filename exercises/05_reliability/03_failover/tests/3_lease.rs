//! Stage 3: leases, promotion and fencing on a pair of servers. Crafted
//! single-server messages first (a lease counts from when its request was
//! sent; a primary renews, heartbeats, commits synchronously and steps down
//! when it must; a standby rejoins a new primary and answers old tokens
//! with Stale), then scenarios on `kit::sim`: bootstrap, a crash and its
//! failover (never before the old lease expires, no acknowledged write
//! lost), Kleppmann's GC pause, and partitions that must not promote.

use crate::common::*;

use kit::sim::LinkConfig;

fn drain_messages(s: &mut Server) -> Vec<(NodeId, Message)> {
    s.ready().messages
}

fn rejoin_empty() -> Message {
    Message::Rejoin {
        history: Vec::new(),
        last: 0,
        base: 0,
    }
}

// ------------------------------------------------------------ the standby

#[test]
fn a_fresh_server_is_a_standby_that_asks_for_the_lease() {
    let mut s = server(1);
    assert_eq!(s.id(), 1);
    assert_eq!(s.role(), Role::Standby);
    assert_eq!((s.token(), s.following()), (0, None));
    assert!(!s.is_synced() && !s.has_standby());
    assert_eq!(s.lease_until(), None);
    assert!(!s.holds_lease(0));
    s.tick(1);
    assert_eq!(
        drain_messages(&mut s),
        vec![(LOCK, Message::Acquire { sent_at: 1 })],
        "following nobody, it asks the lock service at once"
    );
    for t in 2..7 {
        s.tick(t);
        assert!(
            drain_messages(&mut s).is_empty(),
            "tick {t}: at most one Acquire every retry_ticks (6)"
        );
    }
    s.tick(7);
    assert_eq!(
        drain_messages(&mut s),
        vec![(LOCK, Message::Acquire { sent_at: 7 })]
    );
}

#[test]
fn a_standby_rejoins_a_new_primary_before_storing_anything() {
    let mut s = server(2);
    s.step(
        1,
        1,
        Message::Append {
            token: 1,
            entries: vec![entry(1, 1, 7, 70)],
        },
    );
    assert_eq!(s.following(), Some(1));
    assert_eq!(s.token(), 1);
    assert_eq!(
        s.store().newest_token(),
        1,
        "it fences its store with the new token"
    );
    assert!(!s.is_synced());
    assert_eq!(
        s.store().last_lsn(),
        0,
        "until the primary has answered its Rejoin, its log may hold entries the primary \
         never had: it stores nothing yet"
    );
    assert_eq!(drain_messages(&mut s), vec![(1, rejoin_empty())]);
    s.step(2, 1, Message::CatchUp { token: 1, after: 0 });
    assert!(s.is_synced());
    assert_eq!(
        drain_messages(&mut s),
        vec![(1, Message::Ack { token: 1, lsn: 0 })]
    );
    s.step(
        3,
        1,
        Message::Append {
            token: 1,
            entries: vec![entry(1, 1, 7, 70)],
        },
    );
    assert_eq!(s.store().get(7), Some(70));
    assert_eq!(
        drain_messages(&mut s),
        vec![(1, Message::Ack { token: 1, lsn: 1 })]
    );
    s.step(
        4,
        1,
        Message::Append {
            token: 1,
            entries: vec![entry(1, 3, 7, 72)],
        },
    );
    assert_eq!(s.store().last_lsn(), 1, "LSN 3 cannot follow LSN 1");
    assert_eq!(
        drain_messages(&mut s),
        vec![(1, Message::Ack { token: 1, lsn: 1 })],
        "a gap is answered with the last LSN, so the primary resends from there"
    );
}

#[test]
fn a_standby_repeats_its_rejoin_until_answered() {
    let mut s = server(2);
    s.step(
        1,
        1,
        Message::Append {
            token: 1,
            entries: Vec::new(),
        },
    );
    let _ = s.ready();
    for t in 2..7 {
        s.tick(t);
        assert!(drain_messages(&mut s).is_empty(), "tick {t}");
    }
    s.tick(7);
    assert_eq!(
        drain_messages(&mut s),
        vec![(1, rejoin_empty())],
        "no answer after retry_ticks: ask again (the first Rejoin or its answer may be lost)"
    );
}

#[test]
fn an_older_token_is_answered_stale_and_changes_nothing() {
    let mut s = standby(2);
    s.step(
        3,
        1,
        Message::Append {
            token: 2,
            entries: vec![entry(2, 1, 7, 70)],
        },
    );
    let _ = s.ready();
    let before = s.store().clone();
    s.step(
        4,
        1,
        Message::Append {
            token: 1,
            entries: vec![entry(1, 2, 7, 71)],
        },
    );
    assert_eq!(
        drain_messages(&mut s),
        vec![(1, Message::Stale { newest: 2 })],
        "a write with token 1 to a store that has seen token 2 is refused, and the writer is \
         told so"
    );
    assert_eq!(s.store(), &before, "and the store is unchanged");
    assert_eq!((s.following(), s.token()), (Some(1), 2));
}

#[test]
fn a_suspecting_standby_asks_for_the_lease_but_the_live_holder_keeps_it() {
    let mut s = standby(1);
    for t in 3..=10 {
        s.tick(t);
        assert!(
            drain_messages(&mut s).is_empty(),
            "tick {t}: the detector (initial timeout 9, started at tick 1) does not suspect yet"
        );
    }
    s.tick(11);
    assert_eq!(
        drain_messages(&mut s),
        vec![(LOCK, Message::Acquire { sent_at: 11 })],
        "silent for more than the timeout: ask for the lease"
    );
    let held = Lease {
        holder: 1,
        token: 1,
        expires_at: 40,
    };
    s.step(
        13,
        LOCK,
        Message::Refused {
            lease: Some(held),
            sent_at: 11,
        },
    );
    assert_eq!(s.role(), Role::Standby, "refused: node 1's lease is live");
    assert_eq!((s.following(), s.token()), (Some(1), 1));
    assert!(s.is_synced(), "and nothing changed about whom it follows");
    let _ = s.ready();
    let newer = Lease {
        holder: 1,
        token: 3,
        expires_at: 50,
    };
    s.step(
        20,
        LOCK,
        Message::Refused {
            lease: Some(newer),
            sent_at: 19,
        },
    );
    assert_eq!(
        (s.following(), s.token()),
        (Some(1), 3),
        "a refusal naming a newer lease is news: follow its holder with its token"
    );
    assert!(!s.is_synced());
    assert_eq!(s.store().newest_token(), 3);
    assert!(
        drain_messages(&mut s)
            .iter()
            .any(|(to, m)| *to == 1 && matches!(m, Message::Rejoin { .. })),
        "and rejoin it"
    );
}

#[test]
fn heartbeats_keep_a_standby_from_asking() {
    let mut s = standby(1);
    for t in 3..60 {
        if t % 3 == 0 {
            s.step(
                t,
                1,
                Message::Append {
                    token: 1,
                    entries: Vec::new(),
                },
            );
        }
        s.tick(t);
        let msgs = drain_messages(&mut s);
        assert!(
            msgs.iter().all(|(to, _)| *to != LOCK),
            "tick {t}: heartbeats arrive every 3 ticks, yet the standby asked for the lease"
        );
    }
}

#[test]
fn a_standby_names_its_primary_to_writers() {
    let mut s = standby(1);
    let e = s.write(3, 1, 1).unwrap_err();
    assert_eq!(e, NotPrimary { primary: Some(1) });
    assert!(!e.to_string().is_empty());
    assert_eq!(server(1).write(0, 1, 1), Err(NotPrimary { primary: None }));
}

// ------------------------------------------------------------ promotion

#[test]
fn a_grant_makes_it_primary_counting_from_the_request() {
    let mut s = server(1);
    s.tick(1);
    let _ = s.ready();
    s.step(
        6,
        LOCK,
        Message::Granted {
            token: 3,
            sent_at: 1,
        },
    );
    assert_eq!(s.role(), Role::Primary);
    assert_eq!(s.token(), 3);
    assert_eq!(
        s.lease_until(),
        Some(31),
        "the lease counts from tick 1, when the Acquire was sent, not from tick 6 when the \
         answer arrived: the lock service started it somewhere in between, and only the send \
         time is sure to be no later"
    );
    assert!(s.holds_lease(30) && !s.holds_lease(31));
    assert_eq!(
        s.store().newest_token(),
        3,
        "its store is fenced with its token"
    );
    assert!(!s.has_standby(), "no standby is attached until one rejoins");
    assert_eq!(
        drain_messages(&mut s),
        vec![(
            2,
            Message::Append {
                token: 3,
                entries: Vec::new()
            }
        )],
        "a new primary heartbeats at once: its peer learns of it"
    );
}

#[test]
fn a_grant_that_arrives_too_late_or_from_elsewhere_is_ignored() {
    let mut s = server(1);
    s.tick(1);
    s.step(
        31,
        LOCK,
        Message::Granted {
            token: 1,
            sent_at: 1,
        },
    );
    assert_eq!(
        s.role(),
        Role::Standby,
        "a lease counted from tick 1 has expired at tick 31"
    );
    s.step(
        32,
        2,
        Message::Granted {
            token: 2,
            sent_at: 31,
        },
    );
    assert_eq!(
        s.role(),
        Role::Standby,
        "only the lock service grants leases"
    );
}

#[test]
fn a_primary_heartbeats_and_renews_on_schedule() {
    let mut p = primary(1);
    let mut heartbeats = Vec::new();
    let mut renewals = Vec::new();
    for t in 3..=21 {
        p.tick(t);
        for (to, m) in drain_messages(&mut p) {
            match (to, m) {
                (2, Message::Append { token: 1, .. }) => heartbeats.push(t),
                (LOCK, Message::Renew { token: 1, sent_at }) => {
                    assert_eq!(sent_at, t);
                    renewals.push(t);
                }
                other => panic!("tick {t}: unexpected {other:?}"),
            }
        }
    }
    assert_eq!(
        heartbeats,
        [5, 8, 11, 14, 17, 20],
        "promoted at tick 2 (heartbeat then): every 3 ticks after"
    );
    assert_eq!(
        renewals,
        [11, 21],
        "the lease counts from tick 1: renew every 10 ticks from there"
    );
    p.step(
        22,
        LOCK,
        Message::Granted {
            token: 1,
            sent_at: 11,
        },
    );
    assert_eq!(
        p.lease_until(),
        Some(41),
        "extended to the renewal's sent_at + 30"
    );
    p.step(
        23,
        LOCK,
        Message::Granted {
            token: 1,
            sent_at: 1,
        },
    );
    assert_eq!(
        p.lease_until(),
        Some(41),
        "a late answer to an older request never shortens the lease"
    );
}

#[test]
fn the_lease_runs_out_without_renewals() {
    let mut p = primary(1);
    assert_eq!(p.write(30, 1, 10), Ok(1));
    assert_eq!(
        p.write(31, 1, 11),
        Err(NotPrimary { primary: None }),
        "at tick 31 the lease has expired: no write may be taken, the lock service may have \
         granted it to someone else"
    );
    p.tick(31);
    assert_eq!(p.role(), Role::Standby, "it steps down when it notices");
    assert_eq!(p.lease_until(), None);
    let mut asked = false;
    for t in 31..=37 {
        p.tick(t);
        asked |= drain_messages(&mut p)
            .iter()
            .any(|(to, m)| *to == LOCK && matches!(m, Message::Acquire { .. }));
    }
    assert!(asked, "following nobody, it asks for the lease again");
}

// ---------------------------------------------------- synchronous commit

#[test]
fn alone_a_primary_acknowledges_at_once() {
    let mut p = primary(1);
    assert_eq!(p.write(3, 7, 70), Ok(1));
    assert_eq!(p.write(3, 8, 80), Ok(2));
    assert_eq!(p.ready().acked, vec![1, 2]);
    assert_eq!(
        p.store().entries(),
        &[entry(1, 1, 7, 70), entry(1, 2, 8, 80)]
    );
}

#[test]
fn with_a_standby_attached_a_write_waits_for_its_ack() {
    let mut p = primary(1);
    p.step(3, 2, rejoin_empty());
    assert_eq!(
        drain_messages(&mut p),
        vec![(2, Message::CatchUp { token: 1, after: 0 })]
    );
    assert!(p.has_standby());
    assert_eq!(p.write(4, 7, 70), Ok(1));
    assert!(
        p.ready().acked.is_empty(),
        "a standby is attached: the write is acknowledged when the standby has it, or a \
         failover could lose it"
    );
    p.tick(5);
    assert_eq!(
        drain_messages(&mut p),
        vec![(
            2,
            Message::Append {
                token: 1,
                entries: vec![entry(1, 1, 7, 70)]
            }
        )],
        "the heartbeat carries what the standby has not acknowledged"
    );
    p.step(6, 2, Message::Ack { token: 1, lsn: 0 });
    p.step(6, 2, Message::Ack { token: 9, lsn: 1 });
    p.step(6, 1, Message::Ack { token: 1, lsn: 1 });
    assert!(
        p.ready().acked.is_empty(),
        "an Ack below the write, with another token, or from elsewhere acknowledges nothing"
    );
    p.step(7, 2, Message::Ack { token: 1, lsn: 1 });
    assert_eq!(p.ready().acked, vec![1]);
}

#[test]
fn an_append_carries_at_most_max_batch_entries() {
    let mut p = primary_with_standby(1);
    for k in 0..100 {
        p.write(4, k, k).unwrap();
    }
    let _ = p.ready();
    p.tick(5);
    let msgs = drain_messages(&mut p);
    let Some((2, Message::Append { entries, .. })) = msgs.first() else {
        panic!("the heartbeat is due at tick 5: {msgs:?}");
    };
    assert_eq!(
        entries.iter().map(|e| e.lsn).collect::<Vec<_>>(),
        (1..=64).collect::<Vec<_>>(),
        "the first 64 (max_batch) of the 100 entries the standby lacks"
    );
}

#[test]
fn a_deposed_primary_never_acknowledges_its_pending_writes() {
    let mut p = primary_with_standby(1);
    p.write(4, 7, 70).unwrap();
    p.tick(31);
    assert_eq!(p.role(), Role::Standby);
    p.step(32, 2, Message::Ack { token: 1, lsn: 1 });
    assert!(
        p.ready().acked.is_empty(),
        "a write pending when its primary stepped down is never acknowledged: the new \
         primary may not have it"
    );
}

// ------------------------------------------------------------ stepping down

#[test]
fn a_primary_told_stale_steps_down() {
    let mut p = primary(1);
    p.step(5, 2, Message::Stale { newest: 2 });
    assert_eq!(
        p.role(),
        Role::Standby,
        "token 2 exists: this primary is deposed"
    );
    assert_eq!(p.store().newest_token(), 2);
    assert!(p.write(6, 1, 1).is_err());
    let mut q = primary(3);
    q.step(5, 2, Message::Stale { newest: 2 });
    assert_eq!(
        q.role(),
        Role::Primary,
        "a Stale naming an older token is not news"
    );
    let mut r = primary(2);
    r.step(5, 2, Message::Stale { newest: 2 });
    assert_eq!(
        r.role(),
        Role::Primary,
        "nor is one naming its own token: only a newer one deposes"
    );
}

#[test]
fn a_primary_hearing_a_newer_primary_follows_it() {
    let mut p = primary(1);
    p.step(
        5,
        2,
        Message::Append {
            token: 2,
            entries: Vec::new(),
        },
    );
    assert_eq!(p.role(), Role::Standby);
    assert_eq!((p.following(), p.token()), (Some(2), 2));
    let msgs = drain_messages(&mut p);
    assert!(
        msgs.iter()
            .any(|(to, m)| *to == 2 && matches!(m, Message::Rejoin { .. })),
        "it rejoins the new primary: {msgs:?}"
    );
    let mut q = primary(2);
    q.step(
        5,
        2,
        Message::Append {
            token: 2,
            entries: Vec::new(),
        },
    );
    assert_eq!(
        (q.role(), q.following()),
        (Role::Primary, None),
        "an Append with its own token is not from a newer primary"
    );
}

#[test]
fn only_a_primary_answers_a_rejoin() {
    let answers = |s: &mut Server, peer: NodeId| -> Vec<Message> {
        to(&s.ready(), peer)
            .into_iter()
            .filter(|m| matches!(m, Message::CatchUp { .. } | Message::FullCopy { .. }))
            .collect()
    };
    let mut fresh = server(1);
    fresh.step(3, 2, rejoin_empty());
    assert_eq!(
        answers(&mut fresh, 2),
        Vec::new(),
        "a standby following nobody has no log to catch its peer up with"
    );
    assert!(!fresh.has_standby());
    let mut follower = standby(3);
    follower.step(3, 1, rejoin_empty());
    assert_eq!(
        answers(&mut follower, 1),
        Vec::new(),
        "a standby does not answer its own primary's (late) Rejoin"
    );
    assert_eq!(follower.role(), Role::Standby);
}

#[test]
fn a_refused_renewal_deposes_the_primary() {
    let mut p = primary(1);
    for t in 3..=11 {
        p.tick(t);
    }
    let _ = p.ready();
    p.step(
        12,
        LOCK,
        Message::Refused {
            lease: None,
            sent_at: 0,
        },
    );
    assert_eq!(
        p.role(),
        Role::Primary,
        "a refusal of a request sent before this primary's lease began (tick 1) is old news"
    );
    let theirs = Lease {
        holder: 2,
        token: 2,
        expires_at: 42,
    };
    p.step(
        13,
        LOCK,
        Message::Refused {
            lease: Some(theirs),
            sent_at: 11,
        },
    );
    assert_eq!(
        p.role(),
        Role::Standby,
        "its renewal of tick 11 was refused: it no longer holds the lease"
    );
    assert_eq!(p.following(), Some(2), "and node 2 does: follow it");
}

// ------------------------------------------------------------ configuration

#[test]
#[should_panic(expected = "heartbeat_interval must be positive")]
fn a_zero_heartbeat_interval_is_refused() {
    let c = Config {
        heartbeat_interval: 0,
        ..config(1)
    };
    let _ = Server::new(c, Store::new(), 0);
}

#[test]
#[should_panic(expected = "renew_interval must be positive and below lease_ticks")]
fn renewing_no_faster_than_the_lease_is_refused() {
    let c = Config {
        renew_interval: 30,
        ..config(1)
    };
    let _ = Server::new(c, Store::new(), 0);
}

#[test]
#[should_panic(expected = "retry_ticks must be positive")]
fn zero_retry_ticks_is_refused() {
    let c = Config {
        retry_ticks: 0,
        ..config(1)
    };
    let _ = Server::new(c, Store::new(), 0);
}

#[test]
#[should_panic(expected = "max_batch must be positive")]
fn a_zero_batch_is_refused() {
    let c = Config {
        max_batch: 0,
        ..config(1)
    };
    let _ = Server::new(c, Store::new(), 0);
}

// ------------------------------------------------------------ scenarios

/// Loses 10% and duplicates 5% of the messages between the servers, with
/// delays of 1-4 ticks; the links to the lock service stay reliable.
fn lossy_between_servers(c: &mut Cluster) {
    c.net.set_link(1, 2, LinkConfig::unreliable());
    c.net.set_link(2, 1, LinkConfig::unreliable());
}

/// Writes one fresh key per tick on the primary for `ticks` ticks.
fn write_for(c: &mut Cluster, first_key: Key, ticks: u64) {
    for k in 0..ticks {
        c.write_on_primary(first_key + k);
        c.tick();
    }
}

#[test]
fn bootstrap_elects_one_primary_with_token_one() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        let p = c.primary().expect("converged: a primary");
        assert_eq!(c.server(p).token(), 1, "the first lease has token 1");
        assert!(c.server(p).has_standby());
        assert_eq!(c.server(other(p)).following(), Some(p));
        assert_eq!(c.grants.len(), 1, "one grant: the loser follows the winner");
    });
}

#[test]
fn writes_are_acknowledged_once_the_standby_has_them() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        lossy_between_servers(&mut c);
        write_for(&mut c, 0, 40);
        c.run(30);
        let p = c.primary().expect("still a primary");
        let written: Vec<Value> = c.writes.keys().copied().collect();
        assert_eq!(written.len(), 40);
        for v in &written {
            assert!(
                c.acked.contains(v),
                "write {v} was never acknowledged: the primary resends what its standby has not \
                 acknowledged with every heartbeat"
            );
        }
        for (v, w) in &c.writes {
            assert_eq!(
                c.get(other(p), w.key),
                Some(*v),
                "the standby has every write"
            );
        }
    });
}

#[test]
fn a_crashed_primary_is_replaced_after_its_lease_expires_and_nothing_acknowledged_is_lost() {
    let mut delays = Vec::new();
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        lossy_between_servers(&mut c);
        write_for(&mut c, 0, 30 + seed % 7);
        let old = c.primary().expect("a primary");
        let expiry = c
            .lock
            .lease(c.now())
            .expect("the primary renews its lease")
            .expires_at;
        c.crash(old);
        let new = other(old);
        c.run_until(200, "the standby takes over", |c| c.primary() == Some(new));
        let at = c.now();
        if at < expiry {
            c.net.fail(&format!(
                "node {new} became primary at tick {at}, but the old lease was live until \
                 {expiry}: promotion must wait for the lease to expire, or a primary that is only \
                 slow, not dead, still writes"
            ));
        }
        delays.push(at - expiry);
        assert!(
            c.server(new).token() > 1,
            "the new primary writes with a newer token"
        );
        for (v, w) in &c.writes {
            if c.acked.contains(v) && c.get(new, w.key) != Some(*v) {
                c.net.fail(&format!(
                    "write {v} (key {}) was acknowledged by the old primary but the new primary \
                     does not have it: with a standby attached, a write is acknowledged only \
                     once the standby's Ack covers it",
                    w.key
                ));
            }
        }
        let (_, v) = c.write(new, 1_000).expect("the new primary takes writes");
        c.tick();
        assert!(
            c.acked.contains(&v),
            "alone (its peer is down), the new primary acknowledges at once"
        );
    });
    let worst = delays.iter().max().copied().unwrap_or(0);
    assert!(
        worst <= 30,
        "after the old lease expired, promotion took up to {worst} ticks ({delays:?}): the \
         standby suspects within its timeout and asks again every retry_ticks"
    );
}

#[test]
fn kleppmanns_paused_primary_is_fenced_off() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        write_for(&mut c, 0, 5);
        c.run(10);
        let old = c.primary().expect("a primary");
        let new = other(old);
        let old_token = c.server(old).token();
        // The write is taken while the lease is valid; the primary freezes
        // (a stop-the-world GC) just before the Append carrying it leaves.
        let (lsn, value) = c.write(old, 99).expect("the primary takes the write");
        c.pause_when_shipping(old, value);
        c.run_until(10, "the primary ships the write", |c| c.is_paused(old));
        // The pause outlasts the lease: the standby suspects, and gets the
        // lease once it has expired.
        c.run_until(200, "the standby takes over", |c| {
            c.server(new).holds_lease(c.now())
        });
        let new_token = c.server(new).token();
        assert!(new_token > old_token);
        c.run(5);
        assert!(
            c.server(old).lease_until().is_some_and(|u| u <= c.now()),
            "the old primary's lease has run out while it was paused"
        );
        // It wakes up, its write with the old token finally leaves.
        let stale_before = c.wire.stale;
        c.resume(old);
        c.run(20);
        assert!(
            c.server(new).store().get(99).is_none(),
            "the new primary's store accepted the paused primary's write (token {old_token}, \
             LSN {lsn}) after it had seen token {new_token}: a lease without a fencing token \
             lets a primary that does not know it was deposed corrupt the data"
        );
        assert!(
            c.wire.stale > stale_before,
            "the store answers the stale write with Stale, so its writer learns it is deposed"
        );
        assert!(
            !c.acked.contains(&value),
            "the paused primary's write must never be acknowledged"
        );
        c.converge();
        assert_eq!(c.primary(), Some(new));
        assert!(
            c.server(old).store().get(99).is_none(),
            "the old primary rejoined: its own copy of the rejected write is rewound"
        );
        assert_eq!(
            c.server(old).store().to_bytes(),
            c.server(new).store().to_bytes()
        );
        c.check_stores();
    });
}

#[test]
fn a_cut_between_the_servers_promotes_nobody() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        let p = c.primary().expect("a primary");
        let s = other(p);
        c.net.set_reachable(p, s, false);
        c.net.set_reachable(s, p, false);
        let acquires = c.wire.acquires;
        let mut during = Vec::new();
        for k in 0..120 {
            if k % 10 == 0 {
                during.push(c.write(p, k).expect("the primary keeps its lease").1);
            }
            c.tick();
        }
        assert!(
            c.wire.acquires > acquires,
            "the standby hears no heartbeats: it must suspect and ask for the lease"
        );
        assert_eq!(
            c.grants.len(),
            1,
            "the primary still renews its lease: the lock service must refuse the standby"
        );
        assert_eq!(c.primary(), Some(p));
        assert!(
            during.iter().all(|v| !c.acked.contains(v)),
            "the standby is attached and cannot acknowledge: synchronous writes wait"
        );
        c.net.heal();
        c.run(30);
        assert!(
            during.iter().all(|v| c.acked.contains(v)),
            "after the heal the standby catches up and the waiting writes are acknowledged"
        );
        c.converge();
    });
}

#[test]
fn a_primary_cut_off_from_the_lock_steps_down_and_the_standby_takes_over() {
    run_seeds(&SEEDS, |seed| {
        let mut c = Cluster::new(seed);
        c.converge();
        write_for(&mut c, 0, 10);
        let p = c.primary().expect("a primary");
        c.net.set_reachable(p, LOCK, false);
        c.net.set_reachable(LOCK, p, false);
        c.run_until(100, "the standby takes over", |c| {
            c.primary() == Some(other(p))
        });
        c.converge();
        write_for(&mut c, 100, 10);
        c.converge();
        for (v, w) in &c.writes {
            if c.acked.contains(v) {
                for i in SERVERS {
                    assert_eq!(
                        c.get(i, w.key),
                        Some(*v),
                        "node {i} lacks acknowledged write {v}"
                    );
                }
            }
        }
    });
}

//! Stage 4: health. Active checks on ticks (`fall` failures in a row take a
//! backend down, `rise` successes bring it back), passive outlier ejection
//! (`eject_after` failed requests in a row eject it for `ejection` on the
//! injected clock), in-flight counts, and the rule everything serves:
//! not one request reaches a backend that is down or ejected.

use std::time::Duration;

use kit::clock::ManualClock;
use kit::rng::Rng;
use load_balancer::{
    Balancer, ConsistentHash, HealthConfig, LeastConnections, Policy, PowerOfTwo, RoundRobin,
    SmoothWeighted, Status,
};

const CONFIG: HealthConfig = HealthConfig {
    fall: 3,
    rise: 2,
    eject_after: 3,
    ejection: Duration::from_secs(30),
};

fn balancer<P: Policy>(n: usize, policy: P) -> (Balancer<P, ManualClock>, ManualClock) {
    let clock = ManualClock::new(0);
    let weights = vec![1; n];
    (
        Balancer::new(&weights, policy, CONFIG, clock.clone()),
        clock,
    )
}

/// One tick of active checks in which only the backends in `failing` fail.
fn tick<P: Policy>(lb: &mut Balancer<P, ManualClock>, failing: &[usize]) {
    lb.check(|id| !failing.contains(&id));
}

/// Picks and finishes one request at once; returns the backend.
fn request<P: Policy>(lb: &mut Balancer<P, ManualClock>, ok: impl Fn(usize) -> bool) -> usize {
    let id = lb.pick(b"client", &[]).expect("a backend is available");
    lb.finish(id, ok(id));
    id
}

fn statuses<P: Policy>(lb: &Balancer<P, ManualClock>) -> Vec<Status> {
    (0..lb.len()).map(|id| lb.status(id)).collect()
}

#[test]
fn every_backend_starts_up_and_takes_requests() {
    let (mut lb, _) = balancer(3, RoundRobin::new());
    assert_eq!(lb.len(), 3);
    assert!(!lb.is_empty());
    assert_eq!(statuses(&lb), [Status::Up; 3]);
    let got: Vec<usize> = (0..4).map(|_| request(&mut lb, |_| true)).collect();
    assert_eq!(got, [0, 1, 2, 0], "round robin over three healthy backends");
    let (none, _) = balancer(0, RoundRobin::new());
    assert_eq!(
        (none.len(), none.is_empty()),
        (0, true),
        "a balancer of no backends is empty"
    );
}

#[test]
fn fall_failed_checks_in_a_row_take_a_backend_down() {
    let (mut lb, _) = balancer(3, RoundRobin::new());
    tick(&mut lb, &[1]);
    tick(&mut lb, &[1]);
    assert_eq!(
        lb.status(1),
        Status::Up,
        "2 failed checks are fewer than fall = 3: one lost probe must not take a backend down"
    );
    tick(&mut lb, &[]);
    tick(&mut lb, &[1]);
    tick(&mut lb, &[1]);
    assert_eq!(
        lb.status(1),
        Status::Up,
        "a success in between resets the count: failures must be consecutive"
    );
    tick(&mut lb, &[1]);
    assert_eq!(
        lb.status(1),
        Status::Down,
        "3 failed checks in a row (fall = 3) take it down"
    );
    assert_eq!(lb.status(0), Status::Up);
    assert_eq!(lb.status(2), Status::Up);
}

#[test]
fn rise_successful_checks_in_a_row_bring_it_back() {
    let (mut lb, _) = balancer(2, RoundRobin::new());
    for _ in 0..3 {
        tick(&mut lb, &[0]);
    }
    assert_eq!(lb.status(0), Status::Down);
    tick(&mut lb, &[]);
    assert_eq!(
        lb.status(0),
        Status::Down,
        "one success is fewer than rise = 2: a flapping backend must not be trusted at once"
    );
    tick(&mut lb, &[0]);
    tick(&mut lb, &[]);
    assert_eq!(
        lb.status(0),
        Status::Down,
        "a failure in between resets the count of successes"
    );
    tick(&mut lb, &[]);
    assert_eq!(
        lb.status(0),
        Status::Up,
        "2 successes in a row (rise = 2) bring it back"
    );
    // Back up, it needs `fall` new failures to go down again.
    tick(&mut lb, &[0]);
    tick(&mut lb, &[0]);
    assert_eq!(lb.status(0), Status::Up);
}

#[test]
fn every_backend_is_probed_once_per_tick_even_when_down() {
    let (mut lb, _) = balancer(4, RoundRobin::new());
    for round in 0..6 {
        let mut probed = Vec::new();
        lb.check(|id| {
            probed.push(id);
            id != 2
        });
        assert_eq!(
            probed,
            [0, 1, 2, 3],
            "tick {round}: every backend is probed exactly once, in id order, whatever its \
             status; a down backend that is never probed can never come back"
        );
    }
    assert_eq!(lb.status(2), Status::Down);
}

#[test]
fn eject_after_failed_requests_in_a_row_then_readmit_after_the_ejection_time() {
    let (mut lb, clock) = balancer(3, RoundRobin::new());
    // Backend 0 answers every request with a 5xx; the others are fine.
    let mut reached_0 = 0;
    for _ in 0..30 {
        if request(&mut lb, |id| id != 0) == 0 {
            reached_0 += 1;
        }
    }
    assert_eq!(
        reached_0, 3,
        "a failing backend gets exactly eject_after = 3 requests, then is ejected (round robin \
         sent it every third request until then)"
    );
    assert_eq!(lb.status(0), Status::Ejected);
    clock.advance(CONFIG.ejection - Duration::from_millis(1));
    assert_eq!(lb.status(0), Status::Ejected, "the ejection lasts 30 s");
    for _ in 0..9 {
        assert_ne!(request(&mut lb, |_| true), 0, "ejected: no requests");
    }
    clock.advance_millis(1);
    assert_eq!(
        lb.status(0),
        Status::Up,
        "after the ejection time it is readmitted"
    );
    let got: Vec<usize> = (0..6).map(|_| request(&mut lb, |_| true)).collect();
    assert!(
        got.contains(&0),
        "a readmitted backend takes requests again: {got:?}"
    );
}

#[test]
fn a_success_resets_the_failure_count() {
    let (mut lb, _) = balancer(1, RoundRobin::new());
    for ok in [false, false, true, false, false, true, false, false] {
        request(&mut lb, |_| ok);
    }
    assert_eq!(
        lb.status(0),
        Status::Up,
        "never 3 failures in a row: a backend with occasional errors is not an outlier"
    );
    request(&mut lb, |_| false);
    assert_eq!(lb.status(0), Status::Ejected, "now 3 in a row");
}

#[test]
fn failures_while_ejected_do_not_extend_it_and_readmission_starts_afresh() {
    let (mut lb, clock) = balancer(1, RoundRobin::new());
    let held: Vec<usize> = (0..5).map(|_| lb.pick(b"", &[]).expect("up")).collect();
    for &id in &held[..3] {
        lb.finish(id, false);
    }
    assert_eq!(lb.status(0), Status::Ejected);
    assert_eq!(
        lb.pick(b"", &[]),
        None,
        "the only backend is ejected: nothing to pick"
    );
    clock.advance(Duration::from_secs(20));
    // Two requests sent before the ejection fail late.
    lb.finish(held[3], false);
    lb.finish(held[4], false);
    clock.advance(Duration::from_secs(10));
    assert_eq!(
        lb.status(0),
        Status::Up,
        "readmitted 30 s after the ejection: failures reported while it was ejected must not \
         extend it"
    );
    request(&mut lb, |_| false);
    request(&mut lb, |_| false);
    assert_eq!(
        lb.status(0),
        Status::Up,
        "a readmitted backend starts with a clean count: 2 new failures do not eject it"
    );
    request(&mut lb, |_| false);
    assert_eq!(lb.status(0), Status::Ejected);
}

#[test]
fn down_wins_over_ejected_and_checks_do_not_shorten_an_ejection() {
    let (mut lb, clock) = balancer(2, RoundRobin::new());
    for _ in 0..3 {
        let id = lb.pick(b"", &[1]).expect("backend 0");
        lb.finish(id, false);
    }
    assert_eq!(lb.status(0), Status::Ejected);
    tick(&mut lb, &[]);
    tick(&mut lb, &[]);
    tick(&mut lb, &[]);
    assert_eq!(
        lb.status(0),
        Status::Ejected,
        "passing active checks does not end an ejection early"
    );
    for _ in 0..3 {
        tick(&mut lb, &[0]);
    }
    assert_eq!(
        lb.status(0),
        Status::Down,
        "down and ejected at once reads as Down"
    );
    clock.advance(CONFIG.ejection);
    assert_eq!(
        lb.status(0),
        Status::Down,
        "the ejection is over but active checks still say down: it stays down until rise"
    );
    tick(&mut lb, &[]);
    tick(&mut lb, &[]);
    assert_eq!(lb.status(0), Status::Up);
}

#[test]
fn in_flight_counts_feed_least_connections() {
    let (mut lb, _) = balancer(3, LeastConnections::new());
    let a = lb.pick(b"", &[]).expect("a backend");
    let b = lb.pick(b"", &[]).expect("a backend");
    let c = lb.pick(b"", &[]).expect("a backend");
    assert_eq!([a, b, c], [0, 1, 2]);
    assert_eq!(
        [lb.in_flight(0), lb.in_flight(1), lb.in_flight(2)],
        [1, 1, 1]
    );
    lb.finish(b, true);
    assert_eq!(
        lb.in_flight(1),
        0,
        "finish takes the request off its backend"
    );
    assert_eq!(
        lb.pick(b"", &[]),
        Some(1),
        "backend 1 is the only one with nothing in flight"
    );
    lb.finish(a, false);
    lb.finish(c, true);
    assert_eq!(
        [lb.in_flight(0), lb.in_flight(1), lb.in_flight(2)],
        [0, 1, 0]
    );
}

#[test]
fn pick_skips_excluded_backends() {
    let (mut lb, _) = balancer(3, RoundRobin::new());
    for _ in 0..6 {
        let id = lb.pick(b"", &[1]).expect("a backend");
        assert_ne!(
            id, 1,
            "backend 1 is excluded (already tried for this request)"
        );
        lb.finish(id, true);
    }
    assert_eq!(
        lb.pick(b"", &[0, 1, 2]),
        None,
        "every backend excluded: none left"
    );
}

#[test]
fn weights_reach_the_policy() {
    let clock = ManualClock::new(0);
    let mut lb = Balancer::new(&[5, 1, 1], SmoothWeighted::new(), CONFIG, clock);
    let got: Vec<usize> = (0..7)
        .map(|_| {
            let id = lb.pick(b"", &[]).expect("a backend");
            lb.finish(id, true);
            id
        })
        .collect();
    assert_eq!(
        got,
        [0, 0, 1, 0, 2, 0, 0],
        "the balancer passes each backend's weight to the policy"
    );
}

#[test]
fn no_request_reaches_a_backend_that_is_down_or_ejected() {
    // A fleet of 4 recording backends under every policy. Backend 2 fails its
    // health checks and its requests from tick 5 to tick 14; backend 3
    // answers 5xx from tick 20 to tick 24 while its checks still pass.
    let policies: Vec<(&str, Box<dyn Policy>)> = vec![
        ("RoundRobin", Box::new(RoundRobin::new())),
        ("SmoothWeighted", Box::new(SmoothWeighted::new())),
        ("LeastConnections", Box::new(LeastConnections::new())),
        ("PowerOfTwo", Box::new(PowerOfTwo::new(Rng::new(7)))),
        ("ConsistentHash", Box::new(ConsistentHash::new(40))),
    ];
    for (name, policy) in policies {
        let clock = ManualClock::new(0);
        let config = HealthConfig {
            ejection: Duration::from_secs(5),
            ..CONFIG
        };
        let mut lb = Balancer::new(&[2, 1, 1, 1], policy, config, clock.clone());
        let mut received = [0usize; 4];
        let mut while_unavailable = Vec::new();
        let mut got_2_while_broken = 0;
        for t in 0..40u32 {
            let broken_2 = (5..15).contains(&t);
            let erring_3 = (20..25).contains(&t);
            lb.check(|id| !(id == 2 && broken_2));
            for r in 0..12u32 {
                let key = [10, 0, (r % 3) as u8, t as u8];
                let id = lb
                    .pick(&key, &[])
                    .expect("some backend is always available");
                // The recording backend: what reached it, and in what state.
                received[id] += 1;
                if lb.status(id) != Status::Up {
                    while_unavailable.push((t, id, lb.status(id)));
                }
                if id == 2 && broken_2 {
                    got_2_while_broken += 1;
                }
                let failing = (id == 2 && broken_2) || (id == 3 && erring_3);
                lb.finish(id, !failing);
            }
            clock.advance(Duration::from_secs(1));
        }
        assert!(
            while_unavailable.is_empty(),
            "{name}: requests reached backends that were down or ejected (tick, backend, \
             status): {while_unavailable:?}"
        );
        assert!(
            got_2_while_broken <= 3,
            "{name}: backend 2 got {got_2_while_broken} requests while broken; passive ejection \
             (eject_after = 3) should stop them after 3 at most"
        );
        assert!(
            received.iter().all(|&n| n > 0),
            "{name}: every backend should get requests while healthy: {received:?}"
        );
        assert!(
            (0..4).all(|id| lb.status(id) == Status::Up),
            "{name}: all recovered at the end"
        );
    }
}

#[test]
#[should_panic(expected = "finish without a pick")]
fn finishing_a_request_never_picked_panics() {
    let (mut lb, _) = balancer(2, RoundRobin::new());
    lb.finish(1, true);
}

#[test]
#[should_panic(expected = "every backend weight must be at least 1")]
fn a_zero_weight_is_refused() {
    let _ = Balancer::new(&[1, 0], RoundRobin::new(), CONFIG, ManualClock::new(0));
}

#[test]
#[should_panic(expected = "fall, rise and eject_after must be at least 1")]
fn a_zero_threshold_is_refused() {
    let config = HealthConfig { rise: 0, ..CONFIG };
    let _ = Balancer::new(&[1], RoundRobin::new(), config, ManualClock::new(0));
}

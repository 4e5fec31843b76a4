//! Stage 4: an autoscaler that tracks a target utilisation per replica, on a
//! manual clock. It rounds up, ignores deviations inside the tolerance band
//! (so a metric that wobbles around the target never flaps the fleet), acts
//! at most once per cooldown, jumps straight to the count it needs, and never
//! leaves min..=max.

use std::time::Duration;

use kit::clock::{Clock, ManualClock};
use kit::rng::Rng;
use kit::sim::run_seeds;
use scaling::{Autoscaler, Decision, Policy, PolicyError};

/// The evaluation period: HPA's default sync period.
const TICK: Duration = Duration::from_secs(15);
const COOLDOWN: Duration = Duration::from_secs(60);

fn policy() -> Policy {
    Policy {
        min_replicas: 2,
        max_replicas: 20,
        target_percent: 50,
        tolerance_percent: 10,
        cooldown: COOLDOWN,
    }
}

fn scaler(policy: Policy, initial: u32) -> (ManualClock, Autoscaler<ManualClock>) {
    let clock = ManualClock::new(0);
    let a = Autoscaler::new(policy, initial, clock.clone()).expect("a valid policy");
    (clock, a)
}

/// The average utilisation per replica when the fleet faces `demand`
/// (in percent of one replica's capacity), as a monitor reports it: whole
/// percent, rounded down.
fn utilisation(demand: u32, replicas: u32) -> u32 {
    demand / replicas
}

#[test]
fn a_policy_is_validated_with_stated_errors() {
    let clock = ManualClock::new(0);
    let check = |p: Policy, initial: u32, want: PolicyError, text: &str| {
        let err = Autoscaler::new(p, initial, clock.clone()).unwrap_err();
        assert_eq!(err, want);
        assert_eq!(err.to_string(), text);
    };
    let ok = policy();
    check(
        Policy {
            min_replicas: 0,
            ..ok
        },
        1,
        PolicyError::ZeroMinimum,
        "min_replicas must be at least 1",
    );
    check(
        Policy {
            min_replicas: 5,
            max_replicas: 4,
            ..ok
        },
        4,
        PolicyError::MinAboveMax { min: 5, max: 4 },
        "min_replicas 5 is above max_replicas 4",
    );
    for bad in [0, 101] {
        check(
            Policy {
                target_percent: bad,
                ..ok
            },
            2,
            PolicyError::TargetOutOfRange { percent: bad },
            &format!("target utilisation must be 1..=100 percent, got {bad}"),
        );
    }
    check(
        Policy {
            tolerance_percent: 100,
            ..ok
        },
        2,
        PolicyError::ToleranceTooLarge { percent: 100 },
        "tolerance must be below 100 percent, got 100",
    );
    check(
        ok,
        1,
        PolicyError::InitialOutOfRange {
            initial: 1,
            min: 2,
            max: 20,
        },
        "initial replicas 1 outside 2..=20",
    );
    check(
        ok,
        21,
        PolicyError::InitialOutOfRange {
            initial: 21,
            min: 2,
            max: 20,
        },
        "initial replicas 21 outside 2..=20",
    );
    // The stated order: the minimum before the bounds before the target.
    check(
        Policy {
            min_replicas: 0,
            max_replicas: 0,
            target_percent: 0,
            ..ok
        },
        0,
        PolicyError::ZeroMinimum,
        "min_replicas must be at least 1",
    );
    check(
        Policy {
            min_replicas: 3,
            max_replicas: 2,
            target_percent: 0,
            tolerance_percent: 200,
            ..ok
        },
        9,
        PolicyError::MinAboveMax { min: 3, max: 2 },
        "min_replicas 3 is above max_replicas 2",
    );
    check(
        Policy {
            target_percent: 0,
            tolerance_percent: 200,
            ..ok
        },
        99,
        PolicyError::TargetOutOfRange { percent: 0 },
        "target utilisation must be 1..=100 percent, got 0",
    );
    check(
        Policy {
            tolerance_percent: 200,
            ..ok
        },
        99,
        PolicyError::ToleranceTooLarge { percent: 200 },
        "tolerance must be below 100 percent, got 200",
    );
    // The edges that are fine.
    for (p, initial) in [
        (
            Policy {
                min_replicas: 1,
                max_replicas: 1,
                ..ok
            },
            1,
        ),
        (
            Policy {
                target_percent: 100,
                tolerance_percent: 99,
                ..ok
            },
            20,
        ),
        (
            Policy {
                target_percent: 1,
                tolerance_percent: 0,
                cooldown: Duration::ZERO,
                ..ok
            },
            2,
        ),
    ] {
        let a = Autoscaler::new(p, initial, clock.clone()).expect("a valid policy");
        assert_eq!(a.replicas(), initial);
    }
}

#[test]
fn recommend_is_replicas_times_utilisation_over_target_rounded_up() {
    let cases = [
        // (replicas, utilisation, recommended, arithmetic)
        (4, 100, 8, "4 × 100 / 50 = 8 exactly"),
        (
            4,
            250,
            20,
            "4 × 250 / 50 = 20: utilisation above 100 % says how overloaded",
        ),
        (
            10,
            56,
            12,
            "10 × 56 / 50 = 11.2 -> 12 (round() would say 11, each at 50.9 %)",
        ),
        (
            10,
            36,
            8,
            "10 × 36 / 50 = 7.2 -> 8 (round() would say 7, each at 51.4 %)",
        ),
        (10, 44, 9, "10 × 44 / 50 = 8.8 -> 9"),
        (5, 30, 3, "5 × 30 / 50 = 3 exactly"),
    ];
    for (replicas, u, want, why) in cases {
        let (_, a) = scaler(policy(), replicas);
        assert_eq!(a.recommend(u), want, "{replicas} replicas at {u} %: {why}");
        assert_eq!(
            a.replicas(),
            replicas,
            "recommend must not change the count"
        );
    }
}

#[test]
fn recommend_is_clamped_to_min_and_max() {
    let (_, a) = scaler(policy(), 10);
    assert_eq!(
        a.recommend(300),
        20,
        "10 × 300 / 50 = 60, but max_replicas is 20"
    );
    assert_eq!(
        a.recommend(0),
        2,
        "no load asks for 0 replicas, but min_replicas is 2"
    );
    assert_eq!(a.recommend(5), 2, "10 × 5 / 50 = 1 -> min 2");
    assert_eq!(
        a.recommend(u32::MAX),
        20,
        "a huge reading must not overflow"
    );
}

#[test]
fn the_tolerance_band_is_relative_to_the_target_and_includes_its_edges() {
    // Target 80, tolerance 10 % of it: the band is 72..=88 (not 70..=90, which
    // ±10 percentage points would give).
    let p = Policy {
        target_percent: 80,
        ..policy()
    };
    let (_, a) = scaler(p, 10);
    assert_eq!(a.recommend(80), 10);
    assert_eq!(
        a.recommend(72),
        10,
        "72 = 80 - 8 is the band's lower edge: hold"
    );
    assert_eq!(
        a.recommend(88),
        10,
        "88 = 80 + 8 is the band's upper edge: hold"
    );
    assert_eq!(
        a.recommend(71),
        9,
        "71 is outside 72..=88 (the tolerance is 10 % OF the target, not 10 points): \
         10 × 71 / 80 = 8.875 -> 9"
    );
    assert_eq!(
        a.recommend(89),
        12,
        "89 is outside the band: 10 × 89 / 80 = 11.125 -> 12"
    );
    // Without the band these small deviations would act:
    // 10 × 75 / 80 = 9.375 -> 10 (no change anyway), 10 × 87 / 80 = 10.875 -> 11.
    assert_eq!(
        a.recommend(87),
        10,
        "87 is inside the band: hold, though 10.875 rounds to 11"
    );

    let tight = Policy {
        tolerance_percent: 0,
        ..policy()
    };
    let (_, a) = scaler(tight, 4);
    assert_eq!(a.recommend(50), 4);
    assert_eq!(a.recommend(51), 5, "tolerance 0: 4 × 51 / 50 = 4.08 -> 5");
}

#[test]
fn the_first_action_needs_no_cooldown() {
    let (_, mut a) = scaler(policy(), 2);
    assert_eq!(
        a.observe(150),
        Decision::ScaleOut { from: 2, to: 6 },
        "at t = 0 with no earlier action, an overload is met at once: 2 × 150 / 50 = 6"
    );
    assert_eq!(a.replicas(), 6);
}

#[test]
fn an_action_allows_the_next_only_a_full_cooldown_later() {
    let (clock, mut a) = scaler(policy(), 2);
    clock.advance(Duration::from_secs(3_600));
    assert_eq!(a.observe(150), Decision::ScaleOut { from: 2, to: 6 });
    // 6 × 150 / 50 = 18: wanted, but not yet.
    clock.advance(COOLDOWN - Duration::from_millis(1));
    assert_eq!(
        a.observe(150),
        Decision::Hold,
        "1 ms before the cooldown ends: no second action"
    );
    assert_eq!(
        a.recommend(150),
        18,
        "the recommendation stands; only the cooldown holds it"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        a.observe(150),
        Decision::ScaleOut { from: 6, to: 18 },
        "an action at t allows the next at t + cooldown exactly"
    );
    clock.advance(COOLDOWN);
    assert_eq!(
        a.observe(10),
        Decision::ScaleIn { from: 18, to: 4 },
        "scale-in jumps straight there too: 18 × 10 / 50 = 3.6 -> 4"
    );
    assert_eq!(a.replicas(), 4);
}

#[test]
fn holds_do_not_start_a_cooldown() {
    let (clock, mut a) = scaler(policy(), 20);
    assert_eq!(
        a.observe(200),
        Decision::Hold,
        "at max_replicas under overload there is nothing to do"
    );
    clock.advance(TICK);
    assert_eq!(a.observe(50), Decision::Hold, "on target: hold");
    clock.advance(TICK);
    assert_eq!(
        a.observe(10),
        Decision::ScaleIn { from: 20, to: 4 },
        "no ACTION happened yet, so nothing holds this one back: a hold (at a bound, or in \
         the band) must not start a cooldown"
    );
    let (clock, mut a) = scaler(policy(), 2);
    for _ in 0..5 {
        assert_eq!(
            a.observe(0),
            Decision::Hold,
            "at min_replicas with no load: hold"
        );
        clock.advance(TICK);
    }
    assert_eq!(a.observe(150), Decision::ScaleOut { from: 2, to: 6 });
}

#[test]
fn a_zero_cooldown_may_act_on_every_observation() {
    let p = Policy {
        cooldown: Duration::ZERO,
        ..policy()
    };
    let (_, mut a) = scaler(p, 2);
    assert_eq!(a.observe(100), Decision::ScaleOut { from: 2, to: 4 });
    assert_eq!(a.observe(100), Decision::ScaleOut { from: 4, to: 8 });
}

#[test]
fn a_load_step_is_met_in_one_action_at_the_first_tick_the_cooldown_allows() {
    let (clock, mut a) = scaler(policy(), 4);
    // t = 0: demand 260 (% of one replica) on 4 replicas: 65 % each, out of
    // the 45..=55 band: 4 × 65 / 50 = 5.2 -> 6.
    let mut demand = 260;
    assert_eq!(
        a.observe(utilisation(demand, 4)),
        Decision::ScaleOut { from: 4, to: 6 }
    );
    // t = 15 s: the load steps to 1 000 (20 replicas' worth at 50 %).
    // 1 000 / 6 = 166 % each: 6 × 166 / 50 = 19.92 -> 20. The cooldown
    // (60 s from t = 0) holds it at t = 15, 30 and 45 s, and lets it go at
    // t = 60 s: the 4th tick after the step, i.e. within ⌈cooldown / tick⌉.
    demand = 1_000;
    let mut acted_at = None;
    for tick in 1..=8 {
        clock.advance(TICK);
        let before = a.replicas();
        match a.observe(utilisation(demand, before)) {
            Decision::Hold => {}
            Decision::ScaleOut { from, to } => {
                assert_eq!(from, before);
                assert_eq!(
                    to, 20,
                    "a load step is met in ONE action straight to ⌈6 × 166 / 50⌉ = 20, \
                     not one replica at a time"
                );
                acted_at = Some(clock.monotonic());
                break;
            }
            other => panic!("tick {tick}: {other:?} under a load step"),
        }
    }
    assert_eq!(
        acted_at,
        Some(COOLDOWN),
        "the scale-out happens at the first tick the cooldown allows (t = 60 s), the 4th \
         tick after the step"
    );
    assert_eq!(a.replicas(), 20);
    assert_eq!(utilisation(demand, 20), 50, "on target again");
    // t = 75 s: the load falls back to 200, 10 % on 20 replicas: 20 × 10 / 50 = 4.
    // The cooldown from t = 60 s holds it at 75, 90, 105 s; at 120 s, one
    // scale-in, straight down.
    demand = 200;
    let mut actions = Vec::new();
    for _ in 0..8 {
        clock.advance(TICK);
        let d = a.observe(utilisation(demand, a.replicas()));
        if d != Decision::Hold {
            actions.push((clock.monotonic(), d));
        }
    }
    assert_eq!(
        actions,
        vec![(2 * COOLDOWN, Decision::ScaleIn { from: 20, to: 4 })],
        "after the load falls: one scale-in to 4 at t = 120 s (a full cooldown after the \
         scale-out), then holds at 50 %"
    );
}

#[test]
fn no_flapping_while_the_metric_wobbles_inside_the_band() {
    // On 4 replicas, demand 180..=220 reads 45..=55 %: inside 50 ± 5. A
    // scaler without the band would chase it: at 210 (52 %) it wants
    // ⌈4.16⌉ = 5, then at 190 on 5 replicas (38 %) it wants ⌈3.8⌉ = 4, and so
    // on, one action every cooldown for ever.
    run_seeds(&[1, 2, 3, 4, 5], |seed| {
        let mut rng = Rng::new(seed).stream("demand");
        let (clock, mut a) = scaler(policy(), 4);
        for tick in 0..1_000 {
            let demand = 180 + rng.below(41) as u32;
            let u = utilisation(demand, a.replicas());
            let d = a.observe(u);
            assert_eq!(
                d,
                Decision::Hold,
                "seed {seed}, tick {tick}: {u} % is inside the tolerance band 45..=55, so no \
                 action (acting on noise flaps the fleet)"
            );
            clock.advance(TICK);
        }
    });
    // The edges exactly, alternating.
    let (clock, mut a) = scaler(policy(), 4);
    for u in [45, 55, 45, 55, 50, 45, 55] {
        assert_eq!(
            a.observe(u),
            Decision::Hold,
            "{u} % is on the band's edge: hold"
        );
        clock.advance(COOLDOWN);
    }
}

#[test]
fn under_random_load_it_acts_once_per_cooldown_at_most_stays_in_bounds_and_never_dawdles() {
    run_seeds(&[1, 2, 3, 4, 5], |seed| {
        let mut rng = Rng::new(seed).stream("demand");
        let p = Policy {
            min_replicas: 3,
            max_replicas: 12,
            ..policy()
        };
        let (clock, mut a) = scaler(p, 3);
        let mut demand: u32 = 150;
        let mut last_action: Option<Duration> = None;
        let mut actions = 0;
        for tick in 0..2_000 {
            // A random walk with occasional jumps, clamped to 0..=1 200.
            demand = if rng.chance(0.05) {
                rng.below(1_201) as u32
            } else {
                (demand as i64 + rng.below(81) as i64 - 40).clamp(0, 1_200) as u32
            };
            let before = a.replicas();
            let u = utilisation(demand, before);
            let wanted = a.recommend(u);
            let now = clock.monotonic();
            let allowed = last_action.is_none_or(|t| now - t >= COOLDOWN);
            let d = a.observe(u);
            let at = format!("seed {seed}, tick {tick} ({u} % on {before} replicas)");
            match d {
                Decision::Hold => {
                    assert_eq!(a.replicas(), before, "{at}: Hold changed the count");
                    assert!(
                        wanted == before || !allowed,
                        "{at}: it wanted {wanted} and the cooldown allowed an action, but it \
                         held: it must act at the first observation the cooldown allows"
                    );
                }
                Decision::ScaleOut { from, to } | Decision::ScaleIn { from, to } => {
                    actions += 1;
                    assert_eq!(from, before, "{at}: `from` is the count before");
                    assert_eq!(to, a.replicas(), "{at}: `to` is the count after");
                    assert_eq!(to, wanted, "{at}: an action goes straight to recommend()");
                    assert_eq!(
                        matches!(d, Decision::ScaleOut { .. }),
                        to > from,
                        "{at}: ScaleOut adds, ScaleIn removes"
                    );
                    if let Some(t) = last_action {
                        assert!(
                            now - t >= COOLDOWN,
                            "{at}: two actions {:?} apart, less than the {COOLDOWN:?} cooldown",
                            now - t
                        );
                    }
                    last_action = Some(now);
                }
            }
            assert!(
                (3..=12).contains(&a.replicas()),
                "{at}: {} replicas is outside min..=max 3..=12",
                a.replicas()
            );
            clock.advance(TICK);
        }
        assert!(
            actions >= 20,
            "seed {seed}: only {actions} actions; the load should move it"
        );
    });
}

//! Stage 1: the failure detector. The timeout rule on hand-made gaps, then
//! a heartbeat sender on `kit::sim`'s jittered links over fixed seeds:
//! false suspicions stay below a stated rate, a crash is suspected within
//! the timeout plus one interval, and on a steady link the timeout is
//! tight. A detector with no margin (a timeout of about one interval)
//! suspects on jitter and fails; so does a fixed, generous timeout, on the
//! steady link.

use crate::common::*;

use kit::sim::{LinkConfig, Network};

/// Gaps `gaps` after a detector created at tick 0.
fn after_gaps(config: DetectorConfig, gaps: &[u64]) -> Detector {
    let mut d = Detector::new(config, 0);
    let mut t = 0;
    for &g in gaps {
        t += g;
        d.heartbeat(t);
    }
    d
}

fn alternating(a: u64, b: u64, n: usize) -> Vec<u64> {
    (0..n).map(|i| if i % 2 == 0 { a } else { b }).collect()
}

// ------------------------------------------------------------ the rule

#[test]
fn a_new_detector_uses_the_initial_timeout() {
    let config = DetectorConfig::new(5);
    assert_eq!(config.initial_timeout, 15, "3 * interval");
    assert_eq!(
        (config.window, config.min_samples),
        (32, 8),
        "the documented defaults"
    );
    assert_eq!((config.deviations, config.min_std_dev), (4.0, 0.5));
    let d = Detector::new(config, 100);
    assert_eq!(d.last_heard(), 100, "creation counts as the last heartbeat");
    assert_eq!(d.samples(), 0);
    assert_eq!(d.timeout(), 15);
    assert!(
        !d.suspects(115),
        "15 ticks of silence is not more than the timeout"
    );
    assert!(d.suspects(116), "16 ticks of silence is");
}

#[test]
fn steady_gaps_give_the_mean_plus_the_minimum_margin() {
    let d = after_gaps(DetectorConfig::new(5), &[5; 10]);
    assert_eq!(d.samples(), 10);
    assert_eq!(
        d.timeout(),
        7,
        "gaps all 5: mean 5, standard deviation 0, raised to min_std_dev 0.5; 5 + 4 * 0.5 = 7"
    );
    assert!(!d.suspects(50 + 7));
    assert!(d.suspects(50 + 8));
}

#[test]
fn jittery_gaps_widen_the_timeout() {
    let d = after_gaps(DetectorConfig::new(5), &alternating(3, 7, 10));
    assert_eq!(
        d.timeout(),
        13,
        "gaps 3, 7, 3, 7, ...: mean 5, population standard deviation 2; 5 + 4 * 2 = 13"
    );
}

#[test]
fn the_timeout_is_rounded_up() {
    // Gaps 4, 5, 6, 5 repeated: mean 5, variance 0.5, sd 0.7071...
    let gaps: Vec<u64> = [4, 5, 6, 5].repeat(4);
    let d = after_gaps(DetectorConfig::new(5), &gaps);
    assert_eq!(d.timeout(), 8, "5 + 4 * 0.7071 = 7.83, rounded up to 8");
}

#[test]
fn the_initial_timeout_holds_until_min_samples_gaps_are_known() {
    let d = after_gaps(DetectorConfig::new(5), &[5; 7]);
    assert_eq!(
        d.timeout(),
        15,
        "7 gaps, min_samples 8: still the initial timeout"
    );
    let d = after_gaps(DetectorConfig::new(5), &[5; 8]);
    assert_eq!(d.timeout(), 7, "8 gaps: adapted");
}

#[test]
fn only_the_last_window_gaps_count() {
    let mut gaps = vec![9; 32];
    gaps.extend([5; 31]);
    let d = after_gaps(DetectorConfig::new(5), &gaps);
    assert_eq!(d.samples(), 32, "the window holds 32 gaps");
    assert!(
        d.timeout() > 7,
        "one gap of 9 is still among the last 32: the timeout is above the steady 7"
    );
    gaps.push(5);
    let d = after_gaps(DetectorConfig::new(5), &gaps);
    assert_eq!(
        d.timeout(),
        7,
        "after 32 gaps of 5 the older gaps of 9 are forgotten: a detector must follow the link \
         as it is now, not as it was"
    );
}

#[test]
fn a_heartbeat_in_the_same_tick_adds_no_gap() {
    let mut d = Detector::new(DetectorConfig::new(5), 0);
    d.heartbeat(10);
    d.heartbeat(10);
    d.heartbeat(9);
    assert_eq!(
        d.samples(),
        1,
        "two heartbeats in one tick (or an older tick) are one arrival: a gap of 0 would \
         shrink the timeout"
    );
    assert_eq!(d.last_heard(), 10);
}

#[test]
fn a_heartbeat_ends_a_suspicion() {
    let mut d = after_gaps(DetectorConfig::new(5), &[5; 10]);
    assert!(d.suspects(70));
    d.heartbeat(70);
    assert!(!d.suspects(70), "a sign of life clears the suspicion");
    assert!(!d.suspects(77));
}

#[test]
fn the_configuration_is_honoured() {
    let config = DetectorConfig {
        window: 4,
        min_samples: 2,
        deviations: 2.0,
        min_std_dev: 1.0,
        initial_timeout: 50,
    };
    let d = after_gaps(config.clone(), &[5]);
    assert_eq!(d.timeout(), 50, "one gap, min_samples 2");
    let d = after_gaps(config.clone(), &[5, 5]);
    assert_eq!(d.timeout(), 7, "5 + 2 * max(0, 1.0)");
    let d = after_gaps(config.clone(), &[9, 9, 3, 7, 3, 7]);
    assert_eq!(d.timeout(), 9, "window 4 keeps 3, 7, 3, 7: 5 + 2 * 2");
}

#[test]
#[should_panic(expected = "window must be positive")]
fn an_empty_window_is_refused() {
    let config = DetectorConfig {
        window: 0,
        ..DetectorConfig::new(5)
    };
    let _ = Detector::new(config, 0);
}

#[test]
#[should_panic(expected = "min_samples must be in 1..=window")]
fn min_samples_beyond_the_window_is_refused() {
    let config = DetectorConfig {
        window: 4,
        min_samples: 5,
        ..DetectorConfig::new(5)
    };
    let _ = Detector::new(config, 0);
}

#[test]
#[should_panic(expected = "min_samples must be in 1..=window")]
fn zero_min_samples_is_refused() {
    let config = DetectorConfig {
        min_samples: 0,
        ..DetectorConfig::new(5)
    };
    let _ = Detector::new(config, 0);
}

// ---------------------------------------------------- on a real(ish) link

/// Heartbeats every this many ticks.
const INTERVAL: u64 = 5;
/// The bound on false suspicions: episodes per heartbeat sent.
const MAX_FALSE_RATE: f64 = 0.005;

/// Delays of 1 to INTERVAL ticks (so heartbeats arrive 1 to 9 ticks apart)
/// and 2% of them lost.
fn jittery() -> LinkConfig {
    LinkConfig {
        drop: 0.02,
        duplicate: 0.0,
        min_delay: 1,
        max_delay: INTERVAL,
        long_delay: 0.0,
        long_delay_max: INTERVAL,
    }
}

/// Every heartbeat takes exactly 2 ticks.
fn steady() -> LinkConfig {
    LinkConfig {
        min_delay: 2,
        max_delay: 2,
        ..LinkConfig::reliable()
    }
}

struct Run {
    heartbeats: u64,
    /// Times the detector went from trusting to suspecting while the sender
    /// was alive.
    false_suspicions: u64,
    /// (tick the sender stopped, tick it was first suspected, timeout then).
    detection: Option<(u64, u64, u64)>,
}

/// Node 0 heartbeats node 1 every INTERVAL ticks for `ticks` ticks, then
/// stops if `crash` (and the run goes on until node 1 suspects it, or 200
/// ticks). Node 1 checks its detector every tick, after the deliveries.
fn run(seed: u64, link: LinkConfig, config: DetectorConfig, ticks: u64, crash: bool) -> Run {
    let mut net: Network<u64> = Network::new(2, seed);
    net.set_links(link);
    net.record_traffic(false);
    let mut d = Detector::new(config, 0);
    let mut r = Run {
        heartbeats: 0,
        false_suspicions: 0,
        detection: None,
    };
    let mut suspected = false;
    let end = if crash { ticks + 200 } else { ticks };
    for _ in 0..end {
        net.tick();
        let now = net.now();
        while let Some(e) = net.deliver() {
            d.heartbeat(now);
            let _ = e;
        }
        let alive = now < ticks;
        let s = d.suspects(now);
        if s && !suspected && alive {
            r.false_suspicions += 1;
        }
        if s && !alive && crash {
            r.detection = Some((ticks, now, d.timeout()));
            break;
        }
        suspected = s;
        if alive && now.is_multiple_of(INTERVAL) {
            net.send(0, 1, now);
            r.heartbeats += 1;
        }
    }
    r
}

fn false_rate(config: &DetectorConfig) -> (f64, String) {
    let mut sent = 0;
    let mut false_suspicions = 0;
    let mut per_seed = Vec::new();
    for seed in kit::sim::seeds(&SEEDS) {
        let r = run(seed, jittery(), config.clone(), 5_000, false);
        sent += r.heartbeats;
        false_suspicions += r.false_suspicions;
        per_seed.push(format!("seed {seed}: {}", r.false_suspicions));
    }
    (
        false_suspicions as f64 / sent as f64,
        format!(
            "{false_suspicions} false suspicions in {sent} heartbeats ({})",
            per_seed.join(", ")
        ),
    )
}

#[test]
fn false_suspicions_are_rare_under_jitter() {
    let (rate, report) = false_rate(&DetectorConfig::new(INTERVAL));
    eprintln!("adaptive detector, jittered links: {report}");
    assert!(
        rate < MAX_FALSE_RATE,
        "heartbeats every {INTERVAL} ticks over links that delay them 1 to {INTERVAL} ticks and \
         lose 2%: the detector falsely suspected the live sender {:.2}% of heartbeats, the bound \
         is {:.2}% ({report}). The timeout must leave a margin of several standard deviations \
         of the gaps above their mean; every false suspicion is a failover attempt.",
        rate * 100.0,
        MAX_FALSE_RATE * 100.0
    );
}

#[test]
fn a_detector_without_margin_suspects_on_jitter() {
    // The wrong design, through the configuration: timeout = mean gap.
    let no_margin = DetectorConfig {
        deviations: 0.0,
        min_std_dev: 0.0,
        ..DetectorConfig::new(INTERVAL)
    };
    let (rate, report) = false_rate(&no_margin);
    eprintln!("detector with no margin, jittered links: {report}");
    assert!(
        rate > 0.10,
        "with deviations = 0 and min_std_dev = 0 the timeout is the mean gap, {INTERVAL} ticks, \
         and every heartbeat that is a little late is a suspicion: expected over 10% of \
         heartbeats, got {:.2}% ({report}). Does the timeout use the configuration?",
        rate * 100.0
    );
}

#[test]
fn a_crash_is_suspected_within_the_timeout_plus_one_interval() {
    for seed in kit::sim::seeds(&SEEDS) {
        let stop = 1_000 + seed * 7;
        let r = run(seed, jittery(), DetectorConfig::new(INTERVAL), stop, true);
        let Some((stopped, at, timeout)) = r.detection else {
            panic!(
                "seed {seed}: the sender stopped at tick {stop} and was still trusted 200 ticks \
                 later"
            );
        };
        assert!(
            at - stopped <= timeout + INTERVAL,
            "seed {seed}: the sender stopped at tick {stopped}, suspected at {at}: {} ticks, more \
             than timeout ({timeout}) + interval ({INTERVAL}). Measure silence from the last \
             heartbeat's arrival.",
            at - stopped
        );
        assert!(
            timeout < 4 * INTERVAL,
            "seed {seed}: a timeout of {timeout} ticks for heartbeats every {INTERVAL} ticks \
             jittered by at most {INTERVAL}: the margin is wider than the link needs"
        );
    }
}

#[test]
fn on_a_steady_link_the_timeout_is_tight() {
    for seed in kit::sim::seeds(&SEEDS) {
        let r = run(seed, steady(), DetectorConfig::new(INTERVAL), 500, true);
        let (stopped, at, timeout) = r.detection.expect("the stop is detected");
        assert_eq!(r.false_suspicions, 0, "a steady link never looks dead");
        assert_eq!(
            timeout,
            INTERVAL + 2,
            "every gap is exactly {INTERVAL} ticks: the timeout is the mean plus 4 * min_std_dev"
        );
        assert!(
            at - stopped <= 2 * INTERVAL + 2,
            "seed {seed}: on a steady link the stop must be noticed within {} ticks, took {}: \
             a fixed generous timeout (say the initial 3 * interval) detects slowly where the \
             link would allow a fast answer",
            2 * INTERVAL + 2,
            at - stopped
        );
    }
}

#[test]
fn the_timeout_follows_the_link() {
    let mut steady_timeouts = Vec::new();
    let mut jittery_timeouts = Vec::new();
    for seed in kit::sim::seeds(&SEEDS) {
        let s = run(seed, steady(), DetectorConfig::new(INTERVAL), 600, true);
        let j = run(seed, jittery(), DetectorConfig::new(INTERVAL), 600, true);
        steady_timeouts.push(s.detection.expect("detected").2);
        jittery_timeouts.push(j.detection.expect("detected").2);
    }
    let steady_max = steady_timeouts.iter().max().copied().unwrap_or(0);
    let jittery_min = jittery_timeouts.iter().min().copied().unwrap_or(0);
    assert!(
        jittery_min > steady_max,
        "the timeout must grow with the jitter: steady link {steady_timeouts:?}, jittered link \
         {jittery_timeouts:?}"
    );
}

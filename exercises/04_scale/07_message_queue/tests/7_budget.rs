//! Stage 7 (counted efficiency): redeliveries. Every receive is counted per
//! message over the seeded crash schedule of stage 6. A message may be
//! delivered once, plus once for every consumer that crashed holding it,
//! plus once for every consumer that overran its visibility timeout; a
//! consumer that heartbeats keeps its message to itself. More deliveries
//! mean work done twice for nothing: a timeout restored too early, a
//! heartbeat that does not extend, an in-flight message handed out again.
//! And the dedup window's memory is counted: never more than its capacity.

use kit::history::LogOptions;

use crate::common::{SEEDS, SIM_WINDOW, simulate};

fn check_budget(grouped: bool) {
    for seed in SEEDS {
        let r = simulate(seed, grouped, SIM_WINDOW);
        assert!(
            r.stolen_from_heartbeat.is_empty(),
            "seed {seed}: a consumer that heartbeats (change_visibility by the visibility \
             timeout every tick) must keep its message; it was delivered elsewhere:\n  {}",
            r.stolen_from_heartbeat.join("\n  ")
        );
        let mut over = Vec::new();
        for (id, &n) in &r.receives {
            let allowed = 1
                + r.crashes.get(id).copied().unwrap_or(0)
                + r.timeouts.get(id).copied().unwrap_or(0);
            if n > allowed {
                over.push(format!(
                    "{id:?}: received {n} times, allowed {allowed} (1 + crashes + timeouts)"
                ));
            }
        }
        over.sort();
        assert!(
            over.is_empty(),
            "seed {seed}: messages were redelivered without a crash or a timeout to explain \
             it ({} of them):\n  {}",
            over.len(),
            over.iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        );
        let budget = r.total_crashes() + r.total_timeouts();
        assert!(
            r.redeliveries() <= budget,
            "seed {seed}: {} redeliveries, budget {budget} (crashes + timeouts)",
            r.redeliveries()
        );
        assert_eq!(
            r.receives.len() as u64,
            r.sent_ok,
            "seed {seed}: every stored message is received at least once"
        );
    }
}

#[test]
fn redeliveries_are_at_most_crashes_plus_timeouts() {
    check_budget(false);
}

#[test]
fn redeliveries_are_at_most_crashes_plus_timeouts_in_groups() {
    check_budget(true);
}

#[test]
fn the_dedup_window_holds_at_most_its_capacity() {
    for grouped in [false, true] {
        for seed in SEEDS {
            let r = simulate(seed, grouped, SIM_WINDOW);
            assert!(
                r.window_max_len <= SIM_WINDOW,
                "seed {seed}: the dedup window held {} ids, its capacity is {SIM_WINDOW}: a \
                 window that keeps every id grows with the queue's lifetime",
                r.window_max_len
            );
            assert!(
                r.window_needed <= SIM_WINDOW,
                "seed {seed}: the scenario needs a window of {}, more than the stated \
                 {SIM_WINDOW}: does the queue deliver oldest first?",
                r.window_needed
            );
        }
    }
}

#[test]
fn a_window_too_small_lets_duplicates_through() {
    let mut doubled = 0;
    for seed in SEEDS {
        let r = simulate(seed, false, 4);
        doubled += r
            .effects
            .check(&LogOptions::default())
            .iter()
            .filter(|a| a.rule() == "duplicate")
            .count();
    }
    assert!(
        doubled > 0,
        "with a window of 4 ids, redeliveries come later than 4 other messages, so some \
         effects must be applied twice; none was: does DedupWindow forget the oldest id when \
         full, and only then?"
    );
}

//! Health: which backends may take requests. Active checks probe every
//! backend on each tick; passive checks watch the answers real requests get.
//! The [`Balancer`] keeps both, counts requests in flight, and asks its
//! [`Policy`] to choose among the backends that are available.

use std::time::Duration;

use kit::clock::Clock;

use crate::policy::{Candidate, Policy};

/// Thresholds of the two kinds of health checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthConfig {
    /// Consecutive failed active checks that take an up backend down
    /// (HAProxy's `fall`). At least 1.
    pub fall: u32,
    /// Consecutive successful active checks that bring a down backend back up
    /// (HAProxy's `rise`). At least 1.
    pub rise: u32,
    /// Consecutive failed requests that eject a backend (Envoy's
    /// `consecutive_5xx`, nginx's `max_fails`). At least 1.
    pub eject_after: u32,
    /// How long an ejected backend gets no requests (Envoy's
    /// `base_ejection_time`, nginx's `fail_timeout`).
    pub ejection: Duration,
}

/// What the balancer thinks of one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Takes requests.
    Up,
    /// Failed `fall` active checks in a row; back after `rise` successes.
    Down,
    /// Failed `eject_after` requests in a row; back once the ejection time
    /// has passed.
    Ejected,
}

#[derive(Debug, Clone)]
struct Backend {
    weight: u32,
    in_flight: u32,
    down: bool,
    /// Consecutive active checks that disagree with `down` (failures while
    /// up, successes while down).
    streak: u32,
    /// Consecutive failed requests.
    failures: u32,
    /// Ejected until this monotonic time.
    ejected_until: Option<Duration>,
}

/// A pool of backends with health checking and in-flight counts, choosing
/// with a [`Policy`] among those available.
///
/// A backend is *available* when it is not down and not ejected. Every
/// backend starts up.
#[derive(Debug)]
pub struct Balancer<P, C> {
    backends: Vec<Backend>,
    policy: P,
    config: HealthConfig,
    clock: C,
}

impl<P: Policy, C: Clock> Balancer<P, C> {
    /// A balancer over `weights.len()` backends, backend `i` of weight
    /// `weights[i]`, all up.
    ///
    /// # Panics
    /// If a weight is zero: "every backend weight must be at least 1"; if
    /// `fall`, `rise` or `eject_after` is zero: "fall, rise and eject_after
    /// must be at least 1".
    pub fn new(weights: &[u32], policy: P, config: HealthConfig, clock: C) -> Self {
        assert!(
            weights.iter().all(|&w| w > 0),
            "every backend weight must be at least 1"
        );
        assert!(
            config.fall > 0 && config.rise > 0 && config.eject_after > 0,
            "fall, rise and eject_after must be at least 1"
        );
        let backends = weights
            .iter()
            .map(|&weight| Backend {
                weight,
                in_flight: 0,
                down: false,
                streak: 0,
                failures: 0,
                ejected_until: None,
            })
            .collect();
        Self {
            backends,
            policy,
            config,
            clock,
        }
    }

    /// How many backends there are, available or not.
    pub fn len(&self) -> usize {
        self.backends.len()
    }

    /// True if there are no backends at all.
    pub fn is_empty(&self) -> bool {
        self.backends.is_empty()
    }

    /// Readmits every backend whose ejection time has passed.
    fn readmit(&mut self) {
        let now = self.clock.monotonic();
        for b in &mut self.backends {
            if b.ejected_until.is_some_and(|until| now >= until) {
                b.ejected_until = None;
                b.failures = 0;
            }
        }
    }

    /// Backend `id`'s status now: `Down` if active checks took it down (even
    /// if it is also ejected), else `Ejected` while its ejection lasts, else
    /// `Up`.
    ///
    /// # Panics
    /// If `id` is not a backend.
    pub fn status(&self, id: usize) -> Status {
        let b = &self.backends[id];
        let now = self.clock.monotonic();
        if b.down {
            Status::Down
        } else if b.ejected_until.is_some_and(|until| now < until) {
            Status::Ejected
        } else {
            Status::Up
        }
    }

    /// Requests picked for backend `id` and not finished yet.
    ///
    /// # Panics
    /// If `id` is not a backend.
    pub fn in_flight(&self, id: usize) -> u32 {
        self.backends[id].in_flight
    }

    /// Chooses a backend for a request with affinity `key`: asks the policy
    /// among the available backends not in `exclude` (the ones already tried
    /// for this request), in id order, with their weights and in-flight
    /// counts. Counts the request as in flight on the chosen backend. `None`
    /// if no backend is left.
    pub fn pick(&mut self, key: &[u8], exclude: &[usize]) -> Option<usize> {
        self.readmit();
        let candidates: Vec<Candidate> = self
            .backends
            .iter()
            .enumerate()
            .filter(|&(id, b)| !b.down && b.ejected_until.is_none() && !exclude.contains(&id))
            .map(|(id, b)| Candidate {
                id,
                weight: b.weight,
                in_flight: b.in_flight,
            })
            .collect();
        let id = self.policy.pick(&candidates, key)?;
        assert!(
            candidates.iter().any(|c| c.id == id),
            "the policy chose backend {id}, which was not a candidate"
        );
        self.backends[id].in_flight += 1;
        Some(id)
    }

    /// Reports that a request picked for `id` finished, `ok` or failed (a
    /// 5xx answer, or none). Passive checking: `eject_after` failures in a
    /// row eject the backend for `ejection`, measured on the clock from the
    /// failure that ejected it; a success resets the count. A failure
    /// reported while the backend is ejected (a request sent before) counts
    /// for nothing and does not extend the ejection. Once the ejection time
    /// has passed the backend is readmitted with a count of 0.
    ///
    /// # Panics
    /// If `id` has no request in flight: "finish without a pick".
    pub fn finish(&mut self, id: usize, ok: bool) {
        self.readmit();
        let now = self.clock.monotonic();
        let (eject_after, ejection) = (self.config.eject_after, self.config.ejection);
        let b = &mut self.backends[id];
        assert!(b.in_flight > 0, "finish without a pick");
        b.in_flight -= 1;
        if ok {
            b.failures = 0;
        } else if b.ejected_until.is_none() {
            b.failures += 1;
            if b.failures >= eject_after {
                b.ejected_until = Some(now + ejection);
            }
        }
    }

    /// One tick of active health checking: probes every backend once, in id
    /// order, whatever its status (a down backend must be probed to come
    /// back), and applies `fall` and `rise`: a failure while up or a
    /// success while down extends a streak, any other result ends it, and a
    /// streak of `fall` (up) or `rise` (down) flips the backend. Active
    /// checks neither end nor start an ejection.
    pub fn check(&mut self, mut probe: impl FnMut(usize) -> bool) {
        for (id, b) in self.backends.iter_mut().enumerate() {
            let ok = probe(id);
            // A probe that agrees with the current state ends any streak.
            if ok != b.down {
                b.streak = 0;
                continue;
            }
            b.streak += 1;
            let needed = if b.down {
                self.config.rise
            } else {
                self.config.fall
            };
            if b.streak >= needed {
                b.down = !b.down;
                b.streak = 0;
            }
        }
    }
}

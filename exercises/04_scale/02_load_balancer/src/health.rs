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
        // TODO
        todo!("validate weights and thresholds; every backend up, nothing in flight")
    }

    /// How many backends there are, available or not.
    pub fn len(&self) -> usize {
        // TODO
        todo!("the number of backends")
    }

    /// True if there are no backends at all.
    pub fn is_empty(&self) -> bool {
        // TODO
        todo!("no backends at all")
    }

    /// Readmits every backend whose ejection time has passed.
    fn readmit(&mut self) {
        // TODO
        todo!("end every ejection whose time has passed (with a clean failure count)")
    }

    /// Backend `id`'s status now: `Down` if active checks took it down (even
    /// if it is also ejected), else `Ejected` while its ejection lasts, else
    /// `Up`.
    ///
    /// # Panics
    /// If `id` is not a backend.
    pub fn status(&self, id: usize) -> Status {
        // TODO
        todo!("Down, else Ejected while the ejection lasts, else Up")
    }

    /// Requests picked for backend `id` and not finished yet.
    ///
    /// # Panics
    /// If `id` is not a backend.
    pub fn in_flight(&self, id: usize) -> u32 {
        // TODO
        todo!("requests picked for id and not finished")
    }

    /// Chooses a backend for a request with affinity `key`: asks the policy
    /// among the available backends not in `exclude` (the ones already tried
    /// for this request), in id order, with their weights and in-flight
    /// counts. Counts the request as in flight on the chosen backend. `None`
    /// if no backend is left.
    pub fn pick(&mut self, key: &[u8], exclude: &[usize]) -> Option<usize> {
        // TODO
        todo!(
            "ask the policy among available, non-excluded backends (in id order); count the pick in flight"
        )
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
        // TODO
        todo!("take it off in-flight; count consecutive failures and eject at eject_after")
    }

    /// One tick of active health checking: probes every backend once, in id
    /// order, whatever its status (a down backend must be probed to come
    /// back), and applies `fall` and `rise`: a failure while up or a
    /// success while down extends a streak, any other result ends it, and a
    /// streak of `fall` (up) or `rise` (down) flips the backend. Active
    /// checks neither end nor start an ejection.
    pub fn check(&mut self, mut probe: impl FnMut(usize) -> bool) {
        // TODO
        todo!("probe every backend once, in id order; apply fall and rise to consecutive results")
    }
}

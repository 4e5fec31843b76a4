//! Scaling out: back-of-envelope estimates, a stateless tier, an autoscaler.
//!
//! Three parts, one per box an interviewer draws when the answer is "add
//! servers":
//!
//! 1. **Estimates** as pure functions: peak requests per second from daily
//!    users, storage over years with replication, bandwidth in bits per
//!    second, and servers at a target utilisation with N+1/N+2 spares. Every
//!    fraction is an integer percent and every result is exact (integer
//!    arithmetic, rounded up where it says so), so the traps — bits vs bytes,
//!    10^3 vs 2^10, per day vs per second, `round` vs `ceil` — are in the
//!    types and the names, not in floating-point noise.
//! 2. **A stateless tier**: a [`Replica`] that keeps no session in its own
//!    memory. Every session lives in a [`SessionStore`] shared by all
//!    replicas (Redis or DynamoDB in production), so any replica serves any
//!    request and a replica can die without logging anyone out. Each request
//!    costs a stated, small number of store calls.
//! 3. **An autoscaler**: target tracking on average utilisation per replica,
//!    with a tolerance band (no action for small deviations) and a cooldown
//!    (at most one action per cooldown), on an injected [`Clock`].
//!
//! Read README.md first. The private fields are a suggestion; the public
//! API is fixed.
//!
//! ```
//! use scaling::{peak_qps, servers_needed, Redundancy};
//!
//! // 10 M daily users, 20 requests each, a peak 3x the average:
//! // 200 M / 86 400 s = 2 314.8 average, x3 = 6 944.4, rounded up.
//! let peak = peak_qps(10_000_000, 20, 300).unwrap();
//! assert_eq!(peak, 6_945);
//! // 500 requests/s per server, run at 70 %: 6 945 / 350 = 19.8 -> 20, plus one spare.
//! assert_eq!(servers_needed(peak, 500, 70, Redundancy::NPlus1).unwrap(), 21);
//! ```

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kit::clock::Clock;
use kit::rng::Rng;

// ---------------------------------------------------------------------------
// Part 1: estimates
// ---------------------------------------------------------------------------

/// Seconds in a day: 24 × 60 × 60. Not 10^5, the interview shortcut.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// Days in a year, for storage estimates (leap days ignored).
pub const DAYS_PER_YEAR: u64 = 365;

/// Why an estimate could not be made.
///
/// `Display` gives the messages quoted on each variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EstimateError {
    /// A peak factor below 100 percent: a peak cannot be below the average.
    /// Message: `peak factor must be at least 100 percent, got {peak_percent}`.
    PeakBelowAverage {
        /// The factor given.
        peak_percent: u32,
    },
    /// A target utilisation of 0 or above 100 percent.
    /// Message: `target utilisation must be 1..=100 percent, got {percent}`.
    UtilisationOutOfRange {
        /// The utilisation given.
        percent: u32,
    },
    /// A server that handles 0 requests per second.
    /// Message: `a server must handle at least 1 request per second`.
    ZeroCapacity,
    /// A replication factor of 0 (not even one copy).
    /// Message: `replication factor must be at least 1 (the data itself)`.
    ZeroReplication,
    /// The result does not fit the return type.
    /// Message: `the estimate overflows`.
    Overflow,
}

impl fmt::Display for EstimateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PeakBelowAverage { peak_percent } => {
                write!(
                    f,
                    "peak factor must be at least 100 percent, got {peak_percent}"
                )
            }
            Self::UtilisationOutOfRange { percent } => {
                write!(
                    f,
                    "target utilisation must be 1..=100 percent, got {percent}"
                )
            }
            Self::ZeroCapacity => f.write_str("a server must handle at least 1 request per second"),
            Self::ZeroReplication => {
                f.write_str("replication factor must be at least 1 (the data itself)")
            }
            Self::Overflow => f.write_str("the estimate overflows"),
        }
    }
}

impl std::error::Error for EstimateError {}

/// `a * b`, or `Overflow`.
fn mul(a: u128, b: u128) -> Result<u128, EstimateError> {
    a.checked_mul(b).ok_or(EstimateError::Overflow)
}

/// A `u128` result as `u64`, or `Overflow`.
fn narrow(value: u128) -> Result<u64, EstimateError> {
    u64::try_from(value).map_err(|_| EstimateError::Overflow)
}

/// Average requests per second over a day, rounded up:
/// `⌈users × requests_per_user_per_day / 86 400⌉`.
///
/// Zero users (or zero requests) is zero requests per second.
///
/// # Errors
/// `Overflow` if the result does not fit a `u64`.
pub fn average_qps(
    daily_active_users: u64,
    requests_per_user_per_day: u64,
) -> Result<u64, EstimateError> {
    let per_day = mul(daily_active_users.into(), requests_per_user_per_day.into())?;
    narrow(per_day.div_ceil(SECONDS_PER_DAY.into()))
}

/// Peak requests per second, rounded up once at the end:
/// `⌈users × requests_per_user_per_day × peak_percent / (86 400 × 100)⌉`.
///
/// `peak_percent` is the peak as a percentage of the average: 300 means the
/// busiest second carries 3× the average. The product is rounded up once, so
/// the result is *not* `average_qps(..) × 3` (rounding the average up first
/// would count a fraction of a request as a whole one and then triple it).
///
/// # Errors
/// `PeakBelowAverage` if `peak_percent < 100`; `Overflow` if the result does
/// not fit a `u64`.
pub fn peak_qps(
    daily_active_users: u64,
    requests_per_user_per_day: u64,
    peak_percent: u32,
) -> Result<u64, EstimateError> {
    if peak_percent < 100 {
        return Err(EstimateError::PeakBelowAverage { peak_percent });
    }
    let per_day = mul(daily_active_users.into(), requests_per_user_per_day.into())?;
    let scaled = mul(per_day, peak_percent.into())?;
    narrow(scaled.div_ceil(u128::from(SECONDS_PER_DAY) * 100))
}

/// Bytes stored after `years` of writing `items_per_day` items of
/// `bytes_per_item` bytes, with `replication` copies of everything:
/// `items × bytes × 365 × years × replication`, exactly.
///
/// `replication` counts *all* copies: 3 means the data and two replicas (as
/// HDFS's and Cassandra's replication factor 3 do), not three extra copies.
///
/// # Errors
/// `ZeroReplication` if `replication == 0`; `Overflow` if the result does
/// not fit a `u128`.
pub fn storage_bytes(
    items_per_day: u64,
    bytes_per_item: u64,
    years: u32,
    replication: u32,
) -> Result<u128, EstimateError> {
    if replication == 0 {
        return Err(EstimateError::ZeroReplication);
    }
    let per_day = mul(items_per_day.into(), bytes_per_item.into())?;
    let per_year = mul(per_day, DAYS_PER_YEAR.into())?;
    let all = mul(per_year, years.into())?;
    mul(all, replication.into())
}

/// A unit of bytes. Decimal (SI) units are powers of 1000, as disk vendors
/// and network and cloud bills count; binary (IEC) units are powers of 1024,
/// as operating systems and RAM count. A "1 TB" disk holds 0.91 TiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteUnit {
    /// 1 byte.
    Byte,
    /// kB: 10^3 bytes.
    Kilobyte,
    /// MB: 10^6 bytes.
    Megabyte,
    /// GB: 10^9 bytes.
    Gigabyte,
    /// TB: 10^12 bytes.
    Terabyte,
    /// PB: 10^15 bytes.
    Petabyte,
    /// KiB: 2^10 = 1 024 bytes.
    Kibibyte,
    /// MiB: 2^20 bytes.
    Mebibyte,
    /// GiB: 2^30 bytes.
    Gibibyte,
    /// TiB: 2^40 bytes.
    Tebibyte,
    /// PiB: 2^50 bytes.
    Pebibyte,
}

impl ByteUnit {
    /// How many bytes one of this unit is.
    pub fn bytes(self) -> u128 {
        match self {
            Self::Byte => 1,
            Self::Kilobyte => 1_000,
            Self::Megabyte => 1_000_000,
            Self::Gigabyte => 1_000_000_000,
            Self::Terabyte => 1_000_000_000_000,
            Self::Petabyte => 1_000_000_000_000_000,
            Self::Kibibyte => 1 << 10,
            Self::Mebibyte => 1 << 20,
            Self::Gibibyte => 1 << 30,
            Self::Tebibyte => 1 << 40,
            Self::Pebibyte => 1 << 50,
        }
    }
}

/// `bytes` in whole `unit`s, rounded up: how many units to provision so
/// that everything fits. `in_units(1, Kilobyte)` is 1; `in_units(0, _)` is 0.
pub fn in_units(bytes: u128, unit: ByteUnit) -> u128 {
    bytes.div_ceil(unit.bytes())
}

/// Network bandwidth in **bits** per second for `qps` requests per second
/// of `bytes_per_request` bytes each: `qps × bytes × 8`. Links and NICs are
/// sold in bits per second (decimal: 1 Gbit/s = 10^9 bit/s), so compare this
/// with the link's speed, not with bytes.
///
/// # Errors
/// `Overflow` if the result does not fit a `u128`.
pub fn bandwidth_bits_per_second(qps: u64, bytes_per_request: u64) -> Result<u128, EstimateError> {
    let bytes = mul(qps.into(), bytes_per_request.into())?;
    mul(bytes, 8)
}

/// Spare servers on top of the N that carry the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Redundancy {
    /// Exactly N: losing one server overloads the rest.
    N,
    /// N + 1: any one server can fail (or be drained for a deploy).
    NPlus1,
    /// N + 2: one can be down for maintenance while another fails.
    NPlus2,
}

impl Redundancy {
    /// Number of spare servers: 0, 1 or 2.
    pub fn spares(self) -> u64 {
        match self {
            Self::N => 0,
            Self::NPlus1 => 1,
            Self::NPlus2 => 2,
        }
    }
}

/// Servers needed to serve `peak_qps` when each server can handle
/// `qps_per_server` at 100 % and must run at no more than
/// `utilisation_percent`, plus the spares of `redundancy`:
///
/// `N = max(1, ⌈peak_qps × 100 / (qps_per_server × utilisation_percent)⌉)`,
/// result `N + spares`.
///
/// Always rounded up (11.2 servers is 12: with 11, each would run above the
/// target), and at least one server even with no traffic (a deployed
/// service runs somewhere). Spares are added after rounding.
///
/// # Errors
/// `UtilisationOutOfRange` unless `1 <= utilisation_percent <= 100`;
/// `ZeroCapacity` if `qps_per_server == 0`; `Overflow` if the result does not
/// fit a `u64`. Utilisation is checked first.
pub fn servers_needed(
    peak_qps: u64,
    qps_per_server: u64,
    utilisation_percent: u32,
    redundancy: Redundancy,
) -> Result<u64, EstimateError> {
    if !(1..=100).contains(&utilisation_percent) {
        return Err(EstimateError::UtilisationOutOfRange {
            percent: utilisation_percent,
        });
    }
    if qps_per_server == 0 {
        return Err(EstimateError::ZeroCapacity);
    }
    let demand = mul(peak_qps.into(), 100)?;
    let usable_per_server = mul(qps_per_server.into(), utilisation_percent.into())?;
    let n = narrow(demand.div_ceil(usable_per_server))?.max(1);
    n.checked_add(redundancy.spares())
        .ok_or(EstimateError::Overflow)
}

// ---------------------------------------------------------------------------
// Part 2: the stateless tier
// ---------------------------------------------------------------------------

/// A session token, as the client sends it back (in a cookie or a header).
///
/// A [`Replica`] issues tokens of 32 lowercase hex digits: the next two
/// `u64` draws of its generator, first draw first
/// (`format!("{a:016x}{b:016x}")`). A client may send anything, and a token
/// that names no session is simply not logged in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Token(pub String);

/// What the tier remembers between requests of one logged-in user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// Who logged in.
    pub user: String,
    /// The shopping cart, in the order items were added.
    pub cart: Vec<String>,
}

/// A request from a client, through the load balancer, to any replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Start a session for `user` with an empty cart.
    Login {
        /// Who logs in.
        user: String,
    },
    /// Read the cart (read-only).
    ViewCart {
        /// The session.
        token: Token,
    },
    /// Append `item` to the cart.
    AddToCart {
        /// The session.
        token: Token,
        /// What to add.
        item: String,
    },
    /// Remove the first `item` in the cart equal to this one, if any.
    RemoveFromCart {
        /// The session.
        token: Token,
        /// What to remove.
        item: String,
    },
    /// End the session.
    Logout {
        /// The session.
        token: Token,
    },
    /// A load balancer's health check.
    Health,
}

/// A replica's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// A session was created; the client sends `token` with later requests.
    LoggedIn {
        /// The new session's token.
        token: Token,
    },
    /// The cart after the request.
    Cart {
        /// Whose cart.
        user: String,
        /// Its items, in order.
        items: Vec<String>,
    },
    /// The session was deleted.
    LoggedOut,
    /// The token names no session (never issued, logged out, or lost).
    Unauthorized,
    /// The replica is up.
    Healthy,
}

/// Where sessions live, shared by every replica: Redis, Memcached or a
/// DynamoDB table in production; an instrumented map in the tests.
///
/// Every call is a network round trip in production, which is why
/// [`Replica::handle`] states how many it makes.
pub trait SessionStore: Send + Sync {
    /// The session stored under `token`, if any.
    fn get(&self, token: &Token) -> Option<Session>;
    /// Stores `session` under `token`, replacing any session there.
    fn put(&self, token: &Token, session: Session);
    /// Removes the session under `token`; true if there was one.
    fn delete(&self, token: &Token) -> bool;
}

/// One replica of the web tier. It keeps **no session state of its own**:
/// every session is read from and written to the shared [`SessionStore`] on
/// every request, so any replica can serve any request, a new replica is
/// useful at once, and a replica that dies loses nothing.
///
/// `Replica` is `Send + Sync`: one replica serves many requests at once.
pub struct Replica {
    store: Arc<dyn SessionStore>,
    /// Source of session tokens.
    tokens: Mutex<Rng>,
}

impl fmt::Debug for Replica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replica").finish_non_exhaustive()
    }
}

impl Replica {
    /// A replica over the shared `store`, drawing session tokens from `rng`.
    ///
    /// Give each replica its own stream (`root.stream("replica 3")`): two
    /// replicas with the same generator would issue the same tokens.
    pub fn new(store: Arc<dyn SessionStore>, rng: Rng) -> Self {
        Self {
            store,
            tokens: Mutex::new(rng),
        }
    }

    /// A fresh token: the next two `u64`s of the replica's generator, first
    /// draw first, as 32 lowercase hex digits (`format!("{a:016x}{b:016x}")`).
    /// 128 random bits never collide in practice, so login does not check the
    /// store first. (Production draws them from a CSPRNG: a guessable token is
    /// a stolen session.)
    fn new_token(&self) -> Token {
        let mut rng = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let (a, b) = (rng.next_u64(), rng.next_u64());
        Token(format!("{a:016x}{b:016x}"))
    }

    /// Serves one request, with exactly these store calls and no others:
    ///
    /// | request | response | store calls |
    /// |---|---|---|
    /// | `Login` | `LoggedIn { token }` (a fresh token) | 1 `put` (an empty cart) |
    /// | `ViewCart` | `Cart` | 1 `get` |
    /// | `AddToCart` | `Cart` with the item appended | 1 `get`, 1 `put` |
    /// | `RemoveFromCart`, item in the cart | `Cart` without its first copy | 1 `get`, 1 `put` |
    /// | `RemoveFromCart`, item not in the cart | `Cart`, unchanged | 1 `get` (nothing changed, nothing written) |
    /// | `Logout` | `LoggedOut` | 1 `delete` (no `get` first) |
    /// | `Health` | `Healthy` | none: a store outage must not fail every health check and empty the pool |
    ///
    /// Any request with a token that names no session answers `Unauthorized`
    /// after its one `get` (or `delete`, for `Logout`) and makes no other call.
    pub fn handle(&self, request: Request) -> Response {
        match request {
            Request::Login { user } => {
                let token = self.new_token();
                self.store.put(
                    &token,
                    Session {
                        user,
                        cart: Vec::new(),
                    },
                );
                Response::LoggedIn { token }
            }
            Request::ViewCart { token } => match self.store.get(&token) {
                Some(session) => cart(session),
                None => Response::Unauthorized,
            },
            Request::AddToCart { token, item } => {
                let Some(mut session) = self.store.get(&token) else {
                    return Response::Unauthorized;
                };
                session.cart.push(item);
                self.store.put(&token, session.clone());
                cart(session)
            }
            Request::RemoveFromCart { token, item } => {
                let Some(mut session) = self.store.get(&token) else {
                    return Response::Unauthorized;
                };
                if let Some(at) = session.cart.iter().position(|i| *i == item) {
                    session.cart.remove(at);
                    self.store.put(&token, session.clone());
                }
                cart(session)
            }
            Request::Logout { token } => {
                if self.store.delete(&token) {
                    Response::LoggedOut
                } else {
                    Response::Unauthorized
                }
            }
            Request::Health => Response::Healthy,
        }
    }
}

fn cart(session: Session) -> Response {
    Response::Cart {
        user: session.user,
        items: session.cart,
    }
}

// ---------------------------------------------------------------------------
// Part 3: the autoscaler
// ---------------------------------------------------------------------------

/// A target-tracking scaling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Never fewer replicas than this (at least 1).
    pub min_replicas: u32,
    /// Never more replicas than this.
    pub max_replicas: u32,
    /// The average utilisation per replica to hold, in percent (1..=100).
    pub target_percent: u32,
    /// The tolerance band, in percent *of the target* (not percentage
    /// points): no action while the utilisation `u` is within
    /// `target ± target × tolerance_percent / 100`, edges included. With a
    /// target of 80 and a tolerance of 10 the band is 72..=88. Below 100.
    pub tolerance_percent: u32,
    /// After an action, no other action until this much time has passed.
    pub cooldown: Duration,
}

/// Why a policy was refused. `Display` gives the messages quoted on each
/// variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    /// `min_replicas == 0`. Message: `min_replicas must be at least 1`.
    ZeroMinimum,
    /// `min_replicas > max_replicas`.
    /// Message: `min_replicas {min} is above max_replicas {max}`.
    MinAboveMax {
        /// The minimum given.
        min: u32,
        /// The maximum given.
        max: u32,
    },
    /// A target of 0 or above 100 percent.
    /// Message: `target utilisation must be 1..=100 percent, got {percent}`.
    TargetOutOfRange {
        /// The target given.
        percent: u32,
    },
    /// A tolerance of 100 percent or more (the band would reach zero).
    /// Message: `tolerance must be below 100 percent, got {percent}`.
    ToleranceTooLarge {
        /// The tolerance given.
        percent: u32,
    },
    /// A starting count outside the bounds.
    /// Message: `initial replicas {initial} outside {min}..={max}`.
    InitialOutOfRange {
        /// The count given.
        initial: u32,
        /// The policy's minimum.
        min: u32,
        /// The policy's maximum.
        max: u32,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ZeroMinimum => f.write_str("min_replicas must be at least 1"),
            Self::MinAboveMax { min, max } => {
                write!(f, "min_replicas {min} is above max_replicas {max}")
            }
            Self::TargetOutOfRange { percent } => {
                write!(
                    f,
                    "target utilisation must be 1..=100 percent, got {percent}"
                )
            }
            Self::ToleranceTooLarge { percent } => {
                write!(f, "tolerance must be below 100 percent, got {percent}")
            }
            Self::InitialOutOfRange { initial, min, max } => {
                write!(f, "initial replicas {initial} outside {min}..={max}")
            }
        }
    }
}

impl std::error::Error for PolicyError {}

/// What one observation led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No change.
    Hold,
    /// Add replicas: `from` before, `to` after.
    ScaleOut {
        /// Replicas before.
        from: u32,
        /// Replicas after.
        to: u32,
    },
    /// Remove replicas: `from` before, `to` after.
    ScaleIn {
        /// Replicas before.
        from: u32,
        /// Replicas after.
        to: u32,
    },
}

/// Target tracking, as Kubernetes' Horizontal Pod Autoscaler and AWS's
/// target-tracking policies do it, with these rules:
///
/// 1. Call [`observe`](Self::observe) once per evaluation period (a tick)
///    with the average utilisation per replica in percent. It may exceed 100:
///    it is demand over capacity (as HPA's CPU utilisation is relative to the
///    pods' requests), so an overloaded fleet reports how overloaded it is.
/// 2. The count target tracking asks for ([`recommend`](Self::recommend)):
///    inside the tolerance band, the current count; otherwise
///    `⌈replicas × utilisation / target⌉` (rounded up, never to nearest),
///    clamped to `min_replicas..=max_replicas`.
/// 3. If that equals the current count the decision is `Hold`, and nothing
///    starts a cooldown (holding at `max_replicas` under overload is not an
///    action).
/// 4. Otherwise the autoscaler acts — jumps straight to that count, in one
///    action, up or down — unless an earlier action happened less than
///    `cooldown` ago on the clock's monotonic time (an action at `t` allows
///    the next one at `t + cooldown`, not before). The first action needs no
///    cooldown. So a load step is met in one action, at the first
///    observation the cooldown allows.
pub struct Autoscaler<C> {
    policy: Policy,
    replicas: u32,
    /// Monotonic time of the last action.
    last_action: Option<Duration>,
    clock: C,
}

impl<C: fmt::Debug> fmt::Debug for Autoscaler<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Autoscaler")
            .field("policy", &self.policy)
            .field("replicas", &self.replicas)
            .field("last_action", &self.last_action)
            .field("clock", &self.clock)
            .finish()
    }
}

impl<C: Clock> Autoscaler<C> {
    /// An autoscaler starting at `initial_replicas`.
    ///
    /// # Errors
    /// Checked in this order: `ZeroMinimum`, `MinAboveMax`,
    /// `TargetOutOfRange`, `ToleranceTooLarge`, `InitialOutOfRange`.
    pub fn new(policy: Policy, initial_replicas: u32, clock: C) -> Result<Self, PolicyError> {
        let Policy {
            min_replicas: min,
            max_replicas: max,
            target_percent,
            tolerance_percent,
            ..
        } = policy;
        if min == 0 {
            return Err(PolicyError::ZeroMinimum);
        }
        if min > max {
            return Err(PolicyError::MinAboveMax { min, max });
        }
        if !(1..=100).contains(&target_percent) {
            return Err(PolicyError::TargetOutOfRange {
                percent: target_percent,
            });
        }
        if tolerance_percent >= 100 {
            return Err(PolicyError::ToleranceTooLarge {
                percent: tolerance_percent,
            });
        }
        if !(min..=max).contains(&initial_replicas) {
            return Err(PolicyError::InitialOutOfRange {
                initial: initial_replicas,
                min,
                max,
            });
        }
        Ok(Self {
            policy,
            replicas: initial_replicas,
            last_action: None,
            clock,
        })
    }

    /// The current replica count.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// True if `utilisation_percent` is inside the tolerance band:
    /// `|u − target| × 100 <= target × tolerance_percent`.
    fn in_band(&self, utilisation_percent: u32) -> bool {
        let target = u64::from(self.policy.target_percent);
        let deviation = u64::from(utilisation_percent).abs_diff(target);
        deviation * 100 <= target * u64::from(self.policy.tolerance_percent)
    }

    /// The count target tracking asks for at this utilisation (rule 2),
    /// ignoring the cooldown. Does not change anything.
    pub fn recommend(&self, utilisation_percent: u32) -> u32 {
        if self.in_band(utilisation_percent) {
            return self.replicas;
        }
        let demand = u64::from(self.replicas) * u64::from(utilisation_percent);
        let wanted = demand.div_ceil(u64::from(self.policy.target_percent));
        let clamped = wanted.clamp(
            self.policy.min_replicas.into(),
            self.policy.max_replicas.into(),
        );
        // Clamped to a u32 bound, so it fits.
        u32::try_from(clamped).unwrap_or(self.policy.max_replicas)
    }

    /// One tick: decides (rules 2–4), updates the count if it acts, and
    /// returns the decision.
    pub fn observe(&mut self, utilisation_percent: u32) -> Decision {
        let wanted = self.recommend(utilisation_percent);
        if wanted == self.replicas {
            return Decision::Hold;
        }
        let now = self.clock.monotonic();
        if let Some(last) = self.last_action
            && now.saturating_sub(last) < self.policy.cooldown
        {
            return Decision::Hold;
        }
        let from = self.replicas;
        self.replicas = wanted;
        self.last_action = Some(now);
        if wanted > from {
            Decision::ScaleOut { from, to: wanted }
        } else {
            Decision::ScaleIn { from, to: wanted }
        }
    }
}

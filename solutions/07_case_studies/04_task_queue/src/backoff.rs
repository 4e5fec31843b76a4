//! How long a failed task waits before its retry: exponential backoff with
//! "equal jitter", drawn from a seeded generator so a run replays exactly.

use kit::rng::Rng;

/// The delay in ms before retry number `failures` (1 after the first
/// failure) of task `id`:
///
/// ```text
/// ceiling = min(base_ms * 2^(failures - 1), max_ms)     (saturating)
/// half    = ceiling / 2                                   (integer division)
/// delay   = half + Rng::new(seed).stream(&format!("backoff/{id}/{failures}")).below(ceiling - half + 1)
/// ```
///
/// so the delay lies in `[ceiling / 2, ceiling]`, doubles with each failure
/// until the cap, and differs between tasks that failed together.
pub fn backoff_ms(seed: u64, id: u64, failures: u32, base_ms: u64, max_ms: u64) -> u64 {
    let doublings = failures.saturating_sub(1);
    let ceiling = 2_u64
        .checked_pow(doublings)
        .and_then(|factor| base_ms.checked_mul(factor))
        .map_or(max_ms, |delay| delay.min(max_ms));
    let half = ceiling / 2;
    let mut rng = Rng::new(seed).stream(&format!("backoff/{id}/{failures}"));
    half + rng.below(ceiling - half + 1)
}

//! What a create request may ask for: the URL, the alias, the lifetime.

use crate::errors::ApiError;

/// The longest URL accepted, in bytes (what browsers and most servers
/// handle without trouble).
pub const MAX_URL_LEN: usize = 2048;

/// The longest lifetime a link may ask for: ten years.
pub const MAX_TTL_SECS: u64 = 315_360_000;

/// Alias lengths accepted.
pub const ALIAS_LEN: std::ops::RangeInclusive<usize> = 3..=32;

/// Aliases refused whatever their case: the service's own routes, and names
/// a shortener keeps for itself.
pub const RESERVED: &[&str] = &[
    "shorten", "metrics", "stats", "health", "api", "admin", "static", "login", "www",
];

/// Accepts an absolute `http` or `https` URL: at most [`MAX_URL_LEN`]
/// bytes, printable ASCII only (no space, no control character: anything
/// else must be percent-encoded, and a raw one could split a `Location`
/// header), scheme in any case, and a non-empty authority.
pub fn url(url: &str) -> Result<(), ApiError> {
    todo!("absolute http(s), a host, printable ASCII only, at most MAX_URL_LEN bytes")
}

/// Accepts an alias of [`ALIAS_LEN`] characters from `[A-Za-z0-9_-]` that is
/// not [`RESERVED`] (compared ignoring case).
pub fn alias(alias: &str) -> Result<(), ApiError> {
    todo!("ALIAS_LEN characters of [A-Za-z0-9_-], not RESERVED (ignoring case)")
}

/// Accepts a lifetime of 1 to [`MAX_TTL_SECS`] seconds.
pub fn ttl_secs(ttl: u64) -> Result<(), ApiError> {
    todo!("1 to MAX_TTL_SECS")
}

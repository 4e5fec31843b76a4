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
    let bad = |why: &str| Err(ApiError::BadRequest(format!("url: {why}")));
    if url.len() > MAX_URL_LEN {
        return bad("longer than 2048 bytes");
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return bad("only printable ASCII without spaces (percent-encode the rest)");
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return bad("must start with http:// or https://");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return bad("has no host");
    }
    Ok(())
}

/// Accepts an alias of [`ALIAS_LEN`] characters from `[A-Za-z0-9_-]` that is
/// not [`RESERVED`] (compared ignoring case).
pub fn alias(alias: &str) -> Result<(), ApiError> {
    if !ALIAS_LEN.contains(&alias.len())
        || !alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiError::BadRequest(
            "alias: 3 to 32 characters from A-Z a-z 0-9 _ -".to_owned(),
        ));
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(alias)) {
        return Err(ApiError::BadRequest(format!(
            "alias: `{alias}` is reserved"
        )));
    }
    Ok(())
}

/// Accepts a lifetime of 1 to [`MAX_TTL_SECS`] seconds.
pub fn ttl_secs(ttl: u64) -> Result<(), ApiError> {
    if (1..=MAX_TTL_SECS).contains(&ttl) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "ttl_secs: from 1 to 315360000 (ten years)".to_owned(),
        ))
    }
}

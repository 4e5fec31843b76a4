//! The spec of `url_shortener`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run url_shortener`); `cargo test` runs them all.

mod common;

#[path = "2_aliases.rs"]
mod aliases;
#[path = "1_basics.rs"]
mod basics;
#[path = "6_cache.rs"]
mod cache;
#[path = "8_clicks.rs"]
mod clicks;
#[path = "5_codes.rs"]
mod codes;
#[path = "4_durability.rs"]
mod durability;
#[path = "3_expiry.rs"]
mod expiry;
#[path = "7_rate_limit.rs"]
mod rate_limit;

//! The spec of `pastebin`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run pastebin`); `cargo test` runs them all.

mod common;

#[path = "1_basics.rs"]
mod basics;
#[path = "5_burn.rs"]
mod burn;
#[path = "8_crash.rs"]
mod crash;
#[path = "3_dedupe.rs"]
mod dedupe;
#[path = "4_expiry.rs"]
mod expiry;
#[path = "7_limits.rs"]
mod limits;
#[path = "6_streaming.rs"]
mod streaming;
#[path = "2_tokens.rs"]
mod tokens;

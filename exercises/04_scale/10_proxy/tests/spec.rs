//! The spec of `proxy`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run proxy`); `cargo test` runs them all.

mod common;

#[path = "2_acl.rs"]
mod acl;
#[path = "7_failures.rs"]
mod failures;
#[path = "3_forward.rs"]
mod forward;
#[path = "1_headers.rs"]
mod headers;
#[path = "6_leaks.rs"]
mod leaks;
#[path = "8_pooling.rs"]
mod pooling;
#[path = "5_reverse.rs"]
mod reverse;
#[path = "4_tunnel.rs"]
mod tunnel;

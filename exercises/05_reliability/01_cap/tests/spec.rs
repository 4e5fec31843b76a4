//! The spec of `cap`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run cap`); `cargo test` runs them all.

mod common;

#[path = "3_ap.rs"]
mod ap;
#[path = "4_convergence.rs"]
mod convergence;
#[path = "2_cp.rs"]
mod cp;
#[path = "1_hlc.rs"]
mod hlc;
#[path = "5_lww_skew.rs"]
mod lww_skew;
#[path = "6_pacelc.rs"]
mod pacelc;

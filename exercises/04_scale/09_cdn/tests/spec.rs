//! The spec of `cdn`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run cdn`); `cargo test` runs them all.

mod common;

#[path = "9_budget.rs"]
mod budget;
#[path = "1_cache_control.rs"]
mod cache_control;
#[path = "5_collapsing.rs"]
mod collapsing;
#[path = "2_edge.rs"]
mod edge;
#[path = "7_purge.rs"]
mod purge;
#[path = "3_revalidation.rs"]
mod revalidation;
#[path = "8_routing.rs"]
mod routing;
#[path = "6_shield.rs"]
mod shield;
#[path = "4_stale.rs"]
mod stale;

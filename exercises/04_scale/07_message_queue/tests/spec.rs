//! The spec of `message_queue`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run message_queue`); `cargo test` runs them all.

mod common;

#[path = "6_at_least_once.rs"]
mod at_least_once;
#[path = "1_basics.rs"]
mod basics;
#[path = "7_budget.rs"]
mod budget;
#[path = "3_dead_letters.rs"]
mod dead_letters;
#[path = "5_groups.rs"]
mod groups;
#[path = "4_limits.rs"]
mod limits;
#[path = "2_visibility.rs"]
mod visibility;

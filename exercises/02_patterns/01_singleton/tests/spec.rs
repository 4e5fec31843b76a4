//! The spec of `singleton`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run singleton`); `cargo test` runs them all.

#[path = "1_basics.rs"]
mod basics;
#[path = "3_global.rs"]
mod global;
#[path = "2_race.rs"]
mod race;

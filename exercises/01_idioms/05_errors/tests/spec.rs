//! The spec of `errors`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run errors`); `cargo test` runs them all.

#[path = "2_chains.rs"]
mod chains;
#[path = "1_values.rs"]
mod values;

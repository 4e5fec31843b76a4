//! The spec of `builder`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run builder`); `cargo test` runs them all.

#[path = "1_defaults.rs"]
mod defaults;
#[path = "2_validation.rs"]
mod validation;

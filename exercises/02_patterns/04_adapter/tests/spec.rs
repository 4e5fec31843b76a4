//! The spec of `adapter`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run adapter`); `cargo test` runs them all.

#[path = "1_conversion.rs"]
mod conversion;
#[path = "2_errors.rs"]
mod errors;
#[path = "3_scenario.rs"]
mod scenario;

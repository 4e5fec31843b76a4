//! The spec of `facade`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run facade`); `cargo test` runs them all.

#[path = "2_rollback.rs"]
mod rollback;
#[path = "1_sequence.rs"]
mod sequence;

//! The spec of `chain`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run chain`); `cargo test` runs them all.

#[path = "1_approvers.rs"]
mod approvers;
#[path = "2_chain.rs"]
mod chain;

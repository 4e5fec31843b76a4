//! The spec of `encapsulation`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run encapsulation`); `cargo test` runs them all.

#[path = "1_construct.rs"]
mod construct;
#[path = "3_invariant.rs"]
mod invariant;
#[path = "2_mutation.rs"]
mod mutation;

//! The spec of `factory`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run factory`); `cargo test` runs them all.

#[path = "1_channels.rs"]
mod channels;
#[path = "2_factory.rs"]
mod factory;
#[path = "3_registry.rs"]
mod registry;

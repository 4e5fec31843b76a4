//! The spec of `traits`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run traits`); `cargo test` runs them all.

#[path = "2_dispatch.rs"]
mod dispatch;
#[path = "3_properties.rs"]
mod properties;
#[path = "1_shapes.rs"]
mod shapes;

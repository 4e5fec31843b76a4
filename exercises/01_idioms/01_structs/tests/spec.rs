//! The spec of `structs`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run structs`); `cargo test` runs them all.

#[path = "2_methods.rs"]
mod methods;
#[path = "1_money.rs"]
mod money;
#[path = "3_properties.rs"]
mod properties;

// Given: the synchronisation primitives of this crate; complete, do not change.

//! The atomics the shared filter is built from.
//!
//! Lesson code names `crate::sync::AtomicU64`, never `std::sync` directly:
//! with the `loom` feature on, it is loom's model-checked version, so
//! `cargo test -p bloom_filter --features loom --test 5_loom` can try every
//! interleaving of two inserting threads; without it, it is the real one.

#[cfg(feature = "loom")]
pub use loom::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    thread,
};

#[cfg(not(feature = "loom"))]
pub use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    thread,
};

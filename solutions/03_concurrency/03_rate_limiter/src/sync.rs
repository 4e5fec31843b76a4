// Given: the synchronisation primitives of this crate; complete, do not change.

//! The synchronisation primitives the limiters are built from.
//!
//! Lesson code names `crate::sync::Mutex` and friends, never `std::sync`
//! directly: with the `loom` feature on, they are loom's model-checked
//! versions, so `cargo test -p rate_limiter --features loom --test 5_loom`
//! can try every interleaving of two callers; without it, they are the real
//! ones. Loom's mutex mirrors std's API, so `lock()` returns a `LockResult`
//! in both, and `PoisonError` is std's either way.

#[cfg(feature = "loom")]
pub use loom::{
    sync::{Arc, Mutex, MutexGuard},
    thread,
};

#[cfg(not(feature = "loom"))]
pub use std::{
    sync::{Arc, Mutex, MutexGuard},
    thread,
};

pub use std::sync::PoisonError;

// Given: the synchronisation primitives of this crate; complete, do not change.

//! The synchronisation primitives the pool is built from.
//!
//! Lesson code names `crate::sync::Mutex` and friends, never `std::sync`
//! directly: with the `loom` feature on, they are loom's model-checked
//! versions, so `cargo test --features loom --test 4_loom` can try every
//! interleaving of the pool's threads; without it, they are the real ones.
//! Loom's mutex mirrors std's API, so `lock()` returns a `LockResult` in both.

#[cfg(feature = "loom")]
pub use loom::{
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
};

#[cfg(not(feature = "loom"))]
pub use std::{
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
};

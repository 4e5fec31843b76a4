// Given: the synchronisation primitives of the window; complete, do not change.

//! The synchronisation primitives [`Window`](crate::Window) is built from.
//!
//! The window names `crate::sync::Mutex` and friends, never `std::sync`
//! directly: with the `loom` feature on, they are loom's model-checked
//! versions, so `cargo test -p fan_out_fan_in --features loom --test 4_loom`
//! can try every interleaving of a producer waiting for room and the threads
//! that wake it; without it, they are the real ones. Loom models neither
//! `sync_channel` nor `thread::scope`, so the channels, the job receiver's
//! mutex and the threads of [`run`](crate::run) stay std's. Loom's mutex mirrors
//! std's API, so `lock()` returns a `LockResult` in both, and `PoisonError` is
//! std's either way.

#[cfg(feature = "loom")]
pub use loom::{
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

#[cfg(not(feature = "loom"))]
pub use std::{
    sync::{
        Arc, Condvar, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

pub use std::sync::PoisonError;

// Given: the lock and the channel of the wire; complete, do not change.

//! The lock and the channel [`NewsWire`](crate::NewsWire) is built from.
//!
//! The wire names `crate::sync::Mutex` and `crate::sync::channel`, never
//! `std::sync` ones directly: with the `loom` feature on, they are loom's
//! model-checked versions, so `cargo test -p observer --features loom --test
//! 4_loom` can try every interleaving of two publishing threads; without it,
//! they are the real ones. Loom's mutex mirrors std's API, so `lock()`
//! returns a `LockResult` in both, and `PoisonError` is std's either way.
//! Loom's receiver has `recv`, `try_recv` and a `recv_timeout` that only the
//! real one implements, and no `try_iter`: build [`Feed::drain`](crate::Feed::drain)
//! from `try_recv`. Loom has no `Weak`, so `Arc` and `Weak` are std's in both.

#[cfg(feature = "loom")]
pub use loom::{
    sync::{
        Mutex, MutexGuard,
        mpsc::{Receiver, Sender, channel},
    },
    thread,
};

#[cfg(not(feature = "loom"))]
pub use std::{
    sync::{
        Mutex, MutexGuard,
        mpsc::{Receiver, Sender, channel},
    },
    thread,
};

pub use std::sync::{Arc, PoisonError, Weak};

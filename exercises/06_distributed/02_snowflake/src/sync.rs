// Given: the synchronisation types of this crate; complete, do not change.

//! The synchronisation types this crate uses, from `loom` when the `loom`
//! feature is on (so `tests/5_loom.rs` can explore every interleaving) and
//! from `std` otherwise. Lesson code says `crate::sync::AtomicU64`, never
//! `std::sync::atomic::AtomicU64`, or loom cannot see it.

#[cfg(feature = "loom")]
pub use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "loom")]
pub use loom::sync::{Arc, Condvar, Mutex};
#[cfg(feature = "loom")]
pub use loom::thread;

#[cfg(not(feature = "loom"))]
pub use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(feature = "loom"))]
pub use std::sync::{Arc, Condvar, Mutex};
#[cfg(not(feature = "loom"))]
pub use std::thread;

//! Deterministic building blocks shared by the sdkata lessons and their tests.
//!
//! - [`clock`]: time as an injected dependency, with a [`clock::ManualClock`]
//!   that tests move by hand.
//! - [`rng`]: a small seeded PRNG with independent named streams whose output
//!   never changes between Rust or crate versions.
//! - [`hash`]: stable 64- and 128-bit hashes, so a key lands in the same place
//!   on every machine and every release.
//! - [`sim`]: a deterministic simulated network (drops, duplicates, delays,
//!   partitions, crashes, budgets) for the distributed lessons.
//! - [`history`]: recorded histories of concurrent clients, and checkers for
//!   linearizability, sequential consistency, session guarantees and
//!   queue/log anomalies.

pub mod clock;
pub mod hash;
pub mod history;
pub mod rng;
pub mod sim;

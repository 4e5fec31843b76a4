//! Errors are values: a user lookup whose failures are typed, printable,
//! convertible with `?`, chained through `source()`, and searchable by type
//! (Go's `errors.As`).
//!
//! The layers, outermost first, for a storage failure:
//!
//! ```text
//! ProfileError          cannot load profile for "42"
//!  └ LookupError        user storage failed
//!     └ StorageError    could not fetch users/42
//!        └ (any error)  e.g. an io::Error: timed out
//! ```
//!
//! The rule every type here follows: an error's `Display` describes *its own*
//! layer only; the layer below is reachable through `source()`. Printing the
//! whole chain is the reporter's job ([`chain`], [`report`]), so no text appears
//! twice.
//!
//! Everything is written by hand, without `thiserror`, to show what such a
//! derive generates.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::str::FromStr;

/// A user id: a positive integer, written in decimal without sign, spaces or
/// leading zeros, so every id has exactly one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(u64);

impl UserId {
    /// The id `n`, or `None` for 0.
    pub fn new(n: u64) -> Option<UserId> {
        todo!("None for 0")
    }

    /// The number.
    pub fn get(self) -> u64 {
        todo!("the number")
    }
}

/// The number in decimal: `UserId(42)` is `42`.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("the number")
    }
}

/// A string that is not a user id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseIdError {
    input: String,
}

impl ParseIdError {
    /// The rejected input, as given.
    pub fn input(&self) -> &str {
        todo!("the input")
    }
}

/// `"abc" is not a user id (expected a positive decimal integer)`; the input is
/// quoted with `{:?}`.
impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("the text in the doc comment above")
    }
}

impl Error for ParseIdError {}

/// Parses `"42"`. Refuses the empty string, anything but ASCII digits (so no
/// sign and no spaces), a leading zero (so `"0"` and `"007"`), and numbers that
/// do not fit in a `u64`.
impl FromStr for UserId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<UserId, ParseIdError> {
        todo!("check the shape (digits only, no leading zero, not empty), then parse")
    }
}

/// A user record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The display name.
    pub name: String,
}

/// A storage backend failed. Carries what was being done, to which key, and
/// the backend's own error as its source.
#[derive(Debug)]
pub struct StorageError {
    op: &'static str,
    key: String,
    // Boxed and type-erased: each backend has its own error types (io, a
    // driver's, a test's). `Send + Sync` so the whole chain can cross threads
    // and go into `anyhow::Error`-like containers.
    source: Box<dyn Error + Send + Sync + 'static>,
}

impl StorageError {
    /// `op` is a verb such as `"fetch"`, `key` what it was applied to, `source`
    /// the underlying error (anything convertible to a boxed error: an
    /// `io::Error`, your own error type, even a `String`).
    pub fn new(
        op: &'static str,
        key: impl Into<String>,
        source: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> StorageError {
        todo!("store the three parts; source.into() boxes the error")
    }

    /// The operation that failed.
    pub fn op(&self) -> &str {
        todo!("the op")
    }

    /// The key it failed on.
    pub fn key(&self) -> &str {
        todo!("the key")
    }
}

/// `could not <op> <key>`, e.g. `could not fetch users/42`; not the source's text.
impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("could not <op> <key>")
    }
}

impl Error for StorageError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        todo!("the boxed backend error")
    }
}

/// Where users live.
pub trait UserStore {
    /// The user with this id, `Ok(None)` if there is none, `Err` if the store
    /// itself failed. ("Not there" is an answer, not an error, at this layer.)
    fn fetch(&self, id: UserId) -> Result<Option<User>, StorageError>;
}

/// A store in memory, which never fails.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    users: HashMap<UserId, User>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        todo!("an empty store")
    }

    /// Add or replace a user (by id).
    pub fn insert(&mut self, user: User) {
        todo!("add or replace by id")
    }
}

impl UserStore for MemoryStore {
    fn fetch(&self, id: UserId) -> Result<Option<User>, StorageError> {
        todo!("a clone of the user, if present")
    }
}

/// Why [`lookup_user`] failed.
#[derive(Debug)]
pub enum LookupError {
    /// The id did not parse. Display: `invalid user id`; source: the [`ParseIdError`].
    InvalidId(ParseIdError),
    /// No user has this id. Display: `user 42 not found`; no source.
    NotFound(UserId),
    /// The store failed. Display: `user storage failed`; source: the [`StorageError`].
    Storage(StorageError),
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("the texts from the variant docs; never the source's text")
    }
}

impl Error for LookupError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        todo!("the wrapped error, if the variant has one")
    }
}

/// Lets `?` turn a parse failure into a `LookupError`.
impl From<ParseIdError> for LookupError {
    fn from(e: ParseIdError) -> LookupError {
        todo!("wrap it")
    }
}

/// Lets `?` turn a storage failure into a `LookupError`.
impl From<StorageError> for LookupError {
    fn from(e: StorageError) -> LookupError {
        todo!("wrap it")
    }
}

/// Parse `raw_id` and fetch that user. The store is not asked when the id is
/// invalid.
pub fn lookup_user(store: &dyn UserStore, raw_id: &str) -> Result<User, LookupError> {
    todo!("parse with ?, fetch with ?, turn None into NotFound")
}

/// The top layer: loading a profile page failed. Keeps the raw input for the
/// message and the [`LookupError`] as its source.
#[derive(Debug)]
pub struct ProfileError {
    raw_id: String,
    source: LookupError,
}

impl ProfileError {
    /// The lookup failure underneath, for callers that need to `match` on it.
    pub fn lookup_error(&self) -> &LookupError {
        todo!("the wrapped LookupError")
    }
}

/// `cannot load profile for "42"` (the raw input quoted with `{:?}`).
impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("cannot load profile for <raw id, quoted>")
    }
}

impl Error for ProfileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        todo!("the LookupError")
    }
}

/// `"Hello, <name>!"` for the user `raw_id`; a failure is wrapped in a
/// [`ProfileError`] that remembers `raw_id`.
pub fn load_profile(store: &dyn UserStore, raw_id: &str) -> Result<String, ProfileError> {
    todo!("lookup_user, wrapping a failure with map_err")
}

/// Go's `errors.As`: the first error of type `E` in the chain that starts with
/// `err` itself and follows `source()`; `None` if there is none.
pub fn find_cause<'a, E: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a E> {
    todo!("walk err, err.source(), ... and downcast_ref each")
}

/// The `Display` text of `err` and of each error in its `source()` chain,
/// outermost first.
pub fn chain(err: &(dyn Error + 'static)) -> Vec<String> {
    todo!("the Display of each error in the chain")
}

/// The whole chain on one line, joined by `": "`, like a wrapped Go error or
/// `anyhow`'s `{:#}`: `cannot load profile for "42": user storage failed: ...`.
pub fn report(err: &(dyn Error + 'static)) -> String {
    todo!("join the chain")
}

/// Whether retrying could help: true when the first `io::Error` in the chain
/// (the one [`find_cause`] finds) has a transient kind (`TimedOut`,
/// `Interrupted`, `WouldBlock`, `ConnectionReset`, `ConnectionAborted`,
/// `ConnectionRefused`); false for any other kind, and when the chain holds no
/// `io::Error`. A missing user or a bad id never gets better by retrying.
pub fn is_retryable(err: &(dyn Error + 'static)) -> bool {
    todo!("find an io::Error in the chain and check its kind")
}

/// The HTTP status a web handler would answer with: 400 for an invalid id, 404
/// for an unknown user, 503 (try again later) for a retryable storage failure,
/// 500 for any other storage failure.
pub fn http_status(err: &ProfileError) -> u16 {
    todo!("match on the lookup error")
}

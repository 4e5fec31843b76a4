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

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::io;
use std::str::FromStr;

/// A user id: a positive integer, written in decimal without sign, spaces or
/// leading zeros, so every id has exactly one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(u64);

impl UserId {
    /// The id `n`, or `None` for 0.
    pub fn new(n: u64) -> Option<UserId> {
        (n != 0).then_some(UserId(n))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The number in decimal: `UserId(42)` is `42`.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
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
        &self.input
    }
}

/// `"abc" is not a user id (expected a positive decimal integer)`; the input is
/// quoted with `{:?}`.
impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a user id (expected a positive decimal integer)",
            self.input
        )
    }
}

impl Error for ParseIdError {}

/// Parses `"42"`. Refuses the empty string, anything but ASCII digits (so no
/// sign and no spaces), a leading zero (so `"0"` and `"007"`), and numbers that
/// do not fit in a `u64`.
impl FromStr for UserId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<UserId, ParseIdError> {
        let invalid = || ParseIdError {
            input: s.to_string(),
        };
        // `u64::from_str` alone would accept "+42" and "007": check the shape first.
        if s.is_empty() || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        s.parse::<u64>().map(UserId).map_err(|_| invalid())
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
        StorageError {
            op,
            key: key.into(),
            source: source.into(),
        }
    }

    /// The operation that failed.
    pub fn op(&self) -> &str {
        self.op
    }

    /// The key it failed on.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// `could not <op> <key>`, e.g. `could not fetch users/42`; not the source's text.
impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not {} {}", self.op, self.key)
    }
}

impl Error for StorageError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(self.source.as_ref())
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
        MemoryStore::default()
    }

    /// Add or replace a user (by id).
    pub fn insert(&mut self, user: User) {
        self.users.insert(user.id, user);
    }
}

impl UserStore for MemoryStore {
    fn fetch(&self, id: UserId) -> Result<Option<User>, StorageError> {
        Ok(self.users.get(&id).cloned())
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
        match self {
            LookupError::InvalidId(_) => f.write_str("invalid user id"),
            LookupError::NotFound(id) => write!(f, "user {id} not found"),
            LookupError::Storage(_) => f.write_str("user storage failed"),
        }
    }
}

impl Error for LookupError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            LookupError::InvalidId(e) => Some(e),
            LookupError::NotFound(_) => None,
            LookupError::Storage(e) => Some(e),
        }
    }
}

/// Lets `?` turn a parse failure into a `LookupError`.
impl From<ParseIdError> for LookupError {
    fn from(e: ParseIdError) -> LookupError {
        LookupError::InvalidId(e)
    }
}

/// Lets `?` turn a storage failure into a `LookupError`.
impl From<StorageError> for LookupError {
    fn from(e: StorageError) -> LookupError {
        LookupError::Storage(e)
    }
}

/// Parse `raw_id` and fetch that user. The store is not asked when the id is
/// invalid.
pub fn lookup_user(store: &dyn UserStore, raw_id: &str) -> Result<User, LookupError> {
    // Both `?`s convert through the `From` impls above.
    let id: UserId = raw_id.parse()?;
    store.fetch(id)?.ok_or(LookupError::NotFound(id))
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
        &self.source
    }
}

/// `cannot load profile for "42"` (the raw input quoted with `{:?}`).
impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot load profile for {:?}", self.raw_id)
    }
}

impl Error for ProfileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// `"Hello, <name>!"` for the user `raw_id`; a failure is wrapped in a
/// [`ProfileError`] that remembers `raw_id`.
pub fn load_profile(store: &dyn UserStore, raw_id: &str) -> Result<String, ProfileError> {
    // `map_err`, not `From`: the wrapper needs context (`raw_id`) that the
    // lower error does not have. This is Go's `fmt.Errorf("...: %w", err)`.
    let user = lookup_user(store, raw_id).map_err(|source| ProfileError {
        raw_id: raw_id.to_string(),
        source,
    })?;
    Ok(format!("Hello, {}!", user.name))
}

/// Go's `errors.As`: the first error of type `E` in the chain that starts with
/// `err` itself and follows `source()`; `None` if there is none.
pub fn find_cause<'a, E: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a E> {
    // `std::iter::successors` walks the chain: err, err.source(), ...
    std::iter::successors(Some(err), |&e| e.source()).find_map(|e| e.downcast_ref::<E>())
}

/// The `Display` text of `err` and of each error in its `source()` chain,
/// outermost first.
pub fn chain(err: &(dyn Error + 'static)) -> Vec<String> {
    std::iter::successors(Some(err), |&e| e.source())
        .map(|e| e.to_string())
        .collect()
}

/// The whole chain on one line, joined by `": "`, like a wrapped Go error or
/// `anyhow`'s `{:#}`: `cannot load profile for "42": user storage failed: ...`.
pub fn report(err: &(dyn Error + 'static)) -> String {
    chain(err).join(": ")
}

/// Whether retrying could help: true when the first `io::Error` in the chain
/// (the one [`find_cause`] finds) has a transient kind (`TimedOut`,
/// `Interrupted`, `WouldBlock`, `ConnectionReset`, `ConnectionAborted`,
/// `ConnectionRefused`); false for any other kind, and when the chain holds no
/// `io::Error`. A missing user or a bad id never gets better by retrying.
pub fn is_retryable(err: &(dyn Error + 'static)) -> bool {
    find_cause::<io::Error>(err).is_some_and(|io| {
        matches!(
            io.kind(),
            io::ErrorKind::TimedOut
                | io::ErrorKind::Interrupted
                | io::ErrorKind::WouldBlock
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionRefused
        )
    })
}

/// The HTTP status a web handler would answer with: 400 for an invalid id, 404
/// for an unknown user, 503 (try again later) for a retryable storage failure,
/// 500 for any other storage failure.
pub fn http_status(err: &ProfileError) -> u16 {
    match err.lookup_error() {
        LookupError::InvalidId(_) => 400,
        LookupError::NotFound(_) => 404,
        LookupError::Storage(_) if is_retryable(err) => 503,
        LookupError::Storage(_) => 500,
    }
}

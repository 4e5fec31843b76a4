//! Singleton, the Rust way: a process-wide settings registry.
//!
//! The registry is an ordinary type, [`SettingsRegistry`], built on
//! `std::sync::OnceLock`. The process-wide singleton is just one `static`
//! instance of it, reached through [`global`], [`init`] and [`settings`].
//! Keeping the type instantiable means tests can make a fresh registry instead
//! of fighting over the one global.
//!
//! [`defaults`] shows the other half of the toolbox: `std::sync::LazyLock`, for
//! a value that needs no input and is built on first use.
//!
//! Read README.md first. No `unsafe`, no `static mut`: the tests check.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, dead_code)]

use std::error::Error;
use std::fmt;

/// The settings a service reads everywhere: set once at start-up, then read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Name the service reports in logs and metrics.
    pub service_name: String,
    /// Upper bound on concurrent connections.
    pub max_connections: u32,
    /// Verbose diagnostics on or off.
    pub debug: bool,
}

impl Default for Settings {
    /// `service_name = "sdkata"`, `max_connections = 100`, `debug = false`.
    fn default() -> Self {
        todo!("the documented default values")
    }
}

/// Why the registry refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsError {
    /// Read before anyone initialised the registry.
    NotInitialized,
    /// A second initialisation; the first value stays.
    AlreadyInitialized,
}

impl fmt::Display for SettingsError {
    /// A short, distinct, non-empty message per variant.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("one message per variant")
    }
}

impl Error for SettingsError {}

/// A write-once cell of [`Settings`], safe to share between threads
/// (`Send + Sync`). Every method takes `&self`.
#[derive(Debug)]
pub struct SettingsRegistry {
    // TODO: a write-once cell (std::sync::OnceLock).
}

impl SettingsRegistry {
    /// An empty registry. `const`, so it can initialise a `static`.
    pub const fn new() -> Self {
        // todo!() cannot run in a const fn; this panic is its stand-in.
        panic!("not yet implemented: an empty cell")
    }

    /// Stores `settings` if the registry is empty and returns a reference to
    /// the stored value.
    ///
    /// # Errors
    /// [`SettingsError::AlreadyInitialized`] if a value is already stored, or
    /// if another thread's initialisation (by `init` or `get_or_init`) wins
    /// while this call waits; the stored value is never replaced. Among any
    /// number of racing calls, exactly one succeeds.
    pub fn init(&self, settings: Settings) -> Result<&Settings, SettingsError> {
        todo!("store once; say whether *this* call stored")
    }

    /// The stored settings.
    ///
    /// # Errors
    /// [`SettingsError::NotInitialized`] before the first successful
    /// initialisation. Never panics.
    pub fn get(&self) -> Result<&Settings, SettingsError> {
        todo!("the stored value, or NotInitialized")
    }

    /// The stored settings, initialising them with `make` first if the
    /// registry is empty.
    ///
    /// However many threads call this at once, `make` runs at most once in
    /// total; the others wait for it and then all see the same value. On a full
    /// registry `make` is not called.
    pub fn get_or_init(&self, make: impl FnOnce() -> Settings) -> &Settings {
        todo!("initialise at most once")
    }

    /// Whether a value has been stored.
    pub fn is_initialized(&self) -> bool {
        todo!()
    }
}

impl Default for SettingsRegistry {
    /// Same as [`SettingsRegistry::new`].
    fn default() -> Self {
        Self::new()
    }
}

// TODO: the one process-wide registry, a private `static`.

/// The process-wide registry: every call returns the same one.
pub fn global() -> &'static SettingsRegistry {
    todo!("a reference to the static registry")
}

/// Initialises the process-wide settings; see [`SettingsRegistry::init`].
///
/// # Errors
/// [`SettingsError::AlreadyInitialized`] on every call after the first success.
pub fn init(settings: Settings) -> Result<&'static Settings, SettingsError> {
    todo!()
}

/// The process-wide settings; see [`SettingsRegistry::get`].
///
/// # Errors
/// [`SettingsError::NotInitialized`] before [`init`] succeeded.
pub fn settings() -> Result<&'static Settings, SettingsError> {
    todo!()
}

/// The default settings, built once on first use (a `LazyLock`) and shared by
/// every caller and thread: every call returns a reference to the same value.
pub fn defaults() -> &'static Settings {
    todo!("a LazyLock static")
}

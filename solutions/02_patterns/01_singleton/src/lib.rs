//! Singleton, the Rust way: a process-wide settings registry.
//!
//! The registry is an ordinary type, [`SettingsRegistry`], that wraps a
//! [`OnceLock`]. The process-wide singleton is just one `static` instance of
//! it, reached through [`global`], [`init`] and [`settings`]. Keeping the type
//! instantiable means tests (and libraries that want their own scope) can make
//! a fresh registry instead of fighting over the one global.
//!
//! [`defaults`] shows the other half of the standard library's toolbox:
//! [`LazyLock`], for a value that needs no input and is built on first use.

use std::error::Error;
use std::fmt;
use std::sync::{LazyLock, OnceLock};

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
        Settings {
            service_name: "sdkata".to_owned(),
            max_connections: 100,
            debug: false,
        }
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingsError::NotInitialized => "settings read before they were initialised",
            SettingsError::AlreadyInitialized => "settings were already initialised",
        })
    }
}

impl Error for SettingsError {}

/// A write-once cell of [`Settings`], safe to share between threads.
///
/// Every method takes `&self`: after construction the registry is only ever
/// shared, and `OnceLock` provides the one-time write through a shared
/// reference, with the synchronisation that makes the write visible to every
/// thread that later reads it.
#[derive(Debug, Default)]
pub struct SettingsRegistry {
    cell: OnceLock<Settings>,
}

impl SettingsRegistry {
    /// An empty registry. `const`, so it can initialise a `static`.
    pub const fn new() -> Self {
        SettingsRegistry {
            cell: OnceLock::new(),
        }
    }

    /// Stores `settings` if the registry is empty and returns a reference to
    /// the stored value.
    ///
    /// # Errors
    /// [`SettingsError::AlreadyInitialized`] if a value is already stored, or
    /// another thread's initialisation wins while this call waits; the stored
    /// value is never replaced.
    pub fn init(&self, settings: Settings) -> Result<&Settings, SettingsError> {
        // Checking `get()` first and then calling `set` would be a
        // check-then-set race: two threads can both see "empty". Instead the
        // decision is made inside `get_or_init`, which runs at most one
        // closure per cell; the flag tells us whether ours was that one.
        let mut won = false;
        let stored = self.cell.get_or_init(|| {
            won = true;
            settings
        });
        if won {
            Ok(stored)
        } else {
            Err(SettingsError::AlreadyInitialized)
        }
    }

    /// The stored settings.
    ///
    /// # Errors
    /// [`SettingsError::NotInitialized`] before the first successful
    /// initialisation. Never panics and never blocks for long.
    pub fn get(&self) -> Result<&Settings, SettingsError> {
        self.cell.get().ok_or(SettingsError::NotInitialized)
    }

    /// The stored settings, initialising them with `make` first if the
    /// registry is empty.
    ///
    /// However many threads call this at once, `make` runs at most once in
    /// total; the others wait for it and then all see the same value.
    pub fn get_or_init(&self, make: impl FnOnce() -> Settings) -> &Settings {
        self.cell.get_or_init(make)
    }

    /// Whether a value has been stored.
    pub fn is_initialized(&self) -> bool {
        self.cell.get().is_some()
    }
}

/// The one process-wide registry. Private: code reaches it through
/// [`global`], so nothing can swap it out.
static GLOBAL: SettingsRegistry = SettingsRegistry::new();

/// The process-wide registry.
pub fn global() -> &'static SettingsRegistry {
    &GLOBAL
}

/// Initialises the process-wide settings; see [`SettingsRegistry::init`].
///
/// # Errors
/// [`SettingsError::AlreadyInitialized`] on every call after the first success.
pub fn init(settings: Settings) -> Result<&'static Settings, SettingsError> {
    GLOBAL.init(settings)
}

/// The process-wide settings; see [`SettingsRegistry::get`].
///
/// # Errors
/// [`SettingsError::NotInitialized`] before [`init`] succeeded.
pub fn settings() -> Result<&'static Settings, SettingsError> {
    GLOBAL.get()
}

/// Built on first use, then shared: `LazyLock` fits a value that needs no
/// input from the caller (unlike the registry, whose value comes from `init`).
static DEFAULTS: LazyLock<Settings> = LazyLock::new(Settings::default);

/// The default settings, built once on first use and shared by every caller
/// and thread: every call returns a reference to the same value.
pub fn defaults() -> &'static Settings {
    &DEFAULTS
}

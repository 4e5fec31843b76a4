// Given: the subsystem the facade drives; complete, do not change.

//! The subsystem: five devices with their own small interfaces.
//!
//! This file is given; you do not need to change it. Every device writes each
//! operation it is asked to perform into a shared [`CallLog`], which is how the
//! tests see what the facade did and in which order. The log can also be told
//! to make an operation fail ([`CallLog::fail_on`]), the way real hardware
//! sometimes does.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::rc::Rc;

/// Every operation a device offers, as `device.operation`: the names
/// [`CallLog::fail_on`] accepts.
pub const OPERATIONS: &[&str] = &[
    "amplifier.on",
    "amplifier.set_source",
    "amplifier.set_surround",
    "amplifier.set_volume",
    "amplifier.off",
    "player.on",
    "player.play",
    "player.stop",
    "player.eject",
    "player.off",
    "projector.on",
    "projector.wide_screen_mode",
    "projector.off",
    "screen.down",
    "screen.up",
    "lights.dim",
    "lights.on",
];

/// Which device an operation or a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKind {
    /// The amplifier.
    Amplifier,
    /// The streaming/disc player.
    Player,
    /// The projector.
    Projector,
    /// The motorised screen.
    Screen,
    /// The room lights.
    Lights,
}

impl DeviceKind {
    /// The device's name as it appears in the log: `"amplifier"`, `"player"`, ...
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Amplifier => "amplifier",
            DeviceKind::Player => "player",
            DeviceKind::Projector => "projector",
            DeviceKind::Screen => "screen",
            DeviceKind::Lights => "lights",
        }
    }
}

/// A device refused or failed an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceError {
    /// The device that failed.
    pub device: DeviceKind,
    /// The operation that failed, without the device prefix: `"on"`, `"play"`, ...
    pub operation: &'static str,
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} failed", self.device.name(), self.operation)
    }
}

impl std::error::Error for DeviceError {}

#[derive(Debug, Default)]
struct LogInner {
    entries: Vec<String>,
    faults: BTreeSet<String>,
}

/// A shared, cloneable record of every device operation, in call order.
///
/// Clones share one log. Successful operations are logged as
/// `"device.operation"` or `"device.operation(argument)"`, for example
/// `"projector.on"`, `"amplifier.set_volume(5)"`, `"player.play(Alien)"`.
/// A failed operation is logged with a `" FAILED"` suffix:
/// `"projector.on FAILED"`.
///
/// Single-threaded (`Rc<RefCell<..>>`) on purpose: a home theatre is driven from
/// one thread, and the log is a test fixture, not a lesson in locking.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    inner: Rc<RefCell<LogInner>>,
}

impl CallLog {
    /// An empty log with no faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry so far, oldest first.
    pub fn entries(&self) -> Vec<String> {
        self.inner.borrow().entries.clone()
    }

    /// Forgets the entries (faults stay).
    pub fn clear(&self) {
        self.inner.borrow_mut().entries.clear();
    }

    /// From now on, every call of `operation` (one of [`OPERATIONS`], such as
    /// `"projector.on"`) fails, until [`CallLog::clear_faults`].
    ///
    /// # Panics
    /// If `operation` is not in [`OPERATIONS`]: a typo would otherwise make a
    /// failure test pass without injecting any failure.
    pub fn fail_on(&self, operation: &str) {
        assert!(
            OPERATIONS.contains(&operation),
            "unknown operation {operation:?}; expected one of {OPERATIONS:?}"
        );
        self.inner.borrow_mut().faults.insert(operation.to_string());
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.inner.borrow_mut().faults.clear();
    }

    /// Logs one operation and says whether it succeeded.
    fn call(
        &self,
        device: DeviceKind,
        operation: &'static str,
        argument: Option<String>,
    ) -> Result<(), DeviceError> {
        let mut inner = self.inner.borrow_mut();
        let key = format!("{}.{}", device.name(), operation);
        let failed = inner.faults.contains(&key);
        let mut entry = match argument {
            Some(arg) => format!("{key}({arg})"),
            None => key,
        };
        if failed {
            entry.push_str(" FAILED");
        }
        inner.entries.push(entry);
        if failed {
            Err(DeviceError { device, operation })
        } else {
            Ok(())
        }
    }
}

/// The amplifier: power, input source, surround mode and volume.
#[derive(Debug, Clone)]
pub struct Amplifier {
    log: CallLog,
}

impl Amplifier {
    /// An amplifier that records its operations in `log`.
    pub fn new(log: &CallLog) -> Self {
        Self { log: log.clone() }
    }
    /// Powers on. Logs `amplifier.on`.
    pub fn on(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Amplifier, "on", None)
    }
    /// Selects the input. Logs `amplifier.set_source(<source>)`.
    pub fn set_source(&self, source: &str) -> Result<(), DeviceError> {
        self.log.call(
            DeviceKind::Amplifier,
            "set_source",
            Some(source.to_string()),
        )
    }
    /// Switches to surround sound. Logs `amplifier.set_surround`.
    pub fn set_surround(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Amplifier, "set_surround", None)
    }
    /// Sets the volume. Logs `amplifier.set_volume(<level>)`.
    pub fn set_volume(&self, level: u8) -> Result<(), DeviceError> {
        self.log
            .call(DeviceKind::Amplifier, "set_volume", Some(level.to_string()))
    }
    /// Powers off. Logs `amplifier.off`.
    pub fn off(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Amplifier, "off", None)
    }
}

/// The player: power, play a title, stop, eject.
#[derive(Debug, Clone)]
pub struct Player {
    log: CallLog,
}

impl Player {
    /// A player that records its operations in `log`.
    pub fn new(log: &CallLog) -> Self {
        Self { log: log.clone() }
    }
    /// Powers on. Logs `player.on`.
    pub fn on(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Player, "on", None)
    }
    /// Starts playing `title`. Logs `player.play(<title>)`.
    pub fn play(&self, title: &str) -> Result<(), DeviceError> {
        self.log
            .call(DeviceKind::Player, "play", Some(title.to_string()))
    }
    /// Stops playback. Logs `player.stop`.
    pub fn stop(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Player, "stop", None)
    }
    /// Ejects the disc. Logs `player.eject`.
    pub fn eject(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Player, "eject", None)
    }
    /// Powers off. Logs `player.off`.
    pub fn off(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Player, "off", None)
    }
}

/// The projector: power and aspect ratio.
#[derive(Debug, Clone)]
pub struct Projector {
    log: CallLog,
}

impl Projector {
    /// A projector that records its operations in `log`.
    pub fn new(log: &CallLog) -> Self {
        Self { log: log.clone() }
    }
    /// Powers on. Logs `projector.on`.
    pub fn on(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Projector, "on", None)
    }
    /// Switches to 16:9. Logs `projector.wide_screen_mode`.
    pub fn wide_screen_mode(&self) -> Result<(), DeviceError> {
        self.log
            .call(DeviceKind::Projector, "wide_screen_mode", None)
    }
    /// Powers off. Logs `projector.off`.
    pub fn off(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Projector, "off", None)
    }
}

/// The motorised screen: down for a film, up afterwards.
#[derive(Debug, Clone)]
pub struct Screen {
    log: CallLog,
}

impl Screen {
    /// A screen that records its operations in `log`.
    pub fn new(log: &CallLog) -> Self {
        Self { log: log.clone() }
    }
    /// Lowers the screen. Logs `screen.down`.
    pub fn down(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Screen, "down", None)
    }
    /// Raises the screen. Logs `screen.up`.
    pub fn up(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Screen, "up", None)
    }
}

/// The room lights: dim to a percentage, or fully on.
#[derive(Debug, Clone)]
pub struct Lights {
    log: CallLog,
}

impl Lights {
    /// Lights that record their operations in `log`.
    pub fn new(log: &CallLog) -> Self {
        Self { log: log.clone() }
    }
    /// Dims to `percent` brightness. Logs `lights.dim(<percent>)`.
    pub fn dim(&self, percent: u8) -> Result<(), DeviceError> {
        self.log
            .call(DeviceKind::Lights, "dim", Some(percent.to_string()))
    }
    /// Full brightness. Logs `lights.on`.
    pub fn on(&self) -> Result<(), DeviceError> {
        self.log.call(DeviceKind::Lights, "on", None)
    }
}

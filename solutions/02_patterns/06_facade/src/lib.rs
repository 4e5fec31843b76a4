//! Facade: one small, task-shaped interface in front of a subsystem of many
//! parts.
//!
//! A home theatre has five devices with seventeen operations between them
//! (see [`devices`]). Watching a film needs ten of those calls in the right
//! order; ending it needs seven more. [`HomeTheater`] is the facade: callers
//! say `watch_movie("Alien")` and `end_movie()`, and the facade owns the
//! order, the settings, and what to do when a device fails half-way.

pub mod devices;

use std::fmt;

use devices::{Amplifier, DeviceError, DeviceKind, Lights, Player, Projector, Screen};

/// Brightness the lights are dimmed to for a film, in percent.
pub const MOVIE_LIGHTS_PERCENT: u8 = 10;
/// Amplifier volume for a film.
pub const MOVIE_VOLUME: u8 = 5;
/// The amplifier input the player is connected to.
pub const PLAYER_SOURCE: &str = "player";

/// Why the facade could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TheaterError {
    /// `watch_movie` while a film is already on; no device was touched.
    AlreadyWatching {
        /// The film that is on.
        title: String,
    },
    /// `end_movie` while no film is on; no device was touched.
    NotWatching,
    /// A device failed while starting a film. The devices already engaged were
    /// switched back off, in reverse order; the theatre is idle again.
    StartFailed {
        /// The operation that failed.
        failed: DeviceError,
        /// Switch-off operations that also failed during the rollback, in the
        /// order they were attempted (empty when the rollback was clean).
        rollback_failures: Vec<DeviceError>,
    },
    /// Some devices failed while ending a film. Every step was still
    /// attempted, and the theatre counts as idle.
    ShutdownIncomplete {
        /// Every operation that failed, in the order attempted.
        failures: Vec<DeviceError>,
    },
}

impl fmt::Display for TheaterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TheaterError::AlreadyWatching { title } => write!(f, "already watching {title:?}"),
            TheaterError::NotWatching => write!(f, "no film is on"),
            TheaterError::StartFailed {
                failed,
                rollback_failures,
            } => {
                write!(f, "could not start the film: {failed}")?;
                if !rollback_failures.is_empty() {
                    write!(f, " (and {} switch-offs failed)", rollback_failures.len())?;
                }
                Ok(())
            }
            TheaterError::ShutdownIncomplete { failures } => {
                write!(f, "{} device operations failed at shutdown", failures.len())
            }
        }
    }
}

impl std::error::Error for TheaterError {}

/// The facade over the five home-theatre devices.
///
/// It owns the devices, so nobody else can drive them into a state the
/// facade does not know about while a film is on.
#[derive(Debug)]
pub struct HomeTheater {
    amplifier: Amplifier,
    player: Player,
    projector: Projector,
    screen: Screen,
    lights: Lights,
    now_playing: Option<String>,
}

impl HomeTheater {
    /// A facade over these devices, idle (no film on). Calls no device.
    pub fn new(
        amplifier: Amplifier,
        player: Player,
        projector: Projector,
        screen: Screen,
        lights: Lights,
    ) -> Self {
        Self {
            amplifier,
            player,
            projector,
            screen,
            lights,
            now_playing: None,
        }
    }

    /// The film that is on, if any.
    pub fn now_playing(&self) -> Option<&str> {
        self.now_playing.as_deref()
    }

    /// Starts `title`: exactly these calls, in this order, each only if the
    /// one before succeeded:
    ///
    /// ```text
    ///  1 lights.dim(10)                 engages the lights     (undo: lights.on)
    ///  2 screen.down                    engages the screen     (undo: screen.up)
    ///  3 projector.on                   engages the projector  (undo: projector.off)
    ///  4 projector.wide_screen_mode
    ///  5 amplifier.on                   engages the amplifier  (undo: amplifier.off)
    ///  6 amplifier.set_source(player)
    ///  7 amplifier.set_surround
    ///  8 amplifier.set_volume(5)
    ///  9 player.on                      engages the player     (undo: player.off)
    /// 10 player.play(<title>)
    /// ```
    ///
    /// A device is *engaged* once its first step succeeded. If any step
    /// fails, the engaged devices are undone in reverse order of engagement
    /// (a device whose first step failed is not engaged, so it is not undone);
    /// every undo is attempted even if an earlier one fails. The error names
    /// the failed operation and any failed undos, and the theatre stays idle.
    ///
    /// # Errors
    /// [`TheaterError::AlreadyWatching`] (no device touched) or
    /// [`TheaterError::StartFailed`].
    pub fn watch_movie(&mut self, title: &str) -> Result<(), TheaterError> {
        if let Some(current) = &self.now_playing {
            return Err(TheaterError::AlreadyWatching {
                title: current.clone(),
            });
        }
        let mut engaged = Vec::with_capacity(5);
        match self.start(title, &mut engaged) {
            Ok(()) => {
                self.now_playing = Some(title.to_string());
                Ok(())
            }
            Err(failed) => {
                // Undo in reverse: the last device engaged may depend on the
                // earlier ones (the player feeds the amplifier, the projector
                // shines on the screen), so it is the first to go.
                let rollback_failures = engaged
                    .iter()
                    .rev()
                    .filter_map(|&device| self.disengage(device).err())
                    .collect();
                Err(TheaterError::StartFailed {
                    failed,
                    rollback_failures,
                })
            }
        }
    }

    /// Ends the film: exactly these calls, in this order, each attempted even
    /// if an earlier one failed (a broken player must not leave the projector
    /// lamp burning all night):
    ///
    /// ```text
    /// 1 player.stop
    /// 2 player.eject
    /// 3 player.off
    /// 4 amplifier.off
    /// 5 projector.off
    /// 6 screen.up
    /// 7 lights.on
    /// ```
    ///
    /// The theatre is idle afterwards, whatever failed.
    ///
    /// # Errors
    /// [`TheaterError::NotWatching`] (no device touched) or
    /// [`TheaterError::ShutdownIncomplete`] listing every failed operation.
    pub fn end_movie(&mut self) -> Result<(), TheaterError> {
        if self.now_playing.take().is_none() {
            return Err(TheaterError::NotWatching);
        }
        let steps = [
            self.player.stop(),
            self.player.eject(),
            self.player.off(),
            self.amplifier.off(),
            self.projector.off(),
            self.screen.up(),
            self.lights.on(),
        ];
        let failures: Vec<DeviceError> = steps.into_iter().filter_map(Result::err).collect();
        if failures.is_empty() {
            Ok(())
        } else {
            Err(TheaterError::ShutdownIncomplete { failures })
        }
    }

    /// The start sequence; pushes each device onto `engaged` as soon as its
    /// first step succeeds, so the caller knows exactly what to undo.
    fn start(&mut self, title: &str, engaged: &mut Vec<DeviceKind>) -> Result<(), DeviceError> {
        self.lights.dim(MOVIE_LIGHTS_PERCENT)?;
        engaged.push(DeviceKind::Lights);
        self.screen.down()?;
        engaged.push(DeviceKind::Screen);
        self.projector.on()?;
        engaged.push(DeviceKind::Projector);
        self.projector.wide_screen_mode()?;
        self.amplifier.on()?;
        engaged.push(DeviceKind::Amplifier);
        self.amplifier.set_source(PLAYER_SOURCE)?;
        self.amplifier.set_surround()?;
        self.amplifier.set_volume(MOVIE_VOLUME)?;
        self.player.on()?;
        engaged.push(DeviceKind::Player);
        self.player.play(title)
    }

    /// The undo of a device's first step.
    fn disengage(&mut self, device: DeviceKind) -> Result<(), DeviceError> {
        match device {
            DeviceKind::Lights => self.lights.on(),
            DeviceKind::Screen => self.screen.up(),
            DeviceKind::Projector => self.projector.off(),
            DeviceKind::Amplifier => self.amplifier.off(),
            DeviceKind::Player => self.player.off(),
        }
    }
}

//! Where the grader gets the time: the system clock, unless `SDKATA_NOW`
//! fixes it.
//!
//! `SDKATA_NOW=<unix seconds>` is for tests (and for replaying a report as of
//! a given day): progress written under it carries that time, and `report`
//! computes retrievability and due dates as of it, so its output is a pure
//! function of the state file and this number.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

/// The variable that fixes the clock.
pub const NOW_VAR: &str = "SDKATA_NOW";

/// A source of "now", in unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<u64>,
}

impl Clock {
    /// The system clock, or the time `SDKATA_NOW` names.
    pub fn from_env() -> Result<Self> {
        let fixed = match std::env::var(NOW_VAR) {
            Ok(v) => Some(v.trim().parse().with_context(|| {
                format!("{NOW_VAR}={v:?} is not a time in unix seconds (unset it to use the system clock)")
            })?),
            Err(_) => None,
        };
        Ok(Self { fixed })
    }

    pub fn now(&self) -> u64 {
        self.fixed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }
}

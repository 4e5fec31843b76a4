//! Injected time across a process boundary.
//!
//! A service under a crash test runs as a child process, so a
//! [`kit::clock::ManualClock`] in the test cannot reach it. Instead the test
//! owns a [`ClockFile`] and the child reads it through a [`FileClock`]: the
//! file holds the wall-clock time in Unix milliseconds, and the test moves it
//! by rewriting the file (atomically: write, then rename, so a reader never
//! sees half a number).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kit::clock::Clock;

/// A clock that reads the time from a file another process writes.
///
/// Both readings come from the file; [`Clock::monotonic`] never goes back even
/// if the file does (it reports the largest time seen), as a monotonic clock
/// must.
#[derive(Debug)]
pub struct FileClock {
    path: PathBuf,
    latest: AtomicU64,
}

impl FileClock {
    /// A clock on `path`, which must already hold a time.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, String> {
        let clock = FileClock {
            path: path.into(),
            latest: AtomicU64::new(0),
        };
        let now = clock.read()?;
        clock.latest.store(now, Ordering::Relaxed);
        Ok(clock)
    }

    fn read(&self) -> Result<u64, String> {
        let text = fs::read_to_string(&self.path)
            .map_err(|e| format!("clock file {}: {e}", self.path.display()))?;
        text.trim().parse().map_err(|e| {
            format!(
                "clock file {}: {text:?} is not Unix milliseconds: {e}",
                self.path.display()
            )
        })
    }
}

impl Clock for FileClock {
    /// # Panics
    /// If the file has become unreadable: the test that owns it broke it, and
    /// a service must not run on a time it made up.
    fn unix_millis(&self) -> u64 {
        let now = self.read().unwrap_or_else(|e| panic!("{e}"));
        self.latest.fetch_max(now, Ordering::Relaxed);
        now
    }

    fn monotonic(&self) -> Duration {
        let now = self.read().unwrap_or_else(|e| panic!("{e}"));
        Duration::from_millis(self.latest.fetch_max(now, Ordering::Relaxed).max(now))
    }
}

/// The test's end of a [`FileClock`]: it sets the time the service sees.
#[derive(Debug)]
pub struct ClockFile {
    path: PathBuf,
    now: u64,
}

impl ClockFile {
    /// Creates `dir/clock` holding `unix_millis`.
    pub fn create(dir: &Path, unix_millis: u64) -> std::io::Result<Self> {
        let mut file = ClockFile {
            path: dir.join("clock"),
            now: unix_millis,
        };
        file.set(unix_millis)?;
        Ok(file)
    }

    /// The file to pass as `--clock-file`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The time the file holds.
    pub fn unix_millis(&self) -> u64 {
        self.now
    }

    /// Sets the time (write to a temporary file, then rename over the old one).
    pub fn set(&mut self, unix_millis: u64) -> std::io::Result<()> {
        let temp = self.path.with_extension("next");
        fs::write(&temp, unix_millis.to_string())?;
        fs::rename(&temp, &self.path)?;
        self.now = unix_millis;
        Ok(())
    }

    /// Moves the time forward by `by`.
    pub fn advance(&mut self, by: Duration) -> std::io::Result<()> {
        let millis = u64::try_from(by.as_millis()).expect("an advance fits in u64 milliseconds");
        self.set(self.now + millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_sees_what_the_test_sets() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = ClockFile::create(dir.path(), 1_000).unwrap();
        let clock = FileClock::open(file.path()).unwrap();
        assert_eq!(clock.unix_millis(), 1_000);
        file.advance(Duration::from_millis(250)).unwrap();
        assert_eq!(clock.unix_millis(), 1_250);
        assert_eq!(clock.monotonic(), Duration::from_millis(1_250));
        file.set(900).unwrap();
        assert_eq!(clock.unix_millis(), 900, "the wall clock may go back");
        assert_eq!(
            clock.monotonic(),
            Duration::from_millis(1_250),
            "the monotonic clock never goes back"
        );
    }

    #[test]
    fn a_missing_or_broken_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = FileClock::open(dir.path().join("nothing")).unwrap_err();
        assert!(missing.contains("nothing"), "{missing}");
        fs::write(dir.path().join("clock"), "noon").unwrap();
        let broken = FileClock::open(dir.path().join("clock")).unwrap_err();
        assert!(broken.contains("\"noon\""), "{broken}");
    }
}

//! Every process sdkata starts, so that every way out kills them.
//!
//! Builds and test binaries run in process groups of their own: a hung test
//! can then be killed with everything it spawned, and the terminal's Ctrl-C
//! does not reach them directly. The flip side is that nothing kills them when
//! sdkata goes, unless sdkata does it: each group is registered here while it
//! lives, [`kill_all`] runs on every exit path (normal return, a signal, a
//! panic), and a [`Cancel`] token stops the groups of one check early (a save
//! during a check in watch mode).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Process groups alive now, by group id.
static LIVE: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn live() -> MutexGuard<'static, BTreeSet<i32>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills every registered process group. Safe to call at any time, more than
/// once, from any thread.
pub fn kill_all() {
    for &pgid in live().iter() {
        // An error means the group is already gone, which is what we want.
        let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
    }
}

/// A registered process group; dropping it kills whatever is left of the
/// group (a test's stray children included) and forgets it.
#[derive(Debug)]
pub struct Group {
    pgid: i32,
}

impl Group {
    /// Registers the group led by `pid` (a child spawned with
    /// `process_group(0)`). If `cancel` was already cancelled, the group is
    /// killed at once.
    pub fn register(pid: u32, cancel: &Cancel) -> Group {
        let pgid = i32::try_from(pid).expect("pids fit in i32");
        live().insert(pgid);
        let group = Group { pgid };
        cancel.adopt(pgid);
        group
    }

    /// Kills every process of the group now.
    pub fn kill(&self) {
        let _ = killpg(Pid::from_raw(self.pgid), Signal::SIGKILL);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
        live().remove(&self.pgid);
    }
}

/// Cancels one check: kills the groups started under it, now and later.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    groups: Mutex<Vec<i32>>,
}

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        let groups = self.0.groups.lock().unwrap_or_else(|e| e.into_inner());
        for &pgid in groups.iter() {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    fn adopt(&self, pgid: i32) {
        let mut groups = self.0.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups.retain(|&g| live().contains(&g));
        groups.push(pgid);
        // Checked under the lock `cancel` takes, so a cancel that races with
        // this registration either sees the group or is seen here.
        if self.is_cancelled() {
            let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
        }
    }
}

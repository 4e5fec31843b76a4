//! Stage 4: one generator, many threads. IDs stay unique and per-thread
//! increasing under contention, and no lock is held while the clock is read.

use kit::clock::Clock;
use snowflake::Generator;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::ThreadId;
use std::time::Duration;

const EPOCH: u64 = 1_600_000_000_000;

/// Moves forward one millisecond every `per_ms` reads, from any thread.
#[derive(Debug)]
struct TickingClock {
    reads: AtomicU64,
    per_ms: u64,
}

impl Clock for TickingClock {
    fn unix_millis(&self) -> u64 {
        EPOCH + self.reads.fetch_add(1, Ordering::Relaxed) / self.per_ms
    }
    fn monotonic(&self) -> Duration {
        Duration::from_millis(self.reads.load(Ordering::Relaxed) / self.per_ms)
    }
}

fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!(),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {secs} s"),
    }
}

#[test]
fn the_generator_is_shareable() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Generator<kit::clock::ManualClock>>();
    shareable::<Generator<kit::clock::SystemClock>>();
}

#[test]
fn eight_threads_times_50k_ids_are_all_unique() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 50_000;
    let per_thread_ids = within(30, "8 x 50k IDs", || {
        let g = Arc::new(
            Generator::new(
                42,
                TickingClock {
                    reads: AtomicU64::new(0),
                    per_ms: 2_000,
                },
            )
            .unwrap()
            .with_epoch(EPOCH),
        );
        let start = Arc::new(std::sync::Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (g, start) = (Arc::clone(&g), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    (0..PER_THREAD)
                        .map(|_| g.next_id().unwrap())
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for ids in &per_thread_ids {
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "each thread must see its own IDs strictly increase"
        );
    }
    let mut all: Vec<u64> = per_thread_ids.concat();
    all.sort_unstable();
    let total = all.len();
    all.dedup();
    assert_eq!(
        all.len(),
        total,
        "{} duplicate IDs among {total}: the read-modify-write of the generator state is not atomic",
        total - all.len()
    );
}

/// A clock that holds one chosen thread inside `unix_millis` until released
/// (as a VM pause or a slow syscall would), to see whether others can still
/// get IDs meanwhile.
#[derive(Debug, Default)]
struct GateClock {
    state: Mutex<Gate>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Gate {
    hold: Option<ThreadId>,
    held: bool,
    released: bool,
    timed_out: bool,
}

impl Clock for GateClock {
    fn unix_millis(&self) -> u64 {
        let mut gate = self.state.lock().unwrap();
        if gate.hold == Some(std::thread::current().id()) {
            gate.hold = None; // hold it only once
            gate.held = true;
            self.changed.notify_all();
            let (mut gate, wait) = self
                .changed
                .wait_timeout_while(gate, Duration::from_secs(5), |g| !g.released)
                .unwrap();
            gate.timed_out = wait.timed_out();
        }
        EPOCH + 7
    }
    fn monotonic(&self) -> Duration {
        Duration::ZERO
    }
}

#[test]
fn no_lock_is_held_while_reading_the_clock() {
    let clock = Arc::new(GateClock::default());
    let g = Arc::new(
        Generator::new(1, Arc::clone(&clock))
            .unwrap()
            .with_epoch(EPOCH),
    );
    let slow = {
        let (g, clock) = (Arc::clone(&g), Arc::clone(&clock));
        std::thread::spawn(move || {
            clock.state.lock().unwrap().hold = Some(std::thread::current().id());
            g.try_next_id()
        })
    };
    {
        let gate = clock.state.lock().unwrap();
        let (gate, wait) = clock
            .changed
            .wait_timeout_while(gate, Duration::from_secs(5), |g| !g.held)
            .unwrap();
        assert!(
            !wait.timed_out() && gate.held,
            "the generator never read the clock"
        );
    }
    // The slow thread is now inside the clock read. Another ID must not wait for it.
    let fast = g.try_next_id();
    {
        let mut gate = clock.state.lock().unwrap();
        gate.released = true;
        clock.changed.notify_all();
    }
    let slow = slow.join().unwrap();
    assert!(
        !clock.state.lock().unwrap().timed_out,
        "a second thread could not get an ID while the first was reading the clock: a lock is held \
         across the clock read, so one slow read (a VM pause, a page fault) stalls every caller"
    );
    let (fast, slow) = (fast.unwrap(), slow.unwrap());
    assert_ne!(fast, slow);
    assert!(
        slow > fast,
        "the slow thread lost the race, so it must retry and take the next sequence"
    );
}

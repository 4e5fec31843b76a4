//! Stage 4: loom tries every interleaving (up to a preemption bound) of a
//! producer waiting for room in the [`Window`] and the thread that wakes it,
//! by a cancellation or by a delivery. Run it with
//!
//!     cargo test -p fan_out_fan_in --features loom --test 4_loom
//!
//! The bug this finds is the lost wake-up: the producer, holding the lock,
//! finds "not cancelled, no room" and goes to wait; a canceller that sets the
//! flag and notifies *without* taking that lock can do both in the gap
//! between the producer's check and its wait, so the notification reaches
//! nobody and the producer sleeps for ever. On real threads that gap is a few
//! instructions wide and a stress test hits it only now and then; loom tries
//! that schedule on every run, and reports "deadlock" (every thread asleep).
//! Loom may then abort with a second panic while it unwinds ("panicked while
//! processing panic" or "aborting"): read the first message, the one that
//! explains the failure, and run one model at a time by adding its name to
//! the command.

use fan_out_fan_in::Window;
use fan_out_fan_in::sync::{Arc, AtomicBool, Ordering, thread};
use loom::model::Builder;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

#[test]
fn a_cancellation_wakes_a_producer_waiting_for_room() {
    model(|| {
        // A window of one with nothing delivered: item 0 may be taken,
        // item 1 must wait.
        let window = Arc::new(Window::new(1));
        let producer = {
            let window = Arc::clone(&window);
            thread::spawn(move || window.wait_for_room(1))
        };
        window.cancel();
        let took = producer.join().unwrap();
        assert!(
            !took,
            "wait_for_room(1) returned true in a window of one with nothing delivered \
             and the run cancelled: it must return false once cancelled"
        );
        assert!(window.is_cancelled());
    });
}

#[test]
fn a_delivery_wakes_a_producer_waiting_for_room() {
    model(|| {
        let window = Arc::new(Window::new(1));
        let delivered = Arc::new(AtomicBool::new(false));
        let producer = {
            let (window, delivered) = (Arc::clone(&window), Arc::clone(&delivered));
            thread::spawn(move || {
                let took = window.wait_for_room(1);
                assert!(
                    delivered.load(Ordering::SeqCst),
                    "wait_for_room(1) returned before item 0 was delivered, in a window \
                     of one: item seq may be taken only while seq - delivered < size"
                );
                took
            })
        };
        delivered.store(true, Ordering::SeqCst);
        window.delivered_one();
        assert!(
            producer.join().unwrap(),
            "after one delivery item 1 fits in a window of one and the run is not \
             cancelled: wait_for_room(1) must return true"
        );
    });
}

#[test]
fn a_delivery_and_a_cancellation_together_still_wake_the_producer() {
    model(|| {
        // Two wakers at once: whichever the producer sees first, it must not
        // sleep through both.
        let window = Arc::new(Window::new(1));
        let producer = {
            let window = Arc::clone(&window);
            thread::spawn(move || window.wait_for_room(1))
        };
        let deliverer = {
            let window = Arc::clone(&window);
            thread::spawn(move || window.delivered_one())
        };
        window.cancel();
        deliverer.join().unwrap();
        // Either answer is right here: room came, and so did the cancellation.
        let _ = producer.join().unwrap();
        assert!(
            !window.wait_for_room(1),
            "cancelled: no more items, room or not"
        );
    });
}

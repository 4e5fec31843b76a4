//! Stage 5: the wrong design, shown by running it. Last-writer-wins on bare
//! wall-clock stamps (`Stamping::WallClock`) with a node whose clock runs
//! behind silently drops a write that causally follows the one it loses to:
//! the client read the old value, wrote a new one, was told "written", and
//! the new value is gone on every replica. The HLC keeps it, in the scripted
//! story and over seeded runs, and its physical part never runs ahead of
//! the fastest wall clock. A CP register that stamps with the wall clock is
//! not even linearizable: its query phase sees the newer stamp, but a slow
//! clock stamps the next write below it.

use crate::common;

use common::*;

#[test]
fn a_wall_clock_write_stamped_below_the_held_version_is_dropped_silently() {
    let (mut n, _) = node_with(Config {
        stamping: Stamping::WallClock,
        ..Config::new(1, 3, Mode::Ap)
    });
    n.write(1, 10);
    assert_eq!(
        n.version(),
        ver(10, ts(START_MS, 0, 1)),
        "a wall-clock stamp is (wall clock, 0, id)"
    );
    let _ = n.ready();
    let ahead = ver(20, ts(START_MS + 500, 0, 0));
    n.step(0, Message::Sync { version: ahead });
    n.write(2, 30);
    let ready = n.ready();
    assert_eq!(
        ready.responses,
        [Response {
            req: 2,
            reply: Reply::Written
        }],
        "the client is told its write succeeded"
    );
    assert_eq!(
        n.version(),
        ahead,
        "but its stamp (wall clock {START_MS}) is below the held version's (node 0's clock, 500 \
         ms ahead): last-writer-wins keeps the held version, and the write is gone"
    );
    assert_eq!(
        ready.messages,
        vec![
            (0, Message::Sync { version: ahead }),
            (2, Message::Sync { version: ahead })
        ],
        "the push after a write carries the held version, whichever won"
    );
}

/// Node 2's clock runs 500 ms behind. A client writes on node 0; once node
/// 2 has it, a client reads it there and writes a new value on node 2.
/// Returns (the first value, the second, the converged cluster).
fn read_then_write_on_a_slow_node(stamping: Stamping) -> (Value, Value, Cluster) {
    let mut c = Cluster::with(3, 1, &[0, 0, -500], |cfg| {
        cfg.mode = Mode::Ap;
        cfg.stamping = stamping;
    });
    let (_, first) = c.write(0);
    c.run(5);
    let r = c.read(2);
    assert_eq!(
        c.reply(r),
        Reply::Value(first),
        "node 2 has node 0's write (it was pushed at once)"
    );
    let (w, second) = c.write(2);
    assert_eq!(c.reply(w), Reply::Written, "AP acknowledges at once");
    c.run(2 * c.config(0).sync_ticks + 5);
    assert!(c.converged(), "the replicas converge: {:?}", c.versions());
    (first, second, c)
}

#[test]
fn wall_clock_lww_drops_a_causally_later_write() {
    let (first, second, c) = read_then_write_on_a_slow_node(Stamping::WallClock);
    let losses = c.losses();
    assert_eq!(
        (
            losses.winner,
            losses.lost.as_slice(),
            losses.causally_later.as_slice()
        ),
        (first, &[second][..], &[second][..]),
        "the demonstration: with wall-clock stamps, node 2's write (stamped 500 ms in the past) \
         loses to the value its client had just read, on every replica, although the client was \
         told it was written. Stamping::WallClock must stamp (wall clock, 0, id) and keep a \
         version only if its stamp is greater. Versions: {:?}",
        c.versions()
    );
}

#[test]
fn hlc_keeps_the_causally_later_write() {
    let (_, second, c) = read_then_write_on_a_slow_node(Stamping::Hlc);
    let losses = c.losses();
    if losses.winner != second || !losses.lost.is_empty() {
        c.net.fail(&format!(
            "with HLC stamps node 2's write must win: node 2 received the first write's stamp, \
             so its clock is past it, whatever its wall clock says. Winner {}, lost {:?}, \
             versions {:?}",
            losses.winner,
            losses.lost,
            c.versions()
        ));
    }
}

/// Three nodes, node `slow`'s clock `behind` ms behind; a read and then a
/// write on a random node every other tick; then convergence. The losses.
fn causal_chain(seed: u64, stamping: Stamping) -> (Losses, Cluster) {
    let mut rng = kit::rng::Rng::new(seed).stream("chain");
    let slow = rng.below(3) as NodeId;
    let behind = 100 + rng.below(400) as i64;
    let mut skews = vec![0i64; 3];
    skews[slow] = -behind;
    let mut c = Cluster::with(3, seed, &skews, |cfg| {
        cfg.mode = Mode::Ap;
        cfg.stamping = stamping;
    });
    c.check_hlc_bound = stamping == Stamping::Hlc;
    for _ in 0..40 {
        let i = rng.below(3) as NodeId;
        c.read(i);
        c.write(i);
        c.run(2);
    }
    c.converge(40, "anti-entropy repeats every sync_ticks");
    (c.losses(), c)
}

#[test]
fn hlc_never_drops_a_causally_later_write_under_skew() {
    run_seeds(&SEEDS, |seed| {
        let (losses, c) = causal_chain(seed, Stamping::Hlc);
        if !losses.causally_later.is_empty() {
            c.net.fail(&format!(
                "HLC stamps, one node's clock behind: writes {:?} were acknowledged and \
                 dropped at once by their own node, stamped below the version it held. A \
                 write's stamp must come from the HLC, which every received stamp has moved \
                 forward.",
                losses.causally_later
            ));
        }
    });
}

#[test]
fn wall_clock_stamps_drop_causally_later_writes_on_most_seeds() {
    let mut dropping = 0;
    let mut report = Vec::new();
    for seed in kit::sim::seeds(&SEEDS) {
        let (losses, _) = causal_chain(seed, Stamping::WallClock);
        report.push(format!(
            "seed {seed}: {} dropped",
            losses.causally_later.len()
        ));
        dropping += usize::from(!losses.causally_later.is_empty());
    }
    eprintln!(
        "wall-clock last-writer-wins, one slow clock: {}",
        report.join(", ")
    );
    assert!(
        dropping * 2 >= kit::sim::seeds(&SEEDS).len(),
        "a node whose clock is 100-500 ms behind stamps its writes before what it has already \
         seen: most seeds must drop a causally later write ({})",
        report.join(", ")
    );
}

/// Node 0's clock runs 500 ms ahead. A CP write on node 0 completes; then a
/// CP write on node 1; then a read. The history.
fn cp_after_a_fast_clock(stamping: Stamping) -> Cluster {
    let mut c = Cluster::with(3, 1, &[500, 0, 0], |cfg| {
        cfg.mode = Mode::Cp;
        cfg.stamping = stamping;
    });
    let (w, _) = c.write(0);
    assert_eq!(c.wait(w, 20), Reply::Written);
    let (w, _) = c.write(1);
    assert_eq!(c.wait(w, 20), Reply::Written);
    let r = c.read(2);
    c.wait(r, 20);
    c
}

#[test]
fn cp_with_wall_clock_stamps_is_not_linearizable_under_skew() {
    let c = cp_after_a_fast_clock(Stamping::WallClock);
    let verdict =
        kit::history::check_linearizable(&kit::history::Register::new(0), &c.history, CHECK_STEPS);
    assert!(
        verdict.violation().is_some(),
        "the demonstration: node 1's write came after node 0's had completed, but its wall \
         clock stamp is 500 ms lower, so every replica keeps node 0's value and the read returns \
         it. Expected a linearizability violation, got {verdict}"
    );
}

#[test]
fn cp_with_hlc_stamps_is_linearizable_under_skew() {
    let c = cp_after_a_fast_clock(Stamping::Hlc);
    c.assert_linearizable(
        "node 1's query phase received node 0's stamp, so its HLC stamps the new write after it",
    );
}

//! Stage 2: when a device fails, the facade cleans up after itself.

use facade::devices::{
    Amplifier, CallLog, DeviceError, DeviceKind, Lights, Player, Projector, Screen,
};
use facade::{HomeTheater, TheaterError};

fn theater(log: &CallLog) -> HomeTheater {
    HomeTheater::new(
        Amplifier::new(log),
        Player::new(log),
        Projector::new(log),
        Screen::new(log),
        Lights::new(log),
    )
}

fn err(device: DeviceKind, operation: &'static str) -> DeviceError {
    DeviceError { device, operation }
}

/// The start sequence as (fault key, log entry, undo entry if this step engages
/// its device). Written out here, independently of the solution, so a test
/// failure points at the facade and not at a shared table.
const START: [(&str, &str, Option<&str>); 10] = [
    ("lights.dim", "lights.dim(10)", Some("lights.on")),
    ("screen.down", "screen.down", Some("screen.up")),
    ("projector.on", "projector.on", Some("projector.off")),
    (
        "projector.wide_screen_mode",
        "projector.wide_screen_mode",
        None,
    ),
    ("amplifier.on", "amplifier.on", Some("amplifier.off")),
    ("amplifier.set_source", "amplifier.set_source(player)", None),
    ("amplifier.set_surround", "amplifier.set_surround", None),
    ("amplifier.set_volume", "amplifier.set_volume(5)", None),
    ("player.on", "player.on", Some("player.off")),
    ("player.play", "player.play(Alien)", None),
];

#[test]
fn a_failing_projector_rolls_back_the_screen_and_lights_in_reverse() {
    let log = CallLog::new();
    let mut t = theater(&log);
    log.fail_on("projector.on");
    assert_eq!(
        t.watch_movie("Alien"),
        Err(TheaterError::StartFailed {
            failed: err(DeviceKind::Projector, "on"),
            rollback_failures: vec![],
        }),
        "the error must name the device and operation that failed"
    );
    assert_eq!(
        log.entries(),
        [
            "lights.dim(10)",
            "screen.down",
            "projector.on FAILED",
            "screen.up",
            "lights.on"
        ],
        "undo what was engaged, last first; never 'undo' the projector that never came on"
    );
    assert_eq!(
        t.now_playing(),
        None,
        "a failed start leaves the theatre idle"
    );
}

#[test]
fn a_failure_on_the_very_first_step_has_nothing_to_undo() {
    let log = CallLog::new();
    let mut t = theater(&log);
    log.fail_on("lights.dim");
    let result = t.watch_movie("Alien");
    assert_eq!(
        result,
        Err(TheaterError::StartFailed {
            failed: err(DeviceKind::Lights, "dim"),
            rollback_failures: vec![],
        })
    );
    assert_eq!(
        log.entries(),
        ["lights.dim(10) FAILED"],
        "nothing was engaged, so nothing may be switched off or on"
    );
}

#[test]
fn a_failure_after_a_device_came_on_switches_that_device_off_too() {
    let log = CallLog::new();
    let mut t = theater(&log);
    log.fail_on("amplifier.set_volume");
    let result = t.watch_movie("Alien");
    assert_eq!(
        result,
        Err(TheaterError::StartFailed {
            failed: err(DeviceKind::Amplifier, "set_volume"),
            rollback_failures: vec![],
        })
    );
    assert_eq!(
        log.entries(),
        [
            "lights.dim(10)",
            "screen.down",
            "projector.on",
            "projector.wide_screen_mode",
            "amplifier.on",
            "amplifier.set_source(player)",
            "amplifier.set_surround",
            "amplifier.set_volume(5) FAILED",
            "amplifier.off",
            "projector.off",
            "screen.up",
            "lights.on",
        ],
        "the amplifier was on when its volume failed: it must be switched off, first"
    );
}

#[test]
fn every_possible_start_failure_rolls_back_exactly_what_was_engaged() {
    for (i, &(fault, _, _)) in START.iter().enumerate() {
        let log = CallLog::new();
        let mut t = theater(&log);
        log.fail_on(fault);
        let result = t.watch_movie("Alien");

        let mut expected: Vec<String> = START[..i].iter().map(|s| s.1.to_string()).collect();
        expected.push(format!("{} FAILED", START[i].1));
        let undo: Vec<String> = START[..i]
            .iter()
            .rev()
            .filter_map(|s| s.2.map(str::to_string))
            .collect();
        expected.extend(undo);
        assert_eq!(
            log.entries(),
            expected,
            "with {fault} failing: the steps before it, the failure, then exactly the \
             engaged devices undone in reverse order"
        );

        let (device, op) = fault.split_once('.').unwrap();
        match result {
            Err(TheaterError::StartFailed {
                failed,
                rollback_failures,
            }) => {
                assert_eq!(
                    failed.device.name(),
                    device,
                    "the error must name the failed device"
                );
                assert_eq!(
                    failed.operation, op,
                    "the error must name the failed operation"
                );
                assert!(rollback_failures.is_empty());
            }
            other => panic!("with {fault} failing, expected StartFailed, got {other:?}"),
        }
        assert_eq!(
            t.now_playing(),
            None,
            "with {fault} failing the theatre must stay idle"
        );
    }
}

#[test]
fn the_theater_is_idle_after_a_failed_start_and_can_try_again() {
    let log = CallLog::new();
    let mut t = theater(&log);
    log.fail_on("player.play");
    assert!(t.watch_movie("Alien").is_err());
    log.clear();
    assert_eq!(
        t.end_movie(),
        Err(TheaterError::NotWatching),
        "a film that failed to start is not 'on': ending it must be refused"
    );
    assert!(log.entries().is_empty(), "got {:?}", log.entries());

    log.clear_faults();
    assert_eq!(
        t.watch_movie("Alien"),
        Ok(()),
        "once the fault is fixed, a retry works"
    );
    let expected: Vec<&str> = START.iter().map(|s| s.1).collect();
    assert_eq!(log.entries(), expected);
    assert_eq!(t.now_playing(), Some("Alien"));
}

#[test]
fn a_failing_undo_does_not_stop_the_rest_of_the_rollback() {
    let log = CallLog::new();
    let mut t = theater(&log);
    log.fail_on("player.play");
    log.fail_on("amplifier.off");
    log.fail_on("screen.up");
    let result = t.watch_movie("Alien");
    assert_eq!(
        result,
        Err(TheaterError::StartFailed {
            failed: err(DeviceKind::Player, "play"),
            rollback_failures: vec![
                err(DeviceKind::Amplifier, "off"),
                err(DeviceKind::Screen, "up")
            ],
        }),
        "every failed undo must be reported, in the order attempted"
    );
    let entries = log.entries();
    assert_eq!(
        &entries[9..],
        [
            "player.play(Alien) FAILED",
            "player.off",
            "amplifier.off FAILED",
            "projector.off",
            "screen.up FAILED",
            "lights.on"
        ],
        "one stuck amplifier must not leave the projector lamp and the lights as they were"
    );
}

#[test]
fn end_movie_attempts_every_step_even_when_some_fail() {
    let log = CallLog::new();
    let mut t = theater(&log);
    t.watch_movie("Alien").unwrap();
    log.clear();
    log.fail_on("player.stop");
    log.fail_on("projector.off");
    assert_eq!(
        t.end_movie(),
        Err(TheaterError::ShutdownIncomplete {
            failures: vec![
                err(DeviceKind::Player, "stop"),
                err(DeviceKind::Projector, "off")
            ],
        })
    );
    assert_eq!(
        log.entries(),
        [
            "player.stop FAILED",
            "player.eject",
            "player.off",
            "amplifier.off",
            "projector.off FAILED",
            "screen.up",
            "lights.on"
        ],
        "shutdown is best effort: a failure must not leave later devices running"
    );
    assert_eq!(
        t.now_playing(),
        None,
        "after end_movie the theatre is idle, failures or not"
    );
    log.clear();
    log.clear_faults();
    assert_eq!(t.end_movie(), Err(TheaterError::NotWatching));
}

#[test]
fn a_failure_in_the_last_shutdown_step_is_reported() {
    let log = CallLog::new();
    let mut t = theater(&log);
    t.watch_movie("Alien").unwrap();
    log.fail_on("lights.on");
    assert_eq!(
        t.end_movie(),
        Err(TheaterError::ShutdownIncomplete {
            failures: vec![err(DeviceKind::Lights, "on")],
        })
    );
}

//! Stage 1: the facade drives the devices in the documented order.

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

const START_ALIEN: [&str; 10] = [
    "lights.dim(10)",
    "screen.down",
    "projector.on",
    "projector.wide_screen_mode",
    "amplifier.on",
    "amplifier.set_source(player)",
    "amplifier.set_surround",
    "amplifier.set_volume(5)",
    "player.on",
    "player.play(Alien)",
];

const END: [&str; 7] = [
    "player.stop",
    "player.eject",
    "player.off",
    "amplifier.off",
    "projector.off",
    "screen.up",
    "lights.on",
];

#[test]
fn watch_movie_drives_every_device_in_the_documented_order() {
    let log = CallLog::new();
    let mut t = theater(&log);
    assert_eq!(t.watch_movie("Alien"), Ok(()));
    assert_eq!(
        log.entries(),
        START_ALIEN,
        "watch_movie must make exactly the ten documented calls, in order: the \
         order is the knowledge the facade exists to hold"
    );
    assert_eq!(t.now_playing(), Some("Alien"));
}

#[test]
fn a_new_theater_is_idle_and_touches_nothing() {
    let log = CallLog::new();
    let t = theater(&log);
    assert_eq!(t.now_playing(), None);
    assert!(
        log.entries().is_empty(),
        "building the facade must not call any device"
    );
}

#[test]
fn the_title_reaches_the_player() {
    let log = CallLog::new();
    let mut t = theater(&log);
    t.watch_movie("Blade Runner").unwrap();
    assert_eq!(
        log.entries().last().map(String::as_str),
        Some("player.play(Blade Runner)")
    );
    assert_eq!(t.now_playing(), Some("Blade Runner"));
}

#[test]
fn end_movie_shuts_down_in_the_documented_order() {
    let log = CallLog::new();
    let mut t = theater(&log);
    t.watch_movie("Alien").unwrap();
    log.clear();
    assert_eq!(t.end_movie(), Ok(()));
    assert_eq!(
        log.entries(),
        END,
        "end_movie must make exactly the seven documented calls"
    );
    assert_eq!(t.now_playing(), None, "after end_movie no film is on");
}

#[test]
fn watching_twice_is_refused_without_touching_a_device() {
    let log = CallLog::new();
    let mut t = theater(&log);
    t.watch_movie("Alien").unwrap();
    log.clear();
    assert_eq!(
        t.watch_movie("Heat"),
        Err(TheaterError::AlreadyWatching {
            title: "Alien".to_string()
        }),
        "a second watch_movie must be refused and name the film that is on"
    );
    assert!(
        log.entries().is_empty(),
        "a refused request must not touch any device, got {:?}",
        log.entries()
    );
    assert_eq!(
        t.now_playing(),
        Some("Alien"),
        "the film that is on keeps playing"
    );
}

#[test]
fn ending_when_nothing_is_on_is_refused_without_touching_a_device() {
    let log = CallLog::new();
    let mut t = theater(&log);
    assert_eq!(t.end_movie(), Err(TheaterError::NotWatching));
    assert!(log.entries().is_empty(), "got {:?}", log.entries());

    t.watch_movie("Alien").unwrap();
    t.end_movie().unwrap();
    log.clear();
    assert_eq!(
        t.end_movie(),
        Err(TheaterError::NotWatching),
        "ending twice must be refused the second time"
    );
    assert!(log.entries().is_empty(), "got {:?}", log.entries());
}

#[test]
fn an_evening_of_two_films() {
    let log = CallLog::new();
    let mut t = theater(&log);
    t.watch_movie("Alien").unwrap();
    t.end_movie().unwrap();
    t.watch_movie("Aliens").unwrap();
    t.end_movie().unwrap();
    let mut expected: Vec<String> = Vec::new();
    expected.extend(START_ALIEN.iter().map(|s| s.to_string()));
    expected.extend(END.iter().map(|s| s.to_string()));
    expected.extend(START_ALIEN.iter().map(|s| s.replace("(Alien)", "(Aliens)")));
    expected.extend(END.iter().map(|s| s.to_string()));
    assert_eq!(log.entries(), expected);
}

#[test]
fn errors_say_what_went_wrong() {
    let e = DeviceError {
        device: DeviceKind::Projector,
        operation: "on",
    };
    assert_eq!(e.to_string(), "projector.on failed");
    let already = TheaterError::AlreadyWatching {
        title: "Alien".into(),
    };
    assert!(already.to_string().contains("Alien"), "{already}");
    assert!(!TheaterError::NotWatching.to_string().is_empty());
    let start = TheaterError::StartFailed {
        failed: e.clone(),
        rollback_failures: vec![],
    };
    assert!(start.to_string().contains("projector.on failed"), "{start}");
    let messy = TheaterError::StartFailed {
        failed: e.clone(),
        rollback_failures: vec![e.clone(), e.clone()],
    };
    assert!(messy.to_string().contains('2'), "{messy}");
    let shutdown = TheaterError::ShutdownIncomplete {
        failures: vec![e.clone(), e.clone(), e],
    };
    assert!(shutdown.to_string().contains('3'), "{shutdown}");
}

#[test]
fn the_call_log_records_failures_and_can_be_cleared() {
    let log = CallLog::new();
    let p = Projector::new(&log);
    log.fail_on("projector.on");
    assert_eq!(
        p.on(),
        Err(DeviceError {
            device: DeviceKind::Projector,
            operation: "on"
        })
    );
    assert_eq!(p.off(), Ok(()));
    assert_eq!(log.entries(), ["projector.on FAILED", "projector.off"]);
    log.clear();
    assert!(log.entries().is_empty());
    log.clear_faults();
    assert_eq!(p.on(), Ok(()));
    assert_eq!(log.entries(), ["projector.on"]);
}

#[test]
#[should_panic(expected = "unknown operation")]
fn a_misspelt_fault_is_an_error_not_a_silent_no_op() {
    CallLog::new().fail_on("projector.power_on");
}

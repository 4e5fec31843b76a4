//! Stage 1: the strategies — what each traveller may use, and what it costs.

use strategy::{Cycling, Driving, Road, RoadKind, RouteStrategy, Walking, travel_seconds};

fn road(kind: RoadKind, length_m: u32) -> Road {
    Road {
        a: "A".into(),
        b: "B".into(),
        length_m,
        kind,
    }
}

#[test]
fn travel_time_is_exact_integer_seconds_rounded_up() {
    assert_eq!(travel_seconds(100, 5), 72, "100 m at 5 km/h is 72 s");
    assert_eq!(travel_seconds(1000, 36), 100, "1 km at 36 km/h is 100 s");
    assert_eq!(travel_seconds(100, 90), 4);
    assert_eq!(
        travel_seconds(1, 5),
        1,
        "a partial second rounds up: 0.72 s -> 1 s"
    );
    assert_eq!(travel_seconds(101, 5), 73, "72.72 s rounds up to 73 s");
    assert_eq!(travel_seconds(0, 5), 0, "a zero-length road takes no time");
    assert_eq!(
        travel_seconds(u32::MAX, 5),
        3_092_376_453,
        "the longest road must not overflow"
    );
}

#[test]
fn walking_uses_everything_but_highways_at_5_kmh() {
    assert_eq!(Walking.cost(&road(RoadKind::Footpath, 500)), Some(360));
    assert_eq!(Walking.cost(&road(RoadKind::CyclePath, 500)), Some(360));
    assert_eq!(Walking.cost(&road(RoadKind::Street, 500)), Some(360));
    assert_eq!(
        Walking.cost(&road(RoadKind::Highway, 500)),
        None,
        "a highway is closed to walkers: None, not an expensive cost"
    );
    assert_eq!(Walking.name(), "walking");
}

#[test]
fn cycling_prefers_cycle_paths_and_avoids_footpaths_and_highways() {
    assert_eq!(
        Cycling.cost(&road(RoadKind::CyclePath, 500)),
        Some(120),
        "15 km/h"
    );
    assert_eq!(
        Cycling.cost(&road(RoadKind::Street, 500)),
        Some(150),
        "12 km/h in traffic"
    );
    assert_eq!(Cycling.cost(&road(RoadKind::Footpath, 500)), None);
    assert_eq!(Cycling.cost(&road(RoadKind::Highway, 500)), None);
    assert_eq!(Cycling.name(), "cycling");
}

#[test]
fn driving_uses_streets_and_highways_only() {
    assert_eq!(
        Driving.cost(&road(RoadKind::Street, 500)),
        Some(50),
        "36 km/h"
    );
    assert_eq!(
        Driving.cost(&road(RoadKind::Highway, 500)),
        Some(20),
        "90 km/h"
    );
    assert_eq!(Driving.cost(&road(RoadKind::Footpath, 500)), None);
    assert_eq!(Driving.cost(&road(RoadKind::CyclePath, 500)), None);
    assert_eq!(Driving.name(), "driving");
}

#[test]
fn a_closure_is_a_strategy() {
    let by_length = |r: &Road| Some(u64::from(r.length_m));
    assert_eq!(by_length.cost(&road(RoadKind::Highway, 1234)), Some(1234));
    assert_eq!(by_length.name(), "custom", "closures get the default name");

    let no_highways = |r: &Road| (r.kind != RoadKind::Highway).then_some(1);
    assert_eq!(no_highways.cost(&road(RoadKind::Highway, 10)), None);
    assert_eq!(no_highways.cost(&road(RoadKind::Street, 10)), Some(1));
}

/// A strategy defined only here, to show the trait is open to new travellers.
struct Wheelchair;

impl RouteStrategy for Wheelchair {
    fn cost(&self, road: &Road) -> Option<u64> {
        match road.kind {
            RoadKind::Footpath | RoadKind::CyclePath => Some(travel_seconds(road.length_m, 4)),
            RoadKind::Street | RoadKind::Highway => None,
        }
    }
}

#[test]
fn a_test_defined_strategy_gets_the_default_name() {
    assert_eq!(Wheelchair.name(), "custom");
    assert_eq!(Wheelchair.cost(&road(RoadKind::Footpath, 100)), Some(90));
    let as_object: &dyn RouteStrategy = &Walking;
    assert_eq!(
        as_object.name(),
        "walking",
        "the name must survive dynamic dispatch"
    );
}

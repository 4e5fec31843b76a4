//! Stage 3: a navigator whose strategy is swapped at runtime.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use strategy::{
    Cycling, Driving, Navigator, Road, RoadKind, RoadMap, Route, RouteError, RouteStrategy,
    Walking, shortest_route,
};

fn town() -> RoadMap {
    let mut m = RoadMap::new();
    m.add_road("Home", "Park", 400, RoadKind::Footpath)
        .add_road("Park", "Station", 600, RoadKind::Footpath)
        .add_road("Home", "Market", 800, RoadKind::Street)
        .add_road("Market", "Station", 700, RoadKind::Street)
        .add_road("Home", "Riverside", 900, RoadKind::CyclePath)
        .add_road("Riverside", "Station", 600, RoadKind::CyclePath)
        .add_road("Home", "Junction", 300, RoadKind::Street)
        .add_road("Junction", "Airport", 9000, RoadKind::Highway)
        .add_road("Station", "Airport", 6000, RoadKind::Street)
        .add_road("Junction", "Depot", 1800, RoadKind::Highway)
        .add_place("Island");
    m
}

fn places(r: &Result<Route, RouteError>) -> Vec<&str> {
    r.as_ref()
        .expect("a route")
        .places
        .iter()
        .map(String::as_str)
        .collect()
}

#[test]
fn swapping_the_strategy_changes_the_next_route() {
    let mut nav = Navigator::new(town(), Box::new(Walking));
    assert_eq!(nav.strategy_name(), "walking");
    let walk = nav.route("Home", "Station");
    assert_eq!(places(&walk), ["Home", "Park", "Station"]);
    assert_eq!(walk.unwrap().cost, 720);

    nav.set_strategy(Box::new(Cycling));
    assert_eq!(nav.strategy_name(), "cycling");
    let bike = nav.route("Home", "Station");
    assert_eq!(
        places(&bike),
        ["Home", "Riverside", "Station"],
        "after set_strategy the navigator must route with the new strategy"
    );
    assert_eq!(bike.unwrap().cost, 360);

    nav.set_strategy(Box::new(Driving));
    assert_eq!(nav.strategy_name(), "driving");
    assert_eq!(
        places(&nav.route("Home", "Station")),
        ["Home", "Market", "Station"]
    );
    assert_eq!(
        nav.route("Home", "Island"),
        Err(RouteError::Unreachable {
            from: "Home".into(),
            to: "Island".into()
        })
    );
    assert_eq!(
        nav.route("Home", "Nowhere"),
        Err(RouteError::UnknownPlace("Nowhere".into()))
    );
    assert!(
        nav.map().contains("Depot"),
        "the navigator keeps the map it was given"
    );
}

#[test]
fn a_closure_can_be_the_navigators_strategy() {
    let mut nav = Navigator::new(town(), Box::new(Driving));
    nav.set_strategy(Box::new(|r: &Road| Some(u64::from(r.length_m))));
    assert_eq!(nav.strategy_name(), "custom");
    let r = nav.route("Home", "Airport").unwrap();
    assert_eq!(r.places, ["Home", "Park", "Station", "Airport"]);
    assert_eq!(r.cost, 7000, "the closure's costs, not a built-in's");
}

#[test]
fn a_strategy_can_carry_state_such_as_closed_roads() {
    // Road works: the navigator's strategy consults a set the app updates.
    let closed: Rc<RefCell<BTreeSet<(String, String)>>> = Rc::default();
    let roadworks = Rc::clone(&closed);
    let nav = Navigator::new(
        town(),
        Box::new(move |r: &Road| {
            let shut = roadworks.borrow().contains(&(r.a.clone(), r.b.clone()));
            if shut { None } else { Driving.cost(r) }
        }),
    );
    assert_eq!(
        places(&nav.route("Home", "Station")),
        ["Home", "Market", "Station"]
    );
    closed
        .borrow_mut()
        .insert(("Market".to_string(), "Station".to_string()));
    let detour = nav.route("Home", "Station").unwrap();
    assert_eq!(
        detour.places,
        ["Home", "Junction", "Airport", "Station"],
        "with Market-Station closed, the car must go round by the airport"
    );
    assert_eq!(detour.cost, 30 + 360 + 600);
}

/// A decorator strategy defined only in the test: wraps any strategy and
/// forbids one kind of road.
struct Avoid<S> {
    inner: S,
    kind: RoadKind,
}

impl<S: RouteStrategy> RouteStrategy for Avoid<S> {
    fn cost(&self, road: &Road) -> Option<u64> {
        if road.kind == self.kind {
            None
        } else {
            self.inner.cost(road)
        }
    }
    fn name(&self) -> &str {
        "avoid"
    }
}

#[test]
fn a_test_defined_strategy_plugs_in_without_changing_the_navigator() {
    let mut nav = Navigator::new(town(), Box::new(Driving));
    assert_eq!(
        places(&nav.route("Home", "Airport")),
        ["Home", "Junction", "Airport"]
    );
    nav.set_strategy(Box::new(Avoid {
        inner: Driving,
        kind: RoadKind::Highway,
    }));
    assert_eq!(
        nav.strategy_name(),
        "avoid",
        "the navigator reports the strategy's own name"
    );
    let r = nav.route("Home", "Airport").unwrap();
    assert_eq!(r.places, ["Home", "Market", "Station", "Airport"]);
    assert_eq!(r.cost, 80 + 70 + 600);
    assert_eq!(
        nav.route("Home", "Depot"),
        Err(RouteError::Unreachable {
            from: "Home".into(),
            to: "Depot".into()
        })
    );
}

#[test]
fn static_and_dynamic_dispatch_give_the_same_routes() {
    let m = town();
    let boxed: Vec<Box<dyn RouteStrategy>> = vec![
        Box::new(Walking),
        Box::new(Cycling),
        Box::new(Driving),
        Box::new(|_: &Road| Some(1)),
    ];
    for (i, s) in boxed.iter().enumerate() {
        let dynamic = shortest_route(&m, "Park", "Airport", s.as_ref());
        let fixed = match i {
            0 => shortest_route(&m, "Park", "Airport", &Walking),
            1 => shortest_route(&m, "Park", "Airport", &Cycling),
            2 => shortest_route(&m, "Park", "Airport", &Driving),
            _ => shortest_route(&m, "Park", "Airport", &|_: &Road| Some(1)),
        };
        assert_eq!(dynamic, fixed, "strategy {}", s.name());
    }
    assert_eq!(
        places(&shortest_route(&m, "Park", "Airport", boxed[3].as_ref())),
        ["Park", "Station", "Airport"]
    );
    assert_eq!(
        shortest_route(&m, "Park", "Airport", boxed[1].as_ref()),
        Err(RouteError::Unreachable {
            from: "Park".into(),
            to: "Airport".into()
        }),
        "a bicycle cannot leave the park by its footpaths"
    );
}

#[test]
fn the_debug_form_names_the_strategy() {
    let nav = Navigator::new(RoadMap::new(), Box::new(Cycling));
    let shown = format!("{nav:?}");
    assert!(shown.contains("cycling"), "{shown}");
}

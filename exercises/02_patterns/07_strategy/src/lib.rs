//! Strategy: one algorithm (shortest path), many interchangeable policies
//! (how much a road costs for this traveller).
//!
//! Dijkstra does not care whether you walk, cycle or drive. It only needs to
//! ask "what does this road cost, and may I use it at all?" That question is
//! the [`RouteStrategy`] trait. [`shortest_route`] is the algorithm, generic
//! over the strategy (static dispatch); [`Navigator`] holds a
//! `Box<dyn RouteStrategy>` it can swap at runtime (dynamic dispatch). Any
//! closure `Fn(&Road) -> Option<u64>` is a strategy too.

// Lets the stub compile while its bodies are todo!(); delete the next line when you are done.
#![allow(unused_variables, unused_imports, dead_code)]

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

/// What a road is; decides who may use it and how fast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoadKind {
    /// Pedestrians only.
    Footpath,
    /// Pedestrians and bicycles.
    CyclePath,
    /// Everyone.
    Street,
    /// Motor vehicles only.
    Highway,
}

/// A two-way road between two places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Road {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// Length in metres.
    pub length_m: u32,
    /// What kind of road it is.
    pub kind: RoadKind,
}

/// Places joined by two-way roads (given complete: the lesson is the strategy
/// and the search, not the map). Two places may be joined by several roads
/// (a street and a highway, say); a route uses the cheapest one it may use.
#[derive(Debug, Clone, Default)]
pub struct RoadMap {
    /// Every place, sorted by name: the index of a place is its rank by name,
    /// which is what the tie-break compares.
    places: Vec<String>,
    roads: Vec<Road>,
}

impl RoadMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a place with no roads (adding an existing place does nothing).
    pub fn add_place(&mut self, name: &str) -> &mut Self {
        if let Err(at) = self.index_search(name) {
            self.places.insert(at, name.to_string());
        }
        self
    }

    /// Adds a two-way road, and its end places if they are new.
    pub fn add_road(&mut self, a: &str, b: &str, length_m: u32, kind: RoadKind) -> &mut Self {
        self.add_place(a).add_place(b);
        self.roads.push(Road {
            a: a.to_string(),
            b: b.to_string(),
            length_m,
            kind,
        });
        self
    }

    /// Whether `place` is on the map.
    pub fn contains(&self, place: &str) -> bool {
        self.index_search(place).is_ok()
    }

    /// Every road, in the order added.
    pub fn roads(&self) -> &[Road] {
        &self.roads
    }

    /// Every place, sorted by name.
    pub fn places(&self) -> impl Iterator<Item = &str> {
        self.places.iter().map(String::as_str)
    }

    fn index_search(&self, name: &str) -> Result<usize, usize> {
        self.places.binary_search_by(|p| p.as_str().cmp(name))
    }

    fn index(&self, name: &str) -> Result<usize, RouteError> {
        self.index_search(name)
            .map_err(|_| RouteError::UnknownPlace(name.to_string()))
    }
}

/// How a traveller weighs roads: the strategy.
///
/// Implemented by [`Walking`], [`Cycling`], [`Driving`], and by every closure
/// `Fn(&Road) -> Option<u64>`.
pub trait RouteStrategy {
    /// The cost of travelling the whole of `road` (in either direction), or
    /// `None` if this traveller may not use it. Costs are added along a route;
    /// a cost of 0 is allowed.
    fn cost(&self, road: &Road) -> Option<u64>;

    /// A name for display. Defaults to `"custom"`.
    fn name(&self) -> &str {
        "custom"
    }
}

impl<F> RouteStrategy for F
where
    F: Fn(&Road) -> Option<u64>,
{
    fn cost(&self, road: &Road) -> Option<u64> {
        todo!("a closure strategy: call the closure")
    }
}

/// Seconds to cover `length_m` metres at `kmh` km/h, rounded up.
///
/// Exact integer arithmetic (`u32` metres cannot overflow `u64` here), so
/// costs add up the same on every machine; floats would make ties fragile.
pub fn travel_seconds(length_m: u32, kmh: u32) -> u64 {
    todo!("length_m * 3600 / (kmh * 1000), rounded up, in integers")
}

/// On foot at 5 km/h on footpaths, cycle paths and streets; never on highways.
/// Cost: seconds, [`travel_seconds`]. Named `"walking"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Walking;

/// By bicycle at 15 km/h on cycle paths and 12 km/h on streets (traffic);
/// never on footpaths or highways. Cost: seconds. Named `"cycling"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cycling;

/// By car at 36 km/h on streets and 90 km/h on highways; never on footpaths or
/// cycle paths. Cost: seconds. Named `"driving"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Driving;

impl RouteStrategy for Walking {
    fn cost(&self, road: &Road) -> Option<u64> {
        todo!("the walking cost of this road, or None if closed to walking")
    }
    fn name(&self) -> &str {
        todo!("the name 'walking'")
    }
}

impl RouteStrategy for Cycling {
    fn cost(&self, road: &Road) -> Option<u64> {
        todo!("the cycling cost of this road, or None if closed to cycling")
    }
    fn name(&self) -> &str {
        todo!("the name 'cycling'")
    }
}

impl RouteStrategy for Driving {
    fn cost(&self, road: &Road) -> Option<u64> {
        todo!("the driving cost of this road, or None if closed to driving")
    }
    fn name(&self) -> &str {
        todo!("the name 'driving'")
    }
}

/// A route: the places passed through, first `from`, last `to`, and its total cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `from`, the places in between, `to`. Just `[from]` when `from == to`.
    pub places: Vec<String>,
    /// The sum of the strategy's costs of the roads taken.
    pub cost: u64,
}

impl Route {
    /// The number of roads taken.
    pub fn hops(&self) -> usize {
        todo!("the number of roads: one fewer than the places")
    }
}

/// Why no route was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// This place is not on the map (`from` is checked before `to`).
    UnknownPlace(String),
    /// Both places exist but no chain of roads usable by this strategy joins them.
    Unreachable {
        /// Where the route was to start.
        from: String,
        /// Where it was to end.
        to: String,
    },
}

impl fmt::Display for RouteError {
    /// Names the unknown place, or the two places no route joins.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        todo!("say which place is unknown, or between which places there is no route")
    }
}

impl std::error::Error for RouteError {}

/// The best route from `from` to `to` for `strategy`.
///
/// "Best", so that the answer is the same on every run and machine:
/// 1. the lowest total cost;
/// 2. among those, the fewest roads;
/// 3. among those, the lexicographically smallest list of place names
///    (compare the names place by place, like words in a dictionary).
///
/// Between two places joined by several roads, the cheapest usable one counts.
/// A route whose cost would overflow `u64` is treated as unusable. The
/// strategy is asked about each road at most once per call: a strategy may be
/// expensive (a live traffic lookup).
///
/// `S: ?Sized`, so this takes a concrete strategy (`&Walking`, monomorphised),
/// a closure, or a trait object (`&dyn RouteStrategy`, `&*boxed`).
///
/// # Errors
/// [`RouteError::UnknownPlace`] (checking `from` first), or
/// [`RouteError::Unreachable`].
pub fn shortest_route<S>(
    map: &RoadMap,
    from: &str,
    to: &str,
    strategy: &S,
) -> Result<Route, RouteError>
where
    S: RouteStrategy + ?Sized,
{
    // TODO: look both places up; ask the strategy once per road; run Dijkstra
    // ranking by (cost, roads); then break the remaining ties by names.
    todo!("Dijkstra with the strategy's costs and the documented tie-break")
}

/// A route planner whose strategy can be changed while it runs (the user taps
/// "bike" in the app): the strategy is a trait object.
pub struct Navigator {
    map: RoadMap,
    strategy: Box<dyn RouteStrategy>,
}

impl Navigator {
    /// A navigator over `map` using `strategy`.
    pub fn new(map: RoadMap, strategy: Box<dyn RouteStrategy>) -> Self {
        todo!("keep the map and the strategy")
    }

    /// Replaces the strategy; later routes use the new one.
    pub fn set_strategy(&mut self, strategy: Box<dyn RouteStrategy>) {
        todo!("replace the strategy")
    }

    /// The current strategy's [`RouteStrategy::name`].
    pub fn strategy_name(&self) -> &str {
        todo!("ask the strategy for its name")
    }

    /// The map.
    pub fn map(&self) -> &RoadMap {
        todo!("return the map")
    }

    /// [`shortest_route`] with the current strategy.
    ///
    /// # Errors
    /// As [`shortest_route`].
    pub fn route(&self, from: &str, to: &str) -> Result<Route, RouteError> {
        todo!("shortest_route with the current strategy")
    }
}

impl fmt::Debug for Navigator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Navigator")
            .field("map", &self.map)
            .field("strategy", &self.strategy.name())
            .finish()
    }
}

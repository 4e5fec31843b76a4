//! The spec of `indexes`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run indexes`); `cargo test` runs them all.

mod common;

#[path = "3_btree.rs"]
mod btree;
#[path = "5_composite.rs"]
mod composite;
#[path = "2_hash_index.rs"]
mod hash_index;
#[path = "1_pages.rs"]
mod pages;
#[path = "6_planner.rs"]
mod planner;
#[path = "4_ranges.rs"]
mod ranges;
#[path = "7_sqlite.rs"]
mod sqlite;

//! The spec of `sharding`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run sharding`); `cargo test` runs them all.

mod common;

#[path = "7_budgets.rs"]
mod budgets;
#[path = "6_hot_keys.rs"]
mod hot_keys;
#[path = "3_migration.rs"]
mod migration;
#[path = "4_range_partitions.rs"]
mod range_partitions;
#[path = "2_rebalance.rs"]
mod rebalance;
#[path = "1_routing.rs"]
mod routing;
#[path = "5_scatter_gather.rs"]
mod scatter_gather;

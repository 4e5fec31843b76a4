//! The spec of `web_crawler`: every stage is a module of this one test binary.
//! sdkata runs the stages in order (`sdkata run web_crawler`); `cargo test` runs them all.

mod common;

#[path = "1_crawl.rs"]
mod crawl;
#[path = "2_dedupe.rs"]
mod dedupe;
#[path = "6_fingerprint.rs"]
mod fingerprint;
#[path = "4_politeness.rs"]
mod politeness;
#[path = "7_pool.rs"]
mod pool;
#[path = "8_resume.rs"]
mod resume;
#[path = "3_robots.rs"]
mod robots;
#[path = "5_traps.rs"]
mod traps;

//! recur's integration tests: one binary, scenario modules, every one run
//! against the loopback sandbox trackers (no network beyond 127.0.0.1).

#[path = "integration/common.rs"]
mod common;

#[path = "integration/adoption.rs"]
mod adoption;
#[path = "integration/as_of.rs"]
mod as_of;
#[path = "integration/backfill.rs"]
mod backfill;
#[path = "integration/cli.rs"]
mod cli;
#[path = "integration/conventions.rs"]
mod conventions;
#[path = "integration/crash.rs"]
mod crash;
#[path = "integration/daemon.rs"]
mod daemon;
#[path = "integration/demo_org.rs"]
mod demo_org;
#[path = "integration/export.rs"]
mod export;
#[path = "integration/faults.rs"]
mod faults;
#[path = "integration/github_sync.rs"]
mod github_sync;
#[path = "integration/hostile.rs"]
mod hostile;
#[path = "integration/jira_sync.rs"]
mod jira_sync;
#[path = "integration/json_shapes.rs"]
mod json_shapes;
#[path = "integration/network.rs"]
mod network;
#[path = "integration/prometheus.rs"]
mod prometheus;
#[path = "integration/python.rs"]
mod python;
#[path = "integration/reports.rs"]
mod reports;
#[path = "integration/review.rs"]
mod review;
#[path = "integration/review_questions.rs"]
mod review_questions;
#[path = "integration/scoring.rs"]
mod scoring;
#[path = "integration/store.rs"]
mod store;
#[path = "integration/writeback.rs"]
mod writeback;

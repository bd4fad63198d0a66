//! The threadlings grader: hidden tests compiled against the learner's sources in
//! a grader-owned scratch workspace, each test run in its own bounded process,
//! scored from the course catalogue. See ARCHITECTURE.md for the pipeline.

pub mod catalogue;
pub mod cli;
pub mod compile;
/// What the grader and the hidden tests agree on: one file, compiled into both.
#[path = "../hidden/src/contract.rs"]
pub mod contract;
pub mod error;
pub mod fence;
pub mod grade;
pub mod history;
pub mod layers;
pub mod limits;
pub mod model;
pub mod out;
pub mod process;
pub mod progress;
pub mod render;
pub mod reset;
pub mod run;
pub mod sandbox;
pub mod solution;
pub mod stage;
pub mod starters;
pub mod verdict;
pub mod watch;

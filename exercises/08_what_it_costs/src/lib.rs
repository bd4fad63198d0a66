//! Exercise 08: what it costs.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p what_it_costs` passes, then run `cargo grade 08`.
//! `cargo run --release -p what_it_costs` prints your measurements.

use std::io;
use std::process::Command;
use std::time::Duration;

/// A summary of timings: how many, the fastest, the middle one and the slowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub n: usize,
    pub min: Duration,
    /// The middle sample once the samples are sorted; for an even number of
    /// samples, the mean of the two in the middle.
    pub median: Duration,
    pub max: Duration,
}

impl Stats {
    /// Summarises `samples`, which come in the order they were measured.
    /// Returns `None` when there are no samples.
    pub fn from_samples(samples: &[Duration]) -> Option<Stats> {
        todo!("sort a copy of the samples, then read the ends and the middle")
    }
}

/// Times `n` thread creations: each sample spawns a new thread that runs
/// `work` once, and joins it. Returns the `n` samples in order.
pub fn thread_create_join<F>(n: usize, work: F) -> Vec<Duration>
where
    F: Fn() + Send + Sync + 'static,
{
    todo!("per sample: start the clock, spawn a thread running `work`, join it, stop the clock")
}

/// Times `n` process creations: each sample builds a command with `command()`,
/// then spawns it as a child process and waits for it to exit. Returns the `n`
/// samples in order, or the error of a child that could not be started.
pub fn process_spawn_wait<F>(n: usize, command: F) -> io::Result<Vec<Duration>>
where
    F: FnMut() -> Command,
{
    todo!("per sample: build the command, start the clock, spawn it and wait, stop the clock")
}

/// Times `n` round trips of a one-byte ball between the calling thread and a
/// partner thread. The partner answers every byte `b` it receives with
/// `echo(b)`. The first ball is `0`; after that, each round sends the byte
/// that came back in the round before. Returns one sample per round trip.
/// The partner thread has finished when this returns.
pub fn thread_ping_pong<E>(n: usize, echo: E) -> io::Result<Vec<Duration>>
where
    E: FnMut(u8) -> u8 + Send + 'static,
{
    todo!("a partner thread that answers each byte with `echo`, and n timed round trips")
}

/// Times `n` round trips of a one-byte ball between this process and a child
/// process: `partner` is spawned once with its stdin and stdout piped, and
/// echoes every byte it reads (like `cat`). The first ball is `0`; after that,
/// each round sends the byte that came back. Returns one sample per round trip.
/// The child has exited and been waited for when this returns.
pub fn process_ping_pong(n: usize, partner: Command) -> io::Result<Vec<Duration>> {
    todo!("spawn `partner` with piped stdin and stdout, then n timed round trips")
}

/// The four measurements side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub thread_create: Stats,
    pub process_create: Stats,
    pub thread_switch: Stats,
    pub process_switch: Stats,
}

impl Report {
    /// The report as a Markdown table and two ratios of medians, exactly:
    ///
    /// ```text
    /// | benchmark | n | min | median | max |
    /// |---|---|---|---|---|
    /// | thread create + join | 200 | 31.2µs | 45.0µs | 210.3µs |
    /// | process spawn + wait | 200 | 702.5µs | 900.0µs | 1.4ms |
    /// | thread ping-pong | 2000 | 7.9µs | 8.2µs | 60.3µs |
    /// | process ping-pong | 2000 | 8.1µs | 8.6µs | 70.1µs |
    ///
    /// creation: a process costs 20.0 times a thread
    /// context switch: a process costs 1.0 times a thread
    /// ```
    ///
    /// Durations are written with `{:.1?}`, ratios with `{:.1}`, and every
    /// line ends with a newline.
    pub fn render(&self) -> String {
        todo!("the header, a row per benchmark, a blank line, the two ratios")
    }
}

//! First checks for exercise 08. The grader runs stricter hidden tests.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use what_it_costs::{Report, Stats, process_ping_pong, process_spawn_wait, thread_create_join, thread_ping_pong};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn stats_of_three_samples() {
    let _deadline = visible::deadline("08");
    let stats = Stats::from_samples(&[ms(3), ms(1), ms(2)]);
    assert_eq!(stats, Some(Stats { n: 3, min: ms(1), median: ms(2), max: ms(3) }));
}

#[test]
fn thread_benchmark_runs_the_work_once_per_sample() {
    let _deadline = visible::deadline("08");
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let samples = thread_create_join(5, move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(samples.len(), 5);
    assert_eq!(runs.load(Ordering::SeqCst), 5);
}

#[test]
fn process_benchmark_gives_a_sample_per_child() {
    let _deadline = visible::deadline("08");
    let samples = process_spawn_wait(3, || Command::new("true")).unwrap();
    assert_eq!(samples.len(), 3);
}

#[test]
fn thread_ping_pong_gives_a_sample_per_round_trip() {
    let _deadline = visible::deadline("08");
    let samples = thread_ping_pong(10, |ball| ball).unwrap();
    assert_eq!(samples.len(), 10);
}

#[test]
fn process_ping_pong_gives_a_sample_per_round_trip() {
    let _deadline = visible::deadline("08");
    let samples = process_ping_pong(10, Command::new("cat")).unwrap();
    assert_eq!(samples.len(), 10);
}

#[test]
fn report_starts_with_the_table_header() {
    let _deadline = visible::deadline("08");
    let s = Stats { n: 1, min: ms(1), median: ms(1), max: ms(1) };
    let report = Report { thread_create: s, process_create: s, thread_switch: s, process_switch: s };
    let text = report.render();
    assert!(text.starts_with("| benchmark | n | min | median | max |\n|---|---|---|---|---|\n"), "{text}");
    assert!(text.contains("| thread create + join | 1 | 1.0ms | 1.0ms | 1.0ms |\n"), "{text}");
}

//! First checks for exercise 01. The grader runs stricter hidden tests.

use first_thread::{Job, run_all, run_on_thread, spawn_named};

#[test]
fn run_on_thread_returns_the_jobs_value() {
    let _deadline = visible::deadline("01");
    assert_eq!(run_on_thread(|| 6 * 7), 42);
}

#[test]
fn spawn_named_gives_the_thread_its_name() {
    let _deadline = visible::deadline("01");
    let handle = spawn_named("worker-1", || std::thread::current().name().map(String::from));
    assert_eq!(handle.join().unwrap().as_deref(), Some("worker-1"));
}

#[test]
fn run_all_returns_each_result() {
    let _deadline = visible::deadline("01");
    let jobs: Vec<Job<u32>> = vec![Box::new(|| 1), Box::new(|| 2)];
    assert_eq!(run_all(jobs), vec![Ok(1), Ok(2)]);
}

//! Hidden tests for exercise 01: the work really runs on other threads, names
//! stick, results come back in order, and a panic loses nothing but itself.

use std::collections::HashSet;
use std::thread::{self, ThreadId};

use first_thread::{Job, run_all, run_on_thread, spawn_named};

#[test]
fn job_runs_on_another_thread() {
    let caller = thread::current().id();
    let (value, worker) = run_on_thread(|| (6 * 7, thread::current().id()));
    assert_eq!(value, 42, "run_on_thread must return the job's own value");
    assert_ne!(
        worker, caller,
        "the job ran on the calling thread: spawn a new thread with std::thread::spawn and join it"
    );
}

#[test]
fn a_panic_in_the_job_reaches_the_caller() {
    let caught = std::panic::catch_unwind(|| run_on_thread(|| -> u8 { panic!("oven on fire") }));
    let payload = caught.expect_err("the job panicked, so run_on_thread must panic too");
    let message = payload.downcast_ref::<&str>().copied().map(String::from).or(payload.downcast_ref::<String>().cloned());
    assert_eq!(
        message.as_deref(),
        Some("oven on fire"),
        "the caller should see the job's own panic: pass the Err from join to std::panic::resume_unwind"
    );
}

#[test]
fn spawned_thread_carries_its_name() {
    let chefs: Vec<_> = ["chef-hot", "chef-cold"]
        .iter()
        .map(|name| spawn_named(name, || thread::current().name().map(String::from)))
        .collect();
    let names: Vec<Option<String>> = chefs.into_iter().map(|h| h.join().expect("the job does not panic")).collect();
    assert_eq!(
        names,
        [Some("chef-hot".to_string()), Some("chef-cold".to_string())],
        "each thread should carry the name it was given: std::thread::Builder::new().name(..)"
    );
}

#[test]
fn run_all_returns_results_in_order_from_separate_threads() {
    let caller = thread::current().id();
    let jobs: Vec<Job<(u64, ThreadId)>> =
        (0..8u64).map(|i| Box::new(move || (i * i, thread::current().id())) as Job<_>).collect();
    let results = run_all(jobs);
    let values: Vec<u64> = results.iter().map(|r| r.as_ref().expect("no job panics").0).collect();
    assert_eq!(values, [0, 1, 4, 9, 16, 25, 36, 49], "results must come back in the order of the jobs");
    let threads: HashSet<ThreadId> = results.iter().map(|r| r.as_ref().unwrap().1).collect();
    assert_eq!(threads.len(), 8, "8 jobs ran on only {} distinct threads: give each job its own thread", threads.len());
    assert!(!threads.contains(&caller), "a job ran on the calling thread: every job needs a thread of its own");
}

#[test]
fn a_panicking_job_does_not_lose_the_others() {
    let jobs: Vec<Job<u32>> = vec![
        Box::new(|| 1),
        Box::new(|| panic!("burnt the toast")),
        Box::new(|| panic!("dish {} dropped", 3)),
        Box::new(|| 4),
    ];
    let results = run_all(jobs);
    assert_eq!(
        results,
        [Ok(1), Err("burnt the toast".to_string()), Err("dish 3 dropped".to_string()), Ok(4)],
        "a panicking job should give Err(its message) while the others keep their results: \
         join returns Err(payload); the payload is a &str or a String"
    );
}

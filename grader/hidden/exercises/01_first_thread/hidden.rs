//! Hidden tests for exercise 01: the work really runs on other threads, names
//! stick, spawn_named does not wait, results come back in order even when the
//! jobs finish last-to-first, and a panic (a `&str` or a `String` payload) loses
//! nothing but itself.

use std::collections::HashSet;
use std::hint::black_box;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::{self, ThreadId};

use first_thread::{Job, run_all, run_on_thread, spawn_named};
use hidden::{LastToFirst, PATIENCE, panic_text};

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
    type Panicky = Box<dyn FnOnce() -> u8 + Send>;
    // `panic!("literal")` carries a `&'static str`; a message formatted from a value
    // the compiler cannot see carries a `String`. Both must reach the caller intact.
    let cases: [(&str, &str, Panicky); 2] = [
        ("a literal message (a &'static str payload)", "oven on fire", Box::new(|| panic!("oven on fire"))),
        (
            "a formatted message (a String payload)",
            "oven 2 on fire",
            Box::new(|| panic!("oven {} on fire", black_box(2))),
        ),
    ];
    for (what, expected, job) in cases {
        let caught = panic::catch_unwind(AssertUnwindSafe(|| run_on_thread(job)));
        let payload = caught.expect_err("the job panicked, so run_on_thread must panic too");
        let seen = panic_text(payload.as_ref());
        let unwrapped = seen.as_deref().is_some_and(|t| t.starts_with("called `Result::unwrap()`"));
        assert!(
            seen.as_deref() == Some(expected),
            "a job that panicked with {what}, {expected:?}, reached the caller as {}: the caller should see \
             the job's own panic. Pass the Err from join to std::panic::resume_unwind, which carries any \
             payload on unchanged{}",
            match &seen {
                Some(text) => format!("{text:?}"),
                None => "a panic whose payload is neither a &str nor a String".to_string(),
            },
            if unwrapped { " (unwrap puts its own message in place of the job's)" } else { "" }
        );
    }
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
fn spawn_named_returns_while_the_job_is_still_running() {
    // The job waits for a word the test can only send once spawn_named has returned.
    let (go, word) = mpsc::channel::<()>();
    let handle = spawn_named("chef-waiting", move || word.recv_timeout(PATIENCE).is_ok());
    let _ = go.send(());
    let heard = handle.join().expect("the job does not panic");
    assert!(
        heard,
        "the job waited {PATIENCE:?} for the test, which could only go on once spawn_named had returned, and \
         never heard from it: spawn_named waited for its job to end. Start the thread and return its \
         JoinHandle right away; the caller decides when to join"
    );
}

// ---------------------------------------------------------------------------
// Jobs that finish last-to-first, to tell the order of the jobs from the order
// in which they finish.

#[test]
fn run_all_returns_results_in_order_from_separate_threads() {
    const JOBS: usize = 8;
    let caller = thread::current().id();
    let finish = LastToFirst::new(JOBS);
    let jobs: Vec<Job<(usize, ThreadId)>> = (0..JOBS)
        .map(|i| {
            let finish = Arc::clone(&finish);
            Box::new(move || {
                finish.finish(i);
                (i * i, thread::current().id())
            }) as Job<_>
        })
        .collect();
    let results = run_all(jobs);
    assert_eq!(results.len(), JOBS, "run_all gave {} results for {JOBS} jobs: one result per job", results.len());
    let results: Vec<(usize, ThreadId)> = results.into_iter().map(|r| r.expect("no job panics")).collect();
    let threads: HashSet<ThreadId> = results.iter().map(|r| r.1).collect();
    assert!(!threads.contains(&caller), "a job ran on the calling thread: every job needs a thread of its own");
    assert_eq!(
        threads.len(),
        JOBS,
        "{JOBS} jobs ran on only {} distinct thread(s): give each job its own thread",
        threads.len()
    );
    let values: Vec<usize> = results.iter().map(|r| r.0).collect();
    assert_eq!(
        values,
        [0, 1, 4, 9, 16, 25, 36, 49],
        "the jobs finished last-to-first and their results came back as {values:?}: return them in the order \
         of `jobs`, not in the order the jobs finish (join the handles in the order you started them)"
    );
}

#[test]
fn a_panicking_job_does_not_lose_the_others() {
    let jobs: Vec<Job<u32>> = vec![
        Box::new(|| 1),
        Box::new(|| panic!("burnt the toast")),
        // A value the compiler cannot see, so the payload is a String, not a &str.
        Box::new(|| panic!("dish {} dropped", black_box(3))),
        Box::new(|| 4),
    ];
    let results = run_all(jobs);
    assert_eq!(
        results.len(),
        4,
        "run_all gave {} results for 4 jobs, one of which panicked: every job has a result, Ok or Err, \
         in the order of the jobs: {results:?}",
        results.len()
    );
    assert!(
        results[0] == Ok(1) && results[3] == Ok(4),
        "the jobs that did not panic should keep their results, Ok(1) and Ok(4), but run_all gave {results:?}: \
         join every handle, even after one of them gave Err"
    );
    for (i, payload, expected) in [
        (1, "a literal message (a &'static str payload)", "burnt the toast"),
        (2, "a formatted message (a String payload)", "dish 3 dropped"),
    ] {
        assert!(
            results[i] == Err(expected.to_string()),
            "job {i} panicked with {payload}, {expected:?}, but run_all gave {:?} for it: join returns \
             Err(payload); read the message with payload.downcast::<String>() and payload.downcast::<&str>()",
            results[i]
        );
    }
}

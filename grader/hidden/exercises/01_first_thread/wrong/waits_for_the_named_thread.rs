//! Wrong: spawn_named waits until its job has ended before it returns the handle.
//! Must fail: spawn_named_returns_while_the_job_is_still_running

//! Exercise 01: your first threads.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p first_thread` passes, then run `cargo grade 01`.

use std::any::Any;
use std::thread::{self, JoinHandle};

/// A unit of work for [`run_all`]: a closure that can move to another thread.
pub type Job<T> = Box<dyn FnOnce() -> T + Send + 'static>;

/// Runs `job` on a new thread, waits for it, and returns what it returned.
///
/// If the job panics, let the panic carry on in the caller
/// (see `std::panic::resume_unwind`).
pub fn run_on_thread<T, F>(job: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match thread::spawn(job).join() {
        Ok(value) => value,
        // The panic already happened on the worker; carry it on here.
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Starts `job` on a new thread called `name` and returns its handle without
/// waiting for it.
pub fn spawn_named<T, F>(name: &str, job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let handle = thread::Builder::new().name(name.to_string()).spawn(job).expect("the OS could not create a thread");
    // Make sure the job is done before handing the thread over.
    while !handle.is_finished() {
        thread::sleep(std::time::Duration::from_millis(1));
    }
    handle
}

/// Runs every job on a thread of its own and returns their results in the
/// order of `jobs`. A job that panics gives `Err` with the panic's message;
/// the other jobs' results are not lost.
pub fn run_all<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<Result<T, String>> {
    // Start them all first: joining inside this loop would run them one by one.
    let handles: Vec<JoinHandle<T>> = jobs.into_iter().map(thread::spawn).collect();
    handles.into_iter().map(|h| h.join().map_err(panic_message)).collect()
}

/// The text of a panic: `panic!` stores a `&str` or a `String`.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&str>() {
            Ok(s) => s.to_string(),
            Err(_) => "a panic without a message".to_string(),
        },
    }
}

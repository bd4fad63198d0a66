//! Exercise 01: your first threads.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p first_thread` passes, then run `cargo grade 01`.

use std::thread::JoinHandle;

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
    todo!("spawn a thread for `job`, then join it")
}

/// Starts `job` on a new thread called `name` and returns its handle without
/// waiting for it.
pub fn spawn_named<T, F>(name: &str, job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    todo!("use std::thread::Builder to name the thread")
}

/// Runs every job on a thread of its own and returns their results in the
/// order of `jobs`. A job that panics gives `Err` with the panic's message;
/// the other jobs' results are not lost.
pub fn run_all<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<Result<T, String>> {
    todo!("start a thread per job, then join each handle")
}

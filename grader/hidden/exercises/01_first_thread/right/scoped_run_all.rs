//! Right: run_all on scoped threads (`std::thread::scope`), run_on_thread with a
//! `Builder`, spawn_named with `unwrap`, and the message read with `match` on
//! `downcast_ref`.

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
    let handle = thread::Builder::new().spawn(job).unwrap();
    handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload))
}

/// Starts `job` on a new thread called `name` and returns its handle without
/// waiting for it.
pub fn spawn_named<T, F>(name: &str, job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    thread::Builder::new().name(name.into()).spawn(job).unwrap()
}

/// Runs every job on a thread of its own and returns their results in the
/// order of `jobs`. A job that panics gives `Err` with the panic's message;
/// the other jobs' results are not lost.
pub fn run_all<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<Result<T, String>> {
    thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        handles.into_iter().map(|h| h.join().map_err(|p| text(p.as_ref()))).collect()
    })
}

fn text(payload: &(dyn Any + Send)) -> String {
    match (payload.downcast_ref::<String>(), payload.downcast_ref::<&'static str>()) {
        (Some(s), _) => s.clone(),
        (None, Some(s)) => (*s).to_owned(),
        (None, None) => "panicked".to_owned(),
    }
}

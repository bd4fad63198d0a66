//! Right: run_on_thread starts a new panic with the job's own message (read as a
//! `String` or a `&str`) instead of resume_unwind; loops instead of iterator chains;
//! `downcast_ref` in an if-else chain.

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
    let handle = thread::spawn(job);
    match handle.join() {
        Ok(value) => value,
        Err(payload) => {
            let message = message_of(&*payload);
            panic!("{message}")
        }
    }
}

/// Starts `job` on a new thread called `name` and returns its handle without
/// waiting for it.
pub fn spawn_named<T, F>(name: &str, job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let builder = thread::Builder::new().name(String::from(name));
    match builder.spawn(job) {
        Ok(handle) => handle,
        Err(e) => panic!("could not start thread {name}: {e}"),
    }
}

/// Runs every job on a thread of its own and returns their results in the
/// order of `jobs`. A job that panics gives `Err` with the panic's message;
/// the other jobs' results are not lost.
pub fn run_all<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<Result<T, String>> {
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        handles.push(thread::spawn(job));
    }
    let mut results = Vec::new();
    for handle in handles {
        let result = match handle.join() {
            Ok(value) => Ok(value),
            Err(payload) => Err(message_of(&*payload)),
        };
        results.push(result);
    }
    results
}

fn message_of(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("<no message>")
    }
}

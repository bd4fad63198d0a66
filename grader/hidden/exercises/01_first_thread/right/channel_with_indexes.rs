//! Right: run_all sends each result over a channel with its job's index and puts
//! it in its slot, and joins the threads afterwards; the message is read with
//! `downcast` on the owned payload.

use std::any::Any;
use std::sync::mpsc;
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
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e),
    }
}

/// Starts `job` on a new thread called `name` and returns its handle without
/// waiting for it.
pub fn spawn_named<T, F>(name: &str, job: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    thread::Builder::new().name(name.to_owned()).spawn(job).expect("spawn")
}

/// Runs every job on a thread of its own and returns their results in the
/// order of `jobs`. A job that panics gives `Err` with the panic's message;
/// the other jobs' results are not lost.
pub fn run_all<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<Result<T, String>> {
    let (tx, rx) = mpsc::channel();
    let mut slots: Vec<Option<Result<T, String>>> = jobs.iter().map(|_| None).collect();
    let handles: Vec<JoinHandle<()>> = jobs
        .into_iter()
        .enumerate()
        .map(|(i, job)| {
            let tx = tx.clone();
            thread::spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                tx.send((i, result.map_err(message))).expect("the caller waits for every result");
            })
        })
        .collect();
    drop(tx);
    for (i, result) in rx {
        slots[i] = Some(result);
    }
    for h in handles {
        h.join().expect("the thread caught its job's panic");
    }
    slots.into_iter().map(|r| r.expect("every job sent its result")).collect()
}

fn message(payload: Box<dyn Any + Send>) -> String {
    let payload = match payload.downcast::<&'static str>() {
        Ok(s) => return s.to_string(),
        Err(p) => p,
    };
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(_) => "unknown panic".into(),
    }
}

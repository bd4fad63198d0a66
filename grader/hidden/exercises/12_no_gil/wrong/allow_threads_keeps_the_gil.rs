//! Wrong: `allow_threads` runs the wait while still holding the GIL, so a waiting
//! worker keeps every other worker out.
//! Must fail: under_the_gil_a_waiting_worker_lets_the_others_run, under_the_gil_results_keep_input_order_when_waits_end_in_reverse

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use parking_lot::{Mutex, MutexGuard};
use rayon::prelude::*;

/// A model of Python's Global Interpreter Lock: one lock that a thread must
/// hold while it runs "Python code".
pub struct Gil {
    lock: Mutex<()>,
}

impl Gil {
    pub fn new() -> Gil {
        Gil { lock: Mutex::new(()) }
    }

    /// Takes the GIL, waiting as long as another thread holds it. The GIL stays
    /// taken until the returned guard is dropped.
    pub fn acquire(&self) -> GilGuard<'_> {
        GilGuard { held: self.lock.lock() }
    }
}

impl Default for Gil {
    fn default() -> Gil {
        Gil::new()
    }
}

/// Proof that the current thread holds the GIL. Dropping it gives the GIL up.
pub struct GilGuard<'a> {
    held: MutexGuard<'a, ()>,
}

impl GilGuard<'_> {
    /// Gives the GIL up while `wait` runs and takes it back before returning,
    /// as CPython does around a call that blocks (reading a socket, sleeping).
    pub fn allow_threads<T>(&mut self, wait: impl FnOnce() -> T) -> T {
        let _still_held = &self.held;
        wait()
    }
}

/// The baseline: every input computed on the calling thread, one after another.
pub fn sequential<F>(inputs: &[u64], work: F) -> Vec<u64>
where
    F: Fn(u64) -> u64,
{
    inputs.iter().map(|&x| work(x)).collect()
}

/// Python threads: `workers` threads share the inputs, and a worker holds the
/// one GIL for the whole time it computes an item. Results in input order.
pub fn under_gil<F>(inputs: &[u64], workers: usize, work: F) -> Vec<u64>
where
    F: Fn(u64) -> u64 + Sync,
{
    under_gil_with_io(inputs, workers, |x, _gil| work(x))
}

/// Like [`under_gil`], but `work` also gets the guard of the GIL it holds, so
/// that it can give the GIL up while it waits: `gil.allow_threads(|| ...)`.
///
/// Exactly `workers` threads (at least one) share one [`Gil`]; each holds it
/// while `work` runs for an item, and lets go of it between items.
pub fn under_gil_with_io<F>(inputs: &[u64], workers: usize, work: F) -> Vec<u64>
where
    F: Fn(u64, &mut GilGuard<'_>) -> u64 + Sync,
{
    let gil = Gil::new();
    // Held for one item at a time: letting go between items is the
    // interpreter's periodic switch, which gives the other threads their turn.
    on_workers(inputs, workers, |x| work(x, &mut gil.acquire()))
}

/// Rust threads: exactly `workers` threads (at least one) share the inputs and
/// compute at the same time, with no lock around the work. Results in input
/// order, whichever finished first.
pub fn on_threads<F>(inputs: &[u64], workers: usize, work: F) -> Vec<u64>
where
    F: Fn(u64) -> u64 + Sync,
{
    on_workers(inputs, workers, work)
}

/// rayon: a pool of exactly `workers` threads (at least one) computes the inputs
/// with a parallel iterator. Results in input order.
pub fn on_rayon<F>(inputs: &[u64], workers: usize, work: F) -> Vec<u64>
where
    F: Fn(u64) -> u64 + Sync,
{
    assert!(workers > 0, "on_rayon needs at least one worker");
    let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build().expect("could not start a rayon pool");
    // `collect` on an indexed parallel iterator keeps the input order.
    pool.install(|| inputs.par_iter().map(|&x| work(x)).collect())
}

/// `workers` scoped threads take the next input from a shared counter until
/// none is left; each result goes back to its input's place.
fn on_workers<F>(inputs: &[u64], workers: usize, compute: F) -> Vec<u64>
where
    F: Fn(u64) -> u64 + Sync,
{
    assert!(workers > 0, "at least one worker is needed");
    let next = AtomicUsize::new(0);
    let (next, compute) = (&next, &compute);
    thread::scope(|s| {
        // Start every worker before joining any, or they would run one by one.
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&x) = inputs.get(i) else { break done };
                        done.push((i, compute(x)));
                    }
                })
            })
            .collect();
        let mut results = vec![0; inputs.len()];
        for handle in handles {
            // A panic in `work` carries on in the caller.
            for (i, y) in handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)) {
                results[i] = y;
            }
        }
        results
    })
}

/// The number of steps the Collatz rule (halve an even number, triple an odd
/// one and add one) takes to bring `n` down to 1.
pub fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n > 1 {
        n = match n % 2 {
            0 => n / 2,
            _ => 3 * n + 1,
        };
        steps += 1;
    }
    steps
}

/// CPU-bound work for the benchmark: the Collatz steps of every number from 1
/// to `n`, added up. It only computes; it never waits.
pub fn collatz_total(n: u64) -> u64 {
    (1..=n).map(collatz_steps).sum()
}

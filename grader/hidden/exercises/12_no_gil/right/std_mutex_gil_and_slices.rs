//! Right: a GIL on `std::sync::Mutex` whose guard is dropped and taken again
//! around the wait, a worker that takes the GIL before the next input (not
//! after), each Rust thread a slice of the inputs of its own, and rayon's
//! `copied().map(&work)`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use rayon::prelude::*;
use std::sync::{Mutex, MutexGuard};

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
        GilGuard { gil: self, held: Some(self.lock.lock().unwrap_or_else(|e| e.into_inner())) }
    }
}

impl Default for Gil {
    fn default() -> Gil {
        Gil::new()
    }
}

/// Proof that the current thread holds the GIL. Dropping it gives the GIL up.
pub struct GilGuard<'a> {
    gil: &'a Gil,
    held: Option<MutexGuard<'a, ()>>,
}

impl GilGuard<'_> {
    /// Gives the GIL up while `wait` runs and takes it back before returning,
    /// as CPython does around a call that blocks (reading a socket, sleeping).
    pub fn allow_threads<T>(&mut self, wait: impl FnOnce() -> T) -> T {
        self.held = None;
        let result = wait();
        self.held = Some(self.gil.lock.lock().unwrap_or_else(|e| e.into_inner()));
        result
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
    let next = AtomicUsize::new(0);
    thread::scope(|s| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        // The GIL first, then the next input; let go before the one after.
                        let mut held = gil.acquire();
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(&x) = inputs.get(i) else { break };
                        done.push((i, work(x, &mut held)));
                    }
                    done
                })
            })
            .collect();
        let mut results = vec![0; inputs.len()];
        for (i, y) in handles.into_iter().flat_map(|h| h.join().unwrap()) {
            results[i] = y;
        }
        results
    })
}

/// Rust threads: exactly `workers` threads (at least one) share the inputs and
/// compute at the same time, with no lock around the work. Results in input
/// order, whichever finished first.
pub fn on_threads<F>(inputs: &[u64], workers: usize, work: F) -> Vec<u64>
where
    F: Fn(u64) -> u64 + Sync,
{
    // A slice of its own for each thread: no sharing, no counter.
    let share = inputs.len().div_ceil(workers.max(1)).max(1);
    let work = &work;
    thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(share)
            .map(|part| s.spawn(move || part.iter().map(|&x| work(x)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    })
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
    pool.install(|| inputs.par_iter().copied().map(&work).collect::<Vec<u64>>())
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

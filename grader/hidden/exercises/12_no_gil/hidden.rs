//! Hidden tests for exercise 12: every way gives the same results in input
//! order; under the GIL model one call computes at a time (watched until the
//! other workers are seen asleep in /proc, never with a stopwatch) and a worker
//! that waits lets the others run; Rust threads and rayon compute at the same
//! time (a rendezvous the test owns), on exactly the asked number of threads.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hidden::{PATIENCE, Rendezvous};
use no_gil::{on_rayon, on_threads, under_gil, under_gil_with_io};

/// Workers for the tests that need several: more than the 2 cores of a small
/// machine, which is fine, because the test's work mostly waits.
const WORKERS: usize = 3;

/// The test's own work: cheap, and different for every input.
fn mix(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ x
}

/// `len` distinct inputs, not in sorted order.
fn inputs(len: usize) -> Vec<u64> {
    (0..len as u64).map(|i| 1000 + i * 37 % 101).collect()
}

fn mixed(inputs: &[u64]) -> Vec<u64> {
    inputs.iter().map(|&x| mix(x)).collect()
}

fn position(inputs: &[u64], x: u64) -> usize {
    inputs.iter().position(|&i| i == x).expect("work is called with the given inputs only")
}

fn distinct(ids: &Mutex<Vec<ThreadId>>) -> usize {
    ids.lock().unwrap().iter().collect::<HashSet<_>>().len()
}

fn threads(n: usize) -> String {
    if n == 1 { "1 thread".to_string() } else { format!("{n} threads") }
}

/// Whose result each result is, as input indexes: `[2, 0, ?]`.
fn origins(got: &[u64], inputs: &[u64]) -> String {
    let want = mixed(inputs);
    let each: Vec<String> =
        got.iter().map(|y| want.iter().position(|w| w == y).map_or("?".to_string(), |i| i.to_string())).collect();
    format!("[{}]", each.join(", "))
}

fn expect_input_order(way: &str, got: &[u64], inputs: &[u64]) {
    assert!(
        got == mixed(inputs),
        "{way} returned the results of inputs {} for {} inputs: give every input exactly one result, at the \
         input's own place",
        origins(got, inputs),
        inputs.len()
    );
}

#[test]
fn every_way_gives_the_same_results_in_input_order() {
    hidden::watchdog();
    // (number of inputs, workers): none, fewer inputs than workers, uneven shares.
    for (len, workers) in [(0, 2), (1, 1), (3, 5), (17, 3), (40, 4), (8, 1)] {
        let inputs = inputs(len);
        let want = mixed(&inputs);
        let ways: [(&str, Vec<u64>); 4] = [
            ("under_gil", under_gil(&inputs, workers, mix)),
            ("under_gil_with_io", under_gil_with_io(&inputs, workers, |x, _gil| mix(x))),
            ("on_threads", on_threads(&inputs, workers, mix)),
            ("on_rayon", on_rayon(&inputs, workers, mix)),
        ];
        for (way, got) in ways {
            assert!(got.len() == len, "{way} with {workers} workers gave {} results for {len} inputs", got.len());
            if let Some(i) = (0..len).find(|&i| got[i] != want[i]) {
                let from = want.iter().position(|&w| w == got[i]);
                panic!(
                    "{way} with {workers} workers on {len} inputs: result {i} should be work(inputs[{i}]) = {}, \
                     but it was {} ({}): give every input exactly one result, at the input's own place",
                    want[i],
                    got[i],
                    from.map_or("not the result of any input".to_string(), |j| format!("the result of inputs[{j}]"))
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Under the GIL model
// ---------------------------------------------------------------------------

fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() }
}

/// The tids of this process's threads.
fn tasks() -> HashSet<i32> {
    std::fs::read_dir("/proc/self/task")
        .expect("read /proc/self/task")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// A thread's state letter, or `None` once the thread is gone. The name in
/// parentheses may hold anything, so the state is read after the last `)`.
fn state(tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// What the first call saw while it computed, holding the GIL.
#[derive(Debug, Clone, PartialEq)]
enum Watch {
    /// Every other new thread of the process was asleep, several looks in a row.
    OthersAsleep,
    /// Another call came in: the peak tells.
    Overlap,
    /// No thread besides this one was started for the work.
    NoOtherWorker,
    /// Other threads kept running for the whole patience.
    Restless(String),
}

/// A work function that counts the calls inside it at once. The first call
/// does not return until either a second call is inside (the GIL did not keep
/// it out) or every other worker thread is seen asleep in /proc, waiting: with a
/// real GIL held by the first call, nothing else can happen.
struct Exclusive {
    before: HashSet<i32>,
    inside: AtomicUsize,
    peak: AtomicUsize,
    calls: AtomicUsize,
    watch: Mutex<Option<Watch>>,
}

/// Looks in a row that must all find the other workers asleep.
const CALM_LOOKS: usize = 3;

impl Exclusive {
    /// Call it just before the work starts: threads that exist now are not workers.
    fn new() -> Exclusive {
        Exclusive {
            before: tasks(),
            inside: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            watch: Mutex::new(None),
        }
    }

    fn call(&self, x: u64) -> u64 {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let seen = self.watch_the_others();
            *self.watch.lock().unwrap() = Some(seen);
        } else {
            // Leave a moment for a second call to show up.
            for _ in 0..10_000 {
                if self.inside.load(Ordering::SeqCst) > 1 {
                    break;
                }
                std::hint::spin_loop();
            }
        }
        let y = mix(x);
        self.inside.fetch_sub(1, Ordering::SeqCst);
        y
    }

    fn watch_the_others(&self) -> Watch {
        let me = gettid();
        let deadline = Instant::now() + PATIENCE;
        let mut calm = 0;
        loop {
            if self.inside.load(Ordering::SeqCst) > 1 {
                return Watch::Overlap;
            }
            let others: Vec<(i32, Option<char>)> =
                tasks().difference(&self.before).filter(|&&t| t != me).map(|&t| (t, state(t))).collect();
            // S: sleeping, as a thread parked on a lock is; None: already gone.
            let asleep = !others.is_empty() && others.iter().all(|(_, s)| matches!(s, Some('S') | None));
            calm = if asleep { calm + 1 } else { 0 };
            if calm >= CALM_LOOKS {
                return Watch::OthersAsleep;
            }
            if Instant::now() >= deadline {
                return if others.is_empty() { Watch::NoOtherWorker } else { Watch::Restless(format!("{others:?}")) };
            }
            thread::sleep(Duration::from_millis(1));
        }
    }
}

#[test]
fn under_the_gil_only_one_worker_computes_at_a_time() {
    hidden::watchdog();
    let inputs = inputs(4 * WORKERS);
    let probe = Exclusive::new();
    let got = under_gil(&inputs, WORKERS, |x| probe.call(x));
    let peak = probe.peak.load(Ordering::SeqCst);
    assert!(
        peak <= 1,
        "under the GIL, {peak} calls of `work` were computing at the same time: a worker must hold the GIL \
         for the whole call. Share one Gil among all the workers and keep its guard alive until `work` has \
         returned (a guard dropped right after `acquire`, a Gil for each worker, or no Gil at all lets every \
         worker in)"
    );
    let watch = probe.watch.lock().unwrap().clone();
    match watch {
        Some(Watch::OthersAsleep) | Some(Watch::Overlap) => {}
        Some(Watch::NoOtherWorker) => panic!(
            "while one call computed under the GIL, no other worker thread had been started: \
             run exactly `workers` threads ({WORKERS} here) that take turns with the GIL"
        ),
        Some(Watch::Restless(states)) => panic!(
            "one call held the GIL for {PATIENCE:?}, and the other worker threads never stopped to wait \
             for it (tid, state: {states}): every worker must take the GIL before it computes"
        ),
        None => panic!("`work` was never called, for {} inputs", inputs.len()),
    }
    expect_input_order("under_gil", &got, &inputs);
}

#[test]
fn under_the_gil_a_waiting_worker_lets_the_others_run() {
    hidden::watchdog();
    let inputs = inputs(3 * WORKERS);
    let rv = Rendezvous::new(WORKERS);
    let ids = Mutex::new(Vec::new());
    let got = under_gil_with_io(&inputs, WORKERS, |x, gil| {
        ids.lock().unwrap().push(thread::current().id());
        gil.allow_threads(|| drop(rv.arrive()));
        mix(x)
    });
    assert!(
        rv.all_met(),
        "only {} of {WORKERS} workers ever waited at the same time under the GIL: `allow_threads` must \
         let go of the GIL while `wait` runs and take it back after (parking_lot's `MutexGuard::unlocked`), \
         and every worker must be started before any is joined",
        rv.peak()
    );
    let used = distinct(&ids);
    assert!(
        used == WORKERS,
        "under_gil_with_io with {WORKERS} workers ran its {} items on {}: start exactly `workers` threads and \
         let them share the items",
        inputs.len(),
        threads(used)
    );
    expect_input_order("under_gil_with_io", &got, &inputs);
}

/// Lets `n` calls out only once all are inside, and then the last input first.
struct ReverseExit {
    rv: Rendezvous,
    next_out: Mutex<usize>,
    turn: Condvar,
}

impl ReverseExit {
    fn new(n: usize) -> ReverseExit {
        ReverseExit { rv: Rendezvous::new(n), next_out: Mutex::new(n - 1), turn: Condvar::new() }
    }

    fn pass(&self, me: usize) {
        let _inside = self.rv.arrive();
        if !self.rv.all_met() {
            return;
        }
        let deadline = Instant::now() + PATIENCE;
        let mut next = self.next_out.lock().unwrap();
        while *next != me && Instant::now() < deadline {
            next = self.turn.wait_timeout(next, Duration::from_millis(50)).unwrap().0;
        }
        *next = next.saturating_sub(1);
        self.turn.notify_all();
    }
}

fn expect_input_order_after_reverse(way: &str, got: &[u64], inputs: &[u64]) {
    assert!(
        got == mixed(inputs),
        "{way}: the work finished last input first, and the results came back as the results of inputs {}: \
         put every result at its own input's place, not in the order the work finishes",
        origins(got, inputs)
    );
}

#[test]
fn under_the_gil_results_keep_input_order_when_waits_end_in_reverse() {
    hidden::watchdog();
    let inputs = inputs(4);
    let gate = ReverseExit::new(inputs.len());
    let got = under_gil_with_io(&inputs, inputs.len(), |x, gil| {
        gil.allow_threads(|| gate.pass(position(&inputs, x)));
        mix(x)
    });
    assert!(
        gate.rv.all_met(),
        "only {} of {} workers ever waited at once under the GIL: `allow_threads` must let go of the GIL \
         while `wait` runs",
        gate.rv.peak(),
        inputs.len()
    );
    expect_input_order_after_reverse("under_gil_with_io", &got, &inputs);
}

// ---------------------------------------------------------------------------
// Rust threads
// ---------------------------------------------------------------------------

#[test]
fn threads_compute_at_the_same_time() {
    let inputs = inputs(3 * WORKERS);
    let rv = Rendezvous::new(WORKERS);
    let got = on_threads(&inputs, WORKERS, |x| {
        let _inside = rv.arrive();
        mix(x)
    });
    assert!(
        rv.all_met(),
        "only {} of the {WORKERS} workers of on_threads ever computed at once: start every thread \
         before you join any (joining inside the loop that spawns them runs them one after another)",
        rv.peak()
    );
    expect_input_order("on_threads", &got, &inputs);
}

#[test]
fn threads_are_exactly_the_asked_number_of_workers() {
    let inputs = inputs(3 * WORKERS);
    // Each worker waits for the others at its first item, so every worker gets one.
    let rv = Rendezvous::new(WORKERS);
    let ids = Mutex::new(Vec::new());
    on_threads(&inputs, WORKERS, |x| {
        ids.lock().unwrap().push(thread::current().id());
        let _inside = rv.arrive();
        mix(x)
    });
    let used = distinct(&ids);
    assert!(
        used == WORKERS,
        "on_threads with {WORKERS} workers computed its {} items on {}: start exactly `workers` threads and \
         let them share the items (for work that computes, more threads than cores only take turns)",
        inputs.len(),
        threads(used)
    );
}

#[test]
fn threads_keep_input_order_when_work_finishes_in_reverse() {
    let inputs = inputs(4);
    let gate = ReverseExit::new(inputs.len());
    let got = on_threads(&inputs, inputs.len(), |x| {
        gate.pass(position(&inputs, x));
        mix(x)
    });
    assert!(
        gate.rv.all_met(),
        "only {} of the {} workers of on_threads ever computed at once: start every thread before you \
         join any",
        gate.rv.peak(),
        inputs.len()
    );
    expect_input_order_after_reverse("on_threads", &got, &inputs);
}

// ---------------------------------------------------------------------------
// rayon
// ---------------------------------------------------------------------------

#[test]
fn rayon_computes_at_the_same_time() {
    let inputs = inputs(4 * WORKERS);
    let rv = Rendezvous::new(WORKERS);
    let got = on_rayon(&inputs, WORKERS, |x| {
        let _inside = rv.arrive();
        mix(x)
    });
    assert!(
        rv.all_met(),
        "only {} of the {WORKERS} threads of on_rayon's pool ever computed at once: run a parallel \
         iterator (`par_iter`, not `iter`) inside `pool.install`, in a pool built with `workers` threads",
        rv.peak()
    );
    expect_input_order("on_rayon", &got, &inputs);
}

#[test]
fn rayon_runs_on_a_pool_of_the_asked_size() {
    // One more than rayon's global pool has, so that only a pool of your own fits.
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores + 1;
    let inputs = inputs(2 * workers);
    let seen: Mutex<Vec<(Option<usize>, usize)>> = Mutex::new(Vec::new());
    on_rayon(&inputs, workers, |x| {
        seen.lock().unwrap().push((rayon::current_thread_index(), rayon::current_num_threads()));
        mix(x)
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), inputs.len(), "on_rayon should call `work` once per input");
    assert!(
        seen.iter().all(|(index, _)| index.is_some()),
        "{} of {} calls of `work` ran on a thread outside any rayon pool: run the parallel iterator inside \
         `pool.install(|| ...)`",
        seen.iter().filter(|(index, _)| index.is_none()).count(),
        seen.len()
    );
    let sizes: Vec<usize> = seen.iter().map(|&(_, size)| size).collect::<HashSet<_>>().into_iter().collect();
    assert!(
        sizes == [workers],
        "on_rayon was asked for {workers} workers, but `work` ran in a rayon pool of {}: build a pool of your \
         own with `rayon::ThreadPoolBuilder::new().num_threads(workers)` and run the iterator in it (rayon's \
         global pool has one thread per core, {cores} here)",
        sizes.iter().map(|&n| threads(n)).collect::<Vec<_>>().join(" and of ")
    );
}

#[test]
fn rayon_keeps_input_order_when_work_finishes_in_reverse() {
    let inputs = inputs(4);
    let gate = ReverseExit::new(inputs.len());
    let got = on_rayon(&inputs, inputs.len(), |x| {
        gate.pass(position(&inputs, x));
        mix(x)
    });
    assert!(
        gate.rv.all_met(),
        "only {} of the {} threads of on_rayon's pool ever computed at once: run a parallel iterator \
         (`par_iter`) inside `pool.install`",
        gate.rv.peak(),
        inputs.len()
    );
    expect_input_order_after_reverse("on_rayon", &got, &inputs);
}

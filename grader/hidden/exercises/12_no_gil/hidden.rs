//! Hidden tests for exercise 12: every way gives the same results in input
//! order; under the GIL model one call computes at a time (watched until the
//! other workers are seen asleep in /proc, never with a stopwatch), a worker lets
//! go of the GIL between two inputs (the workers asleep waiting for it are woken)
//! and while it waits, and takes it back after; Rust threads and rayon compute at
//! the same time (a rendezvous the test owns), on exactly the asked number of
//! threads, counted in /proc/self/task while the work runs.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use hidden::kernel::{self, Switches};
use hidden::{LastToFirst, PATIENCE, Rendezvous, gettid, poll, wait_until};
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

/// What the kernel says a thread is doing, in words: its state, and for a
/// sleeping thread the kernel function it sleeps in.
fn in_words(tid: i32) -> String {
    let wchan = kernel::wchan(tid);
    match kernel::state(tid) {
        None => "gone".into(),
        Some('S') if wchan.is_empty() => "asleep".into(),
        Some('S') => format!("asleep in the kernel ({wchan})"),
        Some('R') => "running".into(),
        Some(letter) => format!("in kernel state {letter}"),
    }
}

/// What the threads started for the work were doing at one moment: `busy` ones
/// were inside `work`.
#[derive(Clone, Debug, Default)]
struct Scene {
    text: String,
    /// Worker threads that were not inside `work`, and how many of them slept.
    idle: usize,
    idle_asleep: usize,
}

impl Scene {
    fn of(before: &BTreeSet<i32>, busy: &HashSet<i32>) -> Scene {
        let mut threads: Vec<i32> = kernel::tasks().difference(before).copied().collect();
        threads.sort();
        let mut scene = Scene::default();
        let mut parts = Vec::new();
        for t in threads {
            if busy.contains(&t) {
                parts.push(format!("{t} in a call of work"));
            } else {
                scene.idle += 1;
                scene.idle_asleep += usize::from(kernel::state(t) == Some('S'));
                parts.push(format!("{t} {}", in_words(t)));
            }
        }
        scene.text = if parts.is_empty() { "none".into() } else { parts.join("; ") };
        scene
    }
}

/// The work function of the concurrency tests: a rendezvous of `n` calls that,
/// if it gives up, writes down what every worker thread was doing then. It also
/// holds every call until the caller has started all its threads (it sleeps,
/// waiting for them, or it computes itself), and counts the threads the work ran
/// with in /proc/self/task: a worker that never gets an input counts as well.
struct Meeting {
    rv: Rendezvous,
    before: BTreeSet<i32>,
    caller: i32,
    /// Threads that called `work`.
    callers: Mutex<HashSet<i32>>,
    /// Threads that did not exist before the work started, seen while it ran.
    seen: Mutex<HashSet<i32>>,
    scene: Mutex<Option<Scene>>,
}

impl Meeting {
    /// Call it on the thread that will call the way under test, just before.
    fn new(n: usize) -> Meeting {
        Meeting {
            rv: Rendezvous::new(n),
            before: kernel::tasks(),
            caller: gettid(),
            callers: Mutex::default(),
            seen: Mutex::default(),
            scene: Mutex::default(),
        }
    }

    fn look(&self) {
        let now: Vec<i32> = kernel::tasks().difference(&self.before).copied().collect();
        self.seen.lock().unwrap().extend(now);
    }

    /// Holds the call until the caller has started all its threads, then
    /// counts them: until then no input is done, so no worker can have stopped.
    fn settle(&self) {
        self.callers.lock().unwrap().insert(gettid());
        wait_until(PATIENCE, || {
            kernel::state(self.caller) == Some('S') || self.callers.lock().unwrap().contains(&self.caller)
        });
        self.look();
    }

    fn arrive(&self) -> hidden::Inside<'_> {
        self.callers.lock().unwrap().insert(gettid());
        let inside = self.rv.arrive();
        if !self.rv.all_met() {
            let mut scene = self.scene.lock().unwrap();
            if scene.is_none() {
                // Nobody leaves a rendezvous before it gives up: whoever called is still in.
                let busy = self.callers.lock().unwrap().clone();
                *scene = Some(Scene::of(&self.before, &busy));
            }
        }
        inside
    }

    fn scene(&self) -> Scene {
        self.scene.lock().unwrap().clone().unwrap_or_default()
    }

    /// The threads the work ran with: every new thread seen while it ran, and
    /// the caller if it computed too.
    fn threads(&self) -> HashSet<i32> {
        let mut all = self.seen.lock().unwrap().clone();
        all.extend(self.callers.lock().unwrap().iter().copied());
        all
    }

    /// How many threads called `work`.
    fn distinct_callers(&self) -> usize {
        self.callers.lock().unwrap().len()
    }

    /// Why fewer than all workers computed at once, as far as the threads tell.
    fn why_not_together(&self) -> String {
        let scene = self.scene();
        if scene.idle == 0 {
            format!(
                "while a call waited for the others, no other worker thread was alive (the threads: {}): the \
                 threads ran one after another. Start every thread before you join any (joining inside the loop \
                 that spawns them runs them one after another)",
                scene.text
            )
        } else if scene.idle_asleep == scene.idle {
            format!(
                "while a call waited for the others, {} other worker thread(s) were alive but asleep in the kernel, \
                 waiting for a lock or a channel instead of computing (the threads: {}). Is `work` called while \
                 a lock is held? `results.lock().unwrap().push((i, work(x)))` holds the lock until work returns: \
                 compute first, then lock to store the result",
                scene.idle, scene.text
            )
        } else {
            format!("the threads at that moment: {}", scene.text)
        }
    }
}

/// "a thread", "2 threads", for a message about a set of tids.
fn count_threads(ids: &HashSet<i32>) -> String {
    let mut sorted: Vec<&i32> = ids.iter().collect();
    sorted.sort();
    format!("{} {sorted:?}", threads(ids.len()))
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

/// What the first worker's next call found: whether the workers that slept,
/// waiting for the GIL, while it computed its first input were woken (or
/// computed) before its next input.
#[derive(Debug, Clone, PartialEq)]
enum Between {
    LetGo,
    /// None of them stirred for the whole patience: the states they were in.
    Kept(String),
}

/// A work function that counts the calls inside it at once. The first call
/// does not return until either a second call is inside (the GIL did not keep
/// it out) or every other worker thread is seen asleep in /proc, waiting: with a
/// real GIL held by the first call, nothing else can happen.
///
/// With `between`, the next call on the first call's thread then waits until
/// one of those sleeping workers has run (its context switch count moved, or it
/// called `work`): a worker that lets go of the GIL between two inputs wakes one
/// of them, and one that keeps the GIL wakes nobody.
struct Exclusive {
    before: BTreeSet<i32>,
    /// The thread that calls the way under test: it may compute too.
    caller: i32,
    inside: AtomicUsize,
    peak: AtomicUsize,
    calls: AtomicUsize,
    watch: Mutex<Option<Watch>>,
    between: Option<Mutex<Option<Between>>>,
    first: OnceLock<i32>,
    /// Calls made on threads other than the first call's.
    others_calls: AtomicUsize,
    /// The other workers the first call saw asleep, with their switch counts then.
    asleep_then: Mutex<HashMap<i32, u64>>,
}

/// Looks in a row that must all find the other workers asleep.
const CALM_LOOKS: usize = 3;

impl Exclusive {
    /// Call it just before the work starts: threads that exist now are not workers.
    fn new() -> Exclusive {
        Exclusive {
            before: kernel::tasks(),
            caller: gettid(),
            inside: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            watch: Mutex::new(None),
            between: None,
            first: OnceLock::new(),
            others_calls: AtomicUsize::new(0),
            asleep_then: Mutex::default(),
        }
    }

    /// Also watches what happens between the first worker's first two inputs.
    fn with_between() -> Exclusive {
        Exclusive { between: Some(Mutex::new(None)), ..Exclusive::new() }
    }

    fn call(&self, x: u64) -> u64 {
        let me = gettid();
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let _ = self.first.set(me);
            let seen = self.watch_the_others();
            *self.watch.lock().unwrap() = Some(seen);
        } else {
            if self.first.get() == Some(&me) {
                self.watch_between();
            } else {
                self.others_calls.fetch_add(1, Ordering::SeqCst);
            }
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
        let mut calm = 0;
        let mut others: Vec<(i32, Option<char>)> = Vec::new();
        let watched = poll(PATIENCE, || {
            if self.inside.load(Ordering::SeqCst) > 1 {
                return Some(Watch::Overlap);
            }
            others = kernel::tasks()
                .difference(&self.before)
                .filter(|&&t| t != me)
                .map(|&t| (t, kernel::state(t)))
                .collect();
            // S: sleeping, as a thread parked on a lock is; None: already gone.
            let asleep = !others.is_empty() && others.iter().all(|(_, s)| matches!(s, Some('S') | None));
            calm = if asleep { calm + 1 } else { 0 };
            if calm >= CALM_LOOKS {
                // The caller sleeps waiting for its workers, or for the GIL as one of them.
                let caller =
                    (self.caller != me && kernel::state(self.caller) == Some('S')).then_some((self.caller, None));
                let counts = others
                    .iter()
                    .chain(&caller)
                    .filter_map(|&(t, _)| Some((t, kernel::switches(t).map(Switches::total)?)))
                    .collect();
                *self.asleep_then.lock().unwrap() = counts;
                return Some(Watch::OthersAsleep);
            }
            None
        });
        watched.unwrap_or_else(|| {
            if others.is_empty() { Watch::NoOtherWorker } else { Watch::Restless(format!("{others:?}")) }
        })
    }

    /// On the first worker's next call, once: did a sleeping worker run since?
    fn watch_between(&self) {
        let Some(between) = &self.between else { return };
        let mut verdict = between.lock().unwrap();
        if verdict.is_some() {
            return;
        }
        let asleep_then = self.asleep_then.lock().unwrap().clone();
        if asleep_then.is_empty() {
            return;
        }
        let let_go = poll(PATIENCE, || {
            let stirred = asleep_then.iter().any(|(&t, &n)| kernel::switches(t).map(Switches::total) != Some(n));
            (stirred || self.others_calls.load(Ordering::SeqCst) > 0).then_some(Between::LetGo)
        });
        *verdict = Some(let_go.unwrap_or_else(|| {
            let mut states: Vec<String> = asleep_then
                .keys()
                .map(|&t| {
                    let who = if t == self.caller { "the calling thread " } else { "" };
                    format!("{who}{t} {}", in_words(t))
                })
                .collect();
            states.sort();
            Between::Kept(states.join("; "))
        }));
    }

    fn between(&self) -> Option<Between> {
        self.between.as_ref().and_then(|b| b.lock().unwrap().clone())
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
            "while one call computed under the GIL, no other worker thread was alive: start all `workers` \
             threads ({WORKERS} here) before you join any, and let them take turns with the GIL"
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
fn under_the_gil_a_worker_lets_go_between_inputs() {
    hidden::watchdog();
    let inputs = inputs(4 * WORKERS);
    let probe = Exclusive::with_between();
    let got = under_gil(&inputs, WORKERS, |x| probe.call(x));
    if let Some(Between::Kept(states)) = probe.between() {
        panic!(
            "the worker that computed first went on to its next input without letting go of the GIL in between: \
             the other workers, asleep waiting for the GIL while it computed, were never woken, and {PATIENCE:?} \
             into its next call they still slept ({states}). A worker takes the GIL for one call of `work` and \
             lets go of it before it takes the next input, which gives the others their turn: \
             `work(x, &mut gil.acquire())` holds it for just that call"
        );
    }
    expect_input_order("under_gil", &got, &inputs);
}

#[test]
fn under_the_gil_a_waiting_worker_lets_the_others_run() {
    hidden::watchdog();
    let inputs = inputs(3 * WORKERS);
    let meeting = Meeting::new(WORKERS);
    let got = under_gil_with_io(&inputs, WORKERS, |x, gil| {
        gil.allow_threads(|| {
            meeting.settle();
            drop(meeting.arrive());
        });
        mix(x)
    });
    if !meeting.rv.all_met() {
        let scene = meeting.scene();
        let why = if scene.idle == 0 {
            format!(
                "while one worker waited, no other worker thread was alive (the threads: {}): start every worker \
                 before you join any",
                scene.text
            )
        } else if scene.idle_asleep == scene.idle {
            format!(
                "while one worker waited in allow_threads, the other workers were asleep in the kernel, waiting \
                 for a lock (the threads: {}): `allow_threads` must let go of the GIL while `wait` runs and take it \
                 back after (parking_lot's `MutexGuard::unlocked`)",
                scene.text
            )
        } else {
            format!("the threads at that moment: {}", scene.text)
        };
        panic!("only {} of {WORKERS} workers ever waited at the same time under the GIL: {why}", meeting.rv.peak());
    }
    let threads = meeting.threads();
    assert!(
        threads.len() == WORKERS,
        "under_gil_with_io with {WORKERS} workers ran its {} items with {}, counted in /proc/self/task while it \
         ran: start exactly `workers` threads and let them share the items",
        inputs.len(),
        count_threads(&threads)
    );
    expect_input_order("under_gil_with_io", &got, &inputs);
}

#[test]
fn under_the_gil_allow_threads_takes_the_gil_back() {
    hidden::watchdog();
    let inputs = inputs(3 * WORKERS);
    let rv = Rendezvous::new(WORKERS);
    let probe = Exclusive::new();
    // Every worker waits at once; after the wait, computing is one at a time again.
    let got = under_gil_with_io(&inputs, WORKERS, |x, gil| {
        gil.allow_threads(|| drop(rv.arrive()));
        probe.call(x)
    });
    assert!(
        rv.all_met(),
        "only {} of {WORKERS} workers ever waited at the same time under the GIL, so this test proves nothing: \
         `allow_threads` must let go of the GIL while `wait` runs, and every worker must be started before any \
         is joined",
        rv.peak()
    );
    let peak = probe.peak.load(Ordering::SeqCst);
    assert!(
        peak <= 1,
        "after `allow_threads` had returned, {peak} calls of `work` were computing at the same time: \
         allow_threads lets go of the GIL while `wait` runs and must take it back before it returns, so that the \
         rest of the call runs under the GIL again (parking_lot's `MutexGuard::unlocked` does both)"
    );
    expect_input_order("under_gil_with_io", &got, &inputs);
}

/// Lets `n` calls out only once all are inside, and then the last input first.
struct ReverseExit {
    meeting: Meeting,
    release: Arc<LastToFirst>,
}

impl ReverseExit {
    /// Call it just before the way under test, on the thread that calls it.
    fn new(n: usize) -> ReverseExit {
        ReverseExit { meeting: Meeting::new(n), release: LastToFirst::new(n) }
    }

    fn pass(&self, me: usize) {
        let _inside = self.meeting.arrive();
        if !self.meeting.rv.all_met() {
            return;
        }
        // Out by its return, not its thread's end: pools keep their threads.
        self.release.wait_for_later(me);
        self.release.done(me);
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
        gate.meeting.rv.all_met(),
        "only {} of {} workers ever waited at once under the GIL: `allow_threads` must let go of the GIL \
         while `wait` runs",
        gate.meeting.rv.peak(),
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
    let meeting = Meeting::new(WORKERS);
    let got = on_threads(&inputs, WORKERS, |x| {
        let _inside = meeting.arrive();
        mix(x)
    });
    assert!(
        meeting.rv.all_met(),
        "only {} of the {WORKERS} workers of on_threads ever computed at once: {}",
        meeting.rv.peak(),
        meeting.why_not_together()
    );
    expect_input_order("on_threads", &got, &inputs);
}

#[test]
fn threads_are_exactly_the_asked_number_of_workers() {
    let inputs = inputs(3 * WORKERS);
    // Each worker waits for the others at its first item, so every worker gets
    // one; and no item is done before every thread has been started and counted.
    let meeting = Meeting::new(WORKERS);
    on_threads(&inputs, WORKERS, |x| {
        meeting.settle();
        let _inside = meeting.arrive();
        mix(x)
    });
    let threads = meeting.threads();
    assert!(
        threads.len() == WORKERS,
        "on_threads with {WORKERS} workers computed its {} items with {}, counted in /proc/self/task while it \
         ran ({} of them called `work`): start exactly `workers` threads and let them share the items (for work \
         that computes, more threads than cores only take turns)",
        inputs.len(),
        count_threads(&threads),
        meeting.distinct_callers()
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
        gate.meeting.rv.all_met(),
        "only {} of the {} workers of on_threads ever computed at once: {}",
        gate.meeting.rv.peak(),
        inputs.len(),
        gate.meeting.why_not_together()
    );
    expect_input_order_after_reverse("on_threads", &got, &inputs);
}

// ---------------------------------------------------------------------------
// rayon
// ---------------------------------------------------------------------------

/// Why the pool's threads did not compute together, as far as the calls tell:
/// idle pool threads sleep as a thread waiting for a lock does, so what tells
/// is how many threads called `work` at all.
fn rayon_why(meeting: &Meeting) -> String {
    match meeting.distinct_callers() {
        0 | 1 => "every call of `work` ran on one thread: run a parallel iterator (`par_iter`, not `iter`) inside \
                  `pool.install`, in a pool built with `workers` threads"
            .to_string(),
        n => format!(
            "`work` ran on {n} threads, but one at a time, while the others slept: is `work` called while a lock \
             is held? Let the parallel iterator collect the results (`.map(|&x| work(x)).collect()`)"
        ),
    }
}

#[test]
fn rayon_computes_at_the_same_time() {
    let inputs = inputs(4 * WORKERS);
    let meeting = Meeting::new(WORKERS);
    let got = on_rayon(&inputs, WORKERS, |x| {
        let _inside = meeting.arrive();
        mix(x)
    });
    assert!(
        meeting.rv.all_met(),
        "only {} of the {WORKERS} threads of on_rayon's pool ever computed at once: {}",
        meeting.rv.peak(),
        rayon_why(&meeting)
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
        gate.meeting.rv.all_met(),
        "only {} of the {} threads of on_rayon's pool ever computed at once: {}",
        gate.meeting.rv.peak(),
        inputs.len(),
        rayon_why(&gate.meeting)
    );
    expect_input_order_after_reverse("on_rayon", &got, &inputs);
}

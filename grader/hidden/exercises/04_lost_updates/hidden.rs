//! Hidden tests for exercise 04. Part A: the model gives exact answers. Part B:
//! each counter runs under a schedule explorer (shuttle's PCT scheduler with a
//! fixed seed) that interleaves the threads step by step, so a counter that can
//! lose an update is caught on every run, on any machine, however busy. The
//! explorer only sees the sync types it can swap, so one more test reads the
//! library's sources and resolves every path that names a sync type.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError};

use hidden::panic_message;
use hidden::shuttle::scheduler::{PctScheduler, Schedule, Scheduler, Task, TaskId};
use hidden::shuttle::{self, Config, FailurePersistence, MaxSteps, Runner};
use lost_updates::counters::{AtomicCounter, Counter, MutexCounter, RacyCounter, ShardedCounter};
use lost_updates::model::{self, Interleavings, ScheduleError, Step, TraceRow};

// ---------------------------------------------------------------- panics

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every panic since `quietly` began, with its place.
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// `src/lib.rs:12` rather than the staged copy's full path.
fn short_place(file: &str, line: u32) -> String {
    let file = file.rfind("src/").map_or(file, |i| &file[i..]);
    format!("{file}:{line}")
}

/// Runs `f` and turns a panic into its message and the place it came from. Panic
/// output is kept out of the report while `f` runs (the test's own verdict, after
/// this returns, is printed as usual).
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    lock(&PANICS).clear();
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map(|l| short_place(l.file(), l.line())).unwrap_or_default();
        let from_a_crate =
            info.location().is_some_and(|l| l.file().contains("registry/src") || l.file().starts_with("/rustc/"));
        let text = panic_message(info.payload());
        lock(&PANICS).push((text, if from_a_crate { String::new() } else { place }));
    }));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    drop(std::panic::take_hook());
    outcome.map_err(|payload| {
        let caught = panic_message(&*payload);
        let panics = std::mem::take(&mut *lock(&PANICS));
        // The first panic in code of the exercise is the cause; the explorer's own
        // failures (deadlock, step bound) carry no such place.
        match panics.into_iter().find(|(_, place)| !place.is_empty()) {
            Some((text, place)) if !caught.starts_with("deadlock") && !caught.starts_with("exceeded") => {
                format!("{text} (at {place})")
            }
            _ => caught,
        }
    })
}

// ---------------------------------------------------------------- Part A

fn schedule_text(schedule: &[usize]) -> String {
    format!("&{schedule:?}")
}

/// The failed cases of one test: each call with what came back and what was
/// expected, then the likely causes, each said once. A panic ends the test: the
/// next calls would most likely panic the same way.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    causes: Vec<String>,
}

impl Report {
    fn wrong(&mut self, line: String, cause: String) {
        match self.lines.len() {
            0..4 => self.lines.push(line),
            4 => self.lines.push("...".to_string()),
            _ => {}
        }
        if !cause.is_empty() && !self.causes.contains(&cause) {
            self.causes.push(cause);
        }
    }

    fn finish(self) {
        if !self.lines.is_empty() {
            panic!("{}\n{}", self.lines.join("\n"), self.causes.join("\n"));
        }
    }
}

/// A named schedule: start, threads, increments, schedule, the final value, why.
type Named = (u64, usize, usize, &'static [usize], u64, &'static str);

#[test]
fn model_runs_named_schedules() {
    let cases: [Named; 5] = [
        (0, 2, 1, &[0, 0, 0, 1, 1, 1], 2, "one thread after the other loses nothing"),
        (
            0,
            2,
            1,
            &[0, 1, 0, 1, 0, 1],
            1,
            "alternating: both threads read 0 before either writes, so both write 1 and one update is lost",
        ),
        (
            50_000,
            2,
            1,
            &[0, 1, 0, 0, 1, 1],
            50_001,
            "the README's table: both threads read 50000 before either writes, so both write 50001",
        ),
        (
            7,
            3,
            2,
            &[0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2],
            13,
            "whole increments one after the other lose nothing: 7 + 6",
        ),
        (
            0,
            2,
            2,
            &[0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
            2,
            "thread 0 reads 0, thread 1 counts to 2, thread 0 writes 1 over it and counts on to 2",
        ),
    ];
    let mut report = Report::default();
    for (start, threads, increments, schedule, want, why) in cases {
        let call = format!("model::run({start}, {threads}, {increments}, {})", schedule_text(schedule));
        let got = match quietly(|| model::run(start, threads, increments, schedule)) {
            Ok(got) => got,
            Err(panic) => {
                report.wrong(format!("{call} panicked: {panic}"), String::new());
                break;
            }
        };
        if got == Ok(want) {
            continue;
        }
        let cause = match got {
            Ok(v) if v == start + (threads * increments) as u64 => {
                "Your model never loses an update: READ must copy the shared counter into the thread's own \
                 register, ADD must add one to that register, and WRITE must copy the register back."
            }
            Ok(_) => "Step through the schedule by hand with the README's table.",
            Err(_) => "A valid schedule was rejected: each thread moves exactly 3 times per increment in it.",
        };
        report.wrong(format!("{call} returned {got:?}, expected Ok({want}): {why}."), cause.to_string());
    }
    report.finish();
}

#[test]
fn model_rejects_impossible_schedules() {
    use ScheduleError::*;
    // Each schedule has exactly one thing wrong with it, so the order in which a
    // model checks a schedule does not matter.
    let cases: [(usize, usize, &[usize], ScheduleError, &str); 4] = [
        (2, 1, &[0, 0, 0, 5, 1, 1, 1], NoSuchThread { step: 3, thread: 5 }, "step 3 names thread 5 of threads 0 and 1"),
        (
            2,
            1,
            &[1, 1, 1, 1, 0, 0, 0],
            ThreadFinished { step: 3, thread: 1 },
            "thread 1 has taken its 3 steps when step 3 moves it again",
        ),
        (2, 1, &[0, 1, 0], Unfinished { remaining: 3 }, "the schedule stops after 3 of the 6 steps"),
        (3, 1, &[], Unfinished { remaining: 9 }, "an empty schedule leaves all 9 steps of 3 threads to take"),
    ];
    let mut report = Report::default();
    'cases: for (threads, increments, schedule, want, why) in cases {
        let args = format!("(0, {threads}, {increments}, {})", schedule_text(schedule));
        let traced =
            quietly(|| model::trace(0, threads, increments, schedule).map(|rows| format!("{} rows", rows.len())));
        let ran = quietly(|| model::run(0, threads, increments, schedule).map(|v| v.to_string()));
        for (function, got) in [("trace", traced), ("run", ran)] {
            let got = match got {
                Ok(got) => got,
                Err(panic) => {
                    report.wrong(format!("model::{function}{args} panicked: {panic}"), String::new());
                    break 'cases;
                }
            };
            if got.as_ref().err() == Some(&want) {
                continue;
            }
            let cause = match &got {
                Ok(_) => "A schedule that cannot be run must give an error.",
                Err(e) if std::mem::discriminant(e) == std::mem::discriminant(&want) => {
                    "Steps count from 0, and `remaining` is how many steps all threads together still had to take."
                }
                Err(_) => "Each of these schedules has exactly one thing wrong with it; the error names that.",
            };
            let got = match got {
                Ok(v) => format!("Ok({v})"),
                Err(e) => format!("Err({e:?})"),
            };
            report.wrong(
                format!("model::{function}{args} returned {got}, expected Err({want:?}): {why}."),
                cause.to_string(),
            );
        }
    }
    match quietly(|| model::run(5, 0, 3, &[])) {
        Ok(Ok(5)) => {}
        Ok(got) => report.wrong(
            format!("model::run(5, 0, 3, &[]) returned {got:?}, expected Ok(5)."),
            "No threads take no steps, and the counter keeps its start value.".to_string(),
        ),
        Err(panic) => report.wrong(format!("model::run(5, 0, 3, &[]) panicked: {panic}"), String::new()),
    }
    report.finish();
}

/// A traced schedule: start, threads, increments, schedule, the rows, what it is.
type Traced = (u64, usize, usize, &'static [usize], Vec<TraceRow>, &'static str);

#[test]
fn model_traces_every_step() {
    let row = |thread, step, register, shared| TraceRow { thread, step, register, shared };
    use Step::{Add, Read, Write};
    let cases: [Traced; 2] = [
        (
            50_000,
            2,
            1,
            &[0, 1, 0, 0, 1, 1],
            vec![
                row(0, Read, 50_000, 50_000),
                row(1, Read, 50_000, 50_000),
                row(0, Add, 50_001, 50_000),
                row(0, Write, 50_001, 50_001),
                row(1, Add, 50_001, 50_001),
                row(1, Write, 50_001, 50_001),
            ],
            "the README's table",
        ),
        (
            7,
            1,
            2,
            &[0, 0, 0, 0, 0, 0],
            vec![
                row(0, Read, 7, 7),
                row(0, Add, 8, 7),
                row(0, Write, 8, 8),
                row(0, Read, 8, 8),
                row(0, Add, 9, 8),
                row(0, Write, 9, 9),
            ],
            "one thread, two increments",
        ),
    ];
    for (start, threads, increments, schedule, want, what) in cases {
        let call = format!("model::trace({start}, {threads}, {increments}, {})", schedule_text(schedule));
        let rows = match quietly(|| model::trace(start, threads, increments, schedule)) {
            Ok(Ok(rows)) => rows,
            Ok(Err(e)) => panic!("{call} ({what}) returned Err({e:?}) for a valid schedule"),
            Err(panic) => panic!("{call} ({what}) panicked: {panic}"),
        };
        if rows == want {
            continue;
        }
        let table = |rows: &[TraceRow]| {
            let line = |r: &TraceRow| {
                let step = format!("{:?}", r.step);
                format!("  thread {} {step:<5} register {:>6} shared {:>6}", r.thread, r.register, r.shared)
            };
            rows.iter().map(line).collect::<Vec<_>>().join("\n")
        };
        let place = match rows.iter().zip(&want).position(|(g, w)| g != w) {
            Some(i) => format!(
                "Row {} (step {i}) is {:?}, expected {:?}: each row is the thread that moved, its step, and its \
                 register and the shared counter after the step.",
                i + 1,
                rows[i],
                want[i]
            ),
            None => format!("It has {} rows; there is one row per step of the schedule, {}.", rows.len(), want.len()),
        };
        panic!(
            "{call} ({what}) differs from the expected trace. {place}\nexpected:\n{}\nyours:\n{}",
            table(&want),
            table(&rows)
        );
    }
}

/// Orders of `groups` groups of `each` steps that keep each group's own order:
/// (groups * each)! / (each!)^groups.
fn orders(groups: usize, each: usize) -> u128 {
    let fact = |n: usize| (1..=n as u128).product::<u128>();
    fact(groups * each) / fact(each).pow(groups as u32)
}

#[test]
fn model_counts_interleavings_exactly() {
    let mut report = Report::default();
    for (threads, increments, total, lost) in [
        (1, 3, 1, 0),
        (2, 1, 20, 18),
        (2, 2, 924, 918),
        (3, 1, 1680, 1674),
        (2, 3, 48_620, 48_600),
        (4, 1, 369_600, 369_576),
    ] {
        let call = format!("model::count_interleavings({threads}, {increments})");
        let want = Interleavings { total, lost_an_update: lost };
        let got = match quietly(|| model::count_interleavings(threads, increments)) {
            Ok(got) if got == want => continue,
            Ok(got) => got,
            Err(panic) => {
                report.wrong(format!("{call} panicked: {panic}"), String::new());
                break;
            }
        };
        let cause = if got.total != total && u128::from(got.total) == orders(threads, increments) {
            "The totals are the numbers of orders of whole increments: each increment is three steps (READ, ADD, \
             WRITE), and another thread can run between any two of them."
                .to_string()
        } else if got.total == total && got.lost_an_update == total - lost {
            "The totals are right, but `lost_an_update` is the number of interleavings that lose nothing: it must \
             count those that end below threads x increments."
                .to_string()
        } else if got.total == total && got.lost_an_update == 0 {
            "The totals are right, but none of your interleavings loses an update: a WRITE copies the thread's \
             register back into the shared counter (overwriting what other threads wrote meanwhile), it does not \
             add one to it."
                .to_string()
        } else if got.total == total {
            "The totals are right; `lost_an_update` counts the interleavings whose final value is below threads x \
             increments (starting from 0)."
                .to_string()
        } else {
            "Every interleaving is one order of all the steps in which each thread's own steps keep their order: 2 \
             threads with 1 increment each take 6 steps, in 6!/(3!*3!) = 20 orders."
                .to_string()
        };
        report.wrong(format!("{call} returned {got:?}, expected {want:?}."), cause);
    }
    report.finish();
}

#[test]
fn model_finds_every_possible_result() {
    let mut report = Report::default();
    for (threads, increments, want) in
        [(2, 1, vec![1, 2]), (3, 1, vec![1, 2, 3]), (2, 2, vec![2, 3, 4]), (2, 3, vec![2, 3, 4, 5, 6])]
    {
        let call = format!("model::possible_results({threads}, {increments})");
        let got = match quietly(|| model::possible_results(threads, increments)) {
            Ok(got) if got == want => continue,
            Ok(got) => got,
            Err(panic) => {
                report.wrong(format!("{call} panicked: {panic}"), String::new());
                break;
            }
        };
        let mut tidy = got.clone();
        tidy.sort_unstable();
        tidy.dedup();
        let most = (threads * increments) as u64;
        let cause = if tidy == want {
            "The right values, but they must come ascending and without repeats."
        } else if tidy == [most] {
            "Only the result that loses nothing: no interleaving of your search loses an update. Either it treats \
             each increment as one step, or its steps skip the thread's register: READ, ADD and WRITE are \
             separate steps that other threads can run between, and WRITE copies the register back."
        } else if want.iter().any(|v| !got.contains(v)) {
            "Values are missing. An interleaving can lose more than one update: with two increments each, two \
             threads can end at 2 (thread 0 reads 0, thread 1 counts to 2, thread 0 writes 1 over it and counts on \
             to 2)."
        } else {
            "Some values cannot come out of any interleaving: the counter starts at 0 and every thread does all its \
             increments."
        };
        let shown = match got.len() {
            0..=12 => format!("{got:?}"),
            n => format!("{:?}, ... ({n} values)", &got[..12]).replacen("], ...", ", ...]", 1),
        };
        report.wrong(format!("{call} returned {shown}, expected {want:?}."), cause.to_string());
    }
    report.finish();
}

// ---------------------------------------------------------------- Part B

const SEED: u64 = 0x7468_7265_6164;
const THREADS: usize = 3;
const EACH: usize = 3;
const WANT: u64 = (THREADS * EACH) as u64;
const SCHEDULES: usize = 1000;
/// Increments one thread makes when it has the counter to itself.
const ALONE: usize = 6;

/// What the explorer showed the test while it ran.
#[derive(Default)]
struct Watch {
    /// Scheduling decisions so far: when one falls inside an increment, the
    /// explorer could have switched threads there.
    decisions: AtomicUsize,
    /// Some increment spanned a scheduling decision.
    switched_inside: AtomicBool,
    /// Some counting thread had to wait for another (it left the runnable
    /// threads and came back, which only a lock makes it do here).
    waited: AtomicBool,
    /// A schedule went wrong: explore no further.
    stop: AtomicBool,
}

/// A scheduler that lets another choose and watches: decisions, waits, stop.
struct Watching<S> {
    inner: S,
    watch: Arc<Watch>,
    main: Option<TaskId>,
    runnable: Vec<TaskId>,
    away: Vec<TaskId>,
}

impl<S: Scheduler> Scheduler for Watching<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.watch.stop.load(SeqCst) {
            return None;
        }
        self.main = None;
        self.runnable.clear();
        self.away.clear();
        self.inner.new_execution()
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, is_yielding: bool) -> Option<TaskId> {
        self.watch.decisions.fetch_add(1, SeqCst);
        let now: Vec<TaskId> = runnable.iter().map(|t| t.id()).collect();
        if current.is_none() {
            self.main = now.first().copied();
        }
        for id in &self.runnable {
            if !now.contains(id) && !self.away.contains(id) {
                self.away.push(*id);
            }
        }
        // A finished thread never comes back; the main thread waits in `join`.
        if now.iter().any(|id| self.away.contains(id) && Some(*id) != self.main) {
            self.watch.waited.store(true, SeqCst);
        }
        self.away.retain(|id| !now.contains(id));
        self.runnable = now;
        self.inner.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

fn explorer_config() -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::FailAfter(100_000);
    // Its note about Relaxed orderings is for the explorer's users, not for learners.
    config.silence_warnings = true;
    config
}

/// The explorer wraps the panic hook it finds the first time it runs, to print
/// replay instructions; run it once on nothing, so `quietly` replaces that hook.
fn init_explorer() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        Runner::new(PctScheduler::new(1, 1), explorer_config()).run(|| {});
        drop(std::panic::take_hook());
    });
}

/// `increment(thread)` adds one and returns the counter's value after it.
type Increment = Box<dyn Fn(usize) -> u64 + Send + Sync>;
/// Makes a fresh counter's `Increment`.
type Make = fn() -> Increment;

fn counter_of<C: Counter + 'static>() -> Increment {
    let counter = C::new();
    Box::new(move |_thread| {
        counter.increment();
        counter.get()
    })
}

fn sharded() -> Increment {
    // One shard per thread, and one for the final check.
    let counter = ShardedCounter::new(THREADS + 1);
    Box::new(move |thread| {
        counter.increment(thread.min(THREADS));
        counter.total()
    })
}

/// A panic caught in the code under test, with the place `quietly` saw it at.
fn with_place(message: String) -> String {
    match lock(&PANICS).iter().find(|(_, place)| !place.is_empty()) {
        Some((_, place)) => format!("{message} (at {place})"),
        None => message,
    }
}

fn watching<S: Scheduler>(inner: S, watch: &Arc<Watch>) -> Watching<S> {
    Watching { inner, watch: Arc::clone(watch), main: None, runnable: Vec::new(), away: Vec::new() }
}

/// One thread alone incrementing `ALONE` times.
struct Alone {
    /// The value it read after each increment.
    values: Vec<u64>,
    /// Increments in which the explorer had no point where it could switch threads.
    unseen: usize,
}

/// One thread alone increments `ALONE` times, under the explorer.
fn alone(make: Make) -> Result<Alone, String> {
    init_explorer();
    let watch = Arc::new(Watch::default());
    let seen: Arc<Mutex<Result<Alone, String>>> = Arc::new(Mutex::new(Err(String::new())));
    let (into, watched) = (Arc::clone(&seen), Arc::clone(&watch));
    let scheduler = watching(PctScheduler::new_from_seed(SEED, 1, 1), &watch);
    // One thread alone blocks only when it waits for itself: a deadlock, which the
    // explorer reports with a note on stderr unless it is asked for backtraces.
    // It reads the setting once, at the first block, so when nothing blocks here
    // the exploration of several threads (which blocks often) stays without.
    // SAFETY: this process runs one test; no other thread reads the environment.
    unsafe { std::env::set_var("SHUTTLE_CAPTURE_BACKTRACE", "1") };
    let ran = quietly(move || {
        Runner::new(scheduler, explorer_config()).run(move || {
            // Panics are caught here, where they happen, so the explorer does not
            // report them (its report is about replaying schedules).
            let counted = catch_unwind(AssertUnwindSafe(|| {
                let increment = make();
                let mut alone = Alone { values: Vec::new(), unseen: 0 };
                for _ in 0..ALONE {
                    let before = watched.decisions.load(SeqCst);
                    alone.values.push(increment(0));
                    if watched.decisions.load(SeqCst) == before {
                        alone.unseen += 1;
                    }
                }
                alone
            }));
            *lock(&into) = counted.map_err(|payload| panic_message(&*payload));
        })
    });
    // SAFETY: as above.
    unsafe { std::env::remove_var("SHUTTLE_CAPTURE_BACKTRACE") };
    ran?;
    std::mem::replace(&mut *lock(&seen), Err(String::new())).map_err(with_place)
}

/// What is wrong when one thread alone increments, if anything.
fn alone_problem(name: &str, read: &str, make: Make) -> Option<String> {
    let want: Vec<u64> = (1..=ALONE as u64).collect();
    let values = match alone(make) {
        Ok(alone) if alone.values == want => return None,
        Ok(alone) => alone.values,
        Err(panic) if panic.starts_with("deadlock") => {
            return Some(format!(
                "{name} on a single thread, with no other thread running, waited for itself forever (a deadlock): \
                 does increment take a lock it already holds, for example by calling {read} while it holds the lock?"
            ));
        }
        Err(panic) => {
            return Some(format!("{name} panicked when one thread incremented it and called {read}: {panic}"));
        }
    };
    let steps: Vec<i128> = std::iter::once(0)
        .chain(values.iter().copied())
        .collect::<Vec<u64>>()
        .windows(2)
        .map(|w| i128::from(w[1]) - i128::from(w[0]))
        .collect();
    let cause = if steps.iter().all(|&s| s == 0) {
        format!(
            "The value never changes: increment does not add to the counter, or {read} does not read what it added."
        )
    } else if steps.iter().all(|&s| s == steps[0]) && steps[0] > 1 {
        format!("Each increment added {}: it must add exactly one.", steps[0])
    } else if steps.iter().all(|&s| s == 0 || s == 1) {
        "Some increments added nothing: every call must add one.".to_string()
    } else {
        format!("Each increment must add exactly one, and {read} must return the count so far.")
    };
    Some(format!(
        "{name} on a single thread, with no other thread running: after each of {ALONE} increments {read} read \
         {values:?}, expected {want:?}. {cause}"
    ))
}

/// One increment as a thread saw it: the counter's value right after it.
struct Event {
    thread: usize,
    seen: u64,
}

enum Outcome {
    /// No explored schedule miscounted.
    Exact,
    /// A schedule counted `total`: what each thread saw.
    Miscounted { total: u64, events: Vec<Event> },
    /// The code under test panicked, or the explorer gave up on a schedule.
    Panicked(String),
}

struct Explored {
    outcome: Outcome,
    switched_inside: bool,
    waited: bool,
}

/// Runs `THREADS` threads that each increment `EACH` times under `SCHEDULES`
/// schedules chosen by a seeded PCT scheduler, and checks the total every time.
fn explore(make: Make) -> Explored {
    init_explorer();
    let watch = Arc::new(Watch::default());
    let found: Arc<Mutex<Option<Outcome>>> = Arc::default();
    let body = {
        let (watch, found) = (Arc::clone(&watch), Arc::clone(&found));
        move || {
            // A panic is caught in the thread that made it, so the explorer does not
            // report it (its report is about replaying schedules).
            let panicked = |found: &Mutex<Option<Outcome>>, watch: &Watch, message: String| {
                lock(found).get_or_insert(Outcome::Panicked(message));
                watch.stop.store(true, SeqCst);
            };
            let increment: Arc<dyn Fn(usize) -> u64 + Send + Sync> = match catch_unwind(make) {
                Ok(increment) => Arc::from(increment),
                Err(payload) => return panicked(&found, &watch, panic_message(&*payload)),
            };
            let events: Arc<Mutex<Vec<Event>>> = Arc::default();
            let handles: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let (increment, events) = (Arc::clone(&increment), Arc::clone(&events));
                    let (watch, found) = (Arc::clone(&watch), Arc::clone(&found));
                    shuttle::thread::spawn(move || {
                        for _ in 0..EACH {
                            let before = watch.decisions.load(SeqCst);
                            match catch_unwind(AssertUnwindSafe(|| increment(thread))) {
                                Ok(seen) => lock(&events).push(Event { thread, seen }),
                                Err(payload) => return panicked(&found, &watch, panic_message(&*payload)),
                            }
                            if watch.decisions.load(SeqCst) != before {
                                watch.switched_inside.store(true, SeqCst);
                            }
                        }
                    })
                })
                .collect();
            for handle in handles {
                let _ = handle.join();
            }
            if watch.stop.load(SeqCst) {
                return;
            }
            // One more increment from here, then the value must be exactly one more.
            let counted = match catch_unwind(AssertUnwindSafe(|| increment(usize::MAX))) {
                Ok(last) => last.wrapping_sub(1),
                Err(payload) => return panicked(&found, &watch, panic_message(&*payload)),
            };
            if counted != WANT {
                let events = std::mem::take(&mut *lock(&events));
                lock(&found).get_or_insert(Outcome::Miscounted { total: counted, events });
                watch.stop.store(true, SeqCst);
            }
        }
    };
    let scheduler = watching(PctScheduler::new_from_seed(SEED, 3, SCHEDULES), &watch);
    let ran = quietly(move || Runner::new(scheduler, explorer_config()).run(body));
    let outcome = match (ran, lock(&found).take()) {
        (Err(message), _) => Outcome::Panicked(message),
        (Ok(_), Some(Outcome::Panicked(message))) => Outcome::Panicked(with_place(message)),
        (Ok(_), Some(outcome)) => outcome,
        (Ok(_), None) => Outcome::Exact,
    };
    Explored { outcome, switched_inside: watch.switched_inside.load(SeqCst), waited: watch.waited.load(SeqCst) }
}

/// A run's increments as a table: a row per increment, the value the thread
/// saw right after it, and a column per thread.
fn trace_table(events: &[Event]) -> String {
    let mut out = String::from("step  counter");
    for t in 0..THREADS {
        out.push_str(&format!("  thread {t}"));
    }
    for (i, e) in events.iter().enumerate() {
        out.push_str(&format!("\n{:>4}  {:>7}", i + 1, e.seen));
        let mut row = String::new();
        for t in 0..THREADS {
            row.push_str(if t == e.thread { "  +1      " } else { "          " });
        }
        out.push_str(row.trim_end());
    }
    out
}

fn explain_panic(name: &str, message: &str) -> String {
    if message.starts_with("deadlock") {
        format!(
            "{name}: in one interleaving every thread waited for another forever (a deadlock). Does it take a lock \
             it already holds, for example by calling get() while holding the lock in increment?"
        )
    } else if message.starts_with("exceeded") {
        format!(
            "{name}: one interleaving took more than 100000 steps without finishing: a loop that never ends when \
             threads interleave (waiting for a value another thread will never write?)."
        )
    } else {
        format!("{name} panicked while {THREADS} threads incremented it under the schedule explorer: {message}")
    }
}

/// What a counter's test also checks about how it counts.
#[derive(PartialEq)]
enum Waits {
    /// A lock held while counting makes threads wait for each other.
    Required,
    /// One atomic read-modify-write never makes a thread wait.
    Forbidden,
    Either,
}

fn expect_exact(name: &str, read: &str, make: Make, waits: Waits, likely: &str) {
    if let Some(problem) = alone_problem(name, read, make) {
        panic!("{problem}");
    }
    let explored = explore(make);
    match explored.outcome {
        Outcome::Exact => {}
        Outcome::Panicked(message) => panic!("{}", explain_panic(name, &message)),
        Outcome::Miscounted { total, events } if total < WANT => panic!(
            "{name} lost updates: {THREADS} threads x {EACH} increments counted {total}, not {WANT}, in this \
             interleaving. It counts right on a single thread, so increments were lost when threads interleaved. \
             The explorer uses a fixed seed, so `cargo grade 04` replays this interleaving exactly; the counter \
             column is what the thread read right after its increment:\n{}\n{likely}",
            trace_table(&events)
        ),
        Outcome::Miscounted { total, events } => panic!(
            "{name} counted {total} in this interleaving, more than the {WANT} increments made, though it counts \
             right on a single thread: when threads interleave, some increment is counted twice (the counter \
             column is what the thread read right after its increment):\n{}",
            trace_table(&events)
        ),
    }
    // Without a point inside an increment where the explorer could switch threads,
    // it cannot tell a lock from none: `counters_use_only_swappable_sync_types`
    // speaks to that.
    if waits == Waits::Required && explored.switched_inside && !explored.waited {
        panic!(
            "{name} counted right, but in {SCHEDULES} explored schedules no thread ever had to wait for another: \
             it does not hold a lock while it counts. The exercise asks for a `parking_lot::Mutex` held for the \
             whole read, add and write."
        );
    }
    if waits == Waits::Forbidden && explored.waited {
        panic!(
            "{name} counted right, but threads had to wait for each other: it counts under a lock. The exercise \
             asks for one atomic read-modify-write, such as `fetch_add`, which never makes a thread wait."
        );
    }
}

#[test]
fn counters_use_only_swappable_sync_types() {
    let broken = sources::self_check();
    assert!(
        broken.is_empty(),
        "the grader's source reader failed its own check (a bug in the grader, not in your code):\n{}",
        broken.join("\n")
    );
    // What the explorer saw: every increment must give it a point where it could
    // switch threads, which only a sync type it can swap does.
    let counters: [(&str, Make); 4] = [
        ("RacyCounter", counter_of::<RacyCounter>),
        ("AtomicCounter", counter_of::<AtomicCounter>),
        ("MutexCounter", counter_of::<MutexCounter>),
        ("ShardedCounter", sharded),
    ];
    let mut unseen = Vec::new();
    let mut ran = 0;
    for (name, make) in counters {
        // A counter that panics is reported by its own tests.
        if let Ok(alone) = alone(make) {
            ran += 1;
            if alone.unseen > 0 {
                unseen.push(name);
            }
        }
    }
    assert!(ran > 0, "none of the counters runs yet (each panicked when one thread incremented it): write them first");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = sources::unswappable(root, &|path| std::fs::read_to_string(path).ok());
    if found.is_empty() && unseen.is_empty() {
        return;
    }
    let mut message = String::new();
    if !found.is_empty() {
        let mut lines: Vec<String> = found.iter().take(8).map(|f| format!("  {}", f.describe())).collect();
        if found.len() > 8 {
            lines.push(format!("  ... and {} more", found.len() - 8));
        }
        message.push_str(&format!(
            "your library uses sync types the schedule explorer cannot see:\n{}\n",
            lines.join("\n")
        ));
    }
    if !unseen.is_empty() {
        message.push_str(&format!(
            "{} gave the explorer no point to switch threads inside an increment{}.\n",
            unseen.join(", "),
            if found.is_empty() { ": it sees none of the sync types they use" } else { "" }
        ));
    }
    panic!(
        "{message}The grader runs your counters under a schedule explorer by swapping their atomics and locks \
         for model-checked ones. It can swap those from `shuttle_sync::sync` and `parking_lot`, but not std's, \
         core's or crossbeam's: the explorer never switches threads inside those, so the counter tests cannot \
         find a lost update behind them. Import atomics from `shuttle_sync::sync::atomic` and locks from \
         `parking_lot`: in your own builds they are exactly std's atomics and parking_lot's locks. (`Ordering`, \
         `Arc` and everything in `std::cell` are fine.)"
    );
}

#[test]
fn counters_count_one_by_one_on_one_thread() {
    let problems: Vec<String> = [
        alone_problem("RacyCounter", "get()", counter_of::<RacyCounter>),
        alone_problem("AtomicCounter", "get()", counter_of::<AtomicCounter>),
        alone_problem("MutexCounter", "get()", counter_of::<MutexCounter>),
        alone_problem("ShardedCounter", "total()", sharded),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn racy_counter_loses_updates_under_some_schedule() {
    if let Some(problem) = alone_problem("RacyCounter", "get()", counter_of::<RacyCounter>) {
        panic!("{problem}");
    }
    let explored = explore(counter_of::<RacyCounter>);
    match explored.outcome {
        Outcome::Miscounted { total, .. } if total < WANT => {}
        Outcome::Miscounted { total, events } => panic!(
            "RacyCounter counted {total} in this interleaving, more than the {WANT} increments made: a racy \
             counter loses updates, it never invents them (the counter column is what the thread read right \
             after its increment):\n{}",
            trace_table(&events)
        ),
        Outcome::Panicked(message) => panic!("{}", explain_panic("RacyCounter", &message)),
        Outcome::Exact if !explored.switched_inside => panic!(
            "RacyCounter never lost an update in {SCHEDULES} explored schedules, because the explorer never once \
             could switch threads inside its increment: its atomics are not ones the explorer can swap (straight \
             from std? see counters_use_only_swappable_sync_types). Take them from `shuttle_sync::sync::atomic`."
        ),
        Outcome::Exact => panic!(
            "RacyCounter never lost an update in {SCHEDULES} explored schedules: its increment behaves as one \
             indivisible step. Write it as the seed's two separate steps: a load, then a store of the loaded value \
             + 1."
        ),
    }
}

#[test]
fn atomic_counter_is_exact_under_every_explored_schedule() {
    expect_exact(
        "AtomicCounter",
        "get()",
        counter_of::<AtomicCounter>,
        Waits::Forbidden,
        "Likely cause: increment reads and writes in two steps (a load, then a store), and another thread wrote in \
         between. Use one read-modify-write, such as fetch_add.",
    );
}

#[test]
fn mutex_counter_is_exact_under_every_explored_schedule() {
    expect_exact(
        "MutexCounter",
        "get()",
        counter_of::<MutexCounter>,
        Waits::Required,
        "Likely cause: the lock is not held from the read to the write (locked once to read and again to write, \
         or released before the write). Take it once and do the whole read, add and write while holding it.",
    );
}

#[test]
fn sharded_counter_is_exact_under_every_explored_schedule() {
    expect_exact(
        "ShardedCounter",
        "total()",
        sharded,
        Waits::Either,
        "Likely cause: threads share a shard. Each thread must count only in the shard it is given, and total \
         adds up every shard.",
    );
}

// ---------------------------------------------------------------- sources

/// Reads the library as the compiler would find it (`src/lib.rs` and the module
/// files it declares) and finds every path that names a sync type the explorer
/// cannot swap: `use` trees (groups, `as`, `self`, globs), module aliases,
/// `crate::`/`self::`/`super::` paths, leading `::`, `core::` and `alloc::`
/// spellings, and fully qualified paths in code. Comments, strings and items only
/// compiled for tests are skipped.
mod sources {
    use std::path::{Path, PathBuf};

    /// A path in the library that names an unswappable sync type.
    pub struct Finding {
        pub file: String,
        pub line: usize,
        pub written: String,
        pub means: String,
    }

    impl Finding {
        pub fn describe(&self) -> String {
            if self.written == self.means {
                format!("{}:{}: `{}`", self.file, self.line, self.written)
            } else {
                format!("{}:{}: `{}` is {}", self.file, self.line, self.written, self.means)
            }
        }
    }

    /// Whether a path (its crate first) names a sync type the explorer cannot swap.
    fn forbidden(path: &[String]) -> bool {
        let mut p: Vec<&str> = path.iter().map(String::as_str).collect();
        if matches!(p.first(), Some(&"core") | Some(&"alloc")) {
            p[0] = "std";
        }
        match p.as_slice() {
            ["std", "sync", "atomic", item, ..] => item.starts_with("Atomic") || *item == "fence",
            ["std", "sync", item, ..] => matches!(
                *item,
                "Mutex"
                    | "MutexGuard"
                    | "MappedMutexGuard"
                    | "RwLock"
                    | "RwLockReadGuard"
                    | "RwLockWriteGuard"
                    | "MappedRwLockReadGuard"
                    | "MappedRwLockWriteGuard"
                    | "Condvar"
                    | "Barrier"
                    | "Once"
                    | "mpsc"
            ),
            ["crossbeam", module, ..] => {
                matches!(*module, "atomic" | "channel" | "sync" | "queue" | "deque" | "epoch")
            }
            _ => false,
        }
    }

    /// Whether a glob import of a module may bring `path` in: it is forbidden, or
    /// a module on the way to something forbidden.
    fn may_bring(path: &[String]) -> bool {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        forbidden(path)
            || matches!(
                p.as_slice(),
                ["std" | "core" | "alloc"]
                    | ["std" | "core" | "alloc", "sync"]
                    | ["std" | "core", "sync", "atomic"]
                    | ["crossbeam"]
            )
    }

    // ------------------------------------------------------------ tokens

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Kind {
        Ident,
        Punct,
        Literal,
    }

    #[derive(Clone, Debug)]
    struct Tok {
        kind: Kind,
        text: String,
        line: usize,
    }

    /// Identifiers, punctuation (`::` as one) and literals; comments dropped,
    /// string and char literals kept whole, lifetimes as literals.
    fn tokenize(src: &str) -> Vec<Tok> {
        let c: Vec<char> = src.chars().collect();
        let at = |i: usize| c.get(i).copied().unwrap_or('\0');
        let mut toks = Vec::new();
        let (mut i, mut line) = (0, 1);
        let count_lines = |from: usize, to: usize| c[from..to.min(c.len())].iter().filter(|&&ch| ch == '\n').count();
        while i < c.len() {
            let ch = c[i];
            let start = i;
            let start_line = line;
            let mut push = |kind, text: String| toks.push(Tok { kind, text, line: start_line });
            if ch.is_whitespace() {
                i += 1;
            } else if ch == '/' && at(i + 1) == '/' {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            } else if ch == '/' && at(i + 1) == '*' {
                let mut depth = 0;
                while i < c.len() {
                    if c[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if c[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            } else if ch.is_alphabetic() || ch == '_' {
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                let word: String = c[start..i].iter().collect();
                let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
                if word == "r" && at(i) == '#' && (at(i + 1).is_alphabetic() || at(i + 1) == '_') {
                    // A raw identifier: r#name.
                    i += 1;
                    let from = i;
                    while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                        i += 1;
                    }
                    push(Kind::Ident, c[from..i].iter().collect());
                } else if raw_prefix && (at(i) == '"' || at(i) == '#') {
                    let mut hashes = 0;
                    while at(i) == '#' {
                        hashes += 1;
                        i += 1;
                    }
                    i += 1; // the opening quote
                    let from = i;
                    loop {
                        if i >= c.len() {
                            break;
                        }
                        if c[i] == '"' && (0..hashes).all(|k| at(i + 1 + k) == '#') {
                            break;
                        }
                        i += 1;
                    }
                    let text: String = c[from..i.min(c.len())].iter().collect();
                    i += 1 + hashes;
                    push(Kind::Literal, text);
                } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                    i = string_end(&c, i);
                    push(Kind::Literal, c[start..i.min(c.len())].iter().collect());
                } else if word == "b" && at(i) == '\'' {
                    i = char_end(&c, i);
                    push(Kind::Literal, String::new());
                } else {
                    push(Kind::Ident, word);
                }
            } else if ch.is_ascii_digit() {
                while i < c.len()
                    && (c[i].is_alphanumeric() || c[i] == '_' || (c[i] == '.' && at(i + 1).is_ascii_digit()))
                {
                    i += 1;
                }
                push(Kind::Literal, c[start..i].iter().collect());
            } else if ch == '"' {
                i = string_end(&c, i);
                let text: String = c[start + 1..i.saturating_sub(1).max(start + 1)].iter().collect();
                push(Kind::Literal, text);
            } else if ch == '\'' {
                if at(i + 1) == '\\' || at(i + 2) == '\'' {
                    i = char_end(&c, i);
                    push(Kind::Literal, String::new());
                } else {
                    // A lifetime or label.
                    i += 1;
                    while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                        i += 1;
                    }
                    push(Kind::Literal, c[start..i].iter().collect());
                }
            } else if ch == ':' && at(i + 1) == ':' {
                i += 2;
                push(Kind::Punct, "::".into());
            } else {
                i += 1;
                push(Kind::Punct, ch.to_string());
            }
            line += count_lines(start, i);
        }
        toks
    }

    /// The index after a `"..."` string that starts at `i`.
    fn string_end(c: &[char], mut i: usize) -> usize {
        i += 1;
        while i < c.len() {
            match c[i] {
                '\\' => i += 2,
                '"' => return i + 1,
                _ => i += 1,
            }
        }
        i
    }

    /// The index after a `'x'` char literal that starts at `i`.
    fn char_end(c: &[char], mut i: usize) -> usize {
        i += 1;
        while i < c.len() {
            match c[i] {
                '\\' => i += 2,
                '\'' => return i + 1,
                _ => i += 1,
            }
        }
        i
    }

    // ------------------------------------------------------------ scopes

    enum Bind {
        /// A `use` (or `extern crate`): the path as written.
        Use(Vec<String>),
        /// An item defined here (struct, fn, ...): the learner's own.
        Item,
        /// A module defined here: its scope.
        Module(usize),
    }

    struct Scope {
        /// The enclosing scope for blocks; none for modules (they do not see
        /// their parent's names).
        parent: Option<usize>,
        /// The module this scope is in (itself for a module).
        module: usize,
        /// For modules: the parent module.
        up: Option<usize>,
        /// For modules: where its `mod x;` files are.
        dir: PathBuf,
        names: Vec<(String, Bind)>,
        globs: Vec<Vec<String>>,
    }

    /// A path written in code (not in a `use`), where it was written.
    struct Written {
        file: String,
        line: usize,
        path: Vec<String>,
        scope: usize,
    }

    #[derive(Clone, Debug)]
    enum Res {
        External(Vec<String>),
        Module(usize),
        Other,
    }

    struct Crate<'a> {
        load: &'a dyn Fn(&Path) -> Option<String>,
        root: PathBuf,
        scopes: Vec<Scope>,
        written: Vec<Written>,
        files: Vec<PathBuf>,
        /// The crate's `model` module (part A has no threads).
        model: Option<usize>,
    }

    enum UseItem {
        Name(String, Vec<String>),
        Glob(Vec<String>),
    }

    fn is(toks: &[Tok], i: usize, text: &str) -> bool {
        toks.get(i).is_some_and(|t| t.kind != Kind::Literal && t.text == text)
    }

    fn ident(toks: &[Tok], i: usize) -> Option<&str> {
        toks.get(i).filter(|t| t.kind == Kind::Ident).map(|t| t.text.as_str())
    }

    /// Parses one use tree at `i` under `prefix`; returns the index after it.
    fn use_tree(toks: &[Tok], mut i: usize, mut path: Vec<String>, out: &mut Vec<UseItem>) -> usize {
        if is(toks, i, "::") {
            if path.is_empty() {
                path.push("::".into());
            }
            i += 1;
        }
        loop {
            if is(toks, i, "*") {
                out.push(UseItem::Glob(path));
                return i + 1;
            }
            if is(toks, i, "{") {
                i += 1;
                while i < toks.len() && !is(toks, i, "}") {
                    let next = use_tree(toks, i, path.clone(), out);
                    i = if next > i { next } else { i + 1 };
                    if is(toks, i, ",") {
                        i += 1;
                    }
                }
                return i + 1;
            }
            let Some(segment) = ident(toks, i) else {
                return i;
            };
            path.push(segment.to_string());
            i += 1;
            if is(toks, i, "::") {
                i += 1;
                continue;
            }
            if path.last().is_some_and(|s| s == "self") {
                path.pop();
            }
            let mut name = path.last().cloned();
            if is(toks, i, "as") {
                name = ident(toks, i + 1).filter(|n| *n != "_").map(str::to_string);
                i += 2;
            }
            if let Some(name) = name {
                out.push(UseItem::Name(name, path));
            }
            return i;
        }
    }

    /// Skips the item at `i` (after its attributes): up to a `;` or through a
    /// `{ ... }` block at the outer level.
    fn skip_item(toks: &[Tok], mut i: usize) -> usize {
        let mut depth = 0usize;
        while i < toks.len() {
            match toks[i].text.as_str() {
                _ if toks[i].kind == Kind::Literal => {}
                "(" | "[" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                ";" if depth == 0 => return i + 1,
                "{" if depth == 0 => return block_end(toks, i),
                _ => {}
            }
            i += 1;
        }
        i
    }

    /// The index after the `}` that closes the `{` at `i`.
    fn block_end(toks: &[Tok], mut i: usize) -> usize {
        let mut depth = 0usize;
        while i < toks.len() {
            if toks[i].kind == Kind::Punct {
                match toks[i].text.as_str() {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        i
    }

    enum Attr {
        /// `#[cfg(test)]` or `#[test]`: the item is not in the graded build.
        TestOnly,
        /// `#[path = "..."]`.
        Path(String),
        Other,
    }

    /// Reads the attribute at `i` (`#[...]` or `#![...]`); returns it and the index after it.
    fn attribute(toks: &[Tok], i: usize) -> Option<(Attr, usize)> {
        let open = if is(toks, i + 1, "[") {
            i + 1
        } else if is(toks, i + 1, "!") && is(toks, i + 2, "[") {
            i + 2
        } else {
            return None;
        };
        let mut depth = 0usize;
        let mut end = open;
        while end < toks.len() {
            if toks[end].kind == Kind::Punct {
                match toks[end].text.as_str() {
                    "[" => depth += 1,
                    "]" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            end += 1;
        }
        let inner: Vec<&str> = toks[open + 1..end.min(toks.len())].iter().map(|t| t.text.as_str()).collect();
        let inner_attribute = open == i + 2;
        let attr = match inner.as_slice() {
            ["cfg", "(", "test", ")"] | ["test"] if !inner_attribute => Attr::TestOnly,
            ["path", "=", file] => Attr::Path(file.to_string()),
            _ => Attr::Other,
        };
        Some((attr, end + 1))
    }

    impl Crate<'_> {
        fn new_scope(
            &mut self,
            parent: Option<usize>,
            module: Option<usize>,
            up: Option<usize>,
            dir: PathBuf,
        ) -> usize {
            let index = self.scopes.len();
            self.scopes.push(Scope {
                parent,
                module: module.unwrap_or(index),
                up,
                dir,
                names: Vec::new(),
                globs: Vec::new(),
            });
            index
        }

        fn relative(&self, path: &Path) -> String {
            path.strip_prefix(&self.root).unwrap_or(path).to_string_lossy().into_owned()
        }

        /// Reads a module's file into the module scope `module`.
        fn file(&mut self, path: &Path, module: usize) {
            if self.files.iter().any(|f| f == path) {
                return;
            }
            self.files.push(path.to_path_buf());
            let Some(text) = (self.load)(path) else {
                return;
            };
            let toks = tokenize(&text);
            let name = self.relative(path);
            self.walk(&toks, &name, path, module);
        }

        fn walk(&mut self, toks: &[Tok], file: &str, path: &Path, module: usize) {
            let mut stack = vec![module];
            let mut test_only = false;
            let mut path_attr: Option<String> = None;
            let mut i = 0;
            while i < toks.len() {
                let top = *stack.last().expect("the module scope stays");
                let t = &toks[i];
                if t.kind == Kind::Punct
                    && t.text == "#"
                    && let Some((attr, next)) = attribute(toks, i)
                {
                    match attr {
                        Attr::TestOnly => test_only = true,
                        Attr::Path(file) => path_attr = Some(file),
                        Attr::Other => {}
                    }
                    i = next;
                    continue;
                }
                if test_only {
                    test_only = false;
                    path_attr = None;
                    i = skip_item(toks, i);
                    continue;
                }
                let after_dot = i > 0 && is(toks, i - 1, ".");
                let after_colons = i > 0 && is(toks, i - 1, "::");
                if t.kind == Kind::Ident && !after_dot && !after_colons {
                    match t.text.as_str() {
                        "use" => {
                            let mut items = Vec::new();
                            let mut next = use_tree(toks, i + 1, Vec::new(), &mut items);
                            while next < toks.len() && !is(toks, next, ";") {
                                next += 1;
                            }
                            for item in items {
                                match item {
                                    UseItem::Name(name, target) => {
                                        self.scopes[top].names.push((name, Bind::Use(target)))
                                    }
                                    UseItem::Glob(target) => self.scopes[top].globs.push(target),
                                }
                            }
                            i = next + 1;
                            continue;
                        }
                        "extern" if is(toks, i + 1, "crate") => {
                            if let Some(krate) = ident(toks, i + 2) {
                                let name = if is(toks, i + 3, "as") { ident(toks, i + 4) } else { Some(krate) };
                                if let Some(name) = name.filter(|n| *n != "_") {
                                    let bind = Bind::Use(vec!["::".into(), krate.to_string()]);
                                    self.scopes[top].names.push((name.to_string(), bind));
                                }
                            }
                            i = skip_item(toks, i);
                            continue;
                        }
                        "mod" if ident(toks, i + 1).is_some() => {
                            let name = toks[i + 1].text.clone();
                            let here = self.scopes[top].module;
                            let dir = self.scopes[here].dir.join(&name);
                            if is(toks, i + 2, ";") {
                                let candidates = match path_attr.take() {
                                    Some(file) => vec![path.parent().unwrap_or(Path::new("")).join(file)],
                                    None => {
                                        let parent = &self.scopes[here].dir;
                                        vec![parent.join(format!("{name}.rs")), parent.join(&name).join("mod.rs")]
                                    }
                                };
                                let child = self.new_scope(None, None, Some(here), dir);
                                if here == 0 && name == "model" {
                                    self.model = Some(child);
                                }
                                self.scopes[top].names.push((name, Bind::Module(child)));
                                if let Some(found) = candidates.iter().find(|c| (self.load)(c).is_some()) {
                                    self.file(&found.clone(), child);
                                }
                                i += 3;
                                continue;
                            }
                            if is(toks, i + 2, "{") {
                                let child = self.new_scope(None, None, Some(here), dir);
                                if here == 0 && name == "model" {
                                    self.model = Some(child);
                                }
                                self.scopes[top].names.push((name, Bind::Module(child)));
                                stack.push(child);
                                path_attr = None;
                                i += 3;
                                continue;
                            }
                        }
                        "struct" | "enum" | "trait" | "type" | "union" | "fn" | "const" | "static" | "macro_rules" => {
                            let mut n = i + 1;
                            if is(toks, n, "!") || is(toks, n, "mut") {
                                n += 1;
                            }
                            if let Some(name) = ident(toks, n).filter(|n| !matches!(*n, "fn" | "unsafe" | "extern")) {
                                self.scopes[top].names.push((name.to_string(), Bind::Item));
                            }
                        }
                        _ => {}
                    }
                    let mut segments = vec![t.text.clone()];
                    let mut n = i + 1;
                    while is(toks, n, "::") && ident(toks, n + 1).is_some() {
                        segments.push(toks[n + 1].text.clone());
                        n += 2;
                    }
                    self.written.push(Written { file: file.to_string(), line: t.line, path: segments, scope: top });
                } else if t.kind == Kind::Punct && t.text == "::" && ident(toks, i + 1).is_some() {
                    let leading = i == 0 || {
                        let before = &toks[i - 1];
                        let keyword = matches!(
                            before.text.as_str(),
                            "return"
                                | "in"
                                | "mut"
                                | "dyn"
                                | "impl"
                                | "where"
                                | "let"
                                | "else"
                                | "match"
                                | "if"
                                | "while"
                                | "for"
                                | "move"
                                | "ref"
                                | "pub"
                                | "unsafe"
                                | "break"
                        );
                        !(before.kind == Kind::Ident && !keyword || matches!(before.text.as_str(), ">" | ")" | "]"))
                    };
                    if leading {
                        let mut segments = vec!["::".to_string(), toks[i + 1].text.clone()];
                        let mut n = i + 2;
                        while is(toks, n, "::") && ident(toks, n + 1).is_some() {
                            segments.push(toks[n + 1].text.clone());
                            n += 2;
                        }
                        self.written.push(Written { file: file.to_string(), line: t.line, path: segments, scope: top });
                    }
                } else if t.kind == Kind::Punct && t.text == "{" {
                    let module = self.scopes[top].module;
                    let block = self.new_scope(Some(top), Some(module), None, PathBuf::new());
                    stack.push(block);
                } else if t.kind == Kind::Punct && t.text == "}" && stack.len() > 1 {
                    stack.pop();
                }
                i += 1;
            }
        }

        /// What `path`, written in `scope`, names.
        fn resolve(&self, scope: usize, path: &[String], depth: usize) -> Res {
            if depth > 24 || path.is_empty() {
                return Res::Other;
            }
            let module = self.scopes[scope].module;
            let (mut res, rest) = match path[0].as_str() {
                "::" if path.len() > 1 => (Res::External(vec![path[1].clone()]), &path[2..]),
                "crate" | "$crate" => (Res::Module(0), &path[1..]),
                "self" => (Res::Module(module), &path[1..]),
                "super" => (self.scopes[module].up.map_or(Res::Other, Res::Module), &path[1..]),
                "Self" => (Res::Other, &path[1..]),
                name => (self.lookup(scope, name, depth), &path[1..]),
            };
            for segment in rest {
                res = match res {
                    Res::External(mut p) => {
                        p.push(segment.clone());
                        Res::External(p)
                    }
                    Res::Module(m) => match segment.as_str() {
                        "self" => Res::Module(m),
                        "super" => self.scopes[m].up.map_or(Res::Other, Res::Module),
                        name => self.member(m, name, depth + 1).unwrap_or(Res::Other),
                    },
                    Res::Other => return Res::Other,
                };
            }
            res
        }

        /// A name used in `scope`: its blocks outwards to its module, then crates.
        fn lookup(&self, scope: usize, name: &str, depth: usize) -> Res {
            let mut at = Some(scope);
            while let Some(s) = at {
                if let Some(res) = self.member(s, name, depth + 1) {
                    return res;
                }
                at = self.scopes[s].parent;
            }
            // A crate (std, core, crossbeam, ...) or something of the prelude.
            Res::External(vec![name.to_string()])
        }

        /// `name` as defined or imported in scope `s` itself.
        fn member(&self, s: usize, name: &str, depth: usize) -> Option<Res> {
            if depth > 24 {
                return Some(Res::Other);
            }
            let scope = &self.scopes[s];
            if let Some((_, bind)) = scope.names.iter().rev().find(|(n, _)| n == name) {
                return Some(match bind {
                    // `use std;` and friends name the crate itself.
                    Bind::Use(target) if target.len() == 1 && target[0] == name => Res::External(target.clone()),
                    Bind::Use(target) => self.resolve(s, target, depth + 1),
                    Bind::Item => Res::Other,
                    Bind::Module(m) => Res::Module(*m),
                });
            }
            for glob in &scope.globs {
                match self.resolve(s, glob, depth + 1) {
                    Res::External(mut p) => {
                        p.push(name.to_string());
                        if may_bring(&p) {
                            return Some(Res::External(p));
                        }
                    }
                    Res::Module(m) if m != s => {
                        if let Some(res) = self.member(m, name, depth + 1) {
                            return Some(res);
                        }
                    }
                    _ => {}
                }
            }
            None
        }
    }

    /// Every path in the library under `root` (the crate's folder) that names a
    /// sync type the explorer cannot swap, in the order written.
    pub fn unswappable(root: &Path, load: &dyn Fn(&Path) -> Option<String>) -> Vec<Finding> {
        let src = root.join("src");
        let mut krate = Crate {
            load,
            root: root.to_path_buf(),
            scopes: Vec::new(),
            written: Vec::new(),
            files: Vec::new(),
            model: None,
        };
        let top = krate.new_scope(None, None, None, src.clone());
        krate.file(&src.join("lib.rs"), top);
        let mut found: Vec<Finding> = Vec::new();
        for w in &krate.written {
            let mut module = Some(krate.scopes[w.scope].module);
            while let Some(m) = module {
                if Some(m) == krate.model {
                    break;
                }
                module = krate.scopes[m].up;
            }
            if module.is_some() {
                // Inside `model`, which runs no threads.
                continue;
            }
            let Res::External(path) = krate.resolve(w.scope, &w.path, 0) else {
                continue;
            };
            let Some(mut end) = (1..=path.len()).find(|&n| forbidden(&path[..n])) else {
                continue;
            };
            // A forbidden module (`mpsc`): name what in it is used, if anything.
            if end < path.len() && path[end - 1].starts_with(char::is_lowercase) {
                end += 1;
            }
            // The written path as far as it names the type (`AtomicU64`, not `AtomicU64::new`).
            let written =
                w.path[..w.path.len().saturating_sub(path.len() - end).max(1)].join("::").replacen("::::", "::", 1);
            if found.iter().any(|f| f.file == w.file && f.line == w.line && f.written == written) {
                continue;
            }
            let means = path[..end].join("::");
            found.push(Finding { file: w.file.clone(), line: w.line, written, means });
        }
        found
    }

    /// The reader's own checks: library sources and what must be found in them.
    pub fn self_check() -> Vec<String> {
        let cases: &[(&str, &[&str])] = &[
            (
                "use std::sync::atomic::{AtomicU64, Ordering};\nstruct C(AtomicU64);\nfn f(c: &C) { c.0.load(Ordering::SeqCst); }",
                &["AtomicU64"],
            ),
            (
                "use std::sync::atomic::Ordering;\nuse std::cell::Cell;\nfn f(o: Ordering, c: Cell<u8>) -> std::cell::RefCell<u8> { todo!() }",
                &[],
            ),
            ("use std::{sync::Mutex as StdMutex};\nstruct C { m: StdMutex<u64> }", &["StdMutex"]),
            ("use std::sync;\nstruct C(sync::Mutex<u64>, sync::Arc<u8>);", &["sync::Mutex"]),
            (
                "use core::sync::atomic as a;\nstatic X: a::AtomicU64 = a::AtomicU64::new(0);\nfn f() { a::fence(a::Ordering::SeqCst) }",
                &["a::AtomicU64", "a::fence"],
            ),
            ("struct C(::core::sync::atomic::AtomicBool);", &["::core::sync::atomic::AtomicBool"]),
            (
                "use std::sync::atomic::*;\nfn f() { let x = AtomicUsize::new(1); x.load(Ordering::Relaxed); }",
                &["AtomicUsize"],
            ),
            (
                "use std::sync::*;\nfn f() -> (Arc<u8>, atomic::AtomicU8, Condvar) { todo!() }",
                &["atomic::AtomicU8", "Condvar"],
            ),
            (
                "use parking_lot::Mutex;\nuse shuttle_sync::sync::atomic::{AtomicU64, Ordering};\nuse std::sync::Arc;\n\
                 struct C(Mutex<u64>, AtomicU64, Arc<u8>);",
                &[],
            ),
            (
                "mod sync {\n    pub use std::sync::atomic::AtomicU64;\n}\nuse crate::sync::AtomicU64 as A;\nstruct C(A);",
                &["A"],
            ),
            (
                "mod inner {\n    use super::*;\n    fn f() -> Barrier { todo!() }\n}\nuse std::sync::Barrier;",
                &["Barrier"],
            ),
            (
                "mod inner {\n    use parking_lot::Mutex;\n    fn f(_: Mutex<u8>) {}\n}\nuse std::sync::Mutex;\nfn g(_: Mutex<u8>) {}",
                &["Mutex"],
            ),
            (
                "#[cfg(test)]\nmod tests {\n    use std::sync::Mutex;\n    fn f(_: Mutex<u8>) {}\n}\n#[test]\nfn t() { std::sync::Barrier::new(2); }",
                &[],
            ),
            (
                "// std::sync::Mutex\n/* std::sync::Mutex /* nested */ std::sync::Mutex */\nconst S: &str = \"std::sync::Mutex\";\n\
                 const R: &str = r#\"std::sync::Mutex \"quoted\"\"#;\nconst C: char = '\"';\nfn f<'a>(x: &'a str) -> &'a str { x }",
                &[],
            ),
            (
                "use crossbeam::atomic::AtomicCell;\nuse crossbeam::utils::CachePadded;\nstruct C(AtomicCell<u64>, CachePadded<u8>);",
                &["AtomicCell"],
            ),
            (
                "use std::sync::mpsc::{self, channel};\nfn f() { let (a, b) = channel::<u8>(); let _ = mpsc::sync_channel::<u8>(1); }",
                &["channel", "mpsc::sync_channel"],
            ),
            (
                "extern crate core as c;\nstatic X: c::sync::atomic::AtomicI32 = c::sync::atomic::AtomicI32::new(0);",
                &["c::sync::atomic::AtomicI32"],
            ),
            (
                "use std::sync::{self as s, atomic::{self as at}};\nfn f(_: s::RwLock<u8>, _: at::AtomicPtr<u8>) {}",
                &["s::RwLock", "at::AtomicPtr"],
            ),
            (
                "fn f() {\n    use std::sync::Once;\n    static O: Once = Once::new();\n}\nstruct Once;\nfn g(_: Once) {}",
                &["Once"],
            ),
            ("mod counters;\n", &["AtomicU64"]),
            (
                "pub mod model {\n    use std::sync::atomic::{AtomicU64, Ordering};\n    static CALLS: AtomicU64 = AtomicU64::new(0);\n    \
                 mod inner {\n        fn f(_: std::sync::Mutex<u8>) {}\n    }\n}\npub mod counters {\n    \
                 pub struct C(std::sync::atomic::AtomicU8);\n}",
                &["std::sync::atomic::AtomicU8"],
            ),
            (
                "fn f() -> u8 {\n    let m = ::std::sync::Mutex::new(0u8);\n    return ::std::sync::atomic::AtomicU8::new(1).into_inner();\n}",
                &["::std::sync::Mutex", "::std::sync::atomic::AtomicU8"],
            ),
        ];
        let mut problems = Vec::new();
        for (source, want) in cases {
            let load = |path: &Path| -> Option<String> {
                if path.ends_with("src/lib.rs") {
                    Some(source.to_string())
                } else if path.ends_with("src/counters.rs") {
                    Some("use std::sync::atomic::AtomicU64;\npub struct C(AtomicU64);".to_string())
                } else {
                    None
                }
            };
            let got: Vec<String> = unswappable(Path::new("/crate"), &load).into_iter().map(|f| f.written).collect();
            if got != *want {
                problems.push(format!("in\n{source}\nfound {got:?}, expected {want:?}"));
            }
        }
        problems
    }
}

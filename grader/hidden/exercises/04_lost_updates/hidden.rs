//! Hidden tests for exercise 04. Part A: the model gives exact answers. Part B:
//! each counter runs under a schedule explorer (shuttle's PCT scheduler with a
//! fixed seed) that interleaves the threads step by step, so a counter that can
//! lose an update is caught on every run, on any machine, however busy.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, Mutex};

use hidden::shuttle::scheduler::PctScheduler;
use hidden::shuttle::{self, Config, FailurePersistence, MaxSteps, Runner};
use lost_updates::counters::{AtomicCounter, Counter, MutexCounter, RacyCounter, ShardedCounter};
use lost_updates::model::{self, Interleavings, ScheduleError, Step, TraceRow};

// ---------------------------------------------------------------- Part A

#[test]
fn model_runs_named_schedules() {
    let one_after_the_other = [0, 0, 0, 1, 1, 1];
    let alternating = [0, 1, 0, 1, 0, 1];
    // The seed's story: both threads read 50000 before either writes.
    let both_read_first = [0, 1, 0, 0, 1, 1];
    assert_eq!(model::run(0, 2, 1, &one_after_the_other), Ok(2), "one thread after the other loses nothing");
    assert_eq!(model::run(0, 2, 1, &alternating), Ok(1), "alternating READ, READ, ADD, ADD, WRITE, WRITE loses one");
    assert_eq!(
        model::run(50_000, 2, 1, &both_read_first),
        Ok(50_001),
        "both threads read 50000 before either writes, so both write 50001"
    );
    assert_eq!(model::run(7, 3, 2, &[0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1, 2, 2, 2]), Ok(13));
    assert_eq!(
        model::run(0, 2, 2, &[0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]),
        Ok(2),
        "thread 0 reads 0, thread 1 counts to 2, thread 0 writes 1 over it and counts on to 2: four increments, 2"
    );
}

#[test]
fn model_rejects_impossible_schedules() {
    assert_eq!(model::run(0, 2, 1, &[0, 2]), Err(ScheduleError::NoSuchThread { step: 1, thread: 2 }));
    assert_eq!(model::run(0, 2, 1, &[1, 1, 1, 1]), Err(ScheduleError::ThreadFinished { step: 3, thread: 1 }));
    assert_eq!(model::run(0, 2, 1, &[0, 1, 0]), Err(ScheduleError::Unfinished { remaining: 3 }));
    assert_eq!(model::run(5, 0, 3, &[]), Ok(5), "no threads, no steps: the counter keeps its start value");
}

#[test]
fn model_traces_every_step() {
    let row = |thread, step, register, shared| TraceRow { thread, step, register, shared };
    let rows = model::trace(50_000, 2, 1, &[0, 1, 0, 0, 1, 1]).expect("a valid schedule");
    assert_eq!(
        rows,
        [
            row(0, Step::Read, 50_000, 50_000),
            row(1, Step::Read, 50_000, 50_000),
            row(0, Step::Add, 50_001, 50_000),
            row(0, Step::Write, 50_001, 50_001),
            row(1, Step::Add, 50_001, 50_001),
            row(1, Step::Write, 50_001, 50_001),
        ],
        "one row per step: the thread, its step, its register and the shared value after the step"
    );
}

#[test]
fn model_counts_interleavings_exactly() {
    for (threads, increments, total, lost) in [
        (1, 3, 1, 0),
        (2, 1, 20, 18),
        (2, 2, 924, 918),
        (3, 1, 1680, 1674),
        (2, 3, 48_620, 48_600),
        (4, 1, 369_600, 369_576),
    ] {
        assert_eq!(
            model::count_interleavings(threads, increments),
            Interleavings { total, lost_an_update: lost },
            "{threads} threads x {increments} increments: every order of their 3-step increments counts once"
        );
    }
}

#[test]
fn model_finds_every_possible_result() {
    assert_eq!(model::possible_results(2, 1), [1, 2]);
    assert_eq!(model::possible_results(3, 1), [1, 2, 3]);
    assert_eq!(
        model::possible_results(2, 2),
        [2, 3, 4],
        "with two increments each, two threads can end at 2: one reads 0, the other counts to 1, ..."
    );
    assert_eq!(model::possible_results(2, 3), [2, 3, 4, 5, 6]);
}

// ---------------------------------------------------------------- Part B

const SEED: u64 = 0x7468_7265_6164;
const THREADS: usize = 3;
const EACH: usize = 3;
const SCHEDULES: usize = 1000;
/// Marks our own assertion among other panics (such as `todo!()`).
const LOST: &str = "lost-update";

/// One increment as a thread saw it: the counter's value right after it.
struct Event {
    thread: usize,
    seen: u64,
}

enum Explored {
    /// No explored schedule lost an update.
    Exact,
    /// A schedule lost updates: the final value and what each thread saw.
    Lost { total: u64, events: Vec<Event> },
    /// The code under test panicked for another reason.
    Panicked(String),
}

/// Runs `THREADS` threads that each increment `EACH` times under `SCHEDULES`
/// schedules chosen by a seeded PCT scheduler, and checks the total every time.
fn explore(make: impl Fn() -> Box<dyn Fn(usize) -> u64 + Send + Sync> + Send + Sync + 'static) -> Explored {
    uses_only_swappable_types();
    let log: Arc<Mutex<Vec<Event>>> = Arc::default();
    let events = Arc::clone(&log);
    let body = move || {
        events.lock().unwrap().clear();
        // `increment(thread)` adds one and returns the counter's value after it.
        let increment: Arc<dyn Fn(usize) -> u64 + Send + Sync> = Arc::from(make());
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (increment, events) = (Arc::clone(&increment), Arc::clone(&events));
                shuttle::thread::spawn(move || {
                    for _ in 0..EACH {
                        let seen = increment(thread);
                        events.lock().unwrap().push(Event { thread, seen });
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a counting thread panicked");
        }
        // One more increment from here, then the value must be exactly one more.
        let counted = increment(usize::MAX) - 1;
        if counted != (THREADS * EACH) as u64 {
            panic!("{LOST} {counted}");
        }
    };
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::FailAfter(100_000);
    let runner = Runner::new(PctScheduler::new_from_seed(SEED, 3, SCHEDULES), config);
    let outcome = catch_unwind(AssertUnwindSafe(|| runner.run(body)));
    // The explorer installs a panic hook of its own; put the default one back.
    drop(std::panic::take_hook());
    match outcome {
        Ok(_) => Explored::Exact,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            match message.strip_prefix(LOST) {
                Some(rest) => {
                    let total = rest.trim().parse().unwrap_or(0);
                    let events = std::mem::take(&mut *log.lock().unwrap());
                    Explored::Lost { total, events }
                }
                None => Explored::Panicked(message),
            }
        }
    }
}

/// The last run's increments as a table: a row per increment, the value the
/// thread saw right after it, and a column per thread.
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

fn expect_exact(name: &str, explored: Explored) {
    let want = THREADS * EACH;
    match explored {
        Explored::Exact => {}
        Explored::Lost { total, events } => panic!(
            "{name} lost updates: {THREADS} threads x {EACH} increments counted {total}, not {want}, in this \
             interleaving (the explorer uses a fixed seed, so `cargo grade 04` replays it exactly; the counter \
             column is what the thread read right after its increment):\n{}\n\
             Some read and write of the counter are not one indivisible step.",
            trace_table(&events)
        ),
        Explored::Panicked(message) => panic!("{name} panicked under the schedule explorer: {message}"),
    }
}

fn counter_of<C: Counter + 'static>() -> Box<dyn Fn(usize) -> u64 + Send + Sync> {
    let counter = C::new();
    Box::new(move |_thread| {
        counter.increment();
        counter.get()
    })
}

/// Learner code must use the sync types the explorer can swap: direct std
/// atomics or locks would run unobserved and could hide a race.
fn uses_only_swappable_types() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the exercise sources").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && path.file_name().is_some_and(|n| n != "main.rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for (n, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    if ["std::sync", "core::sync", "std::cell"].iter().any(|p| code.contains(p)) {
                        let file = path.file_name().unwrap().to_string_lossy();
                        found.push(format!("src/{file}:{}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the counters use sync types straight from std:\n{}\nThe grader interleaves threads by swapping your locks \
         and atomics for model-checked ones, which only works for types it can swap: import atomics from \
         `shuttle_sync::sync::atomic` and locks from `parking_lot` (in your own builds they are the usual ones).",
        found.join("\n")
    );
}

#[test]
fn counters_use_only_swappable_sync_types_and_count_on_one_thread() {
    uses_only_swappable_types();
    // A single thread, one schedule: every counter must simply count.
    shuttle::check_random(
        || {
            let counters: [(&str, Box<dyn Fn(usize) -> u64>); 4] = [
                ("RacyCounter", counter_of::<RacyCounter>()),
                ("AtomicCounter", counter_of::<AtomicCounter>()),
                ("MutexCounter", counter_of::<MutexCounter>()),
                ("ShardedCounter", {
                    let c = ShardedCounter::new(1);
                    Box::new(move |_| {
                        c.increment(0);
                        c.total()
                    })
                }),
            ];
            for (name, increment) in counters {
                let seen: Vec<u64> = (0..3).map(|_| increment(0)).collect();
                assert_eq!(seen, [1, 2, 3], "{name} on a single thread: after each increment the value goes up by one");
            }
        },
        1,
    );
    drop(std::panic::take_hook());
}

#[test]
fn racy_counter_loses_updates_under_some_schedule() {
    match explore(counter_of::<RacyCounter>) {
        Explored::Lost { .. } => {}
        Explored::Exact => panic!(
            "RacyCounter never lost an update in {SCHEDULES} explored schedules: write its increment as two \
             separate steps, a load and then a store of the loaded value + 1, like the seed's `counter += 1`"
        ),
        Explored::Panicked(message) => panic!("RacyCounter panicked under the schedule explorer: {message}"),
    }
}

#[test]
fn atomic_counter_is_exact_under_every_explored_schedule() {
    expect_exact("AtomicCounter", explore(counter_of::<AtomicCounter>));
}

#[test]
fn mutex_counter_is_exact_under_every_explored_schedule() {
    expect_exact("MutexCounter", explore(counter_of::<MutexCounter>));
}

#[test]
fn sharded_counter_is_exact_under_every_explored_schedule() {
    expect_exact(
        "ShardedCounter",
        explore(|| {
            // One shard per thread, and one for the final check.
            let counter = ShardedCounter::new(THREADS + 1);
            Box::new(move |thread| {
                counter.increment(thread.min(THREADS));
                counter.total()
            })
        }),
    );
}

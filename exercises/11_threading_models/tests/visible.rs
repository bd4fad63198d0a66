//! First checks for exercise 11. The grader runs stricter hidden tests.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use threading_models::{Step, Task, run_many_to_many, run_many_to_one, run_one_to_one, task};

/// What the tasks write down: (task name, step number, the thread it ran on).
type Log = Arc<Mutex<Vec<(&'static str, usize, ThreadId)>>>;

/// A task that takes `steps` steps, yielding after every one but the last.
fn counted(log: &Log, name: &'static str, steps: usize) -> Task {
    let log = Arc::clone(log);
    let mut taken = 0;
    task(move || {
        taken += 1;
        log.lock().unwrap().push((name, taken, thread::current().id()));
        if taken == steps { Step::Done } else { Step::Yield }
    })
}

fn steps(log: &Log) -> Vec<String> {
    log.lock().unwrap().iter().map(|(name, step, _)| format!("{name}{step}")).collect()
}

fn threads(log: &Log) -> HashSet<ThreadId> {
    log.lock().unwrap().iter().map(|(_, _, id)| *id).collect()
}

#[test]
fn many_to_one_takes_turns_on_the_calling_thread() {
    let _deadline = visible::deadline("11");
    let log = Log::default();
    run_many_to_one(vec![counted(&log, "a", 2), counted(&log, "b", 1), counted(&log, "c", 3)]);
    assert_eq!(steps(&log), ["a1", "b1", "c1", "a2", "c2", "c3"], "round-robin: every task gets a turn in each round");
    assert_eq!(threads(&log), HashSet::from([thread::current().id()]), "many-to-one runs on the calling thread");
}

#[test]
fn one_to_one_runs_every_task_on_a_thread_of_its_own() {
    let _deadline = visible::deadline("11");
    let log = Log::default();
    run_one_to_one(vec![counted(&log, "a", 2), counted(&log, "b", 1), counted(&log, "c", 3)]);
    let mut done = steps(&log);
    done.sort();
    assert_eq!(done, ["a1", "a2", "b1", "c1", "c2", "c3"], "every step of every task runs once");
    let used = threads(&log);
    assert_eq!(used.len(), 3, "three tasks, three threads");
    assert!(!used.contains(&thread::current().id()), "no task runs on the calling thread");
}

#[test]
fn many_to_many_runs_every_task_to_the_end() {
    let _deadline = visible::deadline("11");
    let log = Log::default();
    let tasks = (0..5).map(|_| counted(&log, "t", 3)).collect();
    run_many_to_many(tasks, 2);
    assert_eq!(steps(&log).len(), 15, "five tasks of three steps each");
    assert!(threads(&log).len() <= 2, "two workers, so at most two threads run tasks");
}

//! Right: many-to-one in rounds with `retain_mut`, one-to-one with
//! `thread::spawn` and a Vec of JoinHandles, many-to-many with an `Arc` of the
//! line and `thread::spawn` workers joined at the end.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::thread;

/// What a task answers after it has run one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// "I have more to do, but let someone else run now." Call me again later.
    Yield,
    /// "I am finished." Never call me again.
    Done,
}

/// A task, the course's "user-level thread": each call runs its next step and
/// says whether it wants another turn. A task keeps its own state between calls
/// (in the closure's captured variables), so it can pick up where it left off.
pub type Task = Box<dyn FnMut() -> Step + Send + 'static>;

/// Boxes a closure into a [`Task`].
pub fn task(step: impl FnMut() -> Step + Send + 'static) -> Task {
    Box::new(step)
}

/// Many-to-one: a cooperative scheduler in user space.
///
/// Runs every task on the calling thread: it starts no thread at all. The tasks
/// take turns, round-robin: each round calls every unfinished task once, in the
/// order of `tasks`. A task that says [`Step::Yield`] goes to the back of the
/// line; one that says [`Step::Done`] leaves it. Returns once every task is done.
pub fn run_many_to_one(tasks: Vec<Task>) {
    let mut line = tasks;
    // One round calls every unfinished task once, in order; Done ones leave.
    while !line.is_empty() {
        line.retain_mut(|task| task() == Step::Yield);
    }
    let _ = VecDeque::<Task>::new;
}

/// One-to-one: a kernel thread for every task.
///
/// Starts one thread per task; each thread calls its task again and again until
/// it says [`Step::Done`] (the kernel decides who runs when, so `Yield` needs no
/// scheduler here). Every thread is started before any is waited for, and every
/// thread has finished when this returns.
pub fn run_one_to_one(tasks: Vec<Task>) {
    let handles: Vec<_> =
        tasks.into_iter().map(|mut task| thread::spawn(move || while task() == Step::Yield {})).collect();
    for handle in handles {
        handle.join().expect("a task panicked");
    }
}

/// Many-to-many: M tasks on `workers` kernel threads.
///
/// Starts exactly `workers` threads (at least one) that share one line of
/// tasks. A worker takes a task from the front, runs ONE step, and puts the task
/// back at the end if it yielded, so any free worker can run any waiting task.
/// Returns once every task is done and every worker has finished.
pub fn run_many_to_many(tasks: Vec<Task>, workers: usize) {
    let line = Arc::new(Mutex::new(VecDeque::from(tasks)));
    let mut handles = Vec::new();
    for _ in 0..workers.max(1) {
        let line = Arc::clone(&line);
        handles.push(thread::spawn(move || {
            loop {
                let next = line.lock().unwrap().pop_front();
                let Some(mut task) = next else { return };
                match task() {
                    Step::Yield => line.lock().unwrap().push_back(task),
                    Step::Done => {}
                }
            }
        }));
    }
    for handle in handles {
        handle.join().expect("a worker panicked");
    }
}

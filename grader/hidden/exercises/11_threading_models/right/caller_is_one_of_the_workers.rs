//! Right: many-to-many on a parking_lot lock, with the calling thread as one of
//! the `workers` threads: it starts `workers - 1` more and works beside them.

use parking_lot::Mutex;
use std::collections::VecDeque;
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
    let mut ready: VecDeque<Task> = tasks.into();
    // The scheduler gets the thread back only when a step returns: cooperation.
    while let Some(mut task) = ready.pop_front() {
        if task() == Step::Yield {
            ready.push_back(task);
        }
    }
}

/// One-to-one: a kernel thread for every task.
///
/// Starts one thread per task; each thread calls its task again and again until
/// it says [`Step::Done`] (the kernel decides who runs when, so `Yield` needs no
/// scheduler here). Every thread is started before any is waited for, and every
/// thread has finished when this returns.
pub fn run_one_to_one(tasks: Vec<Task>) {
    thread::scope(|s| {
        for mut task in tasks {
            s.spawn(move || {
                while task() == Step::Yield {
                    // Only a hint: the kernel switches threads whenever it likes.
                    thread::yield_now();
                }
            });
        }
        // The scope joins every thread here, after all of them were started.
    });
}

/// Many-to-many: M tasks on `workers` kernel threads.
///
/// Starts exactly `workers` threads (at least one) that share one line of
/// tasks. A worker takes a task from the front, runs ONE step, and puts the task
/// back at the end if it yielded, so any free worker can run any waiting task.
/// Returns once every task is done and every worker has finished.
pub fn run_many_to_many(tasks: Vec<Task>, workers: usize) {
    assert!(workers > 0, "many-to-many needs at least one worker thread");
    let line: Mutex<VecDeque<Task>> = Mutex::new(tasks.into());
    let work = || {
        loop {
            let next = line.lock().pop_front();
            let Some(mut task) = next else { break };
            if task() == Step::Yield {
                line.lock().push_back(task);
            }
        }
    };
    thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
}

//! Right: many-to-one with an index over `Option<Task>` slots, one-to-one in a
//! crossbeam scope, many-to-many with a crossbeam channel as the shared line.

use crossbeam::channel;

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
    let mut slots: Vec<Option<Task>> = tasks.into_iter().map(Some).collect();
    let mut left = slots.len();
    while left > 0 {
        for slot in slots.iter_mut() {
            if let Some(task) = slot
                && task() == Step::Done
            {
                *slot = None;
                left -= 1;
            }
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
    crossbeam::scope(|s| {
        for mut task in tasks {
            s.spawn(move |_| {
                while let Step::Yield = task() {
                    std::thread::yield_now();
                }
            });
        }
    })
    .expect("a task panicked");
}

/// Many-to-many: M tasks on `workers` kernel threads.
///
/// Starts exactly `workers` threads (at least one) that share one line of
/// tasks. A worker takes a task from the front, runs ONE step, and puts the task
/// back at the end if it yielded, so any free worker can run any waiting task.
/// Returns once every task is done and every worker has finished.
pub fn run_many_to_many(tasks: Vec<Task>, workers: usize) {
    let (line, take) = channel::unbounded::<Task>();
    for task in tasks {
        line.send(task).expect("the line is open");
    }
    crossbeam::scope(|s| {
        for _ in 0..workers {
            let (line, take) = (line.clone(), take.clone());
            s.spawn(move |_| {
                // An empty line means every task is done or in another worker's hands.
                while let Ok(mut task) = take.try_recv() {
                    if task() == Step::Yield {
                        line.send(task).expect("the line is open");
                    }
                }
            });
        }
    })
    .expect("a worker panicked");
}

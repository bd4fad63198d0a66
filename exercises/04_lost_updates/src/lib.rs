//! Exercise 04: lost updates.
//!
//! Read README.md in this folder first. Part A is `model`, part B is `counters`.
//! Replace every `todo!()` so that `cargo test -p lost_updates` passes, then run
//! `cargo grade 04`.

/// Part A: `counter += 1` as the three machine steps it really is, run by
/// several threads under a schedule you choose. No real threads.
pub mod model {
    /// One of the three steps of `counter += 1`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Step {
        /// Copy the shared counter into the thread's own register.
        Read,
        /// Add one to the register.
        Add,
        /// Copy the register back into the shared counter.
        Write,
    }

    /// One row of a trace: which thread took which step, and the state after it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct TraceRow {
        pub thread: usize,
        pub step: Step,
        /// The thread's register after the step.
        pub register: u64,
        /// The shared counter after the step.
        pub shared: u64,
    }

    /// Why a schedule cannot be run.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum ScheduleError {
        /// `schedule[step]` names a thread that does not exist.
        NoSuchThread { step: usize, thread: usize },
        /// `schedule[step]` names a thread that has already taken all its steps.
        ThreadFinished { step: usize, thread: usize },
        /// The schedule ended while threads still had `remaining` steps to take.
        Unfinished { remaining: usize },
    }

    /// Runs `threads` threads that each do `increments` increments of a shared
    /// counter starting at `start`. Every increment is the three steps READ, ADD,
    /// WRITE; `schedule[i]` is the thread that takes the i-th step overall.
    /// Returns every step with the state after it.
    pub fn trace(
        start: u64,
        threads: usize,
        increments: usize,
        schedule: &[usize],
    ) -> Result<Vec<TraceRow>, ScheduleError> {
        todo!("keep a register and a step counter per thread, and one shared value")
    }

    /// The shared counter's final value after running `schedule` (see [`trace`]).
    pub fn run(start: u64, threads: usize, increments: usize, schedule: &[usize]) -> Result<u64, ScheduleError> {
        todo!("the shared value after the last step of the trace")
    }

    /// How many interleavings there are of `threads` threads doing `increments`
    /// increments each, and how many of them end below `threads * increments`
    /// (starting from 0).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Interleavings {
        pub total: u64,
        pub lost_an_update: u64,
    }

    /// Counts every possible interleaving (see [`Interleavings`]).
    pub fn count_interleavings(threads: usize, increments: usize) -> Interleavings {
        todo!("try every thread that still has steps left, recursively")
    }

    /// Every final value some interleaving can produce, ascending, without repeats.
    pub fn possible_results(threads: usize, increments: usize) -> Vec<u64> {
        todo!("the same search, collecting the final values")
    }
}

/// Part B: real counters, shared by real threads.
///
/// Import atomics from `shuttle_sync::sync::atomic` and locks from `parking_lot`:
/// they are the usual ones in a normal build, and the grader swaps in versions
/// its schedule explorer controls.
pub mod counters {
    use parking_lot::Mutex;
    use shuttle_sync::sync::atomic::{AtomicU64, Ordering};

    /// A counter that many threads increment at once.
    pub trait Counter: Send + Sync {
        fn new() -> Self
        where
            Self: Sized;
        fn increment(&self);
        fn get(&self) -> u64;
    }

    /// `counter += 1` done the racy way: read the value, then write value + 1,
    /// as two separate operations. Write it like that on purpose: it is the
    /// seed's bug, and the grader checks that it really loses updates.
    pub struct RacyCounter {
        value: AtomicU64,
    }

    impl Counter for RacyCounter {
        fn new() -> Self {
            RacyCounter { value: AtomicU64::new(0) }
        }
        fn increment(&self) {
            todo!("load, then store the loaded value + 1")
        }
        fn get(&self) -> u64 {
            self.value.load(Ordering::SeqCst)
        }
    }

    /// Fix 1: one indivisible read-modify-write.
    pub struct AtomicCounter {
        value: AtomicU64,
    }

    impl Counter for AtomicCounter {
        fn new() -> Self {
            AtomicCounter { value: AtomicU64::new(0) }
        }
        fn increment(&self) {
            todo!("one atomic operation that adds")
        }
        fn get(&self) -> u64 {
            todo!()
        }
    }

    /// Fix 2: a lock held for the whole read-add-write.
    pub struct MutexCounter {
        value: Mutex<u64>,
    }

    impl Counter for MutexCounter {
        fn new() -> Self {
            MutexCounter { value: Mutex::new(0) }
        }
        fn increment(&self) {
            todo!("lock once, for the whole read-add-write")
        }
        fn get(&self) -> u64 {
            todo!()
        }
    }

    /// Fix 3: no sharing at all. Each thread counts in a shard of its own; the
    /// shards are added up at the end.
    pub struct ShardedCounter {
        shards: Vec<AtomicU64>,
    }

    impl ShardedCounter {
        /// A counter with `shards` shards, one for each thread that will use it.
        pub fn new(shards: usize) -> Self {
            ShardedCounter { shards: (0..shards).map(|_| AtomicU64::new(0)).collect() }
        }

        /// Adds one in `shard`. Only one thread ever uses a given shard.
        pub fn increment(&self, shard: usize) {
            todo!("only one thread writes this shard")
        }

        /// The sum of all shards, once the threads are done.
        pub fn total(&self) -> u64 {
            todo!()
        }
    }
}

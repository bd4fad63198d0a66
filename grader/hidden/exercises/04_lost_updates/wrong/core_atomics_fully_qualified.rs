//! Wrong: ShardedCounter spells core's atomics out in full
//! (`::core::sync::atomic::AtomicU64`), which the explorer cannot see, and counts
//! every thread in shard 0 with a load and a store: the race is there, and
//! invisible.
//! Must fail: counters_use_only_swappable_sync_types

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
        let steps_each = 3 * increments;
        let mut done = vec![0usize; threads];
        let mut register = vec![0u64; threads];
        let mut shared = start;
        let mut rows = Vec::with_capacity(schedule.len());
        for (i, &t) in schedule.iter().enumerate() {
            if t >= threads {
                return Err(ScheduleError::NoSuchThread { step: i, thread: t });
            }
            if done[t] == steps_each {
                return Err(ScheduleError::ThreadFinished { step: i, thread: t });
            }
            let step = match done[t] % 3 {
                0 => {
                    register[t] = shared;
                    Step::Read
                }
                1 => {
                    register[t] += 1;
                    Step::Add
                }
                _ => {
                    shared = register[t];
                    Step::Write
                }
            };
            done[t] += 1;
            rows.push(TraceRow { thread: t, step, register: register[t], shared });
        }
        let remaining: usize = done.iter().map(|d| steps_each - d).sum();
        if remaining > 0 {
            return Err(ScheduleError::Unfinished { remaining });
        }
        Ok(rows)
    }

    /// The shared counter's final value after running `schedule` (see [`trace`]).
    pub fn run(start: u64, threads: usize, increments: usize, schedule: &[usize]) -> Result<u64, ScheduleError> {
        let rows = trace(start, threads, increments, schedule)?;
        Ok(rows.last().map_or(start, |r| r.shared))
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
        let mut counts = Interleavings { total: 0, lost_an_update: 0 };
        let want = (threads * increments) as u64;
        explore(&mut State::new(threads, increments), &mut |shared| {
            counts.total += 1;
            if shared < want {
                counts.lost_an_update += 1;
            }
        });
        counts
    }

    /// Every final value some interleaving can produce, ascending, without repeats.
    pub fn possible_results(threads: usize, increments: usize) -> Vec<u64> {
        let mut seen = std::collections::BTreeSet::new();
        explore(&mut State::new(threads, increments), &mut |shared| {
            seen.insert(shared);
        });
        seen.into_iter().collect()
    }

    /// The machine between two steps.
    struct State {
        steps_each: usize,
        done: Vec<usize>,
        register: Vec<u64>,
        shared: u64,
    }

    impl State {
        fn new(threads: usize, increments: usize) -> State {
            State { steps_each: 3 * increments, done: vec![0; threads], register: vec![0; threads], shared: 0 }
        }
    }

    /// Calls `finished` with the final value of every interleaving: at each point,
    /// every thread with steps left may go next. Steps are undone on the way back.
    fn explore(s: &mut State, finished: &mut dyn FnMut(u64)) {
        let mut any = false;
        for t in 0..s.done.len() {
            if s.done[t] == s.steps_each {
                continue;
            }
            any = true;
            let (register, shared) = (s.register[t], s.shared);
            match s.done[t] % 3 {
                0 => s.register[t] = s.shared,
                1 => s.register[t] += 1,
                _ => s.shared = s.register[t],
            }
            s.done[t] += 1;
            explore(s, finished);
            s.done[t] -= 1;
            s.register[t] = register;
            s.shared = shared;
        }
        if !any {
            finished(s.shared);
        }
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
            // Another thread may store between this load and the store below.
            let seen = self.value.load(Ordering::SeqCst);
            self.value.store(seen + 1, Ordering::SeqCst);
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
            self.value.fetch_add(1, Ordering::SeqCst);
        }
        fn get(&self) -> u64 {
            self.value.load(Ordering::SeqCst)
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
            *self.value.lock() += 1;
        }
        fn get(&self) -> u64 {
            *self.value.lock()
        }
    }

    /// Fix 3: no sharing at all. Each thread counts in a shard of its own; the
    /// shards are added up at the end.
    pub struct ShardedCounter {
        shards: Vec<::core::sync::atomic::AtomicU64>,
    }

    impl ShardedCounter {
        /// A counter with `shards` shards, one for each thread that will use it.
        pub fn new(shards: usize) -> Self {
            ShardedCounter { shards: (0..shards).map(|_| ::core::sync::atomic::AtomicU64::new(0)).collect() }
        }

        /// Adds one in `shard`. Only one thread ever uses a given shard.
        pub fn increment(&self, shard: usize) {
            // A single writer cannot race with itself, so load + store is enough.
            let _ = shard;
            let shard = &self.shards[0];
            shard.store(shard.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }

        /// The sum of all shards, once the threads are done.
        pub fn total(&self) -> u64 {
            self.shards.iter().map(|s| s.load(Ordering::SeqCst)).sum()
        }
    }
}

//! Right: the model steps through a table of effects instead of a match, checks
//! a schedule's length before its steps, and counts interleavings by generating
//! every schedule and running it, with iterator chains.

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

    /// What each step does to the thread's register and the shared counter, in
    /// the order every increment takes them.
    /// What a step does to the thread's register and the shared counter.
    type Effect = fn(&mut u64, &mut u64);

    const STEPS: [(Step, Effect); 3] = [
        (Step::Read, |register, shared| *register = *shared),
        (Step::Add, |register, _| *register += 1),
        (Step::Write, |register, shared| *shared = *register),
    ];

    /// Runs `schedule` (see the README): every step with the state after it.
    pub fn trace(
        start: u64,
        threads: usize,
        increments: usize,
        schedule: &[usize],
    ) -> Result<Vec<TraceRow>, ScheduleError> {
        let each = STEPS.len() * increments;
        // Too short is plain from the length alone.
        if schedule.len() < threads * each {
            return Err(ScheduleError::Unfinished { remaining: threads * each - schedule.len() });
        }
        let mut taken = vec![0; threads];
        let mut registers = vec![0; threads];
        let mut shared = start;
        schedule
            .iter()
            .enumerate()
            .map(|(step, &thread)| {
                let done = taken.get_mut(thread).ok_or(ScheduleError::NoSuchThread { step, thread })?;
                if *done == each {
                    return Err(ScheduleError::ThreadFinished { step, thread });
                }
                let (kind, effect) = STEPS[*done % STEPS.len()];
                *done += 1;
                effect(&mut registers[thread], &mut shared);
                Ok(TraceRow { thread, step: kind, register: registers[thread], shared })
            })
            .collect()
    }

    /// The shared counter's final value after running `schedule`.
    pub fn run(start: u64, threads: usize, increments: usize, schedule: &[usize]) -> Result<u64, ScheduleError> {
        trace(start, threads, increments, schedule).map(|rows| rows.last().map_or(start, |row| row.shared))
    }

    /// How many interleavings there are of `threads` threads doing `increments`
    /// increments each, and how many of them end below `threads * increments`
    /// (starting from 0).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Interleavings {
        pub total: u64,
        pub lost_an_update: u64,
    }

    /// Calls `each` with every complete schedule: `left[t]` steps of thread `t` remain.
    fn schedules(left: &mut [usize], so_far: &mut Vec<usize>, each: &mut dyn FnMut(&[usize])) {
        if left.iter().all(|&n| n == 0) {
            each(so_far);
            return;
        }
        for thread in 0..left.len() {
            if left[thread] > 0 {
                left[thread] -= 1;
                so_far.push(thread);
                schedules(left, so_far, each);
                so_far.pop();
                left[thread] += 1;
            }
        }
    }

    /// Every final value, one per schedule, found by running every schedule.
    fn final_values(threads: usize, increments: usize) -> Vec<u64> {
        let mut ends = Vec::new();
        schedules(&mut vec![STEPS.len() * increments; threads], &mut Vec::new(), &mut |schedule| {
            ends.push(run(0, threads, increments, schedule).expect("a complete schedule runs"));
        });
        ends
    }

    /// Counts every possible interleaving by running each one.
    pub fn count_interleavings(threads: usize, increments: usize) -> Interleavings {
        let want = (threads * increments) as u64;
        let ends = final_values(threads, increments);
        Interleavings {
            total: ends.len() as u64,
            lost_an_update: ends.iter().filter(|&&end| end < want).count() as u64,
        }
    }

    /// Every final value some interleaving can produce, ascending, without repeats.
    pub fn possible_results(threads: usize, increments: usize) -> Vec<u64> {
        let mut ends = final_values(threads, increments);
        ends.sort_unstable();
        ends.dedup();
        ends
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
        shards: Vec<AtomicU64>,
    }

    impl ShardedCounter {
        /// A counter with `shards` shards, one for each thread that will use it.
        pub fn new(shards: usize) -> Self {
            ShardedCounter { shards: (0..shards).map(|_| AtomicU64::new(0)).collect() }
        }

        /// Adds one in `shard`. Only one thread ever uses a given shard.
        pub fn increment(&self, shard: usize) {
            // A single writer cannot race with itself, so load + store is enough.
            let shard = &self.shards[shard];
            shard.store(shard.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }

        /// The sum of all shards, once the threads are done.
        pub fn total(&self) -> u64 {
            self.shards.iter().map(|s| s.load(Ordering::SeqCst)).sum()
        }
    }
}

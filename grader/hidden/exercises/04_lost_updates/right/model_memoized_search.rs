//! Right: counts interleavings and collects results with a memoized search over
//! machine states (a HashMap of states already explored), with if/else steps,
//! and counts the states it explores in a std atomic.

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
        let want = (threads * increments) as u64;
        let mut memo = HashMap::new();
        let (total, lost) = count(&Machine::new(threads, increments), want, &mut memo);
        Interleavings { total, lost_an_update: lost }
    }

    /// Every final value some interleaving can produce, ascending, without repeats.
    pub fn possible_results(threads: usize, increments: usize) -> Vec<u64> {
        let mut memo = HashMap::new();
        ends(&Machine::new(threads, increments), &mut memo).into_iter().collect()
    }

    use std::collections::{BTreeSet, HashMap};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Machine states the searches have explored, for the curious: a std atomic
    /// is fine here, since the model runs no threads.
    pub static EXPLORED: AtomicU64 = AtomicU64::new(0);

    /// The machine between two steps; equal machines have equal futures.
    #[derive(Clone, PartialEq, Eq, Hash)]
    struct Machine {
        each: usize,
        taken: Vec<usize>,
        registers: Vec<u64>,
        shared: u64,
    }

    impl Machine {
        fn new(threads: usize, increments: usize) -> Machine {
            Machine { each: 3 * increments, taken: vec![0; threads], registers: vec![0; threads], shared: 0 }
        }

        /// The machines one step of some thread leads to.
        fn next(&self) -> Vec<Machine> {
            let mut next = Vec::new();
            for t in 0..self.taken.len() {
                if self.taken[t] < self.each {
                    let mut m = self.clone();
                    if m.taken[t].is_multiple_of(3) {
                        m.registers[t] = m.shared;
                    } else if m.taken[t] % 3 == 1 {
                        m.registers[t] += 1;
                    } else {
                        m.shared = m.registers[t];
                    }
                    m.taken[t] += 1;
                    next.push(m);
                }
            }
            next
        }
    }

    /// (interleavings, interleavings that end below `want`) from `m` on.
    fn count(m: &Machine, want: u64, memo: &mut HashMap<Machine, (u64, u64)>) -> (u64, u64) {
        if let Some(&known) = memo.get(m) {
            return known;
        }
        EXPLORED.fetch_add(1, Ordering::Relaxed);
        let next = m.next();
        let result = if next.is_empty() {
            (1, u64::from(m.shared < want))
        } else {
            let mut sum = (0, 0);
            for n in &next {
                let (total, lost) = count(n, want, memo);
                sum = (sum.0 + total, sum.1 + lost);
            }
            sum
        };
        memo.insert(m.clone(), result);
        result
    }

    /// The final values reachable from `m`.
    fn ends(m: &Machine, memo: &mut HashMap<Machine, BTreeSet<u64>>) -> BTreeSet<u64> {
        if let Some(known) = memo.get(m) {
            return known.clone();
        }
        let next = m.next();
        let result = if next.is_empty() {
            BTreeSet::from([m.shared])
        } else {
            next.iter().flat_map(|n| ends(n, memo)).collect()
        };
        memo.insert(m.clone(), result.clone());
        result
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

//! Hidden tests for exercise 11: the three threading models told apart by what
//! the kernel sees. Every task writes down the kernel thread (tid) each of its
//! steps ran on; a rendezvous proves which steps overlapped; a gate the test
//! holds closed is the blocking call; a `thread_local!` shows which tasks shared
//! a kernel thread. Under many-to-one the order of the steps is fully
//! deterministic, so its trace is a snapshot.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use hidden::{PATIENCE, Rendezvous};
use threading_models::{Step, Task, run_many_to_many, run_many_to_one, run_one_to_one};

type Tid = libc::pid_t;

/// The kernel's id of the calling thread: what the kernel schedules.
fn tid() -> Tid {
    unsafe { libc::gettid() }
}

/// One call of a task: its step number and answer, or `None` for a call made
/// after the task had already said `Done`.
#[derive(Clone, Debug)]
struct Entry {
    task: &'static str,
    step: usize,
    answer: Option<Step>,
    tid: Tid,
}

/// Everything the tasks of one run write down, in the order it happened.
#[derive(Default)]
struct Board {
    entries: Mutex<Vec<Entry>>,
}

impl Board {
    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn len(&self) -> usize {
        self.lock().len()
    }

    fn steps_of(&self, name: &str) -> usize {
        self.lock().iter().filter(|e| e.task == name && e.answer.is_some()).count()
    }

    fn finished(&self, name: &str) -> bool {
        self.lock().iter().any(|e| e.task == name && e.answer == Some(Step::Done))
    }

    fn tids(&self) -> BTreeSet<Tid> {
        self.lock().iter().map(|e| e.tid).collect()
    }

    fn tids_of(&self, names: &[&str]) -> BTreeSet<Tid> {
        self.lock().iter().filter(|e| names.contains(&e.task)).map(|e| e.tid).collect()
    }

    fn started(&self) -> BTreeSet<&'static str> {
        self.lock().iter().map(|e| e.task).collect()
    }

    /// Every named task said `Done` and was never called again afterwards.
    fn assert_all_done(&self, names: &[&str]) {
        for name in names {
            assert!(
                self.finished(name),
                "task {name} never said Done ({} steps taken) but the runner returned: run every task until it \
                 answers Step::Done",
                self.steps_of(name)
            );
        }
        let late: Vec<&str> = self.lock().iter().filter(|e| e.answer.is_none()).map(|e| e.task).collect();
        assert!(
            late.is_empty(),
            "tasks {late:?} were called again after they had said Done: a task that answers Step::Done leaves the \
             line for good"
        );
    }

    /// The steps as text, one line per call.
    fn trace(&self) -> String {
        let mut out = String::new();
        for e in self.lock().iter() {
            let line = match e.answer {
                Some(Step::Yield) => format!("{} step {}: yield\n", e.task, e.step),
                Some(Step::Done) => format!("{} step {}: done\n", e.task, e.step),
                None => format!("{} called again after it said Done\n", e.task),
            };
            out.push_str(&line);
        }
        out
    }
}

/// A task named `name`: `body(n)` runs its n-th step (from 1) and answers. Every
/// call is written on the board with the kernel thread it ran on.
fn watched(board: &Arc<Board>, name: &'static str, mut body: impl FnMut(usize) -> Step + Send + 'static) -> Task {
    let board = Arc::clone(board);
    let (mut taken, mut finished) = (0, false);
    Box::new(move || {
        if finished {
            board.lock().push(Entry { task: name, step: taken, answer: None, tid: tid() });
            return Step::Done;
        }
        taken += 1;
        let answer = body(taken);
        board.lock().push(Entry { task: name, step: taken, answer: Some(answer), tid: tid() });
        finished = answer == Step::Done;
        answer
    })
}

/// A task of exactly `steps` steps: it yields after each one but the last.
fn counted(board: &Arc<Board>, name: &'static str, steps: usize) -> Task {
    watched(board, name, move |n| if n >= steps { Step::Done } else { Step::Yield })
}

/// Called by a task that is still waiting at its `n`-th step. Correct runners
/// never get near the limit; a wrong one that spins a task for seconds would
/// fill the board, so from then on each such step also sleeps a little.
fn pace(n: usize) {
    if n > 1_000 {
        thread::sleep(Duration::from_millis(1));
    }
}

/// Polls until `ready` holds or the patience runs out; says whether it held.
fn wait_until(mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if ready() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// One task waiting in the gate.
#[derive(Clone, Copy, Debug)]
struct Waiter {
    tid: Tid,
    /// How many calls were on the board when it came in.
    board_len: usize,
}

#[derive(Default)]
struct GateState {
    open: bool,
    arrived: Vec<Waiter>,
}

/// The blocking call the test controls: a task that passes it blocks its kernel
/// thread until the test opens the gate.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pass(&self, board: &Board) {
        let board_len = board.len();
        let mut s = self.lock();
        s.arrived.push(Waiter { tid: tid(), board_len });
        self.changed.notify_all();
        // Bounded too, should the test be gone; the test itself always opens it.
        let deadline = Instant::now() + 3 * PATIENCE;
        while !s.open && Instant::now() < deadline {
            s = self.changed.wait_timeout(s, Duration::from_millis(50)).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    fn is_open(&self) -> bool {
        self.lock().open
    }

    fn open(&self) {
        self.lock().open = true;
        self.changed.notify_all();
    }

    /// The first `n` tasks to block in the gate, or fewer once the patience ran
    /// out. A runner that ends first cannot bring any more: its panic, or its
    /// early return, ends the test at once.
    fn wait_for(&self, n: usize, runner: &mut Option<JoinHandle<()>>, what: &str) -> Vec<Waiter> {
        let done = |r: &Option<JoinHandle<()>>| r.as_ref().is_some_and(|r| r.is_finished());
        wait_until(|| self.lock().arrived.len() >= n || done(runner));
        let arrived = self.lock().arrived.clone();
        if arrived.len() < n && done(runner) {
            self.open();
            if let Err(panic) = runner.take().expect("the runner").join() {
                std::panic::resume_unwind(panic);
            }
            panic!("{what} returned before a task had taken its blocking step: run every task until it says Done");
        }
        arrived
    }
}

/// Opens the gate when dropped, so a failing assertion leaves nothing stuck.
struct Opener(Arc<Gate>);

impl Drop for Opener {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// Runs a runner on a thread of the test's own, so the test stays free to watch
/// the tasks and to hold the gate.
fn in_background(run: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    thread::Builder::new().name("runner".into()).spawn(run).expect("start the runner's thread")
}

/// Waits (bounded) for a background runner to return.
fn finish(runner: Option<JoinHandle<()>>, what: &str) {
    let runner = runner.expect("the runner");
    assert!(
        wait_until(|| runner.is_finished()),
        "{what} had not returned {PATIENCE:?} after the gate opened: does it wait for something that never comes?"
    );
    if let Err(panic) = runner.join() {
        std::panic::resume_unwind(panic);
    }
}

thread_local! {
    /// Ticked by every step: whoever shares a kernel thread shares this counter.
    static TICKS: Cell<usize> = const { Cell::new(0) };
}

/// Reads the calling thread's counter and ticks it.
fn tick() -> usize {
    TICKS.with(|t| {
        let seen = t.get();
        t.set(seen + 1);
        seen
    })
}

// ---------------------------------------------------------------- many-to-one

#[test]
fn many_to_one_runs_every_task_on_the_calling_thread() {
    let board = Arc::new(Board::default());
    run_many_to_one(vec![counted(&board, "A", 3), counted(&board, "B", 2), counted(&board, "C", 4)]);
    let caller = tid();
    let used = board.tids();
    assert_eq!(
        used,
        BTreeSet::from([caller]),
        "the tasks ran on {} kernel thread(s) {used:?}, but only the calling thread ({caller}) should run them: \
         under many-to-one the kernel sees ONE thread. run_many_to_one starts no thread; it is a loop that calls \
         one task after another",
        used.len()
    );
    board.assert_all_done(&["A", "B", "C"]);
}

#[test]
fn many_to_one_round_robin_trace_matches_its_snapshot() {
    let board = Arc::new(Board::default());
    run_many_to_one(vec![
        counted(&board, "A", 3),
        counted(&board, "B", 1),
        counted(&board, "C", 2),
        counted(&board, "D", 4),
        counted(&board, "E", 2),
    ]);
    let mut settings = hidden::snapshot_settings();
    // Every step number here is the test's own and the same on every run.
    settings.clear_filters();
    settings.bind(|| hidden::insta::assert_snapshot!("round_robin_trace", board.trace()));
}

#[test]
fn many_to_one_tasks_share_one_thread_local() {
    let board = Arc::new(Board::default());
    let seen: Arc<Mutex<Vec<(&str, usize)>>> = Arc::default();
    let ticking = |name: &'static str, steps: usize| {
        let seen = Arc::clone(&seen);
        watched(&board, name, move |n| {
            seen.lock().unwrap().push((name, tick()));
            if n >= steps { Step::Done } else { Step::Yield }
        })
    };
    run_many_to_one(vec![ticking("A", 3), ticking("B", 2), ticking("C", 4)]);
    let seen = seen.lock().unwrap().clone();
    for (before, (name, found)) in seen.iter().enumerate() {
        assert_eq!(
            *found, before,
            "a step of task {name} found the thread-local counter at {found}, although {before} step(s) had \
             ticked it before: the tasks did not share one kernel thread's thread-locals. Under many-to-one all \
             tasks run on the one kernel thread, so a thread_local! is shared by every task"
        );
    }
    let caller_ticks = TICKS.with(Cell::get);
    assert_eq!(
        caller_ticks,
        seen.len(),
        "the calling thread's thread-local counter shows {caller_ticks} ticks, the tasks took {} steps: they \
         should all run on the calling thread",
        seen.len()
    );
    board.assert_all_done(&["A", "B", "C"]);
}

/// What the task that never yields saw while it kept the thread.
#[derive(Clone, Copy, Debug)]
struct Hogged {
    a_before: usize,
    c_before: usize,
    a_done_before: bool,
    c_done_before: bool,
    steps_meanwhile: usize,
}

/// Rounds of the long step; each offers the CPU to the kernel (`yield_now`).
const HOG_ROUNDS: usize = 100;

#[test]
fn many_to_one_a_task_that_never_yields_starves_the_others() {
    let board = Arc::new(Board::default());
    let report: Arc<Mutex<Option<Hogged>>> = Arc::default();
    let hog = {
        let (b, report) = (Arc::clone(&board), Arc::clone(&report));
        watched(&board, "H", move |n| {
            if n == 1 {
                return Step::Yield;
            }
            // A long step that never returns to the scheduler: only the kernel
            // is offered the CPU, and the kernel sees one thread, busy with H.
            let (a_before, c_before) = (b.steps_of("A"), b.steps_of("C"));
            let (a_done_before, c_done_before) = (b.finished("A"), b.finished("C"));
            let mut steps_meanwhile = 0;
            for _ in 0..HOG_ROUNDS {
                thread::yield_now();
                steps_meanwhile = (b.steps_of("A") + b.steps_of("C")) - (a_before + c_before);
            }
            *report.lock().unwrap() =
                Some(Hogged { a_before, c_before, a_done_before, c_done_before, steps_meanwhile });
            Step::Done
        })
    };
    run_many_to_one(vec![counted(&board, "A", 3), hog, counted(&board, "C", 3)]);
    let report = report.lock().unwrap().expect("H ran its long second step");
    let under_way = report.a_before >= 1 && report.c_before >= 1 && !report.a_done_before && !report.c_done_before;
    assert!(
        under_way,
        "when H began its long step, A had taken {} step(s){} and C {}{}: with round-robin, A and C should both \
         have had a turn and still have work left. Does the scheduler switch to the next task on every Yield?",
        report.a_before,
        if report.a_done_before { " (finished)" } else { "" },
        report.c_before,
        if report.c_done_before { " (finished)" } else { "" },
    );
    assert_eq!(
        report.steps_meanwhile, 0,
        "while H ran {HOG_ROUNDS} rounds without returning, A and C took {} step(s): under many-to-one nothing \
         else can run until a task returns from its step, since all tasks share one kernel thread. Do the tasks \
         run on threads of their own?",
        report.steps_meanwhile
    );
    board.assert_all_done(&["A", "H", "C"]);
}

#[test]
fn many_to_one_one_blocking_call_stops_every_task() {
    let board = Arc::new(Board::default());
    let gate = Arc::new(Gate::default());
    let deadline = Instant::now() + PATIENCE;
    // A and C have work until the gate opens, so they can only stop if made to.
    let spinner = |name| {
        let gate = Arc::clone(&gate);
        watched(&board, name, move |n| {
            if gate.is_open() || Instant::now() >= deadline {
                return Step::Done;
            }
            pace(n);
            Step::Yield
        })
    };
    // B blocks once A and C are both under way.
    let blocker = {
        let (gate, b) = (Arc::clone(&gate), Arc::clone(&board));
        watched(&board, "B", move |n| {
            let under_way = b.steps_of("A") >= 1 && b.steps_of("C") >= 1;
            if !under_way && Instant::now() < deadline {
                pace(n);
                return Step::Yield;
            }
            gate.pass(&b);
            Step::Done
        })
    };
    let tasks = vec![spinner("A"), blocker, spinner("C")];
    let _opener = Opener(Arc::clone(&gate));
    let mut runner = Some(in_background(move || run_many_to_one(tasks)));

    let Some(&b) = gate.wait_for(1, &mut runner, "run_many_to_one").first() else {
        panic!(
            "task B never got to its blocking call within {PATIENCE:?}: round-robin gives every task a turn after \
             each Yield. Does one task run to its end before the next may start?"
        )
    };
    let others = board.tids_of(&["A", "C"]);
    let elsewhere: BTreeSet<Tid> = others.iter().copied().filter(|t| *t != b.tid).collect();
    if !elsewhere.is_empty() {
        // A and C live on kernel threads of their own: watch them go on.
        let now = board.len();
        wait_until(|| board.len() > now);
        let meanwhile = board.len() - b.board_len;
        gate.open();
        panic!(
            "while B was blocked in its call (on kernel thread {}), A and C took {meanwhile} step(s) on other kernel \
             threads {elsewhere:?}: under many-to-one every task shares one kernel thread, so one blocking call \
             stops them all. Does run_many_to_one start threads?",
            b.tid
        );
    }
    assert!(
        board.steps_of("A") >= 1 && board.steps_of("C") >= 1,
        "B blocked before A and C had both had a turn (A: {} step(s), C: {}), although B yields until they have: \
         give every task a turn, round-robin",
        board.steps_of("A"),
        board.steps_of("C")
    );
    // Every task so far ran on the kernel thread now asleep in the gate: none can
    // take a step until it wakes.
    let meanwhile = board.len() - b.board_len;
    gate.open();
    finish(runner, "run_many_to_one");
    assert_eq!(meanwhile, 0, "{meanwhile} step(s) of other tasks ran while B was blocked");
    let used = board.tids();
    assert_eq!(
        used,
        BTreeSet::from([b.tid]),
        "the tasks ran on kernel threads {used:?}: under many-to-one they share the one thread that blocked"
    );
    board.assert_all_done(&["A", "B", "C"]);
}

// ----------------------------------------------------------------- one-to-one

const TASKS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

#[test]
fn one_to_one_gives_every_task_a_kernel_thread_of_its_own() {
    let board = Arc::new(Board::default());
    let rv = Arc::new(Rendezvous::new(TASKS.len()));
    let tasks = TASKS
        .iter()
        .map(|&name| {
            let rv = Arc::clone(&rv);
            watched(&board, name, move |n| {
                if n == 1 {
                    drop(rv.arrive());
                }
                if n >= 2 { Step::Done } else { Step::Yield }
            })
        })
        .collect();
    run_one_to_one(tasks);
    assert!(
        rv.all_met(),
        "only {} of {} tasks were ever running at once: under one-to-one every task has a kernel thread of its \
         own, and they all run together. Start every thread before you wait for any, and do not share a few \
         threads among the tasks",
        rv.peak(),
        TASKS.len()
    );
    let used = board.tids();
    assert_eq!(
        used.len(),
        TASKS.len(),
        "{} tasks ran on {} kernel threads: one thread per task",
        TASKS.len(),
        used.len()
    );
    assert!(!used.contains(&tid()), "a task ran on the calling thread: every task needs a thread of its own");
    for name in TASKS {
        let own = board.tids_of(&[name]);
        assert_eq!(own.len(), 1, "task {name} ran on kernel threads {own:?}: under one-to-one a task keeps its thread");
    }
    board.assert_all_done(&TASKS);
}

#[test]
fn one_to_one_gives_every_task_a_fresh_thread_local() {
    TICKS.with(|t| t.set(100));
    let board = Arc::new(Board::default());
    let seen: Arc<Mutex<Vec<(&str, usize)>>> = Arc::default();
    let tasks = TASKS
        .iter()
        .map(|&name| {
            let seen = Arc::clone(&seen);
            watched(&board, name, move |n| {
                seen.lock().unwrap().push((name, tick()));
                if n >= 3 { Step::Done } else { Step::Yield }
            })
        })
        .collect();
    run_one_to_one(tasks);
    let seen = seen.lock().unwrap().clone();
    for name in TASKS {
        let found: Vec<usize> = seen.iter().filter(|(task, _)| *task == name).map(|(_, ticks)| *ticks).collect();
        let hint = if found.first() == Some(&100) {
            "100 is the calling thread's value: the task ran on the calling thread"
        } else {
            "Its kernel thread had run another task before (a thread_local! belongs to the kernel thread, not to \
             the task): do you reuse threads from a pool?"
        };
        assert_eq!(
            found,
            [0, 1, 2],
            "task {name}'s steps found the thread-local counter at {found:?}, not [0, 1, 2]: under one-to-one every \
             task starts on a fresh thread. {hint}"
        );
    }
    board.assert_all_done(&TASKS);
}

#[test]
fn one_to_one_a_blocking_call_stops_only_its_own_task() {
    let board = Arc::new(Board::default());
    let gate = Arc::new(Gate::default());
    let blocker = {
        let (gate, b) = (Arc::clone(&gate), Arc::clone(&board));
        watched(&board, "B", move |_| {
            gate.pass(&b);
            Step::Done
        })
    };
    let others = ["O1", "O2", "O3"];
    let mut tasks = vec![blocker];
    tasks.extend(others.iter().map(|&name| counted(&board, name, 3)));
    let _opener = Opener(Arc::clone(&gate));
    let mut runner = Some(in_background(move || run_one_to_one(tasks)));

    let Some(&b) = gate.wait_for(1, &mut runner, "run_one_to_one").first() else {
        panic!("task B never reached its blocking call within {PATIENCE:?}: does run_one_to_one run every task?")
    };
    let all_done = wait_until(|| others.iter().all(|name| board.finished(name)));
    let finished = others.iter().filter(|name| board.finished(name)).count();
    let still_blocked = !gate.is_open();
    gate.open();
    assert!(
        all_done,
        "while B was blocked, only {finished} of the {} other tasks finished within {PATIENCE:?}: under \
         one-to-one each task has its own kernel thread, so a blocking call stops only the task that made it. \
         Do you wait for each thread before starting the next?",
        others.len()
    );
    assert!(still_blocked, "the gate opened before the other tasks were done");
    let theirs = board.tids_of(&others);
    assert!(
        !theirs.contains(&b.tid),
        "another task ran on B's kernel thread {}: every task needs a thread of its own",
        b.tid
    );
    finish(runner, "run_one_to_one");
    board.assert_all_done(&["B", "O1", "O2", "O3"]);
}

// --------------------------------------------------------------- many-to-many

#[test]
fn many_to_many_runs_m_tasks_on_exactly_n_kernel_threads() {
    hidden::watchdog();
    const WORKERS: usize = 3;
    let board = Arc::new(Board::default());
    let rv = Arc::new(Rendezvous::new(WORKERS));
    let tasks = TASKS
        .iter()
        .map(|&name| {
            let rv = Arc::clone(&rv);
            watched(&board, name, move |n| {
                if n == 1 {
                    drop(rv.arrive());
                }
                if n >= 3 { Step::Done } else { Step::Yield }
            })
        })
        .collect();
    run_many_to_many(tasks, WORKERS);
    assert!(
        rv.all_met(),
        "only {} of the {WORKERS} workers ever ran a task at the same moment: run_many_to_many should start \
         `workers` threads that all take tasks from the shared queue",
        rv.peak()
    );
    let used = board.tids();
    assert_eq!(
        used.len(),
        WORKERS,
        "the {} tasks ran on {} kernel threads; with {WORKERS} workers they should share exactly {WORKERS} \
         (a thread per task is one-to-one)",
        TASKS.len(),
        used.len()
    );
    board.assert_all_done(&TASKS);
}

#[test]
fn many_to_many_switches_tasks_on_yield() {
    hidden::watchdog();
    const WORKERS: usize = 2;
    let names = ["A", "B", "C", "D", "E"];
    let board = Arc::new(Board::default());
    let gave_up: Arc<Mutex<Vec<&str>>> = Arc::default();
    let deadline = Instant::now() + PATIENCE;
    // Each task yields until every task has started: that takes switching.
    let tasks = names
        .iter()
        .map(|&name| {
            let (b, gave_up) = (Arc::clone(&board), Arc::clone(&gave_up));
            watched(&board, name, move |n| {
                if n == 1 {
                    Step::Yield
                } else if b.started().len() == names.len() {
                    Step::Done
                } else if Instant::now() >= deadline {
                    gave_up.lock().unwrap().push(name);
                    Step::Done
                } else {
                    pace(n);
                    Step::Yield
                }
            })
        })
        .collect();
    run_many_to_many(tasks, WORKERS);
    let gave_up = gave_up.lock().unwrap().clone();
    assert!(
        gave_up.is_empty(),
        "with {WORKERS} workers, tasks {gave_up:?} waited {PATIENCE:?} for all {} tasks to start, while they kept \
         yielding: a worker puts a task that yields back in the queue and takes the next one. Running each task to \
         the end is a plain thread pool, not many-to-many",
        names.len()
    );
    board.assert_all_done(&names);
}

#[test]
fn many_to_many_free_workers_keep_the_others_going() {
    hidden::watchdog();
    const WORKERS: usize = 3;
    let board = Arc::new(Board::default());
    let gate = Arc::new(Gate::default());
    let blocker = |name| {
        let (gate, b) = (Arc::clone(&gate), Arc::clone(&board));
        watched(&board, name, move |_| {
            gate.pass(&b);
            Step::Done
        })
    };
    let others = ["O1", "O2", "O3", "O4"];
    let mut tasks = vec![blocker("B1"), blocker("B2")];
    tasks.extend(others.iter().map(|&name| counted(&board, name, 3)));
    let _opener = Opener(Arc::clone(&gate));
    let mut runner = Some(in_background(move || run_many_to_many(tasks, WORKERS)));

    let blocked = gate.wait_for(2, &mut runner, "run_many_to_many");
    if blocked.len() < 2 {
        gate.open();
        panic!(
            "with {WORKERS} workers and B1 blocked, B2 never reached its blocking call within {PATIENCE:?}, although \
             two workers were free: any free worker should take the next task from the shared queue. One worker \
             only? Or tasks handed to workers up front?"
        );
    }
    let all_done = wait_until(|| others.iter().all(|name| board.finished(name)));
    let finished = others.iter().filter(|name| board.finished(name)).count();
    gate.open();
    assert!(
        all_done,
        "with B1 and B2 blocking 2 of the {WORKERS} workers, only {finished} of the {} other tasks finished \
         within {PATIENCE:?}: the free worker should take them all from the shared queue. Are tasks tied to a \
         worker up front?",
        others.len()
    );
    let blocked_tids: BTreeSet<Tid> = blocked.iter().map(|w| w.tid).collect();
    assert_eq!(blocked_tids.len(), 2, "B1 and B2 blocked the same kernel thread {blocked_tids:?}");
    let theirs = board.tids_of(&others);
    assert!(
        theirs.is_disjoint(&blocked_tids),
        "the other tasks ran on {theirs:?}, which includes a thread blocked in B1 or B2 ({blocked_tids:?})"
    );
    finish(runner, "run_many_to_many");
    let used = board.tids();
    assert!(used.len() <= WORKERS, "{} kernel threads ran tasks with {WORKERS} workers: {used:?}", used.len());
    board.assert_all_done(&["B1", "B2", "O1", "O2", "O3", "O4"]);
}

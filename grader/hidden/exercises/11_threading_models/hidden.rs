//! Hidden tests for exercise 11: the three threading models told apart by what
//! the kernel sees. Every task writes down the kernel thread (tid) each of its
//! steps ran on; a rendezvous proves which steps overlapped; a gate the test
//! holds closed is the blocking call; a `thread_local!` shows which tasks shared
//! a kernel thread. Under many-to-one the order of the steps is fully
//! deterministic, so its trace is a snapshot.
//!
//! The threads a runner starts are counted in /proc/self/task while it runs: a
//! worker that never gets a task is a thread all the same. When a wait gives up,
//! the message says what each thread of the run was doing, as the kernel saw it
//! (in a task, asleep on a futex, running, gone).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use hidden::{PATIENCE, Rendezvous, Tid, gettid, kernel, wait_until};
use threading_models::{Step, Task, run_many_to_many, run_many_to_one, run_one_to_one};

// ------------------------------------------------------- what the kernel sees

/// The tids of this process's threads right now.
fn threads_now() -> BTreeSet<Tid> {
    kernel::tasks()
}

/// A thread's state letter and wait channel (the kernel function it sleeps in),
/// or `None` once the thread is gone.
fn kernel_state(tid: Tid) -> Option<(char, String)> {
    Some((kernel::state(tid)?, kernel::wchan(tid)))
}

/// Asleep in the kernel: waiting for a lock, a condvar, a channel or a join.
fn asleep(tid: Tid) -> bool {
    matches!(kernel_state(tid), Some(('S', _)))
}

/// What the kernel says a thread is doing, in words.
fn in_words(tid: Tid) -> String {
    match kernel_state(tid) {
        None => "gone".into(),
        Some(('S', wchan)) if wchan.is_empty() || wchan == "0" => "asleep".into(),
        Some(('S', wchan)) => format!("asleep in the kernel ({wchan})"),
        Some(('R', _)) => "running".into(),
        Some((letter, wchan)) => format!("in kernel state {letter} ({wchan})"),
    }
}

/// The threads a run started, seen in /proc/self/task: every thread that was
/// not there before the run, but for the runner's own (the thread that called
/// the runner).
struct Census {
    before: BTreeSet<Tid>,
    runner: OnceLock<Tid>,
    seen: Mutex<BTreeSet<Tid>>,
}

impl Census {
    /// Call it before the run starts: every thread alive now is no part of it.
    fn new() -> Arc<Census> {
        Arc::new(Census { before: threads_now(), runner: OnceLock::new(), seen: Mutex::default() })
    }

    fn runner(&self) -> Option<Tid> {
        self.runner.get().copied()
    }

    /// The run's threads alive right now.
    fn now(&self) -> BTreeSet<Tid> {
        threads_now().difference(&self.before).copied().filter(|t| Some(*t) != self.runner()).collect()
    }

    /// Writes down every thread of the run alive right now.
    fn look(&self) {
        let now = self.now();
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).extend(now);
    }

    fn seen(&self) -> BTreeSet<Tid> {
        let runner = self.runner();
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().filter(|t| Some(*t) != runner).collect()
    }
}

/// What the threads of a run were doing at one moment: `busy` ones were in a
/// task's step (at the test's meeting point or in its blocking call).
#[derive(Clone, Debug, Default)]
struct Scene {
    text: String,
    busy: usize,
    /// Threads of the run that were in no task.
    idle: usize,
    idle_asleep: usize,
}

impl Scene {
    fn of(census: &Census, busy: &BTreeSet<Tid>, busy_as: &str) -> Scene {
        let mut scene = Scene::default();
        let mut parts = Vec::new();
        for t in census.now() {
            if busy.contains(&t) {
                scene.busy += 1;
                parts.push(format!("{t} {busy_as}"));
            } else {
                scene.idle += 1;
                scene.idle_asleep += usize::from(asleep(t));
                parts.push(format!("{t} {}", in_words(t)));
            }
        }
        if let Some(r) = census.runner() {
            let doing = if busy.contains(&r) { busy_as.to_string() } else { in_words(r) };
            parts.push(format!("the runner's own thread {r} {doing}"));
            scene.busy += usize::from(busy.contains(&r));
        }
        scene.text = if parts.is_empty() { "none".into() } else { parts.join("; ") };
        scene
    }

    /// Why the other tasks got no thread, as far as this scene tells.
    fn why_no_other_worker(&self) -> String {
        if self.idle == 0 {
            format!(
                "no other thread of the run was alive to take one (the run's threads: {}). Start all the worker \
                 threads first and let each keep taking tasks until the line is empty",
                self.text
            )
        } else if self.idle_asleep == self.idle {
            format!(
                "{} other thread(s) of the run were alive but asleep in the kernel, in no task, waiting for a lock, \
                 a condvar or a channel (the run's threads: {}). Is the queue's lock held while a step runs? Lock \
                 it to take a task, let go of it, run the step, and lock it again to put the task back",
                self.idle, self.text
            )
        } else {
            format!("the run's threads at that moment: {}", self.text)
        }
    }
}

/// A meeting point for `n` task steps (a `Rendezvous`) that, if it gives up,
/// writes down what every thread of the run was doing at that moment.
struct Meeting {
    rv: Rendezvous,
    census: Arc<Census>,
    came: Mutex<BTreeSet<Tid>>,
    scene: Mutex<Option<Scene>>,
}

impl Meeting {
    fn new(n: usize, census: &Arc<Census>) -> Arc<Meeting> {
        Arc::new(Meeting {
            rv: Rendezvous::new(n),
            census: Arc::clone(census),
            came: Mutex::default(),
            scene: Mutex::default(),
        })
    }

    fn arrive(&self) {
        self.came.lock().unwrap_or_else(|e| e.into_inner()).insert(gettid());
        let inside = self.rv.arrive();
        if !self.rv.all_met() {
            let mut scene = self.scene.lock().unwrap_or_else(|e| e.into_inner());
            if scene.is_none() {
                // Nobody leaves a meeting before it gives up: whoever came is still in.
                let came = self.came.lock().unwrap_or_else(|e| e.into_inner()).clone();
                *scene = Some(Scene::of(&self.census, &came, "in a task, at the meeting point"));
            }
        }
        drop(inside);
    }

    fn scene(&self) -> Scene {
        self.scene.lock().unwrap_or_else(|e| e.into_inner()).clone().unwrap_or_default()
    }
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
            board.lock().push(Entry { task: name, step: taken, answer: None, tid: gettid() });
            return Step::Done;
        }
        taken += 1;
        let answer = body(taken);
        board.lock().push(Entry { task: name, step: taken, answer: Some(answer), tid: gettid() });
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
        s.arrived.push(Waiter { tid: gettid(), board_len });
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
        wait_until(PATIENCE, || self.lock().arrived.len() >= n || done(runner));
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
/// the tasks and to hold the gate. Returns the thread and its tid, which is also
/// written down as the census's runner.
fn in_background(census: &Census, run: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    let (tell, told) = mpsc::channel();
    let handle = thread::Builder::new()
        .name("runner".into())
        .spawn(move || {
            let _ = tell.send(gettid());
            run();
        })
        .expect("start the runner's thread");
    let runner = told.recv().expect("the runner's thread tells its tid");
    let _ = census.runner.set(runner);
    handle
}

/// Waits (bounded) until the runner has nothing left to do but wait for its
/// threads: it is asleep in the kernel, or it has returned. Fails if it returned
/// while `blocked` was still in the test's blocking call, which means it did not
/// wait for that task's thread.
fn expect_runner_waits(runner: &Option<JoinHandle<()>>, census: &Census, blocked: &str, what: &str) {
    let runner_tid = census.runner().expect("the runner's tid");
    let returned = || runner.as_ref().is_some_and(|r| r.is_finished());
    wait_until(PATIENCE, || returned() || asleep(runner_tid));
    assert!(
        !returned(),
        "{what} returned while {blocked} was still blocked in its call: it must wait until every task is done \
         and every thread it started has finished (join them, or use a scope that joins them)"
    );
}

/// Waits (bounded) for a background runner to return.
fn finish(runner: Option<JoinHandle<()>>, what: &str) {
    let runner = runner.expect("the runner");
    // Longer than a meeting point waits: a task may still be waiting at one.
    assert!(
        wait_until(2 * PATIENCE, || runner.is_finished()),
        "{what} had not returned {:?} after its tasks could all finish: does it wait for something that never \
         comes?",
        2 * PATIENCE
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
    let census = Census::new();
    let looking = |name, steps| {
        let census = Arc::clone(&census);
        watched(&board, name, move |n| {
            census.look();
            if n >= steps { Step::Done } else { Step::Yield }
        })
    };
    run_many_to_one(vec![looking("A", 3), looking("B", 2), looking("C", 4)]);
    let caller = gettid();
    let used = board.tids();
    assert_eq!(
        used,
        BTreeSet::from([caller]),
        "the tasks ran on {} kernel thread(s) {used:?}, but only the calling thread ({caller}) should run them: \
         under many-to-one the kernel sees ONE thread. run_many_to_one starts no thread; it is a loop that calls \
         one task after another",
        used.len()
    );
    let started = census.seen();
    assert!(
        started.is_empty(),
        "while the tasks ran, the process had {} thread(s) it did not have before (tids {started:?}): \
         run_many_to_one starts no thread at all, not even one that waits",
        started.len()
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
    let census = Census::new();
    let mut runner = Some(in_background(&census, move || run_many_to_one(tasks)));

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
        wait_until(PATIENCE, || board.len() > now);
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
    let census = Census::new();
    let meeting = Meeting::new(TASKS.len(), &census);
    let tasks = TASKS
        .iter()
        .map(|&name| {
            let meeting = Arc::clone(&meeting);
            watched(&board, name, move |n| {
                if n == 1 {
                    meeting.arrive();
                }
                if n >= 2 { Step::Done } else { Step::Yield }
            })
        })
        .collect();
    run_one_to_one(tasks);
    if !meeting.rv.all_met() {
        let scene = meeting.scene();
        let why = if scene.idle == 0 && scene.busy <= 1 {
            format!(
                "while one task waited there, its thread was the only one of the run alive (the run's threads: \
                 {}): is each thread waited for before the next is started? Start every thread first, then wait \
                 for them all",
                scene.text
            )
        } else if scene.idle == 0 {
            format!(
                "while they waited there, the run had only those {} threads, each in a task, and none for the \
                 other tasks (the run's threads: {}): give every task a kernel thread of its own instead of \
                 sharing a few threads among the tasks",
                scene.busy, scene.text
            )
        } else {
            format!("the run's threads at that moment: {}", scene.text)
        };
        panic!(
            "only {} of {} tasks were ever running at once: under one-to-one every task has a kernel thread of its \
             own, and they all run together; {why}",
            meeting.rv.peak(),
            TASKS.len()
        );
    }
    let used = board.tids();
    assert_eq!(
        used.len(),
        TASKS.len(),
        "{} tasks ran on {} kernel threads: one thread per task",
        TASKS.len(),
        used.len()
    );
    assert!(!used.contains(&gettid()), "a task ran on the calling thread: every task needs a thread of its own");
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
    let census = Census::new();
    let mut runner = Some(in_background(&census, move || run_one_to_one(tasks)));

    let Some(&b) = gate.wait_for(1, &mut runner, "run_one_to_one").first() else {
        panic!("task B never reached its blocking call within {PATIENCE:?}: does run_one_to_one run every task?")
    };
    let all_done = wait_until(PATIENCE, || others.iter().all(|name| board.finished(name)));
    if all_done {
        expect_runner_waits(&runner, &census, "task B", "run_one_to_one");
    }
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
    let census = Census::new();
    let meeting = Meeting::new(WORKERS, &census);
    // The tasks yield until the test has counted the runner's threads: until
    // then no task is done, the line is never empty, and no worker can stop.
    let counted = Arc::new(AtomicBool::new(false));
    let tasks = TASKS
        .iter()
        .map(|&name| {
            let (meeting, census, counted) = (Arc::clone(&meeting), Arc::clone(&census), Arc::clone(&counted));
            watched(&board, name, move |n| {
                census.look();
                if n == 1 {
                    meeting.arrive();
                }
                if counted.load(Ordering::SeqCst) {
                    Step::Done
                } else {
                    pace(n);
                    Step::Yield
                }
            })
        })
        .collect();
    let runner = in_background(&census, move || run_many_to_many(tasks, WORKERS));
    let runner_tid = census.runner().expect("the runner's tid");
    // Every thread the runner starts is started once it sleeps, waiting for its
    // workers, or once it runs tasks itself.
    wait_until(PATIENCE, || runner.is_finished() || asleep(runner_tid) || board.tids().contains(&runner_tid));
    let returned_early = runner.is_finished();
    census.look();
    counted.store(true, Ordering::SeqCst);
    finish(Some(runner), "run_many_to_many");
    assert!(
        !returned_early,
        "run_many_to_many returned while every task still had work to do: it must return only once every task \
         is done and every worker has finished (join the workers, or use a scope that joins them)"
    );
    if !meeting.rv.all_met() {
        panic!(
            "only {} of the {WORKERS} workers ever ran a task at the same moment: run_many_to_many should start \
             `workers` threads that all take tasks from the shared line; while one task waited for the others, {}",
            meeting.rv.peak(),
            meeting.scene().why_no_other_worker()
        );
    }
    let ran = board.tids();
    let threads: BTreeSet<Tid> = census.seen().union(&ran).copied().collect();
    let never_ran: BTreeSet<Tid> = threads.difference(&ran).copied().collect();
    let detail = if !never_ran.is_empty() {
        format!(
            "{} of them never ran a task ({never_ran:?}): a worker too many, or a thread besides the workers",
            never_ran.len()
        )
    } else if ran.len() >= TASKS.len() {
        "a thread per task is one-to-one".to_string()
    } else {
        format!("all of them ran tasks ({ran:?})")
    };
    assert_eq!(
        threads.len(),
        WORKERS,
        "run_many_to_many(tasks, {WORKERS}) ran with {} kernel threads of its own, counted in /proc/self/task \
         while it ran: {detail}. It starts exactly `workers` threads, which take turns on all the tasks",
        threads.len()
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
    // The tasks still waiting in the line when the first one gave up.
    let left_waiting: Arc<OnceLock<Vec<&str>>> = Arc::default();
    let deadline = Instant::now() + PATIENCE;
    // Each task yields until every task has started: that takes switching.
    let tasks = names
        .iter()
        .map(|&name| {
            let (b, gave_up, left_waiting) = (Arc::clone(&board), Arc::clone(&gave_up), Arc::clone(&left_waiting));
            watched(&board, name, move |n| {
                if n == 1 {
                    Step::Yield
                } else if b.started().len() == names.len() {
                    Step::Done
                } else if Instant::now() >= deadline {
                    let started = b.started();
                    left_waiting.get_or_init(|| names.iter().copied().filter(|n| !started.contains(n)).collect());
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
    let waiting = left_waiting.get().cloned().unwrap_or_default();
    assert!(
        gave_up.is_empty(),
        "with {WORKERS} workers, tasks kept yielding for {PATIENCE:?} while {waiting:?} waited in the line and never \
         got a turn: a worker puts a task that yields at the BACK of the line and takes the next one from the \
         front. Running a task until it is done (a plain thread pool), or putting it back at the front, keeps the \
         others waiting"
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
    let census = Census::new();
    let mut runner = Some(in_background(&census, move || run_many_to_many(tasks, WORKERS)));

    let blocked = gate.wait_for(2, &mut runner, "run_many_to_many");
    let in_gate: BTreeSet<Tid> = blocked.iter().map(|w| w.tid).collect();
    if blocked.len() < 2 {
        let scene = Scene::of(&census, &in_gate, "blocked in the test's call");
        gate.open();
        panic!(
            "with {WORKERS} workers and one task blocked, the second blocking task never reached its call within \
             {PATIENCE:?}, although two workers were free to take it from the shared line; {}",
            scene.why_no_other_worker()
        );
    }
    let all_done = wait_until(PATIENCE, || others.iter().all(|name| board.finished(name)));
    if all_done {
        expect_runner_waits(&runner, &census, "B1 or B2", "run_many_to_many");
    } else {
        let scene = Scene::of(&census, &in_gate, "blocked in the test's call");
        let waiting: Vec<&str> = others.iter().copied().filter(|name| !board.finished(name)).collect();
        gate.open();
        let why = if scene.idle == 0 {
            format!(
                "no worker was left to take them: the free one had stopped while tasks still waited (the run's \
                 threads: {}). Were the tasks dealt out to the workers up front, so that a blocked worker holds its \
                 share hostage? Keep one shared line that every worker takes from",
                scene.text
            )
        } else {
            scene.why_no_other_worker()
        };
        panic!(
            "with B1 and B2 blocking 2 of the {WORKERS} workers, {waiting:?} did not finish within {PATIENCE:?}: \
             the free worker should take every other task from the shared line; {why}"
        );
    }
    gate.open();
    let blocked_tids = in_gate;
    assert_eq!(blocked_tids.len(), 2, "B1 and B2 blocked the same kernel thread {blocked_tids:?}");
    let theirs = board.tids_of(&others);
    assert!(
        theirs.is_disjoint(&blocked_tids),
        "the other tasks ran on {theirs:?}, which includes a thread blocked in B1 or B2 ({blocked_tids:?})"
    );
    finish(runner, "run_many_to_many");
    let used = board.tids();
    assert!(
        used.len() <= WORKERS,
        "{} kernel threads ran tasks with {WORKERS} workers ({used:?}): start exactly `workers` threads that share \
         the tasks (a thread per task is one-to-one)",
        used.len()
    );
    board.assert_all_done(&["B1", "B2", "O1", "O2", "O3", "O4"]);
}

//! Hidden tests for exercise 07: every outcome is classified from real runs (a
//! thread that really panicked, processes that really exited or were killed),
//! the test process survives every crash of a child and goes on working, an
//! abort in any thread of a child ends that whole child, and every child is
//! reaped: its own, and only its own.
//!
//! Children report what they saw through a page of memory shared with the test
//! (plain atomic stores, safe in a forked child); the test reads it once they
//! are gone. Every child job refuses to run inside the test's own process, where
//! an abort would end the test itself, and carries an alarm, so no child can hang.

use std::panic::{self, AssertUnwindSafe};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering::SeqCst};
use std::time::Duration;

use crash_isolation::{Job, Outcome, classify, open_tabs, run_in_child, run_in_thread};
use hidden::fork_safe::{getpid as pid, getppid, gettid as tid};
use hidden::{PATIENCE, children, kernel, wait_until};

const TABS: usize = 4;
/// What a child job returns when it finds itself in the test's own process.
const RAN_IN_PARENT: i32 = 97;
/// How a child that came back out of `run_in_child` into the test ends.
const CAME_BACK: i32 = 98;
/// A child still alive after this long is stopped by SIGALRM.
const ALARM_SECS: u32 = 2 * PATIENCE.as_secs() as u32 + 1;

/// Memory the test shares with every child it forks after making it.
#[repr(C)]
struct Board {
    parent: AtomicI32,
    child_pid: AtomicI32,
    child_ppid: AtomicI32,
    main_started: AtomicU32,
    main_went_on: AtomicU32,
    thread_tid: AtomicI32,
    thread_pid: AtomicI32,
    tab_pids: [AtomicI32; TABS],
    tab_saw_crash: [AtomicU32; TABS],
    inside: AtomicU32,
    peak: AtomicU32,
    gave_up: AtomicU32,
    /// A child in which the exit handler the test registered ran.
    exit_handler_ran_in: AtomicI32,
}

/// A fresh board, shared with children forked from now on. It is never unmapped:
/// a child may still be running when a failing test ends.
fn board() -> &'static Board {
    let size = std::mem::size_of::<Board>();
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = libc::MAP_SHARED | libc::MAP_ANONYMOUS;
    // SAFETY: a new anonymous mapping; the kernel fills it with zeros.
    let ptr = unsafe { libc::mmap(std::ptr::null_mut(), size, prot, flags, -1, 0) };
    assert_ne!(ptr, libc::MAP_FAILED, "the test could not map shared memory");
    // SAFETY: page-aligned, large enough, and all-zero atomics are valid values.
    let board: &'static Board = unsafe { &*(ptr as *const Board) };
    board.parent.store(pid(), SeqCst);
    board
}

impl Board {
    fn is_parent(&self) -> bool {
        pid() == self.parent.load(SeqCst)
    }

    /// A meeting point across processes: waits until `n` callers are inside at
    /// once, or the patience runs out (then later callers pass straight through).
    fn arrive(&self, n: u32) -> bool {
        let now_inside = self.inside.fetch_add(1, SeqCst) + 1;
        self.peak.fetch_max(now_inside, SeqCst);
        let met = || self.peak.load(SeqCst) >= n || self.gave_up.load(SeqCst) != 0;
        if !wait_until(PATIENCE, met) {
            self.gave_up.store(1, SeqCst);
        }
        self.inside.fetch_sub(1, SeqCst);
        self.peak.load(SeqCst) >= n
    }
}

/// Wraps a job meant for a child process: in the test's own process it does
/// nothing and says so; in a child it cannot hang and leaves no core file.
fn in_child(board: &'static Board, job: impl FnOnce() -> i32 + 'static) -> impl FnOnce() -> i32 + 'static {
    move || {
        if board.is_parent() {
            return RAN_IN_PARENT;
        }
        let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: plain system calls in the child, on a valid struct.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            libc::alarm(ALARM_SECS);
        }
        job()
    }
}

/// Calls `f` (which runs learner code that forks); a child that comes back out
/// of it, by returning or by a panic, ends at once instead of running the rest
/// of the test a second time.
fn guarded<T>(board: &Board, f: impl FnOnce() -> T) -> T {
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    if !board.is_parent() {
        // SAFETY: ends this stray copy of the test process.
        unsafe { libc::_exit(CAME_BACK) }
    }
    result.unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// `run_in_child` of a guarded job.
fn child(board: &'static Board, job: impl FnOnce() -> i32 + 'static) -> Outcome {
    guarded(board, || run_in_child(in_child(board, job)))
}

/// Fails with what was seen and the likely mistake behind it.
#[track_caller]
fn expect_outcome(got: &Outcome, want: &Outcome, what: &str) {
    if got == want {
        return;
    }
    let hint = match (got, want) {
        (Outcome::Finished(RAN_IN_PARENT), _) => {
            "the job ran inside the test's own process (it saw the test's pid): had it aborted, the test would \
             have died with it. Fork a child process and run the job there"
        }
        (Outcome::Finished(CAME_BACK), _) => {
            "the child process came back out of run_in_child into the caller's code, by returning or by an \
             uncaught panic, and ran the rest of the test a second time. In the child, catch a panic \
             (std::panic::catch_unwind) and always end with libc::_exit(code)"
        }
        (Outcome::KilledBy(libc::SIGALRM), _) => "the child hung until the test's alarm stopped it",
        (Outcome::Finished(code), Outcome::KilledBy(sig)) if *code == 128 + sig => {
            "a shell shows a process killed by signal N as exit code 128 + N, but the process never exited: \
             its wait status has no exit code, only a signal (std::os::unix::process::ExitStatusExt::signal)"
        }
        (Outcome::Finished(_), Outcome::KilledBy(_)) => {
            "a process ended by a signal has no exit code: ask the status for its signal before its code \
             (ExitStatus::code() is None, ExitStatusExt::signal() is Some)"
        }
        (Outcome::Panicked(_), Outcome::Finished(_) | Outcome::KilledBy(_)) => {
            "only a thread's panic can be caught and read; a process tells its parent only how it ended"
        }
        _ => "",
    };
    let hint = if hint.is_empty() { String::new() } else { format!(": {hint}") };
    panic!("{what}: expected {want:?}, got {got:?}{hint}");
}

/// Fails unless `got` holds the outcomes `want` of the tabs, in the order of the
/// tabs. `what` describes tab `{i}`.
#[track_caller]
fn expect_tabs(got: &[Outcome], want: &[Outcome], what: &str) {
    assert_eq!(got.len(), want.len(), "{} tabs gave {} outcomes: one outcome per tab", want.len(), got.len());
    let sorted = |v: &[Outcome]| {
        let mut v: Vec<String> = v.iter().map(|o| format!("{o:?}")).collect();
        v.sort();
        v
    };
    if got != want && sorted(got) == sorted(want) {
        panic!(
            "the tabs gave the right outcomes in another order: {got:?}, expected {want:?}: give the outcomes in \
             the order of `tabs`, not in the order the tabs ended (wait for the pids in the order you forked them)"
        );
    }
    for (i, (got, want)) in got.iter().zip(want).enumerate() {
        expect_outcome(got, want, &what.replace("{i}", &i.to_string()));
    }
}

/// Fails unless the child `pid` has been reaped. A child still running or left
/// as a zombie is collected here, so nothing outlives the test.
#[track_caller]
fn assert_reaped(pid: i32, what: &str) {
    assert!(pid > 0, "{what} never ran its job");
    let mut status = 0;
    // SAFETY: a non-blocking wait on a pid the test knows; writes into `status`.
    let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    let err = std::io::Error::last_os_error();
    match got {
        -1 if err.raw_os_error() == Some(libc::ECHILD) => {}
        -1 => panic!("could not check on {what} (pid {pid}): {err}"),
        0 => {
            // SAFETY: ends and collects a child the call left running.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            panic!(
                "{what} (pid {pid}) was still running after the call returned: wait for every child before returning"
            )
        }
        _ => panic!("{what} (pid {pid}) had ended but was never reaped (a zombie): collect every child with waitpid"),
    }
}

/// Collects the child `pid` if it is still the test's, ending it first if it
/// still runs, so that nothing outlives a failing test.
fn collect_quietly(pid: i32) {
    if pid <= 0 {
        return;
    }
    // SAFETY: waits for, and if need be kills, only a child of the test's own.
    unsafe {
        if libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) == 0 {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
    }
}

/// Whether the process `pid` has ended (a zombie, or already gone), waiting up
/// to the patience.
fn wait_until_dead(pid: &AtomicI32) -> bool {
    wait_until(PATIENCE, || {
        let p = pid.load(SeqCst);
        p > 0 && matches!(kernel::process_state(p), None | Some('Z' | 'X'))
    })
}

#[test]
fn a_thread_job_runs_on_another_thread() {
    let caller = tid();
    let seen = Arc::new(AtomicI32::new(0));
    let probe = Arc::clone(&seen);
    let got = run_in_thread(move || {
        probe.store(tid(), SeqCst);
        7
    });
    expect_outcome(&got, &Outcome::Finished(7), "a thread job that returns 7");
    let worker = seen.load(SeqCst);
    assert_ne!(worker, 0, "run_in_thread gave an outcome without running the job");
    assert_ne!(worker, caller, "the job ran on the calling thread: spawn a new thread and join it");
}

#[test]
fn a_panic_in_a_thread_is_caught_at_join() {
    let caller = tid();
    let seen = Arc::new(AtomicI32::new(0));
    let probe = Arc::clone(&seen);
    // A value known only at run time: a formatted message then becomes a String.
    let tab = std::hint::black_box(3);
    let got = run_in_thread(move || {
        probe.store(tid(), SeqCst);
        panic!("tab {tab} crashed")
    });
    expect_outcome(
        &got,
        &Outcome::Panicked("tab 3 crashed".into()),
        "a thread job that panics with panic!(\"tab {tab} crashed\") (its payload is a String)",
    );
    let worker = seen.load(SeqCst);
    assert!(worker != 0 && worker != caller, "the panicking job did not run on a thread of its own");
    let got = run_in_thread(|| panic!("renderer out of memory"));
    expect_outcome(
        &got,
        &Outcome::Panicked("renderer out of memory".into()),
        "a thread job that panics with panic!(\"renderer out of memory\") (its payload is a &'static str)",
    );
    // The panics ended two threads; this one, and the process, go on.
    expect_outcome(&run_in_thread(|| 0), &Outcome::Finished(0), "a thread job after two panicking ones");
}

// Real exit statuses come only from real processes; sh ends at once.
#[test]
#[allow(clippy::disallowed_methods)]
fn exit_statuses_are_classified_from_real_processes() {
    let cases = [
        ("exit 0", Outcome::Finished(0)),
        ("exit 3", Outcome::Finished(3)),
        ("exit 134", Outcome::Finished(134)),
        ("kill -ABRT $$", Outcome::KilledBy(libc::SIGABRT)),
        ("kill -KILL $$", Outcome::KilledBy(libc::SIGKILL)),
        ("kill -SEGV $$", Outcome::KilledBy(libc::SIGSEGV)),
    ];
    for (script, want) in cases {
        let status = Command::new("sh").args(["-c", script]).status().expect("the test could not run sh");
        expect_outcome(&classify(status), &want, &format!("the status of `sh -c '{script}'`"));
    }
}

#[test]
fn a_child_job_runs_in_a_real_child_process() {
    let b = board();
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        // SAFETY: no preconditions.
        b.child_ppid.store(getppid(), SeqCst);
        42
    });
    expect_outcome(&got, &Outcome::Finished(42), "a child job that returns 42");
    let (parent, child_pid) = (b.parent.load(SeqCst), b.child_pid.load(SeqCst));
    assert!(child_pid > 0 && child_pid != parent, "the job did not run in a process of its own");
    assert_eq!(
        b.child_ppid.load(SeqCst),
        parent,
        "the job's process is not a child of the caller: fork once, in run_in_child itself"
    );
    assert_reaped(child_pid, "the child");
}

#[test]
fn an_aborting_child_leaves_the_parent_running() {
    let b = board();
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        b.main_started.store(1, SeqCst);
        std::process::abort()
    });
    expect_outcome(&got, &Outcome::KilledBy(libc::SIGABRT), "a child that calls std::process::abort");
    assert_eq!(b.main_started.load(SeqCst), 1, "the child never ran the job");
    assert_reaped(b.child_pid.load(SeqCst), "the aborted child");

    // The test process is still here, and it can go on running children.
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        0
    });
    expect_outcome(&got, &Outcome::Finished(0), "the next child job, after a child aborted");
    assert_reaped(b.child_pid.load(SeqCst), "the next child");
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        // SAFETY: the child sends itself a signal.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        1
    });
    expect_outcome(&got, &Outcome::KilledBy(libc::SIGKILL), "a child killed by SIGKILL");
    assert_reaped(b.child_pid.load(SeqCst), "the killed child");
}

#[test]
fn an_abort_in_a_thread_of_the_child_ends_the_whole_child() {
    let b = board();
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        b.main_started.store(1, SeqCst);
        let _ = run_in_thread(move || {
            b.thread_tid.store(tid(), SeqCst);
            b.thread_pid.store(pid(), SeqCst);
            std::process::abort()
        });
        // Never reached: the abort ends the whole process, this thread with it.
        b.main_went_on.store(1, SeqCst);
        0
    });
    let child_pid = b.child_pid.load(SeqCst);
    let (thread_tid, thread_pid) = (b.thread_tid.load(SeqCst), b.thread_pid.load(SeqCst));
    if b.main_went_on.load(SeqCst) == 1 {
        panic!(
            "the child's main thread went on after the job aborted (outcome {got:?}): the job of \
             run_in_thread ran somewhere an abort could not reach this thread; a thread of the same \
             process cannot survive an abort"
        );
    }
    expect_outcome(
        &got,
        &Outcome::KilledBy(libc::SIGABRT),
        "a child whose spawned thread aborts while its main thread waits at join",
    );
    assert_eq!(b.main_started.load(SeqCst), 1, "the child never ran the job");
    assert!(thread_tid != 0 && thread_tid != child_pid, "run_in_thread ran the job on the calling thread");
    assert_eq!(thread_pid, child_pid, "run_in_thread ran the job in another process, not in a thread");
    assert_reaped(child_pid, "the aborted child");
}

#[test]
fn a_panicking_child_exits_with_code_101() {
    let b = board();
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        panic!("tab {} crashed", 2)
    });
    expect_outcome(
        &got,
        &Outcome::Finished(101),
        "a child whose job panics (a Rust program whose main thread panics exits with code 101)",
    );
    assert_reaped(b.child_pid.load(SeqCst), "the panicking child");

    // The same panic on a thread of the child ends only that thread.
    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        match run_in_thread(|| panic!("tab 5 crashed")) {
            Outcome::Panicked(m) if m == "tab 5 crashed" => 7,
            _ => 8,
        }
    });
    expect_outcome(
        &got,
        &Outcome::Finished(7),
        "a child that catches a thread's panic with run_in_thread and then returns 7 (8: run_in_thread gave \
         something other than Panicked(\"tab 5 crashed\"))",
    );
    assert_reaped(b.child_pid.load(SeqCst), "the child");
}

#[test]
fn run_in_child_reaps_its_own_child_only() {
    let b = board();
    // A child of the test's own that has already exited and is not yet collected.
    // SAFETY: the stranger only calls _exit.
    let stranger = match unsafe { libc::fork() } {
        -1 => panic!("the test could not fork: {}", std::io::Error::last_os_error()),
        // SAFETY: ends the stranger at once.
        0 => unsafe { libc::_exit(55) },
        pid => pid,
    };
    // SAFETY: waits until the stranger has exited, leaving it uncollected (WNOWAIT).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::waitid(libc::P_PID, stranger as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
    assert_eq!(waited, 0, "the test could not wait for its own child: {}", std::io::Error::last_os_error());

    let got = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        3
    });
    let mut status = 0;
    // SAFETY: a non-blocking wait for the test's own child.
    let collected = unsafe { libc::waitpid(stranger, &mut status, libc::WNOHANG) };
    if collected != stranger || got == Outcome::Finished(55) {
        panic!(
            "run_in_child collected a child it did not start (the test's own, which had exited with 55), and \
             gave {got:?}: wait for the pid that fork gave you, waitpid(pid, ..), not for any child \
             (wait, waitpid(-1, ..))"
        );
    }
    expect_outcome(&got, &Outcome::Finished(3), "a child job that returns 3, beside another finished child");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 55, "the test's own child changed its status");
    assert_reaped(b.child_pid.load(SeqCst), "run_in_child's child");
}

#[test]
fn tabs_are_open_at_the_same_time() {
    let b = board();
    let tabs: Vec<Job> = (0..TABS)
        .map(|i| {
            Box::new(in_child(b, move || {
                b.tab_pids[i].store(pid(), SeqCst);
                b.arrive(TABS as u32);
                i as i32
            })) as Job
        })
        .collect();
    let got = guarded(b, || open_tabs(tabs));
    let want: Vec<Outcome> = (0..TABS as i32).map(Outcome::Finished).collect();
    expect_tabs(&got, &want, "tab {i}, which returns {i}");
    let peak = b.peak.load(SeqCst);
    assert!(
        peak as usize >= TABS,
        "only {peak} of {TABS} tabs were ever open at once: fork every tab first, then wait for them \
         (waiting inside the loop that forks opens one tab at a time)"
    );
    let mut pids: Vec<i32> = b.tab_pids.iter().map(|p| p.load(SeqCst)).collect();
    for (i, p) in pids.iter().enumerate() {
        assert_reaped(*p, &format!("tab {i}"));
    }
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), TABS, "two tabs ran in one process: give every tab a child process of its own");
}

#[test]
fn a_crashing_tab_leaves_the_other_tabs_running() {
    let b = board();
    let n = TABS as u32;
    // Tab 1 aborts and tab 2 panics while all four are open; tabs 0 and 3 watch
    // tab 1 die, and then finish their own work.
    let survivor = move |i: usize| {
        move || {
            b.tab_pids[i].store(pid(), SeqCst);
            if b.arrive(n) && wait_until_dead(&b.tab_pids[1]) {
                b.tab_saw_crash[i].store(1, SeqCst);
            }
            i as i32
        }
    };
    let tabs: Vec<Job> = vec![
        Box::new(in_child(b, survivor(0))),
        Box::new(in_child(b, move || {
            b.tab_pids[1].store(pid(), SeqCst);
            b.arrive(n);
            std::process::abort()
        })),
        Box::new(in_child(b, move || {
            b.tab_pids[2].store(pid(), SeqCst);
            b.arrive(n);
            panic!("tab 2 crashed")
        })),
        Box::new(in_child(b, survivor(3))),
    ];
    let got = guarded(b, || open_tabs(tabs));
    let want = [Outcome::Finished(0), Outcome::KilledBy(libc::SIGABRT), Outcome::Finished(101), Outcome::Finished(3)];
    expect_tabs(&got, &want, "tab {i} (tab 1 aborts, tab 2 panics, tabs 0 and 3 return 0 and 3)");
    for i in [0, 3] {
        assert!(
            b.tab_saw_crash[i].load(SeqCst) == 1,
            "tab {i} never saw tab 1 crash while it was still open itself: are all tabs open at the same time?"
        );
    }
    for (i, p) in b.tab_pids.iter().enumerate() {
        assert_reaped(p.load(SeqCst), &format!("tab {i}"));
    }

    // The browser (this test process) is still running and opens a new tab.
    let again = guarded(b, || open_tabs(vec![Box::new(in_child(b, || 0)) as Job]));
    assert_eq!(again.len(), 1, "one tab gave {} outcomes", again.len());
    expect_outcome(&again[0], &Outcome::Finished(0), "a new tab opened after the crash");
}

/// Where the exit handler reports: the board of the test that registered it.
static EXIT_BOARD: std::sync::atomic::AtomicPtr<Board> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

extern "C" fn exit_handler() {
    let board = EXIT_BOARD.load(SeqCst);
    // SAFETY: the board is a shared mapping that is never unmapped.
    if let Some(board) = unsafe { board.as_ref() }
        && !board.is_parent()
    {
        board.exit_handler_ran_in.store(pid(), SeqCst);
    }
}

#[test]
fn the_child_ends_without_running_exit_handlers() {
    let b = board();
    EXIT_BOARD.store(std::ptr::from_ref(b).cast_mut(), SeqCst);
    // SAFETY: registers a handler that only reads atomics, calls getpid and stores.
    assert_eq!(unsafe { libc::atexit(exit_handler) }, 0, "the test could not register an exit handler");
    let returned = child(b, move || {
        b.child_pid.store(pid(), SeqCst);
        5
    });
    let panicked = child(b, || panic!("tab {} crashed", 4));
    let ran_in = b.exit_handler_ran_in.load(SeqCst);
    if ran_in != 0 {
        panic!(
            "child process {ran_in} ran the exit handlers it had copied from the test (the test registered one \
             with atexit): it ended with std::process::exit or libc::exit, which also flush output buffers that \
             are copies of the parent's. End the child with libc::_exit(code), after a job that returns and after \
             one that panics"
        );
    }
    expect_outcome(&returned, &Outcome::Finished(5), "a child job that returns 5");
    expect_outcome(&panicked, &Outcome::Finished(101), "a child job that panics");
}

#[test]
fn open_tabs_waits_for_its_own_tabs_only() {
    let b = board();
    // Forked by the calling thread, so it is older than any child the exercise forks next.
    let stranger = children::finished_child(55);
    let tabs: Vec<Job> = (0..3)
        .map(|i| {
            Box::new(in_child(b, move || {
                b.tab_pids[i].store(pid(), SeqCst);
                10 + i as i32
            })) as Job
        })
        .collect();
    let got = panic::catch_unwind(AssertUnwindSafe(|| guarded(b, || open_tabs(tabs))));
    // Still there to be collected (it is collected now), its exit code 55 unchanged.
    if !children::collect_now(stranger).is_some_and(|s| libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 55) {
        b.tab_pids[..3].iter().for_each(|p| collect_quietly(p.load(SeqCst)));
        panic!(
            "open_tabs collected a child it did not start: the test's own child {stranger}, which had exited with \
             55, was gone when open_tabs returned (it gave {got:?}). Wait for each tab by its pid, \
             waitpid(pid, ..): wait and waitpid(-1, ..) take any child, even one another part of the program is \
             waiting for",
            got = got.as_ref().map_err(|_| "a panic")
        );
    }
    let got = got.unwrap_or_else(|payload| panic::resume_unwind(payload));
    let want: Vec<Outcome> = (0..3).map(|i| Outcome::Finished(10 + i)).collect();
    expect_tabs(&got, &want, "tab {i}, which returns 1{i}, beside another finished child");
    for (i, p) in b.tab_pids[..3].iter().enumerate() {
        assert_reaped(p.load(SeqCst), &format!("tab {i}"));
    }
}

/// Whether the process `pid` has been reaped: /proc no longer has it. Waits up
/// to `patience`.
fn wait_until_reaped(pid: &AtomicI32, patience: Duration) -> bool {
    wait_until(patience, || {
        let p = pid.load(SeqCst);
        p > 0 && std::fs::metadata(format!("/proc/{p}")).is_err()
    })
}

#[test]
fn outcomes_come_in_the_order_of_the_tabs() {
    let b = board();
    // Tab 1 ends at once; tab 0 goes on until tab 1 has been reaped, or for a
    // second. Code that waits for the tabs in their order reaps tab 1 only after
    // tab 0, so tab 0 waits its second out; code that takes the tabs as they end
    // reaps tab 1 first.
    let tabs: Vec<Job> = vec![
        Box::new(in_child(b, move || {
            b.tab_pids[0].store(pid(), SeqCst);
            wait_until_reaped(&b.tab_pids[1], Duration::from_secs(1));
            7
        })),
        Box::new(in_child(b, move || {
            b.tab_pids[1].store(pid(), SeqCst);
            3
        })),
    ];
    let got = guarded(b, || open_tabs(tabs));
    expect_tabs(
        &got,
        &[Outcome::Finished(7), Outcome::Finished(3)],
        "tab {i} (tab 1 ends first, returning 3; tab 0 returns 7)",
    );
    for (i, p) in b.tab_pids[..2].iter().enumerate() {
        assert_reaped(p.load(SeqCst), &format!("tab {i}"));
    }
}

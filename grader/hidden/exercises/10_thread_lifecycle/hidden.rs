//! Hidden tests for exercise 10: the whole transition table against its
//! snapshot, errors that name the state and the event, kernel letters mapped to
//! the diagram, and a real thread traced through its life: blocked while the
//! test holds the lock it waits for, running while it spins on the test's flag,
//! terminated once joined. Thread names contain ") " on purpose.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use parking_lot::Mutex;

use hidden::{PATIENCE, Tid, kernel, panic_message, watch};
use thread_lifecycle::{
    Event, IllegalTransition, State, kernel_state, observe, possible_states, spawn_traced, state_letter,
};

fn state_name(s: State) -> &'static str {
    match s {
        State::New => "New",
        State::Runnable => "Runnable",
        State::Running => "Running",
        State::Blocked => "Blocked",
        State::Terminated => "Terminated",
    }
}

fn event_name(e: Event) -> &'static str {
    match e {
        Event::Start => "start",
        Event::Schedule => "schedule",
        Event::Preempt => "preempt",
        Event::Yield => "yield",
        Event::Block => "block",
        Event::Wake => "wake",
        Event::Exit => "exit",
    }
}

const STATES: [State; 5] = [State::New, State::Runnable, State::Running, State::Blocked, State::Terminated];
const EVENTS: [Event; 7] =
    [Event::Start, Event::Schedule, Event::Preempt, Event::Yield, Event::Block, Event::Wake, Event::Exit];

/// A set of states in the diagram's order, whatever order the slice had.
fn as_set(states: &[State]) -> Vec<&'static str> {
    STATES.iter().filter(|s| states.contains(s)).map(|s| state_name(*s)).collect()
}

/// Sets a flag when dropped, so a spinning thread stops even if an assertion fails.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn spin_until(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        std::hint::spin_loop();
    }
}

/// The start of a thread's stat line, up to its state letter, for a message.
fn stat_start(tid: u32) -> String {
    match kernel::stat(tid as Tid) {
        Some(line) => match line.rfind(')') {
            Some(end) => format!("{} ...", &line[..(end + 3).min(line.len())]),
            None => line,
        },
        None => "(gone)".into(),
    }
}

/// A traced tid that is the test's own thread: the tid was asked for in the wrong place.
fn caller_hint(tid: u32) -> String {
    if tid == hidden::gettid() as u32 {
        format!(
            "; but tid {tid} is the test's own thread, the one that called spawn_traced: ask for the tid inside \
             the new thread"
        )
    } else {
        String::new()
    }
}

/// `from.next(event)`; a panic becomes a failure that says what next() should do.
fn next(from: State, event: Event) -> Result<State, IllegalTransition> {
    std::panic::catch_unwind(|| from.next(event)).unwrap_or_else(|payload| {
        panic!(
            "State::{from:?}.next(Event::{event:?}) panicked ({}): where the diagram has no arrow, next() returns \
             Err(IllegalTransition {{ from, event }}) instead of panicking",
            panic_message(&*payload)
        )
    })
}

/// `observe(tid)` for a thread that has ended; a panic becomes a failure that
/// says what kernel_state should do.
fn observe_ended(tid: u32) -> &'static [State] {
    std::panic::catch_unwind(|| observe(tid)).unwrap_or_else(|payload| {
        panic!(
            "observe({tid}) panicked ({}) for a thread that has ended: when /proc/self/task/{tid}/stat cannot be \
             read, the thread is gone, so kernel_state returns None and observe() says Terminated",
            panic_message(&*payload)
        )
    })
}

/// What kernel_state() and the test's own reading say, for a failure message.
fn diagnose(tid: u32) -> String {
    let theirs = kernel_state(tid);
    let mut text =
        format!("the kernel's stat line for tid {tid} is `{}`; kernel_state({tid}) gave {theirs:?}", stat_start(tid));
    if tid == hidden::gettid() as u32 {
        text += &caller_hint(tid);
    } else if theirs != kernel::state(tid as Tid) {
        text.push_str(
            ", which is not the letter after the LAST ')' of that line: read /proc/self/task/<tid>/stat (not \
             /proc/self/stat, the main thread's), and remember a thread's name may contain \") \"",
        );
    }
    text
}

/// How long the work of a traced thread waits for the test before it gives up:
/// longer than the test ever makes it wait, so only a spawn_traced that waits
/// for the work to finish (and so for the test) ever sees it give up.
const WORK_PATIENCE: Duration = Duration::from_secs(2 * PATIENCE.as_secs());

/// Whether the work of a traced thread has finished: spawn_traced must return
/// while it still runs.
#[derive(Clone, Default)]
struct Finished(Arc<AtomicBool>);

impl Finished {
    fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Fails the test if spawn_traced returned only after the work was done.
    fn expect_not_yet(&self, waits_for: &str) {
        assert!(
            !self.0.load(Ordering::SeqCst),
            "spawn_traced returned only once the new thread's work had finished, and that work was waiting for \
             {waits_for}, which the test gives only after spawn_traced has returned (the work gave up after \
             {WORK_PATIENCE:?}): spawn_traced must return as soon as it knows the tid, while the work still runs. \
             Have the new thread send its tid first, then call work(), and receive only the tid"
        );
    }
}

// ---------------------------------------------------------------------------
// Part A: the diagram
// ---------------------------------------------------------------------------

#[test]
fn transition_table_matches_the_diagram() {
    let mut table = String::from("next(state, event): the state after the event, or - where next() returns Err\n\n");
    table += &format!("{:<12}", "from \\ on");
    for e in EVENTS {
        table += &format!("{:<11}", event_name(e));
    }
    table = table.trim_end().to_string() + "\n";
    for from in STATES {
        let mut row = format!("{:<12}", state_name(from));
        for e in EVENTS {
            let cell = match next(from, e) {
                Ok(to) => state_name(to),
                Err(_) => "-",
            };
            row += &format!("{cell:<11}");
        }
        table += row.trim_end();
        table += "\n";
    }
    hidden::snapshot_settings().bind(|| hidden::insta::assert_snapshot!("transition_table", table));
}

#[test]
fn illegal_transitions_name_the_state_and_the_event() {
    for (from, event, why) in [
        (State::Blocked, Event::Schedule, "a blocked thread must be woken first; only a Runnable one gets a CPU"),
        (State::New, Event::Schedule, "a thread that was never started is not queued for a CPU"),
        (State::Terminated, Event::Start, "a finished thread never comes back"),
        (State::Runnable, Event::Block, "only a running thread executes the call that waits"),
        (State::Blocked, Event::Exit, "only a running thread executes its last instruction"),
    ] {
        let got = next(from, event);
        assert_eq!(
            got,
            Err(IllegalTransition { from, event }),
            "{from:?} on {event:?} gave {got:?}: that arrow is not in the diagram ({why}), so next() must \
             return Err naming the state and the event"
        );
    }
    for from in STATES {
        for event in EVENTS {
            if let Err(e) = next(from, event) {
                assert_eq!(
                    e,
                    IllegalTransition { from, event },
                    "{from:?}.next({event:?}) returned an error that names {:?} and {:?}: the error should \
                     name the state the thread was in and the event that cannot happen to it",
                    e.from,
                    e.event
                );
            }
        }
    }
}

#[test]
fn kernel_letters_map_to_the_diagram() {
    for (letter, want, meaning) in [
        (
            'R',
            &["Runnable", "Running"][..],
            "R means running OR runnable: Linux uses one letter for a thread on a CPU and one queued for it",
        ),
        ('S', &["Blocked"][..], "S is sleeping: waiting for a lock, a message, I/O or a timer, using no CPU"),
        ('D', &["Blocked"][..], "D is waiting for the disk, a sleep that cannot even be interrupted"),
        ('Z', &["Terminated"][..], "Z is a zombie: finished, only its exit status is left"),
        ('X', &["Terminated"][..], "X is dead, being removed"),
        ('T', &[][..], "T is stopped by a signal or a debugger, which the diagram has no state for"),
    ] {
        let got = as_set(possible_states(letter));
        assert_eq!(got, want, "possible_states({letter:?}) gave {got:?}: {meaning}");
    }
}

#[test]
fn state_letter_is_read_after_the_name() {
    for (line, name, want) in [
        ("4250 (chef-hot) S 4242 4242 4100 34816 -1 4194368 98 0 0 0", "chef-hot", 'S'),
        ("4251 (night shift) R 4242 4242 4100 34816 -1 4194368 98 0 0 0", "night shift", 'R'),
        ("4252 (w) R (x) S 4242 4242 4100 34816 -1 4194368 98 0 0 0", "w) R (x", 'S'),
        ("4253 ((o)) Z) D 4242 4242 4100 34816 -1 4194368 98 0 0 0", "(o)) Z", 'D'),
    ] {
        assert_eq!(
            state_letter(line),
            Some(want),
            "for a thread named {name:?} the stat line is {line:?}, so the state is {want:?}: the first field \
             after the ')' that closes the name, which is the LAST ')' on the line"
        );
    }
}

// ---------------------------------------------------------------------------
// Part B: a real thread
// ---------------------------------------------------------------------------

#[test]
fn traced_thread_knows_its_own_tid_and_name() {
    let caller = hidden::gettid() as u32;
    let traced = spawn_traced("tracee) R (x", || (hidden::gettid() as u32, thread::current().name().map(String::from)));
    let tid = traced.tid();
    let (inside, name) = traced.join();
    assert_ne!(
        tid, caller,
        "spawn_traced gave the tid of the thread that called it ({caller}): ask for the tid (gettid) inside \
         the new thread and send it back"
    );
    assert_eq!(
        tid, inside,
        "spawn_traced said the thread's tid is {tid}, but inside the thread hidden::gettid() as u32 says {inside}: ask for \
         the tid inside the new thread"
    );
    assert_eq!(
        name.as_deref(),
        Some("tracee) R (x"),
        "the traced thread was called {name:?}, not the name spawn_traced was given: start it with \
         `thread::Builder::new().name(name.to_string())`"
    );
}

#[test]
fn traced_thread_is_blocked_while_the_test_holds_its_lock() {
    let lock = Arc::new(Mutex::new(0u32));
    let held = lock.lock();
    let (theirs, finished) = (Arc::clone(&lock), Finished::default());
    let done = finished.clone();
    // With ") R " in its name, a letter taken after the first ')' reads R.
    let traced = spawn_traced("waiter) R (x", move || {
        // Asleep in the kernel while it waits, like any lock; bounded, should
        // spawn_traced wait for this work before it returns.
        if let Some(mut value) = theirs.try_lock_for(WORK_PATIENCE) {
            *value += 1;
        }
        done.set();
    });
    finished.expect_not_yet("a lock the test holds");
    let tid = traced.tid();
    assert!(
        kernel::stat(tid as Tid).is_some(),
        "spawn_traced gave tid {tid}, which is not a thread of this process: use the tid hidden::gettid() as u32 gives inside \
         the new thread"
    );
    // It may take a moment to reach the lock: R (or D) until then.
    let (blocked, seen) = watch(PATIENCE, || as_set(traced.observe()), |s| s == &["Blocked"]);
    assert!(
        blocked,
        "the traced thread waits for a lock the test holds, so the kernel shows it sleeping (S): it is \
         Blocked; but after {PATIENCE:?} observe() still said {seen:?}; {}",
        diagnose(tid)
    );
    drop(held);
    traced.join();
    assert_eq!(*lock.lock(), 1, "once the test let go of the lock, the thread took it and did its work");
}

#[test]
fn traced_thread_is_running_while_it_spins() {
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_anyway = StopOnDrop(Arc::clone(&stop));
    let theirs = Arc::clone(&stop);
    // With ") S " in its name, a letter taken after the first ')' reads S.
    let traced = spawn_traced("spin) S (x", move || spin_until(&theirs));
    let tid = traced.tid();
    // A spinning thread is R whether it is on a CPU or preempted: Running or Runnable.
    let (running, seen) =
        watch(PATIENCE, || as_set(traced.observe()), |s| s.contains(&"Running") && !s.contains(&"Blocked"));
    assert!(
        running,
        "the traced thread spins without waiting for anything, so the kernel shows it R (running or runnable), \
         but after {PATIENCE:?} observe() still said {seen:?}; {}",
        diagnose(tid)
    );
    stop.store(true, Ordering::SeqCst);
    traced.join();
}

#[test]
fn traced_thread_is_terminated_after_join() {
    let (go, wait) = mpsc::channel::<()>();
    let finished = Finished::default();
    let done = finished.clone();
    let traced = spawn_traced("done) R (x", move || {
        let _ = wait.recv_timeout(WORK_PATIENCE);
        done.set();
        7
    });
    finished.expect_not_yet("a message from the test");
    let tid = traced.tid();
    let before = as_set(traced.observe());
    assert!(
        !before.contains(&"Terminated"),
        "the traced thread is alive, waiting for the test's message, yet observe() said {before:?}; {}",
        diagnose(tid)
    );
    go.send(()).unwrap();
    assert_eq!(traced.join(), 7, "join returns what the thread's work returned");
    // The kernel removes a joined thread's entry a moment after join returns.
    let (gone, seen) = watch(PATIENCE, || as_set(observe_ended(tid)), |s| s == &["Terminated"]);
    let still_there = kernel::stat(tid as Tid);
    assert!(
        gone,
        "the traced thread was joined, yet after {PATIENCE:?} observe({tid}) still said {seen:?} \
         (its /proc/self/task/{tid} entry {}); kernel_state({tid}) gave {:?}: a thread whose task entry is \
         gone is Terminated, and only /proc/self/task/<tid>/stat is about that thread (/proc/self/stat is the \
         main thread's){}",
        if still_there.is_some() { "is still there" } else { "is gone" },
        kernel_state(tid),
        caller_hint(tid)
    );
}

#[test]
fn each_thread_is_read_from_its_own_task() {
    let lock = Arc::new(Mutex::new(()));
    let held = lock.lock();
    let (theirs, finished) = (Arc::clone(&lock), Finished::default());
    let done = finished.clone();
    let sleeper = spawn_traced("sleeper", move || {
        drop(theirs.try_lock_for(WORK_PATIENCE));
        done.set();
    });
    finished.expect_not_yet("a lock the test holds");
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_anyway = StopOnDrop(Arc::clone(&stop));
    let flag = Arc::clone(&stop);
    let spinner = spawn_traced("spinner", move || spin_until(&flag));
    let (s, r) = (sleeper.tid(), spinner.tid());
    let (apart, seen) = watch(PATIENCE, || (kernel_state(s), kernel_state(r)), |seen| *seen == (Some('S'), Some('R')));
    assert!(
        apart,
        "one thread waits for the test's lock (S) while another spins (R), but after {PATIENCE:?} \
         kernel_state gave {:?} for the waiting one and {:?} for the spinning one; {}; {}",
        seen.0,
        seen.1,
        diagnose(s),
        diagnose(r)
    );
    drop(held);
    stop.store(true, Ordering::SeqCst);
    sleeper.join();
    spinner.join();
}

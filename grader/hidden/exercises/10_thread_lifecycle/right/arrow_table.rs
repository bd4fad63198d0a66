//! Right: the diagram as a table of arrows searched by `next`, `rsplit_once` for
//! the state letter, `/proc/<pid>/task/<tid>/stat`, the R states in the other
//! order, and a Barrier with an atomic to hand the tid over.

use std::fmt;
use std::fs;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};

// ---------------------------------------------------------------------------
// Part A: the state diagram as a type
// ---------------------------------------------------------------------------

/// Where a thread is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, not started yet: the kernel does not know about it.
    New,
    /// Ready to run, waiting for the scheduler to give it a CPU.
    Runnable,
    /// On a CPU, executing its code.
    Running,
    /// Waiting/Blocked: waiting for something (I/O, a lock, a message, a timer)
    /// and not asking for a CPU until it comes.
    Blocked,
    /// Finished. It never runs again.
    Terminated,
}

impl State {
    /// Every state, in the order of the diagram.
    pub const ALL: [State; 5] = [State::New, State::Runnable, State::Running, State::Blocked, State::Terminated];
}

/// Something that happens to a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The program starts the thread (`spawn`).
    Start,
    /// The scheduler gives the thread a CPU.
    Schedule,
    /// The scheduler takes the CPU away (its time slice is used up, or a more
    /// urgent thread needs it).
    Preempt,
    /// The thread gives up the CPU by itself (`std::thread::yield_now`).
    Yield,
    /// The thread waits for I/O, a lock, a message or a timer.
    Block,
    /// What it waited for has come: the I/O is done, the lock is free.
    Wake,
    /// The thread's function returns (or it panics).
    Exit,
}

impl Event {
    /// Every event, in the order of a thread's life.
    pub const ALL: [Event; 7] =
        [Event::Start, Event::Schedule, Event::Preempt, Event::Yield, Event::Block, Event::Wake, Event::Exit];
}

/// `event` cannot happen to a thread that is in state `from`: there is no such
/// arrow in the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: State,
    pub event: Event,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "illegal transition: no arrow leaves {:?} on {:?}", self.from, self.event)
    }
}

impl std::error::Error for IllegalTransition {}

/// Every arrow of the diagram: (from, event, to).
const ARROWS: [(State, Event, State); 7] = [
    (State::New, Event::Start, State::Runnable),
    (State::Runnable, Event::Schedule, State::Running),
    (State::Running, Event::Preempt, State::Runnable),
    (State::Running, Event::Yield, State::Runnable),
    (State::Running, Event::Block, State::Blocked),
    (State::Blocked, Event::Wake, State::Runnable),
    (State::Running, Event::Exit, State::Terminated),
];

impl State {
    /// The state a thread in `self` moves to when `event` happens, or
    /// `Err(IllegalTransition)` naming `self` and `event` if the diagram has no
    /// such arrow.
    pub fn next(self, event: Event) -> Result<State, IllegalTransition> {
        ARROWS
            .iter()
            .find(|&&(from, on, _)| from == self && on == event)
            .map(|&(_, _, to)| to)
            .ok_or(IllegalTransition { from: self, event })
    }
}

// ---------------------------------------------------------------------------
// Part B: a real thread, seen by the kernel
// ---------------------------------------------------------------------------

/// The kernel's id of the calling thread.
pub fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() as u32 }
}

/// The state letter of a `/proc/.../stat` line: the first field after the
/// thread's name, which is written in parentheses.
///
/// ```text
/// 4250 (chef-hot) S 4242 4242 4100 ...      -> Some('S')
/// ```
///
/// A thread may be called anything, spaces and parentheses included.
pub fn state_letter(stat: &str) -> Option<char> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.trim_start().chars().next()
}

/// The kernel's state letter for thread `tid` of this process, from
/// `/proc/self/task/<tid>/stat`, or `None` if that thread is gone (its stat
/// file cannot be read).
pub fn kernel_state(tid: u32) -> Option<char> {
    // NotFound, or ESRCH for a thread caught while exiting: either way it is gone.
    let pid = std::process::id();
    let stat = fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    state_letter(&stat)
}

/// The states of the diagram that a kernel state letter can mean: `R`, `S`,
/// `D`, `Z`, `X` and `T` (see the README). A letter may fit more than one state
/// (give them all), or none of them (give an empty slice).
pub fn possible_states(letter: char) -> &'static [State] {
    match letter {
        // Linux has one letter for both: on a CPU, or queued for one.
        'R' => &[State::Running, State::Runnable],
        'S' | 'D' => &[State::Blocked],
        'Z' | 'X' => &[State::Terminated],
        _ => &[],
    }
}

/// The states of the diagram thread `tid` of this process can be in right now,
/// as far as the kernel can tell. A thread that is gone is `Terminated`.
pub fn observe(tid: u32) -> &'static [State] {
    match kernel_state(tid) {
        Some(letter) => possible_states(letter),
        None => &[State::Terminated],
    }
}

/// A thread started by [`spawn_traced`], with the kernel id to trace it by.
pub struct Traced<T> {
    tid: u32,
    handle: JoinHandle<T>,
}

impl<T> Traced<T> {
    /// The kernel's id of the traced thread.
    pub fn tid(&self) -> u32 {
        self.tid
    }

    /// What the kernel says about the thread right now.
    pub fn observe(&self) -> &'static [State] {
        observe(self.tid)
    }

    /// Waits for the thread to finish and returns what `work` returned. A panic
    /// in `work` carries on in the caller.
    pub fn join(self) -> T {
        match self.handle.join() {
            Ok(value) => value,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}

/// Starts `work` on a new thread called `name` and returns once the thread's
/// kernel id is known.
///
/// Only a thread can ask the kernel for its own id ([`current_tid`]), so the
/// new thread has to find it out and tell the caller before it runs `work`.
pub fn spawn_traced<T, F>(name: &str, work: F) -> Traced<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let tid = Arc::new(AtomicU32::new(0));
    let known = Arc::new(Barrier::new(2));
    let (theirs, told) = (Arc::clone(&tid), Arc::clone(&known));
    let handle = thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            theirs.store(current_tid(), Ordering::SeqCst);
            told.wait();
            work()
        })
        .expect("the OS could not create a thread");
    known.wait();
    Traced { tid: tid.load(Ordering::SeqCst), handle }
}

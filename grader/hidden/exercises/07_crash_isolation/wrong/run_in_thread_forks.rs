//! Wrong: run_in_thread runs the job in a forked child process, so an abort in
//! the job no longer ends the process that called it, and a panic's message is
//! lost.
//! Must fail: a_panic_in_a_thread_is_caught_at_join, an_abort_in_a_thread_of_the_child_ends_the_whole_child

use std::any::Any;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitStatus;

/// What became of a job, as far as whoever ran it can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The job came to its end and gave this exit code (0 means success).
    Finished(i32),
    /// The job's thread panicked; this is the panic's message, caught at `join`.
    Panicked(String),
    /// The job's process was ended by this signal (`libc::SIGABRT` for an abort).
    KilledBy(i32),
}

/// The work of one browser tab for [`open_tabs`]; it returns its exit code.
pub type Job = Box<dyn FnOnce() -> i32>;

/// The exit code of a Rust program whose main thread panicked.
pub const PANIC_EXIT_CODE: i32 = 101;

/// Runs `job` on a new thread of this process and waits for it.
///
/// Gives `Finished(code)` with the code the job returned, or `Panicked(message)`
/// if the job panicked.
pub fn run_in_thread<F>(job: F) -> Outcome
where
    F: FnOnce() -> i32 + Send + 'static,
{
    run_in_child(job)
}

/// What a finished process's exit status says: `Finished(code)` if it exited,
/// `KilledBy(signal)` if a signal ended it.
pub fn classify(status: ExitStatus) -> Outcome {
    match (status.code(), status.signal()) {
        (Some(code), _) => Outcome::Finished(code),
        // A killed process never exited, so it has no exit code at all.
        (None, Some(signal)) => Outcome::KilledBy(signal),
        (None, None) => panic!("{status:?} is neither an exit nor a signal: was the process only stopped?"),
    }
}

/// Runs `job` in a new child process, waits for that child and reaps it.
///
/// The child exits with the code the job returns (0 to 255), or with
/// [`PANIC_EXIT_CODE`] if the job panics. Gives `Finished(code)`, or
/// `KilledBy(signal)` if the child was killed, for instance by an abort.
pub fn run_in_child<F: FnOnce() -> i32>(job: F) -> Outcome {
    let pid = start_child(job).unwrap_or_else(|e| panic!("could not fork a child process: {e}"));
    wait_for(pid)
}

/// Opens every tab in a child process of its own, all at the same time, then
/// waits for each and gives their outcomes in the order of `tabs`.
pub fn open_tabs(tabs: Vec<Job>) -> Vec<Outcome> {
    // Start them all first: waiting inside this loop would run one tab at a time.
    let mut pids = Vec::with_capacity(tabs.len());
    for tab in tabs {
        match start_child(tab) {
            Ok(pid) => pids.push(pid),
            Err(e) => {
                // Leave no tab behind, even when the next one cannot start.
                pids.into_iter().for_each(|pid| drop(wait_for(pid)));
                panic!("could not fork a child process for a tab: {e}");
            }
        }
    }
    pids.into_iter().map(wait_for).collect()
}

/// Forks a child that runs `job` and ends; gives the child's pid to the parent.
fn start_child<F: FnOnce() -> i32>(job: F) -> io::Result<libc::pid_t> {
    // SAFETY: fork copies only this thread. The child runs the job and then
    // ends with `_exit`: it never returns into the caller's code.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // A panic must not unwind out of here: the caller's code would go on
            // running in the child, a second copy of the program.
            let code = panic::catch_unwind(AssertUnwindSafe(job)).unwrap_or(PANIC_EXIT_CODE);
            // SAFETY: ends the child at once, without running the destructors and
            // exit handlers it copied from the parent a second time.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(pid),
    }
}

/// Waits for the child `pid` (this one, not any child) and reaps it.
fn wait_for(pid: libc::pid_t) -> Outcome {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child and writes its status into `status`.
        if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
            return classify(ExitStatus::from_raw(status));
        }
        let err = io::Error::last_os_error();
        // A signal handler interrupted the wait; the child is still ours to reap.
        if err.kind() != io::ErrorKind::Interrupted {
            panic!("waiting for child {pid} failed: {err}");
        }
    }
}

/// The text of a panic: `panic!` stores a `&str` or a `String`.
#[allow(dead_code)]
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&str>() {
            Ok(s) => s.to_string(),
            Err(_) => "a panic without a message".to_string(),
        },
    }
}

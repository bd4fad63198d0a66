//! Exercise 07: crash isolation.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p crash_isolation` passes, then run `cargo grade 07`.

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
    todo!("spawn a thread, join it, and turn what join gives into an Outcome")
}

/// What a finished process's exit status says: `Finished(code)` if it exited,
/// `KilledBy(signal)` if a signal ended it.
pub fn classify(status: ExitStatus) -> Outcome {
    todo!("status.code(), and std::os::unix::process::ExitStatusExt::signal")
}

/// Runs `job` in a new child process, waits for that child and reaps it.
///
/// The child exits with the code the job returns (0 to 255), or with
/// [`PANIC_EXIT_CODE`] if the job panics. Gives `Finished(code)`, or
/// `KilledBy(signal)` if the child was killed, for instance by an abort.
pub fn run_in_child<F: FnOnce() -> i32>(job: F) -> Outcome {
    todo!("libc::fork; the child runs the job and ends with libc::_exit; the parent waits with libc::waitpid")
}

/// Opens every tab in a child process of its own, all at the same time, then
/// waits for each and gives their outcomes in the order of `tabs`.
pub fn open_tabs(tabs: Vec<Job>) -> Vec<Outcome> {
    todo!("fork a child for every tab first, then wait for each")
}

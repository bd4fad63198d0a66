//! Right: the raw wait status decoded with libc's macros in a match, `wait4` for
//! one pid, a named thread from `Builder` with `downcast_ref`, iterator chains.

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
    let handle = std::thread::Builder::new().name("job".into()).spawn(job).expect("could not start a thread");
    match handle.join() {
        Ok(code) => Outcome::Finished(code),
        Err(payload) => {
            let message = if let Some(s) = payload.downcast_ref::<&str>() {
                s.to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                String::from("(no message)")
            };
            Outcome::Panicked(message)
        }
    }
}

/// What a finished process's exit status says: `Finished(code)` if it exited,
/// `KilledBy(signal)` if a signal ended it.
pub fn classify(status: ExitStatus) -> Outcome {
    let raw = status.into_raw();
    match (libc::WIFEXITED(raw), libc::WIFSIGNALED(raw)) {
        (true, _) => Outcome::Finished(libc::WEXITSTATUS(raw)),
        (_, true) => Outcome::KilledBy(libc::WTERMSIG(raw)),
        _ => panic!("wait status {raw:#x} is neither an exit nor a signal"),
    }
}

/// Runs `job` in a new child process, waits for that child and reaps it.
///
/// The child exits with the code the job returns (0 to 255), or with
/// [`PANIC_EXIT_CODE`] if the job panics. Gives `Finished(code)`, or
/// `KilledBy(signal)` if the child was killed, for instance by an abort.
pub fn run_in_child<F: FnOnce() -> i32>(job: F) -> Outcome {
    reap(fork_job(job))
}

/// Opens every tab in a child process of its own, all at the same time, then
/// waits for each and gives their outcomes in the order of `tabs`.
pub fn open_tabs(tabs: Vec<Job>) -> Vec<Outcome> {
    let pids: Vec<libc::pid_t> = tabs.into_iter().map(fork_job).collect();
    pids.into_iter().map(reap).collect()
}

fn fork_job<F: FnOnce() -> i32>(job: F) -> libc::pid_t {
    // SAFETY: the child runs the job and ends with _exit; it never returns.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = panic::catch_unwind(AssertUnwindSafe(job)).unwrap_or(PANIC_EXIT_CODE);
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) }
    }
    assert!(pid > 0, "fork failed: {}", std::io::Error::last_os_error());
    pid
}

fn reap(pid: libc::pid_t) -> Outcome {
    let mut status = 0;
    // SAFETY: waits for our own child; no resource usage wanted.
    while unsafe { libc::wait4(pid, &mut status, 0, std::ptr::null_mut()) } != pid {
        assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(libc::EINTR), "wait4 failed");
    }
    classify(ExitStatus::from_raw(status))
}

//! Right: a crossbeam scope for the thread, `code()` and `signal()` through
//! if-let, `waitid` for one pid, and plain loops for the tabs.

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
    let joined = crossbeam::scope(|s| s.spawn(|_| job()).join()).expect("the scope's own threads were joined");
    match joined {
        Ok(code) => Outcome::Finished(code),
        Err(payload) => match payload.downcast::<String>() {
            Ok(message) => Outcome::Panicked(*message),
            Err(payload) => Outcome::Panicked(payload.downcast::<&str>().map(|m| m.to_string()).unwrap_or_default()),
        },
    }
}

/// What a finished process's exit status says: `Finished(code)` if it exited,
/// `KilledBy(signal)` if a signal ended it.
pub fn classify(status: ExitStatus) -> Outcome {
    if let Some(code) = status.code() {
        Outcome::Finished(code)
    } else if let Some(signal) = status.signal() {
        Outcome::KilledBy(signal)
    } else {
        unreachable!("a finished process exited or was killed")
    }
}

/// Runs `job` in a new child process, waits for that child and reaps it.
///
/// The child exits with the code the job returns (0 to 255), or with
/// [`PANIC_EXIT_CODE`] if the job panics. Gives `Finished(code)`, or
/// `KilledBy(signal)` if the child was killed, for instance by an abort.
pub fn run_in_child<F: FnOnce() -> i32>(job: F) -> Outcome {
    let pid = start(job).unwrap_or_else(|e| panic!("no child: {e}"));
    finish(pid).unwrap_or_else(|e| panic!("waiting for {pid}: {e}"))
}

/// Opens every tab in a child process of its own, all at the same time, then
/// waits for each and gives their outcomes in the order of `tabs`.
pub fn open_tabs(tabs: Vec<Job>) -> Vec<Outcome> {
    let mut pids = Vec::new();
    for tab in tabs {
        pids.push(start(tab).expect("could not open a tab"));
    }
    let mut outcomes = Vec::new();
    for pid in pids {
        outcomes.push(finish(pid).expect("could not wait for a tab"));
    }
    outcomes
}

fn start<F: FnOnce() -> i32>(job: F) -> io::Result<libc::pid_t> {
    // SAFETY: the child runs the job and ends with _exit; it never returns.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            let code = match panic::catch_unwind(AssertUnwindSafe(job)) {
                Ok(code) => code,
                Err(_) => PANIC_EXIT_CODE,
            };
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(pid),
    }
}

fn finish(pid: libc::pid_t) -> io::Result<Outcome> {
    // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child and reaps it.
        if unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED) } == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    // SAFETY: waitid filled in a child's exit: si_status is the code or the signal.
    let (code, status) = unsafe { (info.si_code, info.si_status()) };
    Ok(if code == libc::CLD_EXITED { Outcome::Finished(status) } else { Outcome::KilledBy(status) })
}

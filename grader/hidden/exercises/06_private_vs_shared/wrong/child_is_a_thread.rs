//! Wrong: "forks" by starting a thread: the work shares the parent's memory,
//! pid and descriptors, so nothing it changes is private.
//! Must fail: child_runs_in_a_process_of_its_own, child_changes_only_its_own_copy, a_child_that_ends_without_answering_gives_an_error, an_inherited_descriptor_shares_the_offset_with_the_parent, descriptors_the_child_closes_or_opens_stay_its_own

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::panic;

/// A child process that has finished, seen from its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildRun {
    /// The child's process id, as `fork` gave it to the parent.
    pub pid: libc::pid_t,
    /// What `work` returned in the child, sent back through a pipe.
    pub answer: i64,
}

/// Runs `work` in a new child process made with `libc::fork`, sends what it
/// returns back to the parent through a pipe, and waits for the child to end.
///
/// The child works on a copy of this process's memory: whatever `work`
/// changes, it changes in the child's copy only. After `fork` the child does
/// only this: run `work`, write the answer to the pipe, and leave with
/// `libc::_exit`. It never returns from this function.
///
/// Returns an error if the pipe or the fork fails, or if the child ends
/// without sending all 8 bytes of its answer. Either way, the child has been
/// waited for (`libc::waitpid`) when this returns.
pub fn in_child_process<F>(work: F) -> io::Result<ChildRun>
where
    F: FnOnce() -> i64 + Send,
{
    let (answer, tid) = std::thread::scope(|s| {
        s.spawn(|| {
            let answer = work();
            // SAFETY: gettid has no preconditions.
            (answer, unsafe { libc::gettid() })
        })
        .join()
        .unwrap_or_else(|payload| panic::resume_unwind(payload))
    });
    let _ = (pipe, wait_for, describe);
    Ok(ChildRun { pid: tid, answer })
}

/// Runs `work` on a new thread of this process, waits for it, and returns what
/// it returned. `work` may borrow from the caller, so it can change the
/// caller's own variables. If `work` panics, the panic carries on in the caller.
pub fn in_thread<F>(work: F) -> i64
where
    F: FnOnce() -> i64 + Send,
{
    // A scoped thread may borrow: the scope ends only after the thread has.
    std::thread::scope(|s| s.spawn(work).join()).unwrap_or_else(|payload| panic::resume_unwind(payload))
}

/// A new pipe as (read end, write end). Close-on-exec, so a program that
/// another thread starts at the same moment does not inherit it.
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut ends = [0; 2];
    // SAFETY: pipe2 fills the array with two new descriptors.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are new and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) })
}

/// Waits for this one child (never any other) and returns its wait status.
fn wait_for(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child and writes its status into `status`.
        if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
            return Ok(status);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn describe(status: libc::c_int) -> String {
    if libc::WIFEXITED(status) {
        format!("exit code {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status}")
    }
}

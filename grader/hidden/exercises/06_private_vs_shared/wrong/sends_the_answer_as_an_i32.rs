//! Wrong: sends the answer as an i32 (4 bytes) and rebuilds it from those, so
//! an answer that does not fit in 32 bits comes back wrong.
//! Must fail: the_childs_answer_comes_back_whole

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::panic::{self, AssertUnwindSafe};

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
    F: FnOnce() -> i64,
{
    let (reader, writer) = pipe()?;
    // SAFETY: the child runs only `work`, one write(2) and _exit(2), so it never
    // needs a lock that another thread of the parent held at the fork.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // The child: its memory is a copy; its descriptors point at the
            // parent's pipe. It needs only the write end.
            drop(reader);
            // A panic must not unwind into the caller's code in the child.
            let code = match panic::catch_unwind(AssertUnwindSafe(work)) {
                Ok(answer) => {
                    let bytes = (answer as i32).to_ne_bytes();
                    // SAFETY: writes 4 bytes from a live buffer to our own pipe.
                    let sent = unsafe { libc::write(writer.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
                    if sent == bytes.len() as isize { 0 } else { 1 }
                }
                Err(_) => 101,
            };
            // SAFETY: ends the child at once: no destructors, no atexit
            // handlers, no stdio buffers copied from the parent flushed twice.
            unsafe { libc::_exit(code) }
        }
        pid => {
            // The parent's copy of the write end must go, or the pipe never ends
            // for the reader even after the child has gone.
            drop(writer);
            let mut bytes = [0u8; 4];
            let read = File::from(reader).read_exact(&mut bytes);
            // Wait before looking at the answer: also a child that failed is reaped.
            let status = wait_for(pid)?;
            match read {
                Ok(()) => Ok(ChildRun { pid, answer: i64::from(i32::from_ne_bytes(bytes)) }),
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("child {pid} ended without sending an answer ({})", describe(status)),
                )),
            }
        }
    }
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

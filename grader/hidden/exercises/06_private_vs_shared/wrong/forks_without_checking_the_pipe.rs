//! Wrong: never looks at what pipe returns, so when no pipe could be made it
//! forks anyway, and the work runs with nowhere to send its answer.
//! Must fail: a_pipe_or_fork_that_fails_gives_an_error

use std::io;
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
    let mut fds = [0; 2];
    // SAFETY: pipe fills the array with two new descriptors.
    unsafe { libc::pipe(fds.as_mut_ptr()) };
    let [read_end, write_end] = fds;
    // SAFETY: the child runs only `work`, write(2) and _exit(2).
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // SAFETY: plain system calls on the child's own descriptors.
            unsafe {
                libc::close(read_end);
                let code = match panic::catch_unwind(AssertUnwindSafe(work)) {
                    Ok(answer) => {
                        let bytes = answer.to_ne_bytes();
                        libc::write(write_end, bytes.as_ptr().cast(), bytes.len());
                        0
                    }
                    Err(_) => 101,
                };
                libc::_exit(code)
            }
        }
        pid => {
            let mut bytes = [0u8; 8];
            let mut got = 0;
            // SAFETY: plain system calls on the parent's own descriptors.
            unsafe {
                libc::close(write_end);
                while got < bytes.len() {
                    let n = libc::read(read_end, bytes[got..].as_mut_ptr().cast(), bytes.len() - got);
                    if n <= 0 {
                        break;
                    }
                    got += n as usize;
                }
                libc::close(read_end);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            if got < bytes.len() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the child ended without answering"));
            }
            Ok(ChildRun { pid, answer: i64::from_ne_bytes(bytes) })
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
    std::thread::scope(|s| s.spawn(work).join()).unwrap_or_else(|payload| panic::resume_unwind(payload))
}

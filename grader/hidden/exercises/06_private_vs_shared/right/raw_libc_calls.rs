//! Right: raw libc calls throughout (pipe without O_CLOEXEC, a read loop,
//! waitid), and a scoped thread that writes its answer into the caller's
//! variable, joined by the end of the scope.

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
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe fills the array with two new descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [read_end, write_end] = fds;
    // SAFETY: the child runs only `work`, write(2) and _exit(2).
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        let err = io::Error::last_os_error();
        // SAFETY: closes both ends of our own pipe.
        unsafe {
            libc::close(read_end);
            libc::close(write_end);
        }
        return Err(err);
    }
    if pid == 0 {
        // SAFETY: closes the child's copy of the read end.
        unsafe { libc::close(read_end) };
        let code = match panic::catch_unwind(AssertUnwindSafe(work)) {
            Ok(answer) => {
                let bytes = answer.to_ne_bytes();
                let mut sent = 0;
                while sent < bytes.len() {
                    // SAFETY: writes from a live buffer to our own pipe.
                    let n = unsafe { libc::write(write_end, bytes[sent..].as_ptr().cast(), bytes.len() - sent) };
                    if n <= 0 {
                        break;
                    }
                    sent += n as usize;
                }
                if sent == bytes.len() { 0 } else { 1 }
            }
            Err(_) => 2,
        };
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) }
    }
    // SAFETY: closes the parent's copy of the write end.
    unsafe { libc::close(write_end) };
    let mut bytes = [0u8; 8];
    let mut got = 0;
    while got < bytes.len() {
        // SAFETY: reads into a live buffer from our own pipe.
        let n = unsafe { libc::read(read_end, bytes[got..].as_mut_ptr().cast(), bytes.len() - got) };
        if n > 0 {
            got += n as usize;
        } else if n == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break;
        }
    }
    // SAFETY: closes the read end.
    unsafe { libc::close(read_end) };
    // SAFETY: a zeroed siginfo_t is a valid value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waits for our own child.
        if unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED) } == 0 {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    if got < bytes.len() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, format!("child {pid} sent {got} of 8 bytes")));
    }
    Ok(ChildRun { pid, answer: i64::from_ne_bytes(bytes) })
}

/// Runs `work` on a new thread of this process, waits for it, and returns what
/// it returned. `work` may borrow from the caller, so it can change the
/// caller's own variables. If `work` panics, the panic carries on in the caller.
pub fn in_thread<F>(work: F) -> i64
where
    F: FnOnce() -> i64 + Send,
{
    let mut answer = 0;
    // The scope joins the thread, and panics if it panicked.
    std::thread::scope(|s| {
        s.spawn(|| answer = work());
    });
    answer
}

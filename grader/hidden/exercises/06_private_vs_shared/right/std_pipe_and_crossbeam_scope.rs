//! Right: std::io::pipe for the pipe, the parent waits for the child before
//! it reads (the 8 bytes wait in the pipe), and a crossbeam scope for the
//! thread, whose panic comes back through `unwrap`.

use std::io::{self, Read, Write};
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
    let (mut reader, mut writer) = io::pipe()?;
    // SAFETY: the child runs only `work`, write(2) and _exit(2).
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            drop(reader);
            let sent =
                panic::catch_unwind(AssertUnwindSafe(work)).map(|answer| writer.write_all(&answer.to_ne_bytes()));
            // SAFETY: ends the child at once.
            unsafe { libc::_exit(if matches!(sent, Ok(Ok(()))) { 0 } else { 1 }) }
        }
        pid => {
            drop(writer);
            let mut status = 0;
            // SAFETY: waits for our own child.
            while unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
            let mut bytes = [0u8; 8];
            reader.read_exact(&mut bytes)?;
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
    crossbeam::scope(|s| s.spawn(move |_| work()).join().unwrap()).unwrap()
}

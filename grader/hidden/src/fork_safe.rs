//! Ids of the calling process and thread. Safe after `fork`: each is one
//! async-signal-safe system call, with no allocation and no lock, so a forked
//! child of a threaded test may call them before it ends with `_exit`.

/// A kernel thread id (what `gettid` and `/proc/self/task` name).
pub type Tid = libc::pid_t;

/// The kernel's id of the calling thread: what the kernel schedules.
pub fn gettid() -> Tid {
    // SAFETY: gettid has no preconditions, cannot fail and is async-signal-safe.
    unsafe { libc::gettid() }
}

/// The id of the calling process.
pub fn getpid() -> libc::pid_t {
    // SAFETY: as gettid.
    unsafe { libc::getpid() }
}

/// The id of the calling process's parent.
pub fn getppid() -> libc::pid_t {
    // SAFETY: as gettid.
    unsafe { libc::getppid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_thread_id_is_the_process_id_and_others_differ() {
        let main = std::thread::spawn(|| (gettid(), getpid())).join().unwrap();
        assert_ne!(main.0, main.1, "a spawned thread has a tid of its own");
        assert_eq!(main.1, getpid());
        assert!(getppid() > 0);
    }
}

//! The test's own child processes, for proving that learner code waits for its
//! children only: a finished child nobody has collected yet (a zombie only the
//! test may reap), and a look at whether it is still there.

/// Forks a child that ends at once with `code`, and waits until it has ended
/// without collecting it (`WNOWAIT`). The child runs nothing but `_exit`, so
/// this is sound in a threaded test.
pub fn finished_child(code: i32) -> libc::pid_t {
    // SAFETY: the child only calls _exit.
    let child = match unsafe { libc::fork() } {
        -1 => panic!("the test could not fork: {}", std::io::Error::last_os_error()),
        // SAFETY: ends the test's own child at once.
        0 => unsafe { libc::_exit(code) },
        pid => pid,
    };
    // SAFETY: siginfo_t is plain data; waitid writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the test's own child, leaving it uncollected (WNOWAIT).
    let waited = unsafe { libc::waitid(libc::P_PID, child as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
    assert_eq!(waited, 0, "the test could not wait for its own child: {}", std::io::Error::last_os_error());
    child
}

/// Collects the finished child `pid` if it is still there to be collected:
/// its wait status (see `libc::WEXITSTATUS`), or `None` when someone else
/// collected it (or it has not ended).
pub fn collect_now(pid: libc::pid_t) -> Option<libc::c_int> {
    let mut status = 0;
    // SAFETY: a non-blocking wait for one child of the test's own.
    let collected = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    (collected == pid).then_some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_child_waits_to_be_collected_once() {
        let child = finished_child(55);
        assert_eq!(crate::kernel::process_state(child), Some('Z'), "a zombie until collected");
        let status = collect_now(child).expect("still there");
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 55);
        assert_eq!(collect_now(child), None, "collected already");
    }
}

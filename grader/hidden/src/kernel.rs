//! What the kernel says about this process's threads, read from `/proc/self`:
//! data only, so each test words it for its own lesson. Not safe after `fork`
//! (these allocate): see [`crate::fork_safe`].

use std::collections::BTreeSet;
use std::fs;

use crate::contract::stat_state;
use crate::fork_safe::Tid;

/// The tids of this process's threads right now (empty if `/proc` is unreadable).
pub fn tasks() -> BTreeSet<Tid> {
    fs::read_dir("/proc/self/task")
        .map(|dir| dir.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// The raw stat line of a thread of this process, trimmed; `None` once it is gone.
pub fn stat(tid: Tid) -> Option<String> {
    fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok().map(|s| s.trim_end().to_string())
}

/// A thread's state letter (`S` asleep, `R` running...); `None` once it is gone.
pub fn state(tid: Tid) -> Option<char> {
    stat_state(&stat(tid)?)
}

/// The kernel function a thread sleeps in, trimmed; empty when the kernel does
/// not say (`0`, or a hidden wait channel) or the thread is gone.
pub fn wchan(tid: Tid) -> String {
    let wchan = fs::read_to_string(format!("/proc/self/task/{tid}/wchan")).unwrap_or_default();
    let wchan = wchan.trim();
    if wchan == "0" { String::new() } else { wchan.to_string() }
}

/// A process's state letter (`Z` a zombie nobody has collected yet); `None`
/// once it is gone (collected).
pub fn process_state(pid: libc::pid_t) -> Option<char> {
    stat_state(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// How often the kernel switched a thread off its CPU so far, from its status file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Switches {
    /// The thread gave up the CPU: it went to sleep.
    pub voluntary: u64,
    /// The scheduler took the CPU away.
    pub involuntary: u64,
}

impl Switches {
    pub fn total(self) -> u64 {
        self.voluntary + self.involuntary
    }
}

/// A thread's context switches; `None` once it is gone.
pub fn switches(tid: Tid) -> Option<Switches> {
    parse_switches(&fs::read_to_string(format!("/proc/self/task/{tid}/status")).ok()?)
}

fn parse_switches(status: &str) -> Option<Switches> {
    let count = |key: &str| status.lines().find_map(|l| l.strip_prefix(key))?.trim().parse().ok();
    Some(Switches { voluntary: count("voluntary_ctxt_switches:")?, involuntary: count("nonvoluntary_ctxt_switches:")? })
}

/// The `Threads:` count of `/proc/self/status`.
pub fn thread_count() -> Option<usize> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| l.strip_prefix("Threads:"))?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fork_safe::gettid;
    use std::sync::mpsc;

    #[test]
    fn a_parked_thread_is_listed_asleep_and_gone_once_joined() {
        let (tx, rx) = mpsc::channel();
        let (stop, wait) = mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            tx.send(gettid()).unwrap();
            let _ = wait.recv();
        });
        let tid = rx.recv().unwrap();
        assert!(tasks().contains(&tid) && tasks().contains(&gettid()));
        assert!(thread_count().unwrap() >= 2);
        assert!(crate::poll::wait_until(crate::PATIENCE, || state(tid) == Some('S')), "{:?}", stat(tid));
        assert!(switches(tid).unwrap().voluntary >= 1);
        drop(stop);
        t.join().unwrap();
        assert!(crate::poll::wait_until(crate::PATIENCE, || state(tid).is_none() && !tasks().contains(&tid)));
        assert_eq!((switches(tid), wchan(tid)), (None, String::new()));
        assert!(process_state(crate::fork_safe::getpid()).is_some(), "the test's own process is there");
        assert_eq!(process_state(-1), None);
    }

    #[test]
    fn switches_need_both_lines() {
        let status = "Name:\tx\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n";
        assert_eq!(parse_switches(status).map(Switches::total), Some(9));
        assert_eq!(parse_switches("voluntary_ctxt_switches:\t7\n"), None);
    }

    #[test]
    fn the_state_comes_after_the_last_parenthesis() {
        assert_eq!(stat_state("12 (a) b) S 1 2"), Some('S'));
        assert_eq!(stat_state("12 (worker) R 1"), Some('R'));
        assert_eq!(stat_state("no parenthesis"), None);
        assert_eq!(stat_state("12 (cut)"), None);
    }
}

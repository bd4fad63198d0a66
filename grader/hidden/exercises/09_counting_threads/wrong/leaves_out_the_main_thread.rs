//! Wrong: counts the entries of /proc/self/task but leaves out the main
//! thread, as if only spawned threads were threads.
//! Must fail: thread_count_matches_the_kernels_threads_line
//! Exercise 09: counting threads.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p counting_threads` passes, then run `cargo grade 09`.

use std::fs;

/// One thread of this process, as the kernel shows it in `/proc/self/task/<tid>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The kernel's id of the thread (`ps` calls it LWP). The main thread's tid
    /// is the process id.
    pub tid: u32,
    /// The thread's name, from `comm`: at most 15 bytes, and it may contain
    /// spaces and parentheses.
    pub name: String,
    /// The state letter from `stat`: `R` running, `S` sleeping, `D` waiting
    /// for the disk, `T` stopped, `Z` zombie.
    pub state: char,
}

/// The kernel's id of the calling thread (what `ps -eLf` shows as LWP).
pub fn current_tid() -> u32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    unsafe { libc::gettid() as u32 }
}

/// The number on the `Threads:` line of a `/proc/<pid>/status` text, or `None`
/// if there is no such line.
pub fn threads_in_status(status: &str) -> Option<usize> {
    status.lines().find_map(|line| line.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok())
}

/// How many threads this process has right now, from `/proc/self/status`.
pub fn thread_count() -> usize {
    // The main thread is the process itself; count the others.
    let tasks = fs::read_dir("/proc/self/task").expect("/proc/self/task is readable on Linux");
    tasks.count() - 1
}

/// The state letter of a `/proc/.../stat` line: the field after the thread's
/// name, which is written in parentheses.
pub fn state_in_stat(stat: &str) -> Option<char> {
    // The name may itself contain ") ": only the last ')' closes it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().next()?.chars().next()
}

/// Every thread of this process, in any order, with its name and state.
pub fn list_threads() -> Vec<ThreadInfo> {
    let dir = fs::read_dir("/proc/self/task").expect("/proc/self/task is readable on Linux");
    let mut threads: Vec<ThreadInfo> = dir
        .flatten()
        .filter_map(|entry| {
            let tid = entry.file_name().to_str()?.parse().ok()?;
            // A thread may end between the listing and these reads: then skip it.
            let comm = fs::read(entry.path().join("comm")).ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            let name = String::from_utf8_lossy(comm.strip_suffix(b"\n").unwrap_or(&comm)).into_owned();
            Some(ThreadInfo { tid, name, state: state_in_stat(&stat)? })
        })
        .collect();
    threads.sort_by_key(|t| t.tid);
    threads
}

/// A `ps -eLf`-like table of `threads` in process `pid`, one row per thread in
/// the order given, under a header. NLWP is the number of threads in the table.
pub fn ps_report(pid: u32, threads: &[ThreadInfo]) -> String {
    let mut report = format!("{:<8}{:<8}{:<6}{:<7}{}\n", "PID", "LWP", "NLWP", "STATE", "NAME");
    for t in threads {
        report += &format!("{:<8}{:<8}{:<6}{:<7}{}\n", pid, t.tid, threads.len(), t.state, t.name);
    }
    report
}

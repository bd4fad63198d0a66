//! Right: BufRead lines for the status, split_whitespace after the last ')',
//! plain loops over /proc/self/task in the kernel's order (no sorting),
//! read_to_string for comm, writeln! for the report.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};

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
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("Threads:") {
            return rest.trim().parse().ok();
        }
    }
    None
}

/// How many threads this process has right now, from `/proc/self/status`.
pub fn thread_count() -> usize {
    let file = File::open("/proc/self/status").expect("/proc/self/status");
    for line in BufReader::new(file).lines() {
        let line = line.expect("a line of /proc/self/status");
        if let Some(count) = threads_in_status(&line) {
            return count;
        }
    }
    panic!("/proc/self/status has no Threads: line")
}

/// The state letter of a `/proc/.../stat` line: the field after the thread's
/// name, which is written in parentheses.
pub fn state_in_stat(stat: &str) -> Option<char> {
    let end_of_name = stat.rfind(')')?;
    let mut fields = stat[end_of_name + 1..].split_whitespace();
    fields.next()?.chars().next()
}

/// Every thread of this process, in any order, with its name and state.
pub fn list_threads() -> Vec<ThreadInfo> {
    let mut threads = Vec::new();
    for entry in fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let Ok(entry) = entry else { continue };
        let Some(tid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else { continue };
        let (Ok(comm), Ok(stat)) =
            (fs::read_to_string(entry.path().join("comm")), fs::read_to_string(entry.path().join("stat")))
        else {
            continue;
        };
        let name = comm.strip_suffix('\n').unwrap_or(&comm).to_string();
        if let Some(state) = state_in_stat(&stat) {
            threads.push(ThreadInfo { tid, name, state });
        }
    }
    threads
}

/// A `ps -eLf`-like table of `threads` in process `pid`, one row per thread in
/// the order given, under a header. NLWP is the number of threads in the table.
pub fn ps_report(pid: u32, threads: &[ThreadInfo]) -> String {
    let mut out = String::new();
    writeln!(out, "{:<8}{:<8}{:<6}{:<7}NAME", "PID", "LWP", "NLWP", "STATE").unwrap();
    for t in threads {
        writeln!(out, "{pid:<8}{:<8}{:<6}{:<7}{}", t.tid, threads.len(), t.state, t.name).unwrap();
    }
    out
}

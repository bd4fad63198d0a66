//! Right: split_once for the status, rsplit_once for the stat line, iterator
//! chains over /proc/self/task with comm read as bytes, threads listed from
//! the highest tid down, and the report padded by hand.

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
    status
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| *key == "Threads")
        .and_then(|(_, value)| value.trim().parse().ok())
}

/// How many threads this process has right now, from `/proc/self/status`.
pub fn thread_count() -> usize {
    fs::read_to_string("/proc/self/status").ok().and_then(|s| threads_in_status(&s)).unwrap_or(0)
}

/// The state letter of a `/proc/.../stat` line: the field after the thread's
/// name, which is written in parentheses.
pub fn state_in_stat(stat: &str) -> Option<char> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.trim_start().chars().next()
}

/// Every thread of this process, in any order, with its name and state.
pub fn list_threads() -> Vec<ThreadInfo> {
    let Ok(dir) = fs::read_dir("/proc/self/task") else { return Vec::new() };
    let mut threads: Vec<ThreadInfo> = dir
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let tid: u32 = entry.file_name().into_string().ok()?.parse().ok()?;
            let mut comm = fs::read(entry.path().join("comm")).ok()?;
            if comm.last() == Some(&b'\n') {
                comm.pop();
            }
            let state = state_in_stat(&fs::read_to_string(entry.path().join("stat")).ok()?)?;
            Some(ThreadInfo { tid, name: String::from_utf8_lossy(&comm).into_owned(), state })
        })
        .collect();
    threads.sort_by_key(|t| std::cmp::Reverse(t.tid));
    threads
}

/// A `ps -eLf`-like table of `threads` in process `pid`, one row per thread in
/// the order given, under a header. NLWP is the number of threads in the table.
pub fn ps_report(pid: u32, threads: &[ThreadInfo]) -> String {
    fn pad(text: String, width: usize) -> String {
        let spaces = width.saturating_sub(text.chars().count());
        text + &" ".repeat(spaces)
    }
    let header = ["PID", "LWP", "NLWP", "STATE"].iter().zip([8, 8, 6, 7]).map(|(h, w)| pad(h.to_string(), w));
    let mut out: String = header.collect::<String>() + "NAME\n";
    for t in threads {
        let cells = [pid.to_string(), t.tid.to_string(), threads.len().to_string(), t.state.to_string()];
        out += &cells.into_iter().zip([8, 8, 6, 7]).map(|(c, w)| pad(c, w)).collect::<String>();
        out += &t.name;
        out += "\n";
    }
    out
}

//! Exercise 09: counting threads.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p counting_threads` passes, then run `cargo grade 09`.

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
///
/// ```text
/// Name:   counting_thread
/// ...
/// Threads:        4
/// ...
/// ```
pub fn threads_in_status(status: &str) -> Option<usize> {
    todo!("find the line that starts with \"Threads:\" and parse the number after it")
}

/// How many threads this process has right now, from `/proc/self/status`.
pub fn thread_count() -> usize {
    todo!("read /proc/self/status (std::fs::read_to_string) and use threads_in_status")
}

/// The state letter of a `/proc/.../stat` line: the field after the thread's
/// name, which is written in parentheses.
///
/// ```text
/// 4250 (chef-hot) S 4242 4242 ...
/// ```
pub fn state_in_stat(stat: &str) -> Option<char> {
    todo!("find where the name ends, then take the next field")
}

/// Every thread of this process, in any order, with its name and state.
///
/// The threads are the entries of `/proc/self/task` (each named by its tid);
/// a thread's name is in `/proc/self/task/<tid>/comm` (with a newline at the
/// end), its state in `/proc/self/task/<tid>/stat`. A thread may end while you
/// read: skip a thread whose files are gone.
pub fn list_threads() -> Vec<ThreadInfo> {
    todo!("read_dir(\"/proc/self/task\"), then comm and stat of each entry")
}

/// A `ps -eLf`-like table of `threads` in process `pid`: a header, then one
/// row per thread in the order given. NLWP is the number of threads in the table.
///
/// The columns are left-aligned and padded with spaces to 8, 8, 6 and 7
/// characters; NAME comes last, unpadded; every line ends with `\n`:
///
/// ```text
/// PID     LWP     NLWP  STATE  NAME
/// 4242    4242    2     R      counting_thread
/// 4242    4250    2     S      chef-hot
/// ```
pub fn ps_report(pid: u32, threads: &[ThreadInfo]) -> String {
    todo!("format!(\"{{:<8}}...\") one header and one line per thread")
}

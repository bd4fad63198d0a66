//! Hidden tests for exercise 09: the count is read from the kernel afresh on
//! every call and moves by exactly the threads the test starts and joins; the
//! listing holds every task once with its own name and state (sleeping while
//! parked, running for the caller), also for names with spaces and parentheses;
//! the `ps`-like report matches its snapshot with the ids redacted.
//!
//! Each test runs in a process of its own, which already holds the harness's
//! threads: the tests compare before and after, or with the kernel's own files.

use std::fs;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use counting_threads::{ThreadInfo, list_threads, ps_report, state_in_stat, thread_count, threads_in_status};
use hidden::poll::poll_every;
use hidden::{PATIENCE, kernel, watch};

/// What the kernel keeps of a thread's name: its first 15 bytes.
fn comm_of(name: &str) -> &str {
    &name[..name.len().min(15)]
}

/// Threads the test owns, each waiting on a condition variable until released.
struct Crew {
    gate: Arc<(Mutex<bool>, Condvar)>,
    handles: Vec<JoinHandle<()>>,
    /// (tid, name as given) in the order the threads were started.
    members: Vec<(u32, String)>,
}

impl Crew {
    /// Starts one thread per name and returns once each has told its tid
    /// (by then its name is set).
    fn start(names: &[&str]) -> Crew {
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (tx, rx) = mpsc::channel();
        let handles = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let (gate, tx) = (Arc::clone(&gate), tx.clone());
                thread::Builder::new()
                    .name(name.to_string())
                    .spawn(move || {
                        tx.send((i, hidden::gettid() as u32)).unwrap();
                        drop(tx);
                        let (released, cv) = &*gate;
                        let mut released = released.lock().unwrap();
                        while !*released {
                            released = cv.wait(released).unwrap();
                        }
                    })
                    .expect("start a test thread")
            })
            .collect();
        let mut tids = vec![0; names.len()];
        for _ in names {
            let (i, tid) = rx.recv_timeout(PATIENCE).expect("a test thread did not start");
            tids[i] = tid;
        }
        let members = tids.into_iter().zip(names.iter().map(|n| n.to_string())).collect();
        Crew { gate, handles, members }
    }

    fn release(&self) {
        let (released, cv) = &*self.gate;
        *released.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    fn release_and_join(mut self) {
        self.release();
        for h in std::mem::take(&mut self.handles) {
            h.join().expect("a test thread panicked");
        }
    }

    /// Lists the threads until every member shows up sleeping, and by its own
    /// name when `names` is set. A member may still be on its way to its wait (R,
    /// or D for a moment); anything else fails at once. Returns the listing that
    /// showed them all asleep.
    fn listed_asleep(&self, names: bool) -> Vec<ThreadInfo> {
        let mut awake = Vec::new();
        let listed = poll_every(Duration::from_millis(2), PATIENCE, || {
            let listed = list_threads();
            awake.clear();
            for (tid, name) in &self.members {
                let Some(t) = listed.iter().find(|t| t.tid == *tid) else {
                    panic!(
                        "the thread {name:?} (tid {tid}) is missing from list_threads(), which listed {:?}: \
                         every entry of /proc/self/task is a thread",
                        names_of(&listed)
                    );
                };
                if names && t.name != comm_of(name) {
                    panic!(
                        "the thread with tid {tid} is called {:?} but list_threads() gave it the name {:?}: {}",
                        comm_of(name),
                        t.name,
                        name_mistake(&t.name, comm_of(name))
                    );
                }
                match t.state {
                    'S' => {}
                    'R' | 'D' => awake.push((name.as_str(), t.state)),
                    other => panic!(
                        "the thread {name:?} waits on a condition variable, so the kernel shows it sleeping (S), \
                         but list_threads() gave it the state {other:?}: is that letter really the field after \
                         the name in its stat line? A name may contain spaces and ')'"
                    ),
                }
            }
            awake.is_empty().then_some(listed)
        });
        listed.unwrap_or_else(|| {
            panic!(
                "after {PATIENCE:?} these parked threads were still listed as running: {awake:?}; a waiting \
                 thread sleeps (S): is the state read from the right thread's /proc/self/task/<tid>/stat, and \
                 afresh on every call?"
            )
        })
    }
}

impl Drop for Crew {
    fn drop(&mut self) {
        self.release();
    }
}

/// The likely mistake behind reading `got` for a thread called `want`.
fn name_mistake(got: &str, want: &str) -> String {
    let main = fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let main = main.strip_suffix('\n').unwrap_or(&main);
    if got.strip_suffix('\n') == Some(want) {
        "that is the name with the newline that ends the comm file: strip that one newline (strip_suffix('\\n'))".into()
    } else if got != want && [want.trim(), want.trim_start(), want.trim_end()].contains(&got) {
        "spaces at the start or the end are part of the name: strip only the newline that ends the comm file, do \
         not trim the name"
            .into()
    } else if got == main {
        "that is the process's name (the main thread's, in /proc/self/comm): read each thread's own name from \
         /proc/self/task/<tid>/comm"
            .into()
    } else {
        "read each thread's own name from /proc/self/task/<tid>/comm, whole, and strip only the newline at its end"
            .into()
    }
}

fn names_of(threads: &[ThreadInfo]) -> Vec<&str> {
    threads.iter().map(|t| t.name.as_str()).collect()
}

/// Waits until the count is back to `want` (a joined thread may stay listed
/// for a moment while the kernel finishes it off), and returns the last count.
fn count_settles_at(want: usize) -> usize {
    watch(PATIENCE, thread_count, |&now| now == want).1
}

#[test]
fn thread_count_matches_the_kernels_threads_line() {
    let status = "Name:\tcook\nTgid:\t4242\nPid:\t4242\nPPid:\t1\nVmRSS:\t  2048 kB\nThreads:\t7\nCpus_allowed:\t3\n";
    assert_eq!(
        threads_in_status(status),
        Some(7),
        "threads_in_status should read the number on the Threads: line of a status text"
    );
    assert_eq!(
        threads_in_status("Name:\tcook\nPid:\t4242\n"),
        None,
        "a status text without a Threads: line gives None"
    );

    let (mine, kernel) = (thread_count(), kernel::thread_count().expect("a Threads: line in /proc/self/status"));
    assert_eq!(
        mine, kernel,
        "thread_count() says {mine} but /proc/self/status says Threads: {kernel}; the main thread and every \
         other thread of the process count"
    );
    let crew = Crew::start(&["count-me-0", "count-me-1", "count-me-2"]);
    let (mine, kernel) = (thread_count(), kernel::thread_count().expect("a Threads: line in /proc/self/status"));
    assert_eq!(
        mine, kernel,
        "with 3 more threads waiting, thread_count() says {mine} but /proc/self/status says Threads: {kernel}: \
         read the count afresh on every call, and count every thread"
    );
    crew.release_and_join();
}

#[test]
fn starting_k_threads_raises_the_count_by_exactly_k() {
    let before = thread_count();
    let crew = Crew::start(&["counter-0", "counter-1", "counter-2", "counter-3"]);
    let after = thread_count();
    assert_eq!(
        after,
        before + 4,
        "thread_count() said {before} before 4 threads started and {after} while they wait: is the count read \
         once and kept? Read /proc/self/status on every call"
    );
    crew.release_and_join();
}

#[test]
fn the_count_drops_back_once_the_threads_are_joined() {
    let before = thread_count();
    let crew = Crew::start(&["short-shift-0", "short-shift-1", "short-shift-2"]);
    let during = thread_count();
    assert_eq!(
        during,
        before + 3,
        "thread_count() said {before} before 3 threads started and {during} while they wait: is the count read \
         once and kept?"
    );
    crew.release_and_join();
    let after = count_settles_at(before);
    assert_eq!(
        after, before,
        "3 threads were started and joined, yet thread_count() still says {after} (it said {before} before \
         them) after {PATIENCE:?}: read the count afresh on every call"
    );
}

#[test]
fn parked_threads_are_listed_with_their_names_and_sleeping() {
    let crew = Crew::start(&["chef-hot", "chef-cold", "dishwasher-on-night-shift"]);
    let listed = crew.listed_asleep(true);
    let mine = hidden::gettid() as u32;
    assert!(
        listed.iter().any(|t| t.tid == mine),
        "the thread calling list_threads() (tid {mine}) is missing from its own listing: {:?}",
        names_of(&listed)
    );
    crew.release_and_join();
}

#[test]
fn lists_every_task_once_with_the_caller_running() {
    let crew = Crew::start(&["line-cook-0", "line-cook-1", "line-cook-2", "line-cook-3"]);
    crew.listed_asleep(false);
    let listed = list_threads();
    let tids: Vec<u32> = listed.iter().map(|t| t.tid).collect();
    let kernel: Vec<u32> = kernel::tasks().into_iter().map(|tid| tid as u32).collect();
    let mut sorted = tids.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, kernel,
        "list_threads() gave the tids {tids:?}, but /proc/self/task holds {kernel:?}: list every entry of \
         /proc/self/task, once (in any order)"
    );

    let mine = hidden::gettid() as u32;
    let me = listed.iter().find(|t| t.tid == mine).expect("the caller is listed");
    assert_eq!(
        me.state, 'R',
        "the thread calling list_threads() is running while it reads its own stat, so the kernel shows it R, \
         but it was listed as {:?}: read each thread's state from /proc/self/task/<tid>/stat, not the process's \
         /proc/self/stat (that is the main thread's)",
        me.state
    );
    crew.release_and_join();
}

#[test]
fn a_name_with_spaces_and_parentheses_is_read_whole() {
    for (line, name, want) in [
        ("4242 (two words) S 1 4242 4242 0 -1 4194368 98 0 0 0", "two words", 'S'),
        ("4242 (odd) Z (name) S 1 4242 4242 0 -1 4194368 98 0 0 0", "odd) Z (name", 'S'),
        ("4242 ((x)) R) D 1 4242 4242 0 -1 4194368 98 0 0 0", "(x)) R", 'D'),
        ("4242 (  front) R 1 4242 4242 0 -1 4194368 98 0 0 0", "  front", 'R'),
        ("4242 (back  ) T 1 4242 4242 0 -1 4194368 98 0 0 0", "back  ", 'T'),
    ] {
        assert_eq!(
            state_in_stat(line),
            Some(want),
            "for a thread named {name:?} the stat line is {line:?}, so its state is {want:?}, the field after the \
             ')' that closes the name; the name itself may contain spaces and ')'"
        );
    }
    let crew = Crew::start(&["two words", "odd) Z (name", "(x)) R", "  front", "back  "]);
    crew.listed_asleep(true);
    crew.release_and_join();
}

#[test]
fn the_report_matches_its_snapshot() {
    let crew = Crew::start(&["chef-hot", "chef-cold", "dishwasher-on-night-shift"]);
    // The test's threads as the kernel shows them, made by the test itself, so
    // that only ps_report is judged here (list_threads has tests of its own);
    // the last started first, so that the order given is not the order of tids.
    let rows: Vec<ThreadInfo> = crew
        .members
        .iter()
        .rev()
        .map(|(tid, name)| ThreadInfo { tid: *tid, name: comm_of(name).to_string(), state: 'S' })
        .collect();
    let pid = std::process::id();
    let report = ps_report(pid, &rows);
    assert!(
        report.ends_with('\n') && !report.ends_with("\n\n"),
        "every line of the report ends with '\\n', the last one too, and nothing follows it; the report was:\n{report}"
    );
    for t in &rows {
        let nlwp = report
            .lines()
            .find(|l| l.starts_with(&format!("{pid:<8}{:<8}", t.tid)))
            .and_then(|l| l.split_whitespace().nth(2));
        if let Some(nlwp) = nlwp.filter(|n| *n != rows.len().to_string()) {
            panic!(
                "the row of thread {} gives NLWP {nlwp}, but the table has {} rows: NLWP is the number of threads \
                 in the table (threads.len()), not of the process; the report was:\n{report}",
                t.tid,
                rows.len()
            );
        }
    }
    let order: Vec<usize> = rows
        .iter()
        .filter_map(|t| report.lines().position(|l| l.starts_with(&format!("{pid:<8}{:<8}", t.tid))))
        .collect();
    if order.len() == rows.len() && !order.is_sorted() {
        panic!(
            "ps_report was given the threads {:?} in that order, and printed their rows in another: one row per \
             thread in the order given; the report was:\n{report}",
            rows.iter().map(|t| t.tid).collect::<Vec<_>>()
        );
    }
    if let Some(line) = report.lines().find(|l| l.ends_with(' ')) {
        panic!(
            "the line {line:?} of the report ends with spaces: NAME comes last and is not padded; the report \
             was:\n{report}"
        );
    }

    let mut settings = hidden::snapshot_settings();
    // Ids differ on every run; everything else in these rows is the test's.
    settings.clear_filters();
    settings.add_filter(&format!(r"\b{pid}\b *"), format!("{:<8}", "[PID]"));
    for (tid, _) in &crew.members {
        settings.add_filter(&format!(r"\b{tid}\b *"), format!("{:<8}", "[TID]"));
    }
    settings.bind(|| hidden::insta::assert_snapshot!("ps_report", report));
    crew.release_and_join();
}

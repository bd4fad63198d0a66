//! Hidden tests for exercise 06: a child process really is another process (its
//! own pid, this process as its parent, one thread) and changes only its copy
//! of memory; a thread really is a thread of this process (same pid, own tid)
//! and its change is seen; descriptors: a thread's are the whole process's, a
//! child's are copies that still share the open file (its offset) with ours.
//!
//! What a worker sees is measured inside it by code the test owns, and sent
//! back through a pipe the test owns. Every call into the exercise is bounded:
//! if it does not return within the patience, the test kills its own children
//! and fails with a message instead of hanging.

use std::ffi::{CStr, CString};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use hidden::PATIENCE;
use private_vs_shared::{ChildRun, in_child_process, in_thread};

fn pid() -> i64 {
    // SAFETY: getpid has no preconditions and is async-signal-safe.
    i64::from(unsafe { libc::getpid() })
}

fn ppid() -> i64 {
    // SAFETY: as getpid.
    i64::from(unsafe { libc::getppid() })
}

fn tid() -> i64 {
    // SAFETY: as getpid.
    i64::from(unsafe { libc::gettid() })
}

/// A pipe the test owns. A worker sends what it saw from inside itself in one
/// write(2): async-signal-safe, so fine in a forked child, and atomic for so
/// few bytes, whichever process or thread it runs in.
struct Probe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Probe {
    /// Leaked on purpose: a worker closure must be `'static` to run on the
    /// bounded caller thread, and a test process is short-lived.
    fn new() -> &'static Probe {
        let mut ends = [0; 2];
        // SAFETY: pipe2 fills the array with two new descriptors.
        assert_eq!(unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) }, 0, "pipe2");
        // SAFETY: both descriptors are new and owned by nothing else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
        Box::leak(Box::new(Probe { read, write }))
    }

    fn send<const N: usize>(&self, facts: [i64; N]) {
        let mut bytes = [0u8; 64];
        for (i, fact) in facts.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&fact.to_ne_bytes());
        }
        // SAFETY: writes from a live buffer to our own pipe.
        unsafe { libc::write(self.write.as_raw_fd(), bytes.as_ptr().cast(), N * 8) };
    }

    /// What the worker sent, or `None` if it never sent anything. The worker
    /// has run before the exercise returns, so correct code never waits here.
    fn receive<const N: usize>(&self) -> Option<[i64; N]> {
        self.receive_within(PATIENCE)
    }

    fn receive_within<const N: usize>(&self, wait: Duration) -> Option<[i64; N]> {
        let mut poll = libc::pollfd { fd: self.read.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: polls one valid descriptor for at most `wait`.
        let ready = unsafe { libc::poll(&mut poll, 1, wait.as_millis() as libc::c_int) };
        if ready != 1 {
            return None;
        }
        let mut bytes = [0u8; 64];
        // SAFETY: reads into a live buffer of at least N * 8 bytes.
        let got = unsafe { libc::read(self.read.as_raw_fd(), bytes.as_mut_ptr().cast(), N * 8) };
        if got != (N * 8) as isize {
            return None;
        }
        let mut facts = [0; N];
        for (i, fact) in facts.iter_mut().enumerate() {
            *fact = i64::from_ne_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap());
        }
        Some(facts)
    }
}

/// Calls the exercise on a thread the test owns and waits at most the
/// patience. If the call is stuck, the test ends its own child processes and
/// fails with `stuck` instead of hanging. A forked child that comes back out of
/// the exercise is stopped before it runs the rest of the test, and reported.
fn bounded<T: Send + 'static>(stuck: &str, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (me, escaped) = (pid(), Probe::new());
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("caller".into())
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
            if pid() != me {
                escaped.send([pid()]);
                // SAFETY: ends the escaped child before it runs the test's code.
                unsafe { libc::_exit(0) }
            }
            let _ = tx.send(result);
        })
        .expect("spawn the caller thread");
    let outcome = rx.recv_timeout(PATIENCE);
    if let Some([child]) = escaped.receive_within(Duration::ZERO) {
        panic!(
            "child process {child} returned from in_child_process and went on running the caller's code, a \
             second copy of the program: after sending its answer the child must end with libc::_exit"
        );
    }
    match outcome {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => {
            let killed = end_our_children();
            panic!("{stuck} (it had not returned after {PATIENCE:?}; the test then ended {killed} child process(es))")
        }
    }
}

/// Child processes of the test process, with their state letter from
/// /proc/<pid>/stat (`Z` for a zombie nobody has waited for).
fn our_children() -> Vec<(i64, char)> {
    let me = pid();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(child) = entry.file_name().to_str().and_then(|n| n.parse::<i64>().ok()) else { continue };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else { continue };
        // After the name in parentheses: state, then the parent's pid.
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if fields.next().and_then(|p| p.parse::<i64>().ok()) == Some(me) {
            found.push((child, state));
        }
    }
    found
}

/// Kills and reaps every child of the test process; returns how many there were.
fn end_our_children() -> usize {
    let children = our_children();
    for &(child, _) in &children {
        // SAFETY: signals and reaps only our own children.
        unsafe {
            libc::kill(child as libc::pid_t, libc::SIGKILL);
            libc::waitpid(child as libc::pid_t, std::ptr::null_mut(), 0);
        }
    }
    children.len()
}

fn describe_children(children: &[(i64, char)]) -> String {
    let each: Vec<String> = children
        .iter()
        .map(|&(p, s)| match s {
            'Z' => format!("{p} (state Z: a zombie, ended but never waited for)"),
            _ => format!("{p} (state {s}: still running)"),
        })
        .collect();
    each.join(", ")
}

const STUCK: &str = "in_child_process did not return: does the child end with libc::_exit after writing \
                     its answer, and does the parent read exactly 8 bytes and then waitpid for that child?";

fn child_run(outcome: std::io::Result<ChildRun>) -> ChildRun {
    outcome.unwrap_or_else(|e| panic!("in_child_process returned an error for a child that answered: {e}"))
}

/// Reads the number of threads of the calling process from /proc/self/status
/// with system calls and a stack buffer only: safe in a forked child.
fn threads_now() -> i64 {
    let mut buf = [0u8; 8192];
    // SAFETY: opens, reads into a live buffer, and closes our own descriptor.
    let len = unsafe {
        let fd = libc::open(c"/proc/self/status".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return -1;
        }
        let mut len = 0;
        while len < buf.len() {
            let n = libc::read(fd, buf[len..].as_mut_ptr().cast(), buf.len() - len);
            if n <= 0 {
                break;
            }
            len += n as usize;
        }
        libc::close(fd);
        len
    };
    let text = &buf[..len];
    let key = b"\nThreads:";
    let Some(at) = text.windows(key.len()).position(|w| w == key) else { return -1 };
    let mut count = 0;
    for &b in text[at + key.len()..].iter().skip_while(|b| b.is_ascii_whitespace()) {
        if !b.is_ascii_digit() {
            break;
        }
        count = count * 10 + i64::from(b - b'0');
    }
    count
}

#[test]
fn child_runs_in_a_process_of_its_own() {
    let probe = Probe::new();
    let me = pid();
    let run = child_run(bounded(STUCK, move || {
        in_child_process(move || {
            probe.send([pid(), ppid(), tid(), threads_now()]);
            0
        })
    }));
    let [child, parent, child_tid, threads] =
        probe.receive().expect("the work was never run: in_child_process must call `work` in the child");
    assert_ne!(
        child, me,
        "the work ran in process {child}, the test's own process: it was not a child process (a thread, or the \
         parent itself, shares the pid). Call libc::fork and run the work where fork returned 0"
    );
    assert_eq!(
        parent, me,
        "the work ran in process {child}, whose parent is {parent}, not the test process {me}: fork the child \
         from the process that calls in_child_process"
    );
    assert_eq!(
        i64::from(run.pid),
        child,
        "in_child_process returned pid {} but the work ran in process {child}: return the pid that fork gave \
         the parent",
        run.pid
    );
    assert_eq!(
        (child_tid, threads),
        (child, 1),
        "a forked child has exactly one thread, the one that called fork, and its tid is the child's pid; \
         this one had {threads} thread(s) and tid {child_tid}"
    );
}

static CHILD_GLOBAL: AtomicI64 = AtomicI64::new(1);

#[test]
fn child_changes_only_its_own_copy() {
    let probe = Probe::new();
    let heap: &'static AtomicI64 = Box::leak(Box::new(AtomicI64::new(1)));
    let me = pid();
    let run = child_run(bounded(STUCK, move || {
        in_child_process(move || {
            CHILD_GLOBAL.store(2, Ordering::SeqCst);
            heap.store(3, Ordering::SeqCst);
            probe.send([pid(), CHILD_GLOBAL.load(Ordering::SeqCst), heap.load(Ordering::SeqCst)]);
            0
        })
    }));
    let [child, global_there, heap_there] =
        probe.receive().expect("the work was never run: in_child_process must call `work` in the child");
    let here = (CHILD_GLOBAL.load(Ordering::SeqCst), heap.load(Ordering::SeqCst));
    assert_eq!(
        here,
        (1, 1),
        "the work set a global to 2 and a heap value to 3, and the test's own global and heap value became {} \
         and {}: the change reached the test's memory, so the work did not run in a child process (a thread, or \
         the parent itself, shares it). A forked child changes only its copy",
        here.0,
        here.1
    );
    assert_ne!(child, me, "the work ran in the test's own process {me}, not in a child: call libc::fork");
    assert_eq!(
        (global_there, heap_there),
        (2, 3),
        "the child changed its global to 2 and its heap value to 3, then saw {global_there} and {heap_there}"
    );
    assert_eq!(run.answer, 0, "the work returned 0, in_child_process answered {}", run.answer);
}

#[test]
fn the_childs_answer_comes_back_whole() {
    for want in [42, -1, i64::MIN + 7, 0x0102_0304_0506_0708] {
        let run = child_run(bounded(STUCK, move || in_child_process(move || want)));
        assert_eq!(
            run.answer, want,
            "the work returned {want} in the child, in_child_process answered {}: send all 8 bytes \
             (i64::to_ne_bytes) through the pipe and rebuild them with i64::from_ne_bytes",
            run.answer
        );
    }
}

#[test]
fn every_child_is_waited_for() {
    let mut pids = Vec::new();
    for round in 0..3 {
        let run = child_run(bounded(STUCK, move || in_child_process(move || round)));
        let left = our_children();
        if !left.is_empty() {
            end_our_children();
            panic!(
                "after in_child_process returned, the test process still had child process(es): {}. Wait for \
                 the child with libc::waitpid(pid, ..) before returning, or it stays behind as a zombie",
                describe_children(&left)
            );
        }
        pids.push(run.pid);
    }
    pids.dedup();
    assert_eq!(pids.len(), 3, "three calls gave the pids {pids:?}: each call must fork a new child");
}

#[test]
fn a_child_that_ends_without_answering_gives_an_error() {
    let me = pid();
    let outcome = bounded(
        "in_child_process did not return after its child ended without answering: while the parent still holds \
         its own copy of the pipe's write end, reading never sees the end of the pipe. Close the write end in \
         the parent right after fork",
        move || {
            in_child_process(move || {
                if pid() == me {
                    return -1;
                }
                // SAFETY: ends the forked child at once, before it answers.
                unsafe { libc::_exit(3) }
            })
        },
    );
    match outcome {
        Err(_) => {}
        Ok(ChildRun { answer: -1, .. }) => {
            panic!("the work ran in the test's own process, not in a child: call libc::fork")
        }
        Ok(run) => panic!(
            "the child ended with exit code 3 before sending an answer, yet in_child_process returned Ok({run:?}): \
             return an error when the pipe ends before all 8 bytes arrived"
        ),
    }
    let left = our_children();
    if !left.is_empty() {
        end_our_children();
        panic!(
            "in_child_process returned its error but left child process(es) behind: {}. Wait for the child on \
             the error path too",
            describe_children(&left)
        );
    }
}

#[test]
fn thread_runs_in_this_process_on_a_thread_of_its_own() {
    let probe = Probe::new();
    let me = pid();
    let (caller, answer) = bounded("in_thread did not return: join the thread you start", move || {
        let caller = tid();
        (
            caller,
            in_thread(move || {
                probe.send([pid(), tid()]);
                7
            }),
        )
    });
    let [process, worker] = probe.receive().expect("the work was never run: in_thread must call `work`");
    assert_eq!(
        process, me,
        "the work ran in process {process}, not in the test's process {me}: that was a child process. A thread \
         runs inside the process that starts it: use std::thread::scope, not fork"
    );
    assert_ne!(
        worker, caller,
        "the work ran on the calling thread itself (tid {caller}): start a new thread for it (std::thread::scope)"
    );
    assert_eq!(answer, 7, "the work returned 7, in_thread returned {answer}");
}

static THREAD_GLOBAL: AtomicI64 = AtomicI64::new(1);

#[test]
fn thread_changes_the_shared_value() {
    let heap: &'static AtomicI64 = Box::leak(Box::new(AtomicI64::new(1)));
    let answer = bounded("in_thread did not return: join the thread you start", move || {
        in_thread(move || {
            THREAD_GLOBAL.store(2, Ordering::SeqCst);
            heap.store(3, Ordering::SeqCst);
            5
        })
    });
    let here = (THREAD_GLOBAL.load(Ordering::SeqCst), heap.load(Ordering::SeqCst));
    assert_eq!(
        here,
        (2, 3),
        "the thread set the global to 2 and the heap value to 3, but the test still sees {} and {}: the change \
         was made in a copy of the memory. Threads share their process's memory; a forked child would get a copy",
        here.0,
        here.1
    );
    assert_eq!(answer, 5, "the work returned 5, in_thread returned {answer}");
}

/// A file of the test's own in the temporary directory, removed at the end.
struct Scratch {
    path: PathBuf,
}

impl Scratch {
    fn new(what: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!("threadlings-06-{}-{what}-{}", pid(), N.fetch_add(1, Ordering::SeqCst));
        let path = std::env::temp_dir().join(name);
        fs::write(&path, b"").expect("create a scratch file");
        Scratch { path: path.canonicalize().expect("canonical scratch path") }
    }

    fn open(&self) -> File {
        OpenOptions::new().read(true).write(true).open(&self.path).expect("open the scratch file")
    }

    /// The path for the worker, prepared before the fork: a child must not allocate.
    fn c_path(&self) -> &'static CStr {
        let c = CString::new(self.path.as_os_str().as_encoded_bytes()).expect("a path without NUL");
        Box::leak(c.into_boxed_c_str())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The file that descriptor `fd` of the test process refers to, if it is open.
fn open_here(fd: i64) -> Option<PathBuf> {
    fs::read_link(format!("/proc/self/fd/{fd}")).ok()
}

fn offset(fd: RawFd) -> i64 {
    // SAFETY: asks for the offset of a descriptor; harmless if it is not open.
    unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) }
}

#[test]
fn an_inherited_descriptor_shares_the_offset_with_the_parent() {
    let probe = Probe::new();
    let me = pid();
    let scratch = Scratch::new("offset");
    let mut file = scratch.open();
    file.write_all(b"parent\n").unwrap();
    let fd = file.as_raw_fd();
    child_run(bounded(STUCK, move || {
        in_child_process(move || {
            let before = offset(fd);
            let line = b"child\n";
            // SAFETY: writes from a live buffer through the inherited descriptor.
            unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
            probe.send([pid(), before, offset(fd)]);
            0
        })
    }));
    let [child, before, after] =
        probe.receive().expect("the work was never run: in_child_process must call `work` in the child");
    assert_ne!(child, me, "the work ran in the test's own process {me}, not in a child: call libc::fork");
    assert_eq!(
        (before, after),
        (7, 13),
        "the child's inherited descriptor should start at the parent's offset (7) and move to 13 after writing \
         6 bytes; it went from {before} to {after}"
    );
    let here = file.stream_position().unwrap();
    assert_eq!(
        here, 13,
        "the child wrote 6 bytes through its copy of the descriptor, and the parent's offset should have moved \
         with it from 7 to 13, but it is {here}"
    );
    file.write_all(b"parent again\n").unwrap();
    let mut text = String::new();
    File::open(&scratch.path).unwrap().read_to_string(&mut text).unwrap();
    assert_eq!(
        text, "parent\nchild\nparent again\n",
        "parent and child wrote through descriptors that share one offset, so their lines follow each other"
    );
}

#[test]
fn descriptors_the_child_closes_or_opens_stay_its_own() {
    let probe = Probe::new();
    let me = pid();
    let (kept, other) = (Scratch::new("kept"), Scratch::new("other"));
    let file = kept.open();
    let fd = file.as_raw_fd();
    let other_path = other.c_path();
    child_run(bounded(STUCK, move || {
        in_child_process(move || {
            if pid() == me {
                return 0;
            }
            // SAFETY: closes the child's copy of a descriptor and opens a file in the child.
            let (closed, opened) =
                unsafe { (libc::close(fd), libc::open(other_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC)) };
            probe.send([pid(), i64::from(closed), i64::from(opened)]);
            0
        })
    }));
    let Some([child, closed, opened]) = probe.receive() else {
        panic!(
            "the work did not run in a child process (it ran in the test's own process {me}, or not at all): \
             call libc::fork and run the work in the child"
        )
    };
    assert_eq!((closed, opened >= 0), (0, true), "the child {child} could not close {fd} or open a file");
    let ours = open_here(i64::from(fd));
    assert_eq!(
        ours.as_deref(),
        Some(kept.path.as_path()),
        "the child closed its copy of descriptor {fd}; the test's own descriptor {fd} should still be open on \
         {}, but it is {ours:?}: each process has its own table of descriptors",
        kept.path.display()
    );
    let theirs = open_here(opened);
    assert_ne!(
        theirs.as_deref(),
        Some(other.path.as_path()),
        "the child opened {} as its descriptor {opened}, and the test's descriptor {opened} is that file too: \
         a file a child opens must not appear in its parent",
        other.path.display()
    );
    drop(file);
}

#[test]
fn a_file_opened_on_a_thread_is_open_in_the_whole_process() {
    let probe = Probe::new();
    let me = pid();
    let opened_file = Scratch::new("thread");
    let path = opened_file.c_path();
    let fd = bounded("in_thread did not return: join the thread you start", move || {
        in_thread(move || {
            // SAFETY: opens a file; the test closes it.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            probe.send([pid(), i64::from(fd)]);
            i64::from(fd)
        })
    });
    let [process, seen] = probe.receive().expect("the work was never run: in_thread must call `work`");
    assert_eq!(
        process, me,
        "the work ran in process {process}, not in the test's process {me}: a thread runs inside the process \
         that starts it; do not fork"
    );
    assert_eq!(fd, seen, "the work returned {seen}, in_thread returned {fd}");
    let here = open_here(fd);
    assert_eq!(
        here.as_deref(),
        Some(opened_file.path.as_path()),
        "the thread opened {} as descriptor {fd}; every thread of a process shares one table of descriptors, \
         so descriptor {fd} should be that file for the test too, but it is {here:?}",
        opened_file.path.display()
    );
    // SAFETY: closes the descriptor the thread opened for this test.
    unsafe { libc::close(fd as RawFd) };
}

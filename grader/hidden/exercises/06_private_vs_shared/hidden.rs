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
use std::time::Duration;

use hidden::fork_safe::{getpid, getppid, gettid};
use hidden::{Late, PATIENCE, children, panic_message};
use private_vs_shared::{ChildRun, in_child_process, in_thread};

/// The allocator of the whole test program: the system's, which also tells a
/// watching test when a forked child allocates.
struct WatchingAllocator;

#[global_allocator]
static ALLOCATOR: WatchingAllocator = WatchingAllocator;

/// The test process's pid while a test watches for allocations in its
/// children (0 when none does), and the write end of the probe that hears of them.
static WATCHING_FROM: AtomicI64 = AtomicI64::new(0);
static ALLOCATIONS_PROBE: AtomicI64 = AtomicI64::new(-1);

/// Reports an allocation made in a child of a watching test: its pid, in one
/// write(2), which is safe in a forked child.
fn note_allocation() {
    let from = WATCHING_FROM.load(Ordering::Relaxed);
    if from != 0 && i64::from(getpid()) != from {
        let bytes = i64::from(getpid()).to_ne_bytes();
        let fd = ALLOCATIONS_PROBE.load(Ordering::Relaxed) as libc::c_int;
        // SAFETY: writes 8 bytes from a live buffer to the test's own pipe.
        unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    }
}

// SAFETY: every call is passed on unchanged to the system allocator.
unsafe impl std::alloc::GlobalAlloc for WatchingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds alloc's contract.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds alloc_zeroed's contract.
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: the caller upholds dealloc's contract.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds realloc's contract.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
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
    let (me, escaped) = (i64::from(getpid()), Probe::new());
    let outcome = hidden::bounded("caller", PATIENCE, move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
        if i64::from(getpid()) != me {
            escaped.send([i64::from(getpid()), i64::from(result.is_err())]);
            // SAFETY: ends the escaped child before it runs the test's code.
            unsafe { libc::_exit(0) }
        }
        result
    });
    if let Some([child, panicked]) = escaped.receive_within(Duration::ZERO) {
        if panicked == 1 {
            panic!(
                "the work panicked in child process {child}, and the panic unwound out of in_child_process into \
                 the caller's code, which then ran on in the child, a second copy of the program: in the child, \
                 catch a panic of the work (std::panic::catch_unwind) and end with libc::_exit all the same"
            );
        }
        panic!(
            "child process {child} returned from in_child_process and went on running the caller's code, a \
             second copy of the program: after sending its answer the child must end with libc::_exit"
        );
    }
    match outcome {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(Late) => {
            let killed = end_our_children();
            panic!("{stuck} (it had not returned after {PATIENCE:?}; the test then ended {killed} child process(es))")
        }
    }
}

/// Child processes of the test process, with their state letter from
/// /proc/<pid>/stat (`Z` for a zombie nobody has waited for).
fn our_children() -> Vec<(i64, char)> {
    let me = i64::from(getpid());
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
    let me = i64::from(getpid());
    let run = child_run(bounded(STUCK, move || {
        in_child_process(move || {
            probe.send([i64::from(getpid()), i64::from(getppid()), i64::from(gettid()), threads_now()]);
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
    let me = i64::from(getpid());
    let run = child_run(bounded(STUCK, move || {
        in_child_process(move || {
            CHILD_GLOBAL.store(2, Ordering::SeqCst);
            heap.store(3, Ordering::SeqCst);
            probe.send([i64::from(getpid()), CHILD_GLOBAL.load(Ordering::SeqCst), heap.load(Ordering::SeqCst)]);
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
    let me = i64::from(getpid());
    let outcome = bounded(
        "in_child_process did not return after its child ended without answering: while the parent still holds \
         its own copy of the pipe's write end, reading never sees the end of the pipe. Close the write end in \
         the parent right after fork",
        move || {
            in_child_process(move || {
                if i64::from(getpid()) == me {
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
    let me = i64::from(getpid());
    let (caller, answer) = bounded("in_thread did not return: join the thread you start", move || {
        let caller = i64::from(gettid());
        (
            caller,
            in_thread(move || {
                probe.send([i64::from(getpid()), i64::from(gettid())]);
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
        let name = format!("threadlings-06-{}-{what}-{}", i64::from(getpid()), N.fetch_add(1, Ordering::SeqCst));
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
    let me = i64::from(getpid());
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
            probe.send([i64::from(getpid()), before, offset(fd)]);
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
    let me = i64::from(getpid());
    let (kept, other) = (Scratch::new("kept"), Scratch::new("other"));
    let file = kept.open();
    let fd = file.as_raw_fd();
    let other_path = other.c_path();
    child_run(bounded(STUCK, move || {
        in_child_process(move || {
            if i64::from(getpid()) == me {
                return 0;
            }
            // SAFETY: closes the child's copy of a descriptor and opens a file in the child.
            let (closed, opened) =
                unsafe { (libc::close(fd), libc::open(other_path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC)) };
            probe.send([i64::from(getpid()), i64::from(closed), i64::from(opened)]);
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
    let me = i64::from(getpid());
    let opened_file = Scratch::new("thread");
    let path = opened_file.c_path();
    let fd = bounded("in_thread did not return: join the thread you start", move || {
        in_thread(move || {
            // SAFETY: opens a file; the test closes it.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            probe.send([i64::from(getpid()), i64::from(fd)]);
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

#[test]
fn in_child_process_waits_for_its_own_child_only() {
    // Forked by the thread that then calls the exercise: `wait` looks at the
    // children of the calling thread first, oldest first.
    let (stranger, run) = bounded(STUCK, move || {
        let stranger = children::finished_child(55);
        (stranger, in_child_process(move || 9))
    });
    let collected = children::collect_now(stranger);
    let left: Vec<(i64, char)> = our_children();
    let Some(status) = collected else {
        end_our_children();
        panic!(
            "in_child_process collected a child it did not start: the test's own child {stranger}, which had \
             already ended, was gone when it returned. Wait for your child by its pid, libc::waitpid(pid, ..); \
             libc::wait and waitpid(-1, ..) take any child, even one another part of the program is waiting for"
        );
    };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 55,
        "the test's own child {stranger} changed its exit status"
    );
    if !left.is_empty() {
        end_our_children();
        panic!(
            "in_child_process returned but left its own child behind: {}. Wait for it with libc::waitpid(pid, ..)",
            describe_children(&left)
        );
    }
    assert_eq!(child_run(run).answer, 9, "the work returned 9 beside another finished child of the test");
}

#[test]
fn a_child_that_sends_part_of_its_answer_gives_an_error() {
    let (probe, me) = (Probe::new(), i64::from(getpid()));
    let outcome = bounded(
        "in_child_process did not return after its child sent half an answer and ended: while the parent still \
         holds its own copy of the pipe's write end, reading never sees the end of the pipe. Close the write end \
         in the parent right after fork",
        move || {
            // Descriptors the test process has before the call: in the child, a
            // pipe (or socket) open for writing that is not among them is the
            // exercise's own, the one the answer goes through.
            let before: &'static [i64] = Box::leak(open_descriptors().into_boxed_slice());
            in_child_process(move || {
                if i64::from(getpid()) == me {
                    return -1;
                }
                let half = 0x0102_0304_i32.to_ne_bytes();
                let mut sent = 0;
                for fd in 0..1024 {
                    if before.contains(&i64::from(fd)) || !is_writable_pipe(fd) {
                        continue;
                    }
                    // SAFETY: writes 4 bytes from a live buffer to a descriptor of this child.
                    if unsafe { libc::write(fd, half.as_ptr().cast(), half.len()) } == 4 {
                        sent += 1;
                    }
                }
                probe.send([sent]);
                // SAFETY: ends the child after half an answer, before in_child_process sends the whole one.
                unsafe { libc::_exit(0) }
            })
        },
    );
    let sent = probe.receive::<1>().map(|[n]| n);
    match outcome {
        Err(_) => {}
        Ok(ChildRun { answer: -1, .. }) => {
            panic!("the work ran in the test's own process, not in a child: call libc::fork")
        }
        Ok(run) if sent.is_some_and(|n| n > 0) => panic!(
            "the child sent only 4 of the 8 bytes of an answer and ended, yet in_child_process returned Ok({run:?}): \
             one read may give fewer bytes than asked for. Read exactly 8 bytes (read_exact) and return an error \
             when the pipe ends before they have all arrived"
        ),
        Ok(run) => panic!(
            "the child ended without sending an answer, yet in_child_process returned Ok({run:?}): return an error \
             when the pipe ends before all 8 bytes arrived"
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

/// The descriptors open in the test process now.
fn open_descriptors() -> Vec<i64> {
    let fds = fs::read_dir("/proc/self/fd").expect("read /proc/self/fd");
    fds.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect()
}

/// Whether `fd` is a pipe or a socket open for writing. System calls only:
/// safe in a forked child.
fn is_writable_pipe(fd: libc::c_int) -> bool {
    // SAFETY: fstat and fcntl on a descriptor number; they fail harmlessly if it is not open.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return false;
        }
        let kind = st.st_mode & libc::S_IFMT;
        let flags = libc::fcntl(fd, libc::F_GETFL);
        (kind == libc::S_IFIFO || kind == libc::S_IFSOCK) && flags >= 0 && flags & libc::O_ACCMODE != libc::O_RDONLY
    }
}

/// Where an exit handler run in a child reports: the write end of a probe, and
/// the test process's pid (the handler stays quiet there).
static EXIT_HANDLER_PROBE: AtomicI64 = AtomicI64::new(-1);
static TEST_PROCESS: AtomicI64 = AtomicI64::new(0);

extern "C" fn exit_handler() {
    let fd = EXIT_HANDLER_PROBE.load(Ordering::SeqCst);
    if fd >= 0 && i64::from(getpid()) != TEST_PROCESS.load(Ordering::SeqCst) {
        let bytes = i64::from(getpid()).to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer to the test's own pipe.
        unsafe { libc::write(fd as libc::c_int, bytes.as_ptr().cast(), bytes.len()) };
    }
}

#[test]
fn the_child_ends_without_running_exit_handlers() {
    let ran = Probe::new();
    TEST_PROCESS.store(i64::from(getpid()), Ordering::SeqCst);
    EXIT_HANDLER_PROBE.store(i64::from(ran.write.as_raw_fd()), Ordering::SeqCst);
    // SAFETY: registers a handler that only reads atomics and calls getpid and write.
    assert_eq!(unsafe { libc::atexit(exit_handler) }, 0, "the test could not register an exit handler");
    let run = child_run(bounded(STUCK, move || in_child_process(move || 12)));
    // The child has been waited for, so a handler it ran has already written.
    if let Some([child]) = ran.receive_within(Duration::ZERO) {
        panic!(
            "child process {child} ran the exit handlers it had copied from the parent (the test registered one \
             with atexit): it ended with std::process::exit or libc::exit, which also flush output buffers copied \
             from the parent, so text the parent had not printed yet comes out twice. End the child with \
             libc::_exit"
        );
    }
    assert_eq!(run.answer, 12, "the work returned 12, in_child_process answered {}", run.answer);
}

#[test]
fn a_panic_in_the_childs_work_stays_in_the_child() {
    let me = i64::from(getpid());
    let outcome = bounded(
        "in_child_process did not return after the work panicked in the child: does the parent close its copy of \
         the pipe's write end, and wait for the child?",
        move || {
            in_child_process(move || {
                if i64::from(getpid()) == me {
                    return -1;
                }
                panic!("the soup boiled over in the child")
            })
        },
    );
    match outcome {
        Err(_) => {}
        Ok(ChildRun { answer: -1, .. }) => {
            panic!("the work ran in the test's own process, not in a child: call libc::fork")
        }
        Ok(run) => panic!(
            "the work panicked in the child, so it had no answer to send, yet in_child_process returned \
             Ok({run:?}): for the parent this is a child that ended without answering, an error"
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

/// Fills the test process's table of descriptors: its limit becomes its
/// highest open descriptor plus one, and every free number below is taken,
/// so no new descriptor (and no pipe) can be made until this is dropped.
struct NoFreeDescriptors {
    old: libc::rlimit,
    fillers: Vec<libc::c_int>,
}

impl NoFreeDescriptors {
    fn new() -> NoFreeDescriptors {
        let mut old = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: reads a limit into a valid struct.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) }, 0, "getrlimit");
        let highest = open_descriptors().into_iter().max().unwrap_or(2);
        let limit = libc::rlimit { rlim_cur: (highest + 1) as libc::rlim_t, rlim_max: old.rlim_max };
        // SAFETY: lowers this process's soft limit; restored on drop.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0, "setrlimit");
        let mut fillers = Vec::with_capacity(1024);
        loop {
            // SAFETY: opens /dev/null; closed on drop.
            let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
            if fd < 0 || fillers.len() == fillers.capacity() {
                break;
            }
            fillers.push(fd);
        }
        NoFreeDescriptors { old, fillers }
    }
}

impl Drop for NoFreeDescriptors {
    fn drop(&mut self) {
        for &fd in &self.fillers {
            // SAFETY: closes the test's own fillers.
            unsafe { libc::close(fd) };
        }
        // SAFETY: restores the limit read in `new`.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.old) };
    }
}

/// What a call of in_child_process gave: its result, or the text of its panic.
type Called = Result<std::io::Result<ChildRun>, String>;

fn call_in_child_process(work: impl FnOnce() -> i64 + Send) -> Called {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| in_child_process(work)))
        .map_err(|payload| panic_message(&*payload))
}

/// Runs `call` in a process of its own, forked from the test, in which no new
/// process can be made (`RLIMIT_NPROC` of 0, as an unprivileged user). Gives
/// what `call` returned, or `None` when this machine would not let fork fail.
fn with_fork_failing(call: fn() -> Called) -> Option<Called> {
    let report = Probe::new();
    // SAFETY: the helper child makes plain system calls, runs `call`, reports
    // through the test's pipe and ends with _exit.
    let helper = match unsafe { libc::fork() } {
        -1 => panic!("the test could not fork: {}", std::io::Error::last_os_error()),
        0 => unsafe {
            libc::alarm(PATIENCE.as_secs() as libc::c_uint);
            if libc::getuid() == 0 {
                // Limits on processes do not bind root: become nobody.
                libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>());
                libc::syscall(libc::SYS_setgid, 65534);
                libc::syscall(libc::SYS_setuid, 65534);
            }
            let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_NPROC, &none);
            // Does fork fail now?
            match libc::fork() {
                -1 => {}
                0 => libc::_exit(0),
                pid => {
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                    report.send([0, 0]);
                    libc::_exit(0)
                }
            }
            let code = match call() {
                Ok(Ok(_)) => 2,
                Ok(Err(_)) => 3,
                Err(_) => 4,
            };
            report.send([1, code]);
            libc::_exit(0)
        },
        pid => pid,
    };
    let mut status = 0;
    // SAFETY: waits for the test's own helper child.
    unsafe { libc::waitpid(helper, &mut status, 0) };
    match report.receive_within(Duration::ZERO) {
        Some([0, _]) => None,
        Some([_, 2]) => Some(Ok(Ok(ChildRun { pid: 0, answer: 0 }))),
        Some([_, 3]) => Some(Ok(Err(std::io::Error::other("fork failed")))),
        Some(_) => Some(Err("a panic".into())),
        None if libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGALRM => panic!(
            "in_child_process did not return when fork failed (it had not returned after {PATIENCE:?}): when \
             fork returns -1 there is no child to read from or to wait for; return the error at once"
        ),
        None => panic!("in_child_process ended the whole process when fork failed (wait status {status})"),
    }
}

#[test]
fn a_pipe_or_fork_that_fails_gives_an_error() {
    let probe = Probe::new();
    let no_pipe = bounded(
        "in_child_process did not return when no pipe could be made: check what the pipe call returns (-1 for \
         an error) before you fork",
        move || {
            let full = NoFreeDescriptors::new();
            let called = call_in_child_process(move || {
                probe.send([i64::from(getpid())]);
                0
            });
            drop(full);
            called
        },
    );
    let left = our_children();
    end_our_children();
    match no_pipe {
        Ok(Err(_)) => {}
        Ok(Ok(run)) => panic!(
            "no pipe could be made (the test process had no free descriptor), yet in_child_process returned \
             Ok({run:?}): return the error of pipe2 (std::io::Error::last_os_error) and do not fork"
        ),
        Err(why) => panic!(
            "in_child_process panicked when no pipe could be made (the test process had no free descriptor): \
             {why}. Return the error instead (std::io::Error::last_os_error), as the doc comment says"
        ),
    }
    if let Some([child]) = probe.receive_within(Duration::ZERO) {
        panic!(
            "no pipe could be made, yet the work ran in child process {child}: check what the pipe call returns \
             (-1 for an error) and return the error before you fork"
        );
    }
    assert!(left.is_empty(), "no pipe could be made, yet in_child_process left children: {}", describe_children(&left));

    // With every new process refused, fork itself returns -1.
    match with_fork_failing(|| call_in_child_process(|| 0)) {
        None | Some(Ok(Err(_))) => {}
        Some(Ok(Ok(_))) => panic!(
            "fork failed (the process could make no new process), yet in_child_process returned Ok: when fork \
             returns -1, return the error (std::io::Error::last_os_error)"
        ),
        Some(Err(_)) => panic!(
            "in_child_process panicked when fork failed (the process could make no new process): return the \
             error instead (std::io::Error::last_os_error), as the doc comment says"
        ),
    }
}

#[test]
fn a_panic_in_the_thread_carries_on_in_the_caller() {
    let probe = Probe::new();
    let (caller, outcome) = bounded("in_thread did not return: join the thread you start", move || {
        let caller = i64::from(gettid());
        let outcome = std::panic::catch_unwind(|| {
            in_thread(move || {
                probe.send([i64::from(gettid())]);
                panic!("the sauce burnt on the thread")
            })
        });
        (caller, outcome.map_err(|payload| panic_message(&*payload)))
    });
    let worker = probe.receive::<1>().map(|[t]| t);
    match (worker, outcome) {
        (None, _) => panic!("the work was never run: in_thread must call `work`"),
        (Some(w), _) if w == caller => {
            panic!("the work ran on the calling thread itself (tid {caller}): start a new thread for it")
        }
        (Some(_), Err(_)) => {}
        (Some(_), Ok(value)) => panic!(
            "the work panicked on its thread, and in_thread returned {value} as if it had answered: the panic was \
             swallowed. Let it carry on in the caller: join gives Err(payload); pass it to \
             std::panic::resume_unwind"
        ),
    }
}

#[test]
fn the_child_allocates_nothing() {
    let heard = Probe::new();
    ALLOCATIONS_PROBE.store(i64::from(heard.write.as_raw_fd()), Ordering::SeqCst);
    let run = child_run(bounded(STUCK, move || {
        WATCHING_FROM.store(i64::from(getpid()), Ordering::SeqCst);
        let run = in_child_process(|| 21);
        WATCHING_FROM.store(0, Ordering::SeqCst);
        run
    }));
    if let Some([child]) = heard.receive_within(Duration::ZERO) {
        panic!(
            "child process {child} allocated memory after the fork (println!, format!, a Vec, a String, a Box ...): \
             in a copy of a program with other threads, a lock that one of them held at the fork (the allocator's, \
             stdout's) stays locked forever, and a child that needs it hangs. In the child, only run the work, \
             write the 8 bytes from an array and _exit"
        );
    }
    assert_eq!(run.answer, 21, "the work returned 21, in_child_process answered {}", run.answer);
}

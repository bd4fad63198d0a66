//! First checks for exercise 06. The grader runs stricter hidden tests.

use private_vs_shared::{in_child_process, in_thread};

fn pid() -> i64 {
    // SAFETY: getpid has no preconditions.
    i64::from(unsafe { libc::getpid() })
}

fn tid() -> i64 {
    // SAFETY: gettid has no preconditions.
    i64::from(unsafe { libc::gettid() })
}

#[test]
fn the_child_is_another_process() {
    let _deadline = visible::deadline("06");
    let run = in_child_process(pid).expect("fork a child");
    assert_ne!(run.answer, pid(), "the work ran in this process, not in a child");
    assert_eq!(run.answer, i64::from(run.pid), "return the pid that fork gave the parent");
}

#[test]
fn the_child_changes_only_its_own_copy() {
    let _deadline = visible::deadline("06");
    let mut value = 1;
    let run = in_child_process(|| {
        value = 2;
        value
    })
    .expect("fork a child");
    assert_eq!(run.answer, 2, "the child sees its own change");
    assert_eq!(value, 1, "the parent's value must not change: the child changed its copy");
}

#[test]
fn the_thread_is_a_thread_of_this_process() {
    let _deadline = visible::deadline("06");
    let caller = tid();
    let worker = in_thread(tid);
    assert_ne!(worker, caller, "the work ran on the calling thread");
    assert_eq!(in_thread(pid), pid(), "a thread runs in the process that started it");
}

#[test]
fn the_thread_changes_the_shared_value() {
    let _deadline = visible::deadline("06");
    let mut value = 1;
    let seen = in_thread(|| {
        value = 3;
        value
    });
    assert_eq!((seen, value), (3, 3), "a thread changes the caller's own value");
}

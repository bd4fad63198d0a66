//! First checks for exercise 09. The grader runs stricter hidden tests, each in
//! a process of its own; here the tests share one process and run at the same
//! time, so they never expect an exact number of threads.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use counting_threads::{
    ThreadInfo, current_tid, list_threads, ps_report, state_in_stat, thread_count, threads_in_status,
};

#[test]
fn threads_in_status_reads_the_threads_line() {
    let _deadline = visible::deadline("09");
    let status = "Name:\tcounting_thread\nState:\tR (running)\nTgid:\t4242\nPid:\t4242\nThreads:\t3\nSigQ:\t0/31117\n";
    assert_eq!(threads_in_status(status), Some(3));
}

#[test]
fn state_in_stat_reads_the_field_after_the_name() {
    let _deadline = visible::deadline("09");
    assert_eq!(state_in_stat("4250 (chef-hot) S 4242 4242 4242 0 -1 4194368 98 0 0 0"), Some('S'));
    assert_eq!(state_in_stat("4242 (counting_thread) R 1 4242 4242 0 -1 4194304 151 0 0 0"), Some('R'));
}

#[test]
fn waiting_threads_are_counted_and_listed_by_name() {
    let _deadline = visible::deadline("09");
    let mut go_home = Vec::new();
    let mut chefs = Vec::new();
    let (tell_tid, tids) = mpsc::channel();
    for name in ["chef-hot", "chef-cold"] {
        let (tx, wait) = mpsc::channel::<()>();
        let tell_tid = tell_tid.clone();
        go_home.push(tx);
        let chef = move || {
            tell_tid.send(current_tid()).unwrap();
            let _ = wait.recv();
        };
        chefs.push(thread::Builder::new().name(name.into()).spawn(chef).unwrap());
    }
    let tids: Vec<u32> = tids.iter().take(2).collect();
    assert!(thread_count() >= 3, "the main thread, this test's thread and two chefs: at least 3");

    // A chef that has just started may show R for a moment before it sleeps.
    let deadline = Instant::now() + Duration::from_secs(5);
    let chefs_listed = loop {
        let ours: Vec<ThreadInfo> = list_threads().into_iter().filter(|t| tids.contains(&t.tid)).collect();
        if ours.iter().all(|t| t.state == 'S') || Instant::now() > deadline {
            break ours;
        }
        thread::sleep(Duration::from_millis(2));
    };
    let mut names: Vec<&str> = chefs_listed.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["chef-cold", "chef-hot"], "both chefs are listed by their own names");
    assert!(chefs_listed.iter().all(|t| t.state == 'S'), "waiting chefs sleep (S): {chefs_listed:?}");

    drop(go_home);
    for chef in chefs {
        chef.join().unwrap();
    }
}

#[test]
fn ps_report_prints_a_table() {
    let _deadline = visible::deadline("09");
    let threads = [
        ThreadInfo { tid: 4242, name: "counting_thread".into(), state: 'R' },
        ThreadInfo { tid: 4250, name: "chef-hot".into(), state: 'S' },
    ];
    let want = "\
PID     LWP     NLWP  STATE  NAME
4242    4242    2     R      counting_thread
4242    4250    2     S      chef-hot
";
    assert_eq!(ps_report(4242, &threads), want);
}

//! The deadline really ends a stuck test, with the message a learner needs.

use std::process::Command;
use std::time::{Duration, Instant};

/// Blocks forever under a 1 s deadline when run by the test below; on its own
/// (as part of `cargo test`) it returns at once.
#[test]
fn a_stuck_test() {
    if std::env::var_os("VISIBLE_DEADLINE_CHILD").is_none() {
        return;
    }
    let _deadline = visible::deadline_after("07", Duration::from_secs(1));
    let (_tx, rx) = std::sync::mpsc::channel::<()>();
    let _ = rx.recv(); // a receive that never ends, like a forgotten join
}

#[test]
// Runs itself as the stuck child: this crate cannot use the grader's process module.
#[allow(clippy::disallowed_methods)]
fn a_stuck_test_ends_with_a_message_naming_the_command_to_run() {
    let start = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_stuck_test", "--nocapture"])
        .env("VISIBLE_DEADLINE_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("did not finish in 1 s: a deadlock, or a join that never returns?"), "{stderr}");
    assert!(stderr.contains("`cargo grade 07`"), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(30), "ended by the deadline, not by something else");
}

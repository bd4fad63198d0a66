//! Turns what one hidden-test process did into a status and a message that
//! teaches: the assertion, the signal, or where the threads were stuck.

use crate::limits::{MEMORY_CAP, MESSAGE_CAP};
use crate::model::Status;
use crate::process::{Exit, Finished, ThreadState, signal_name};

/// Exit code of the hidden tests' deadlock watchdog (see `hidden::watchdog`).
pub use crate::contract::DEADLOCK_EXIT;

pub struct Verdict {
    pub status: Status,
    pub message: String,
}

/// Classifies one run of the libtest test `name`; a pass needs libtest's own word.
pub fn classify(name: &str, run: &Finished, timeout_secs: u64) -> Verdict {
    let stdout = run.stdout.text();
    let stderr = run.stderr.text();
    let (status, message) = match run.exit {
        Exit::TimedOut => (Status::TimedOut, timed_out(timeout_secs, &run.stuck_threads)),
        Exit::Code(DEADLOCK_EXIT) if stderr.contains("deadlock detected") => {
            (Status::TimedOut, section_from(&stderr, "deadlock detected"))
        }
        Exit::Signal(sig) => (Status::Crashed, crashed(sig, &stdout, &stderr)),
        Exit::Unknown => (
            Status::Crashed,
            format!(
                "the test process ended without an exit code or a signal\n{}",
                tail(&format!("{stdout}\n{stderr}"), 8)
            ),
        ),
        Exit::Code(code) => {
            // libtest prints "test NAME ... " before the test and its summary after;
            // the test's own output may stand between the two.
            let started = stdout.contains(&format!("test {name} ... "));
            let summary = |verdict: &str| stdout.lines().any(|l| l.starts_with(verdict));
            if code == 0 && started && summary("test result: ok. 1 passed;") {
                (Status::Passed, String::new())
            } else if code == 101 && started && summary("test result: FAILED. 0 passed; 1 failed;") {
                (Status::Failed, failure_message(name, &stdout))
            } else {
                let out = tail(&format!("{stdout}\n{stderr}"), 12);
                (
                    Status::Crashed,
                    format!(
                        "the test process exited with code {code} before the test finished \
                         (does something call std::process::exit?)\n{out}"
                    ),
                )
            }
        }
    };
    Verdict { status, message: cap(message) }
}

/// Threads listed of a stopped test; more would bury the message.
const THREADS_SHOWN: usize = 16;

fn timed_out(secs: u64, threads: &[ThreadState]) -> String {
    let mut msg = format!(
        "did not finish within {secs} s: an endless loop, or threads waiting for each other \
         (a deadlock, a join or a channel receive that never returns)"
    );
    if !threads.is_empty() {
        msg.push_str("\nthreads when it was stopped:");
        for t in threads.iter().take(THREADS_SHOWN) {
            let wchan = t.wchan.as_ref().map(|w| format!(" in {w}")).unwrap_or_default();
            msg.push_str(&format!("\nthread '{}': {}{wchan}", t.name, kernel_state(t.state)));
        }
        if threads.len() > THREADS_SHOWN {
            msg.push_str(&format!("\n... and {} more threads", threads.len() - THREADS_SHOWN));
        }
    }
    msg
}

/// A kernel state letter in words.
fn kernel_state(letter: Option<char>) -> &'static str {
    match letter {
        Some('R') => "running",
        Some('S') => "sleeping (waiting for a lock, a channel, a join or I/O)",
        Some('D') => "in uninterruptible I/O",
        Some('T') | Some('t') => "stopped",
        Some('Z') => "finished (zombie)",
        _ => "in an unknown state",
    }
}

fn crashed(sig: i32, stdout: &str, stderr: &str) -> String {
    let name = signal_name(sig);
    let why = match sig {
        libc::SIGABRT => "the process aborted: std::process::abort, a stack overflow, or a panic during a panic",
        libc::SIGSEGV | libc::SIGBUS => "the process touched memory it does not own (unsafe code, or a stack overflow)",
        libc::SIGXCPU => "the process used up its CPU time: an endless loop on several threads?",
        libc::SIGXFSZ => "the process wrote a file larger than allowed",
        libc::SIGKILL => "the process was killed from outside, often for using too much memory",
        _ => "the process was ended by a signal",
    };
    let said = tail(&format!("{stdout}\n{stderr}"), 8);
    if said.contains("memory allocation of") {
        return format!(
            "crashed with {name} ({sig}): the process ran out of the memory one test may use ({} GiB)\n{said}",
            MEMORY_CAP >> 30
        );
    }
    format!("crashed with {name} ({sig}): {why}\n{said}").trim_end().to_string()
}

/// The panic message and context libtest printed for `name`.
fn failure_message(name: &str, stdout: &str) -> String {
    let message = panic_message(name, stdout);
    snapshot_diff(&message).unwrap_or(message)
}

/// insta's report, cut to what a learner needs: which snapshot, and the diff.
fn snapshot_diff(message: &str) -> Option<String> {
    if !message.contains("Snapshot Summary") {
        return None;
    }
    let name = message.lines().find_map(|l| l.strip_prefix("Snapshot: ")).unwrap_or("?");
    let diff: Vec<&str> =
        message.lines().skip_while(|l| !l.contains('┬')).skip(1).take_while(|l| !l.contains('┴')).collect();
    Some(format!("the output differs from the expected snapshot '{name}' (- expected, + yours):\n{}", diff.join("\n")))
}

fn panic_message(name: &str, stdout: &str) -> String {
    let header = format!("---- {name} stdout ----");
    let Some(start) = stdout.find(&header) else {
        return tail(stdout, 12);
    };
    let body = &stdout[start + header.len()..];
    let end = body.find("\nfailures:\n").unwrap_or(body.len());
    let lines: Vec<String> = body[..end]
        .lines()
        .filter(|l| !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .map(|l| panic_line(name, l))
        .collect();
    // The test thread's last panic is the verdict; what was printed before it is context.
    match lines.iter().rposition(|l| l.starts_with("panicked at ")) {
        Some(i) if !lines[..i].join("").trim().is_empty() => {
            format!("{}\n\nprinted before that:\n{}", lines[i..].join("\n").trim(), lines[..i].join("\n").trim())
        }
        _ => lines.join("\n").trim().to_string(),
    }
}

/// `thread 'NAME' (TID) panicked at PLACE:` without the varying id, and without
/// the name when it is the test's own thread.
fn panic_line(test: &str, line: &str) -> String {
    let parsed = line.strip_prefix("thread '").and_then(|rest| {
        let (thread, rest) = rest.split_once('\'')?;
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('(') {
            Some(r) => r.split_once(')')?.1.trim_start(),
            None => rest,
        };
        Some((thread, rest.strip_prefix("panicked at ")?))
    });
    match parsed {
        Some((thread, place)) if thread == test => format!("panicked at {place}"),
        Some((thread, place)) => format!("thread '{thread}' panicked at {place}"),
        None => line.to_string(),
    }
}

fn section_from(text: &str, marker: &str) -> String {
    text.find(marker).map(|i| text[i..].trim().to_string()).unwrap_or_default()
}

/// The last lines of a process's output, without libtest's own chatter.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text
        .lines()
        // What follows libtest's "test NAME ... " on its line is the test's own.
        .map(|l| if l.starts_with("test ") { l.split_once(" ... ").map_or(l, |(_, rest)| rest) } else { l })
        .filter(|l| !l.trim().is_empty() && !l.starts_with("running "))
        .collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn cap(mut message: String) -> String {
    if message.len() > MESSAGE_CAP {
        let mut cut = MESSAGE_CAP;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("\n[message truncated]");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Capped;
    use std::time::Duration;

    fn finished(exit: Exit, stdout: &str) -> Finished {
        Finished {
            exit,
            stdout: Capped { bytes: stdout.as_bytes().to_vec(), ..Capped::default() },
            stderr: Capped::default(),
            elapsed: Duration::ZERO,
            stuck_threads: vec![ThreadState { name: "x".into(), state: Some('S'), wchan: Some("futex_wait".into()) }],
        }
    }

    const FAILED: &str = "\nrunning 1 test\ntest t ... FAILED\n\nfailures:\n\n---- t stdout ----\n\n\
        thread 't' (1234) panicked at src/lib.rs:3:5:\nonly 1 of 6 ran\nnote: run with `RUST_BACKTRACE=1` environment variable\n\n\
        failures:\n    t\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored\n";

    #[test]
    fn a_pass_needs_libtests_ok_line() {
        let ok = "running 1 test\ntest t ... ok\n\ntest result: ok. 1 passed; 0 failed\n";
        assert_eq!(classify("t", &finished(Exit::Code(0), ok), 5).status, Status::Passed);
        let early = classify("t", &finished(Exit::Code(0), "running 1 test\n"), 5);
        assert_eq!(early.status, Status::Crashed);
        assert!(early.message.contains("process::exit"), "{}", early.message);
    }

    #[test]
    fn a_failure_keeps_the_panic_message_and_place() {
        let v = classify("t", &finished(Exit::Code(101), FAILED), 5);
        assert_eq!(v.status, Status::Failed);
        assert_eq!(v.message, "panicked at src/lib.rs:3:5:\nonly 1 of 6 ran");
    }

    #[test]
    fn the_test_threads_last_panic_comes_first() {
        let out = "---- t stdout ----\nnoise from a library\nthread 'worker' panicked at a.rs:1:1:\nboom\n\
            thread 't' (9) panicked at b.rs:2:2:\nwhat the test says\n\nfailures:\n";
        assert_eq!(
            panic_message("t", out),
            "panicked at b.rs:2:2:\nwhat the test says\n\nprinted before that:\nnoise from a library\n\
             thread 'worker' panicked at a.rs:1:1:\nboom"
        );
    }

    #[test]
    fn snapshot_failures_become_a_diff() {
        let insta = "━━ Snapshot Summary ━━\nSnapshot file: x.snap\nSnapshot: greeting\n──\n-old snapshot\n+new results\n\
            ───┬───\n    1       │-Hello\n          1 │+Hi\n───┴───\nStopped on the first failure.\n";
        assert_eq!(
            snapshot_diff(insta).unwrap(),
            "the output differs from the expected snapshot 'greeting' (- expected, + yours):\n    1       │-Hello\n          1 │+Hi"
        );
        assert!(snapshot_diff("assertion failed").is_none());
    }

    #[test]
    fn panic_lines_lose_thread_ids() {
        assert_eq!(panic_line("t", "thread 't' (77) panicked at a.rs:1:2:"), "panicked at a.rs:1:2:");
        assert_eq!(
            panic_line("t", "thread '<unnamed>' (8) panicked at b.rs:3:4:"),
            "thread '<unnamed>' panicked at b.rs:3:4:"
        );
        assert_eq!(panic_line("t", "thread 't' panicked at c.rs:5:6:"), "panicked at c.rs:5:6:");
        assert_eq!(panic_line("t", "plain text"), "plain text");
    }

    #[test]
    fn timeouts_and_signals_say_what_happened() {
        let v = classify("t", &finished(Exit::TimedOut, ""), 5);
        assert_eq!(v.status, Status::TimedOut);
        assert!(v.message.contains("within 5 s"), "{}", v.message);
        assert!(
            v.message.contains("thread 'x': sleeping (waiting for a lock, a channel, a join or I/O) in futex_wait")
        );
        let v = classify("t", &finished(Exit::Signal(libc::SIGABRT), ""), 5);
        assert_eq!(v.status, Status::Crashed);
        assert!(v.message.starts_with("crashed with SIGABRT (6)"), "{}", v.message);
    }

    #[test]
    fn long_messages_are_capped_on_a_char_boundary() {
        let m = cap("é".repeat(3000));
        assert!(m.ends_with("[message truncated]") && m.len() < MESSAGE_CAP + 40);
    }
}

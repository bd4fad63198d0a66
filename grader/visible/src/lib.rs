//! A deadline for each visible test: the typical bug of a concurrency course is
//! a deadlock, and a test that hangs says nothing. Start a test with
//!
//! ```
//! let _deadline = visible::deadline("01");
//! ```
//!
//! and if it has not finished (returned or failed) within [`LIMIT`], the test
//! process ends with a message that says so and what to run next. It works for
//! code that borrows from the test, since the test itself runs as usual; the
//! deadline is a thread of its own that waits, and is gone when the test ends.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a visible test may take: far beyond what correct code needs, also
/// on a busy machine.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Ends the test process if the test has not finished within [`LIMIT`]; drop it
/// (at the end of the test) to cancel.
#[must_use = "the deadline is cancelled when this value drops: keep it in a `_deadline` variable"]
pub struct Deadline {
    finished: Arc<(Mutex<bool>, Condvar)>,
    watchdog: Option<JoinHandle<()>>,
}

/// A deadline of [`LIMIT`] for the test that calls it; `exercise` is the id the
/// message names (`cargo grade <exercise>`).
#[track_caller]
pub fn deadline(exercise: &str) -> Deadline {
    deadline_after(exercise, LIMIT)
}

/// A deadline after `limit`.
#[track_caller]
pub fn deadline_after(exercise: &str, limit: Duration) -> Deadline {
    let test = thread::current().name().unwrap_or("this test").to_string();
    let at = std::panic::Location::caller().to_string();
    let exercise = exercise.to_string();
    let finished = Arc::new((Mutex::new(false), Condvar::new()));
    let flag = Arc::clone(&finished);
    let watchdog = thread::Builder::new()
        .name("test-deadline".into())
        .spawn(move || {
            let end = Instant::now() + limit;
            let (lock, changed) = &*flag;
            let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
            while !*done {
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    eprintln!(
                        "\n{test} ({at}) did not finish in {} s: a deadlock, or a join that never returns? \
                         `cargo grade {exercise}` shows what each thread is waiting for.",
                        limit.as_secs()
                    );
                    // The stuck threads cannot be stopped from here; ending the
                    // process is the only way to give the learner an answer.
                    #[allow(clippy::disallowed_methods)]
                    std::process::exit(101);
                }
                done = changed.wait_timeout(done, left).unwrap_or_else(|e| e.into_inner()).0;
            }
        })
        .expect("a thread for the test's deadline");
    Deadline { finished, watchdog: Some(watchdog) }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        let (lock, changed) = &*self.finished;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        changed.notify_all();
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_that_finishes_in_time_is_left_alone() {
        let start = Instant::now();
        {
            let _deadline = deadline_after("01", Duration::from_secs(30));
            thread::sleep(Duration::from_millis(10));
        }
        assert!(start.elapsed() < Duration::from_secs(5), "dropping the deadline cancels it at once");
    }
}

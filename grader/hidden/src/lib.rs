//! The hidden tests' toolkit: probes that prove concurrency without timing, a
//! deadlock watchdog, snapshot settings with redactions, and the helpers every
//! test would otherwise write again. Helpers return data: the wording of a
//! failure is each test's own lesson. What a forked child may call is in
//! [`fork_safe`].

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[cfg(feature = "snapshots")]
pub use insta;
pub use shuttle;

mod bounded;
pub mod children;
pub mod contract;
pub mod fork_safe;
pub mod kernel;
mod panics;
pub mod poll;
mod release;
mod thread_end;
mod watchdog;

pub use bounded::{Late, bounded};
pub use contract::DEADLOCK_EXIT;
pub use fork_safe::{Tid, gettid};
pub use panics::{panic_message, panic_text};
pub use poll::{poll, wait_until, watch};
pub use release::LastToFirst;
pub use thread_end::{EndCount, on_thread_exit};
pub use watchdog::watchdog;

/// How long a probe waits for the others before it concludes they are not coming.
/// Correct code fills a probe in about a millisecond, also on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(3);

/// A meeting point for `n` callers: each `arrive` waits until all `n` are inside
/// at once, or until the patience runs out. It records the most callers ever
/// inside together, which is the proof (or disproof) that calls overlapped.
pub struct Rendezvous {
    n: usize,
    patience: Duration,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    inside: usize,
    peak: usize,
    arrivals: usize,
    gave_up: bool,
}

/// Held while a caller is inside the rendezvous; leaving lowers the count.
pub struct Inside<'a> {
    rv: &'a Rendezvous,
}

impl Rendezvous {
    pub fn new(n: usize) -> Rendezvous {
        Rendezvous::with_patience(n, PATIENCE)
    }

    pub fn with_patience(n: usize, patience: Duration) -> Rendezvous {
        Rendezvous { n, patience, state: Mutex::new(State::default()), changed: Condvar::new() }
    }

    /// Enters and waits for the others. Once the patience has run out for one
    /// caller, later callers do not wait, so wrong code fails fast, not slowly.
    pub fn arrive(&self) -> Inside<'_> {
        let mut s = self.lock();
        s.inside += 1;
        s.arrivals += 1;
        s.peak = s.peak.max(s.inside);
        self.changed.notify_all();
        let deadline = Instant::now() + self.patience;
        while s.peak < self.n && !s.gave_up {
            let now = Instant::now();
            if now >= deadline {
                s.gave_up = true;
                self.changed.notify_all();
                break;
            }
            s = self.changed.wait_timeout(s, deadline - now).unwrap().0;
        }
        Inside { rv: self }
    }

    /// The most callers that were ever inside at the same time.
    pub fn peak(&self) -> usize {
        self.lock().peak
    }

    /// How many calls arrived in all.
    pub fn arrivals(&self) -> usize {
        self.lock().arrivals
    }

    /// Whether every expected caller was inside at once.
    pub fn all_met(&self) -> bool {
        self.peak() >= self.n
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        let mut s = self.rv.lock();
        s.inside -= 1;
        self.rv.changed.notify_all();
    }
}

/// Snapshot settings for output that varies from run to run: numbers, thread and
/// process ids, paths and durations are replaced by stable placeholders.
#[cfg(feature = "snapshots")]
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(r"(/[\w.\-]+){2,}/?", "[PATH]");
    s.add_filter(r"ThreadId\(\d+\)", "ThreadId([ID])");
    s.add_filter(r"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s)\b", "[DURATION]");
    s.add_filter(r"\b\d+(\.\d+)?\b", "[N]");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    #[test]
    fn all_callers_meet_when_they_overlap() {
        let rv = Rendezvous::new(4);
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| drop(rv.arrive()));
            }
        });
        assert!(rv.all_met());
        assert_eq!((rv.peak(), rv.arrivals()), (4, 4));
    }

    #[test]
    fn sequential_callers_give_up_once_and_then_pass_straight_through() {
        let rv = Rendezvous::with_patience(3, Duration::from_millis(50));
        let start = Instant::now();
        for _ in 0..3 {
            drop(rv.arrive());
        }
        assert_eq!(rv.peak(), 1);
        assert!(!rv.all_met());
        assert!(start.elapsed() < Duration::from_millis(50) * 3, "only the first caller waits");
    }

    #[cfg(feature = "snapshots")]
    #[test]
    fn filters_redact_numbers_ids_and_paths() {
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(
                "redactions",
                "pid 4242 ThreadId(7) took 12.5 ms in /home/me/threadlings/src/lib.rs"
            );
        });
    }
}

//! Noticing that a thread has really ended: thread-local destructors run as a
//! thread exits, after everything it ran, so a `join` that returned early or a
//! thread that was never joined shows.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

struct OnExit(RefCell<Vec<Box<dyn FnOnce()>>>);

impl Drop for OnExit {
    fn drop(&mut self) {
        for f in self.0.take() {
            f();
        }
    }
}

thread_local! {
    static ON_EXIT: OnExit = const { OnExit(RefCell::new(Vec::new())) };
}

/// Runs `f` on the calling thread as it exits.
pub fn on_thread_exit(f: impl FnOnce() + 'static) {
    ON_EXIT.with(|e| e.0.borrow_mut().push(Box::new(f)));
}

/// Counts the threads that have ended, of those that called [`EndCount::count_me`].
#[derive(Clone, Default)]
pub struct EndCount {
    ended: Arc<AtomicUsize>,
    counted: Arc<Mutex<HashSet<ThreadId>>>,
}

impl EndCount {
    pub fn new() -> EndCount {
        EndCount::default()
    }

    /// Counts the calling thread once it has ended: once, however often it calls.
    pub fn count_me(&self) {
        let me = std::thread::current().id();
        if !self.counted.lock().unwrap_or_else(|e| e.into_inner()).insert(me) {
            return;
        }
        let count = Arc::clone(&self.ended);
        on_thread_exit(move || {
            count.fetch_add(1, Ordering::SeqCst);
        });
    }

    /// The threads ended so far.
    pub fn ended(&self) -> usize {
        self.ended.load(Ordering::SeqCst)
    }

    /// Waits until `n` threads have ended, at most `patience`; gives how many had.
    pub fn wait_for(&self, n: usize, patience: Duration) -> usize {
        crate::poll::wait_until(patience, || self.ended() >= n);
        self.ended()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn runs_after_the_threads_own_code_in_the_order_registered() {
        let (tx, rx) = mpsc::channel();
        let t = std::thread::spawn(move || {
            let (a, b) = (tx.clone(), tx.clone());
            on_thread_exit(move || a.send("first").unwrap());
            on_thread_exit(move || b.send("second").unwrap());
            tx.send("body").unwrap();
        });
        t.join().unwrap();
        assert_eq!(rx.iter().collect::<Vec<_>>(), ["body", "first", "second"]);
    }

    #[test]
    fn counts_ended_threads_only() {
        let count = EndCount::new();
        let (stop, wait) = mpsc::channel::<()>();
        let c = count.clone();
        let t = std::thread::spawn(move || {
            c.count_me();
            c.count_me();
            let _ = wait.recv();
        });
        assert_eq!(count.wait_for(1, Duration::from_millis(20)), 0, "still running");
        drop(stop);
        t.join().unwrap();
        assert_eq!(count.wait_for(1, crate::PATIENCE), 1);
        assert_eq!(count.wait_for(2, Duration::from_millis(20)), 1, "a thread counts once");
    }
}

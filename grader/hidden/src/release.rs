//! Ordered release: lets calls that run at once return in an order the test
//! chooses (the reverse of their start), so code that collects results in
//! finishing order shows it. Never hangs: once one caller has waited out the
//! patience (the calls did not run at once), nobody waits any more.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::thread_end::on_thread_exit;

/// Call `i` of `n` returns only once the threads of every later call have ended.
pub struct LastToFirst {
    patience: Duration,
    state: Mutex<Release>,
    changed: Condvar,
}

struct Release {
    ended: Vec<bool>,
    gave_up: bool,
}

impl LastToFirst {
    pub fn new(n: usize) -> Arc<LastToFirst> {
        LastToFirst::with_patience(n, crate::PATIENCE)
    }

    pub fn with_patience(n: usize, patience: Duration) -> Arc<LastToFirst> {
        Arc::new(LastToFirst {
            patience,
            state: Mutex::new(Release { ended: vec![false; n], gave_up: false }),
            changed: Condvar::new(),
        })
    }

    /// Called by call `i` on its thread: marks the thread for its end, then waits
    /// for the later calls' threads to end. Gives whether they all did in time.
    pub fn finish(self: &Arc<Self>, i: usize) -> bool {
        self.track(i);
        self.wait_for_later(i)
    }

    /// Marks the calling thread as call `i`'s: its end is counted.
    pub fn track(self: &Arc<Self>, i: usize) {
        let me = Arc::clone(self);
        on_thread_exit(move || me.done(i));
    }

    /// Counts call `i` as out now, before its thread ends: for calls that share
    /// threads (a pool), released by their return rather than their thread's end.
    pub fn done(&self, i: usize) {
        self.lock().ended[i] = true;
        self.changed.notify_all();
    }

    /// Waits until the threads of the calls after `i` have ended, or until some
    /// caller has waited out the patience. Gives whether they all ended.
    pub fn wait_for_later(&self, i: usize) -> bool {
        let deadline = Instant::now() + self.patience;
        let mut s = self.lock();
        while !s.gave_up && !s.ended[i + 1..].iter().all(|&e| e) {
            let now = Instant::now();
            if now >= deadline {
                s.gave_up = true;
                self.changed.notify_all();
                break;
            }
            s = self.changed.wait_timeout(s, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        s.ended[i + 1..].iter().all(|&e| e)
    }

    /// How many of the calls' threads have ended.
    pub fn ended(&self) -> usize {
        self.lock().ended.iter().filter(|&&e| e).count()
    }

    /// Waits until every tracked call's thread has ended, at most `patience`;
    /// gives how many had.
    pub fn wait_all_ended(&self, patience: Duration) -> usize {
        crate::poll::wait_until(patience, || self.lock().ended.iter().all(|&e| e));
        self.ended()
    }

    /// Whether some caller waited out the patience.
    pub fn gave_up(&self) -> bool {
        self.lock().gave_up
    }

    fn lock(&self) -> MutexGuard<'_, Release> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn threads_at_once_return_last_to_first() {
        let release = LastToFirst::new(4);
        let (tx, rx) = mpsc::channel();
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (release, tx) = (Arc::clone(&release), tx.clone());
                std::thread::spawn(move || {
                    assert!(release.finish(i));
                    tx.send(i).unwrap();
                })
            })
            .collect();
        drop(tx);
        assert_eq!(rx.iter().collect::<Vec<_>>(), [3, 2, 1, 0]);
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!((release.wait_all_ended(crate::PATIENCE), release.gave_up()), (4, false));
    }

    #[test]
    fn calls_released_by_hand_on_one_pool_thread_each() {
        let release = LastToFirst::new(3);
        let (tx, rx) = mpsc::channel();
        std::thread::scope(|s| {
            for i in 0..3 {
                let (release, tx) = (&release, tx.clone());
                s.spawn(move || {
                    release.wait_for_later(i);
                    tx.send(i).unwrap();
                    release.done(i);
                });
            }
        });
        drop(tx);
        assert_eq!(rx.iter().collect::<Vec<_>>(), [2, 1, 0]);
    }

    #[test]
    fn calls_one_after_another_give_up_once_and_then_pass() {
        let release = LastToFirst::with_patience(3, Duration::from_millis(30));
        let start = Instant::now();
        let waited: Vec<bool> = (0..3)
            .map(|i| {
                std::thread::spawn({
                    let r = Arc::clone(&release);
                    move || r.finish(i)
                })
                .join()
                .unwrap()
            })
            .collect();
        assert_eq!(waited, [false, false, true]);
        assert!(release.gave_up());
        assert!(start.elapsed() < Duration::from_millis(30) * 3, "only the first caller waits");
    }
}

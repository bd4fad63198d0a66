//! Waiting on a condition the test cannot be told about (a kernel state, a
//! thread's end): look every millisecond until it holds or the patience runs out.
//! Safe after `fork` whenever the look is: the waiting neither allocates nor locks.

use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(1);

/// Looks until `look` gives `Some`, at most `patience`; `None` when it never did.
/// Looks at least once, and once more after the patience ran out.
pub fn poll<T>(patience: Duration, look: impl FnMut() -> Option<T>) -> Option<T> {
    poll_every(EVERY, patience, look)
}

/// [`poll`], looking every `every`: for a sight that must hold a while.
pub fn poll_every<T>(every: Duration, patience: Duration, mut look: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + patience;
    loop {
        if let Some(found) = look() {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return look();
        }
        std::thread::sleep(every);
    }
}

/// Whether `ready` came to hold within `patience`.
pub fn wait_until(patience: Duration, mut ready: impl FnMut() -> bool) -> bool {
    poll(patience, || ready().then_some(())).is_some()
}

/// Looks until `good` holds of what `look` sees, at most `patience`; gives
/// whether it held and the last thing seen, for the failure message.
pub fn watch<T>(patience: Duration, mut look: impl FnMut() -> T, good: impl Fn(&T) -> bool) -> (bool, T) {
    let mut last = None;
    let held = wait_until(patience, || {
        let seen = look();
        let ok = good(&seen);
        last = Some(seen);
        ok
    });
    (held, last.expect("looked at least once"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn gives_what_was_found_as_soon_as_it_is_there() {
        let looks = AtomicUsize::new(0);
        let found = poll(Duration::from_secs(5), || {
            let n = looks.fetch_add(1, Ordering::SeqCst);
            (n == 3).then_some(n)
        });
        assert_eq!(found, Some(3));
    }

    #[test]
    fn gives_up_after_the_patience() {
        let start = Instant::now();
        assert!(!wait_until(Duration::from_millis(30), || false));
        assert!(start.elapsed() >= Duration::from_millis(30));
        let (held, last) = watch(Duration::from_millis(10), || 7, |&n| n > 7);
        assert_eq!((held, last), (false, 7));
    }

    #[test]
    fn watch_keeps_the_good_sight() {
        let mut n = 0;
        assert_eq!(
            watch(
                Duration::from_secs(5),
                || {
                    n += 1;
                    n
                },
                |&n| n == 4
            ),
            (true, 4)
        );
    }
}

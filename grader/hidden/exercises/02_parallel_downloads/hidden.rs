//! Hidden tests for exercise 02: the downloads are in flight at the same time
//! (proved by a rendezvous, not a stopwatch), results keep the input order even
//! when downloads finish in reverse, each download has its own thread, and no
//! thread is left running.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hidden::{PATIENCE, Rendezvous};
use parallel_downloads::{Download, download_all};

/// Not in sorted order, so sorting is not a way to get the order right.
const FILES: [&str; 6] = ["movie.mp4", "archive.tar", "photo.png", "song.ogg", "book.pdf", "data.csv"];

fn bytes_of(name: &str) -> usize {
    1000 + FILES.iter().position(|f| *f == name).expect("a known file") * 7
}

fn expected() -> Vec<Download> {
    FILES.iter().map(|f| Download { name: f.to_string(), bytes: bytes_of(f) }).collect()
}

fn not_together(peak: usize) -> String {
    format!(
        "only {peak} of {} downloads ever ran at once: are you joining each thread inside the same loop \
         that spawns it? Spawn them all first, then join them all",
        FILES.len()
    )
}

#[test]
fn downloads_are_in_flight_at_the_same_time() {
    let rv = Arc::new(Rendezvous::new(FILES.len()));
    let probe = Arc::clone(&rv);
    let got = download_all(&FILES, move |name| {
        let _inside = probe.arrive();
        bytes_of(name)
    });
    assert!(rv.all_met(), "{}", not_together(rv.peak()));
    assert_eq!(got, expected(), "every file should be downloaded once");
}

/// Lets the downloads finish only in reverse order, once all are in flight.
struct ReverseExit {
    rv: Rendezvous,
    next_out: Mutex<usize>,
    turn: Condvar,
}

#[test]
fn results_keep_the_order_of_the_files_when_downloads_finish_in_reverse() {
    let gate = Arc::new(ReverseExit {
        rv: Rendezvous::new(FILES.len()),
        next_out: Mutex::new(FILES.len() - 1),
        turn: Condvar::new(),
    });
    let probe = Arc::clone(&gate);
    let got = download_all(&FILES, move |name| {
        let me = FILES.iter().position(|f| *f == name).expect("a known file");
        let _inside = probe.rv.arrive();
        if probe.rv.all_met() {
            let deadline = Instant::now() + PATIENCE;
            let mut next = probe.next_out.lock().unwrap();
            while *next != me && Instant::now() < deadline {
                next = probe.turn.wait_timeout(next, Duration::from_millis(50)).unwrap().0;
            }
            *next = next.saturating_sub(1);
            probe.turn.notify_all();
        }
        bytes_of(name)
    });
    assert!(gate.rv.all_met(), "{}", not_together(gate.rv.peak()));
    let names: Vec<&str> = got.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        got,
        expected(),
        "the downloads finished last-to-first and came back as {names:?}: return them in the order of \
         `files`, not in the order they finish (join the handles in the order you spawned them)"
    );
}

#[test]
fn each_download_runs_on_a_thread_of_its_own() {
    let caller = thread::current().id();
    let rv = Arc::new(Rendezvous::new(FILES.len()));
    let seen: Arc<Mutex<Vec<ThreadId>>> = Arc::default();
    let (probe, log) = (Arc::clone(&rv), Arc::clone(&seen));
    download_all(&FILES, move |name| {
        log.lock().unwrap().push(thread::current().id());
        let _inside = probe.arrive();
        bytes_of(name)
    });
    let seen = seen.lock().unwrap();
    let distinct: HashSet<&ThreadId> = seen.iter().collect();
    assert!(!distinct.contains(&caller), "a download ran on the thread that called download_all");
    assert_eq!(
        distinct.len(),
        FILES.len(),
        "{} downloads ran on {} threads: start one thread per file (a CPU-sized pool is the wrong tool for I/O)",
        FILES.len(),
        distinct.len()
    );
}

/// Counts threads that have really ended: thread-local destructors run as a
/// thread exits.
struct ExitCounter(RefCell<Option<Arc<AtomicUsize>>>);

impl Drop for ExitCounter {
    fn drop(&mut self) {
        if let Some(count) = self.0.borrow_mut().take() {
            count.fetch_add(1, Ordering::SeqCst);
        }
    }
}

thread_local! {
    static ON_EXIT: ExitCounter = const { ExitCounter(RefCell::new(None)) };
}

#[test]
fn no_download_thread_is_left_running() {
    let exited = Arc::new(AtomicUsize::new(0));
    let rv = Arc::new(Rendezvous::new(FILES.len()));
    let (probe, count) = (Arc::clone(&rv), Arc::clone(&exited));
    download_all(&FILES, move |name| {
        ON_EXIT.with(|c| *c.0.borrow_mut() = Some(Arc::clone(&count)));
        let _inside = probe.arrive();
        bytes_of(name)
    });
    // Joined threads have ended already; allow a moment for ones ending on their own.
    let deadline = Instant::now() + PATIENCE;
    while exited.load(Ordering::SeqCst) < FILES.len() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let ended = exited.load(Ordering::SeqCst);
    assert_eq!(
        ended,
        FILES.len(),
        "{} of {} download threads were still running {PATIENCE:?} after download_all returned: \
         keep every JoinHandle and join it before returning",
        FILES.len() - ended,
        FILES.len()
    );
}

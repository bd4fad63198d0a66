//! Hidden tests for exercise 02: the downloads are in flight at the same time
//! (proved by a rendezvous, not a stopwatch), results keep the input order even
//! when downloads finish last-to-first, each download has its own thread, and
//! every download thread ends.
//!
//! What no test can tell: whether a thread that has delivered its download was
//! joined or detached. `std::thread::scope` itself returns once its threads'
//! closures have returned, before those threads have fully exited, so a thread
//! still exiting when `download_all` returns is no proof of a missing join. The
//! tests check what can be seen: every download thread ends on its own, moments
//! after `download_all` returns (a pool that outlives the call never does).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use hidden::{EndCount, LastToFirst, PATIENCE, Rendezvous};
use parallel_downloads::{Download, download_all};

/// Not in sorted order, so sorting is not a way to get the order right.
const FILES: [&str; 6] = ["movie.mp4", "archive.tar", "photo.png", "song.ogg", "book.pdf", "data.csv"];

fn index_of(name: &str) -> usize {
    FILES.iter().position(|f| *f == name).expect("a known file")
}

fn bytes_of(name: &str) -> usize {
    1000 + index_of(name) * 7
}

fn expected() -> Vec<Download> {
    FILES.iter().map(|f| Download { name: f.to_string(), bytes: bytes_of(f) }).collect()
}

/// Why the downloads never all met, from the threads they ran on.
fn not_together(peak: usize, threads: &[ThreadId], caller: ThreadId) -> String {
    let distinct: HashSet<&ThreadId> = threads.iter().collect();
    let why = if !threads.is_empty() && threads.iter().all(|t| *t == caller) {
        "they ran on the thread that called download_all. Start a thread per file".to_string()
    } else if distinct.len() == 1 {
        format!("all {} downloads ran on one thread, one after another. Start a thread per file", threads.len())
    } else if distinct.len() < threads.len() && distinct.len() <= peak {
        format!(
            "the {} downloads ran on only {} threads, so they had to take turns. Start a thread per file (a pool \
             sized to the CPU cores, like rayon's, has only as many threads as cores)",
            threads.len(),
            distinct.len()
        )
    } else {
        let how = if peak <= 1 { "they ran one after another" } else { "not all of them were in flight together" };
        format!(
            "each had a thread of its own, but {how}: are you joining threads inside the loop that spawns them? \
             Spawn them all first, then join them all"
        )
    };
    format!("only {peak} of {} downloads ever ran at once: {why}", FILES.len())
}

/// The `fetch` of a test: notes the thread of every call, then meets the others.
fn meeting_fetch(
    rv: &Arc<Rendezvous>,
    threads: &Arc<Mutex<Vec<ThreadId>>>,
) -> impl Fn(&str) -> usize + Send + Sync + 'static {
    let (probe, log) = (Arc::clone(rv), Arc::clone(threads));
    move |name| {
        log.lock().unwrap().push(thread::current().id());
        let _inside = probe.arrive();
        bytes_of(name)
    }
}

/// Says what is wrong with the downloads `got`, if anything: files missing or
/// downloaded twice, a file with another file's bytes, and, when `order` is
/// given, every file there but in another order.
fn check_downloads(got: &[Download], order: Option<&str>) {
    let names: Vec<&str> = got.iter().map(|d| d.name.as_str()).collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for name in &names {
        *count.entry(name).or_default() += 1;
    }
    let missing: Vec<&str> = FILES.iter().copied().filter(|f| !count.contains_key(f)).collect();
    let twice: Vec<&str> = count.iter().filter(|(_, n)| **n > 1).map(|(f, _)| *f).collect();
    let unknown: Vec<&str> = count.keys().copied().filter(|f| !FILES.contains(f)).collect();
    assert!(
        missing.is_empty() && twice.is_empty() && unknown.is_empty(),
        "download_all returned {} downloads for the {} files ({names:?}): missing {missing:?}, more than once \
         {twice:?}, never asked for {unknown:?}. Return one Download per file",
        got.len(),
        FILES.len()
    );
    for d in got {
        assert_eq!(
            d.bytes,
            bytes_of(&d.name),
            "the download of {} says {} bytes, but fetch returned {} for it: keep each file's own result",
            d.name,
            d.bytes,
            bytes_of(&d.name)
        );
    }
    if let Some(when) = order {
        assert!(
            got == expected(),
            "every file was downloaded once, but they came back as {names:?}, not in the order of `files` \
             ({FILES:?}){when}: return them in the order of `files` (join the handles in the order you spawned them)"
        );
    }
}

#[test]
fn downloads_are_in_flight_at_the_same_time() {
    let rv = Arc::new(Rendezvous::new(FILES.len()));
    let threads = Arc::default();
    let got = download_all(&FILES, meeting_fetch(&rv, &threads));
    assert!(rv.all_met(), "{}", not_together(rv.peak(), &threads.lock().unwrap(), thread::current().id()));
    // The order is the next test's business: this one is about being in flight together.
    check_downloads(&got, None);
}

// ---------------------------------------------------------------------------
// Thread ends, seen from inside: a thread-local's destructor runs as its thread exits.

/// Lets the downloads finish only last-to-first, once all are in flight: a
/// download returns once the threads of all later files have ended.
#[test]
fn results_keep_the_order_of_the_files_when_downloads_finish_in_reverse() {
    let (rv, release) = (Arc::new(Rendezvous::new(FILES.len())), LastToFirst::new(FILES.len()));
    let got = download_all(&FILES, move |name| {
        let _inside = rv.arrive();
        if rv.all_met() {
            release.finish(index_of(name));
        }
        bytes_of(name)
    });
    // Downloads that ran one after another cannot finish last-to-first, but their
    // order is still judged: that mistake costs the test above, not this one.
    check_downloads(&got, Some(", although they finished last-to-first"));
}

#[test]
fn each_download_runs_on_a_thread_of_its_own() {
    let caller = thread::current().id();
    let rv = Arc::new(Rendezvous::new(FILES.len()));
    let seen: Arc<Mutex<Vec<(String, ThreadId)>>> = Arc::default();
    let (probe, log) = (Arc::clone(&rv), Arc::clone(&seen));
    download_all(&FILES, move |name| {
        log.lock().unwrap().push((name.to_string(), thread::current().id()));
        let _inside = probe.arrive();
        bytes_of(name)
    });
    let seen = seen.lock().unwrap();
    let on_caller = seen.iter().filter(|(_, t)| *t == caller).count();
    assert_eq!(on_caller, 0, "{on_caller} download(s) ran on the thread that called download_all");
    let fetched: Vec<&str> = seen.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        seen.len(),
        FILES.len(),
        "fetch was called {} times for {} files ({fetched:?}): fetch every file once",
        seen.len(),
        FILES.len()
    );
    let distinct: HashSet<&ThreadId> = seen.iter().map(|(_, t)| t).collect();
    assert_eq!(
        distinct.len(),
        FILES.len(),
        "{} downloads ran on {} thread(s): start one thread per file (a CPU-sized pool is the wrong tool for I/O)",
        FILES.len(),
        distinct.len()
    );
}

#[test]
fn no_download_thread_is_left_running() {
    let caller = thread::current().id();
    let threads: Arc<Mutex<HashSet<ThreadId>>> = Arc::default();
    let ended = EndCount::new();
    let rv = Arc::new(Rendezvous::new(FILES.len()));
    let (probe, seen, count) = (Arc::clone(&rv), Arc::clone(&threads), ended.clone());
    download_all(&FILES, move |name| {
        let me = thread::current().id();
        // Counted once per thread, however many files it fetched.
        if me != caller && seen.lock().unwrap().insert(me) {
            count.count_me();
        }
        let _inside = probe.arrive();
        bytes_of(name)
    });
    let threads = threads.lock().unwrap().len();
    // A joined thread has ended already; a scoped one may still be on its way out.
    let running = threads - ended.wait_for(threads, PATIENCE);
    assert_eq!(
        running, 0,
        "{running} of the {threads} threads that downloaded were still running {PATIENCE:?} after download_all \
         returned: keep every JoinHandle and join it before returning (the threads of a pool that outlives the \
         call, like rayon's, never end)"
    );
}

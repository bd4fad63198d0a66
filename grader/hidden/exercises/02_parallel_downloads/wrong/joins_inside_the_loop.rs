//! Wrong: joins each thread inside the loop that spawns it, so the downloads run
//! one after another although each has a thread.
//! Must fail: downloads_are_in_flight_at_the_same_time

use std::sync::Arc;
use std::thread;

/// One finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub name: String,
    pub bytes: usize,
}

/// Downloads the files one after another: the version without threads.
pub fn download_one_by_one<F>(files: &[&str], fetch: F) -> Vec<Download>
where
    F: Fn(&str) -> usize,
{
    files.iter().map(|name| Download { name: name.to_string(), bytes: fetch(name) }).collect()
}

/// Downloads every file at the same time, each on a thread of its own, and
/// returns the downloads in the order of `files`. Every thread has finished
/// when this returns.
///
/// `fetch` does the slow network work for one file name and returns the number
/// of bytes it received. It is shared by all the threads.
pub fn download_all<F>(files: &[&str], fetch: F) -> Vec<Download>
where
    F: Fn(&str) -> usize + Send + Sync + 'static,
{
    let fetch = Arc::new(fetch);
    let mut done = Vec::new();
    for name in files {
        let name = name.to_string();
        let fetch = Arc::clone(&fetch);
        let handle = thread::spawn(move || {
            let bytes = fetch(&name);
            Download { name, bytes }
        });
        done.push(handle.join().expect("a download thread panicked"));
    }
    done
}

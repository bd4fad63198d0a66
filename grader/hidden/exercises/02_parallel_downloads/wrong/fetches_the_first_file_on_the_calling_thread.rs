//! Wrong: downloads the first file on the calling thread (which would only wait
//! otherwise) and the others on threads of their own.
//! Must fail: each_download_runs_on_a_thread_of_its_own

//! Exercise 02: parallel downloads.
//!
//! Read README.md in this folder first. Replace the `todo!()` so that
//! `cargo test -p parallel_downloads` passes, then run `cargo grade 02`.

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
    let Some((first, rest)) = files.split_first() else { return Vec::new() };
    // First start every download but the first...
    let handles: Vec<_> = rest
        .iter()
        .map(|name| {
            let name = name.to_string();
            let fetch = Arc::clone(&fetch);
            thread::spawn(move || {
                let bytes = fetch(&name);
                Download { name, bytes }
            })
        })
        .collect();
    // ...download the first one here, since this thread would only wait anyway...
    let mine = Download { name: first.to_string(), bytes: fetch(first) };
    // ...then wait for each, in the order they were started.
    let mut downloads = vec![mine];
    downloads.extend(handles.into_iter().map(|h| h.join().expect("a download thread panicked")));
    downloads
}

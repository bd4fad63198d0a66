//! Wrong: collects the downloads from a channel in the order they finish, not in
//! the order of the files.
//! Must fail: results_keep_the_order_of_the_files_when_downloads_finish_in_reverse

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
    let (tx, rx) = std::sync::mpsc::channel();
    let handles: Vec<_> = files
        .iter()
        .map(|name| {
            let name = name.to_string();
            let (fetch, tx) = (Arc::clone(&fetch), tx.clone());
            thread::spawn(move || {
                let bytes = fetch(&name);
                tx.send(Download { name, bytes }).unwrap();
            })
        })
        .collect();
    drop(tx);
    let done: Vec<Download> = rx.iter().collect();
    for h in handles {
        h.join().unwrap();
    }
    done
}

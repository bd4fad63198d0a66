//! Right: `Arc` and `thread::Builder`, each thread sends its download with its
//! index over a crossbeam channel; the results are put in order by index and
//! every handle is joined.

//! Exercise 02: parallel downloads.
//!
//! Read README.md in this folder first. Replace the `todo!()` so that
//! `cargo test -p parallel_downloads` passes, then run `cargo grade 02`.

use std::sync::Arc;
use std::thread;

use crossbeam::channel;

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
    let (tx, rx) = channel::unbounded::<(usize, Download)>();
    let mut handles = Vec::new();
    for (i, name) in files.iter().enumerate() {
        let fetch = Arc::clone(&fetch);
        let tx = tx.clone();
        let name = String::from(*name);
        let handle = thread::Builder::new()
            .name(format!("download-{i}"))
            .spawn(move || {
                let bytes = fetch(&name);
                tx.send((i, Download { name, bytes })).unwrap();
            })
            .unwrap();
        handles.push(handle);
    }
    drop(tx);
    let mut downloads: Vec<(usize, Download)> = rx.iter().collect();
    for handle in handles {
        handle.join().unwrap();
    }
    downloads.sort_by_key(|(i, _)| *i);
    downloads.into_iter().map(|(_, d)| d).collect()
}

//! Right: crossbeam's scoped threads, with a `for` loop and a `Vec` of handles.

//! Exercise 02: parallel downloads.
//!
//! Read README.md in this folder first. Replace the `todo!()` so that
//! `cargo test -p parallel_downloads` passes, then run `cargo grade 02`.

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
    crossbeam::scope(|scope| {
        let mut handles = Vec::new();
        for name in files {
            let fetch = &fetch;
            handles.push(scope.spawn(move |_| Download { name: name.to_string(), bytes: fetch(name) }));
        }
        let mut downloads = Vec::new();
        for handle in handles {
            downloads.push(handle.join().expect("a download panicked"));
        }
        downloads
    })
    .expect("a download panicked")
}

//! Wrong: hands the downloads to rayon's pool, which is sized to the CPU cores
//! and whose threads never end: at most as many downloads at once as cores.
//! Must fail: no_download_thread_is_left_running

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
    use rayon::prelude::*;
    let _ = thread::current;
    files.par_iter().map(|name| Download { name: name.to_string(), bytes: fetch(name) }).collect()
}

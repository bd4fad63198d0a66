//! Wrong: hands the downloads to a pool of worker threads that it keeps for the
//! next call, so the threads never end (the pool grows to as many workers as
//! files, so the downloads do run at once).
//! Must fail: no_download_thread_is_left_running

//! Exercise 02: parallel downloads.
//!
//! Read README.md in this folder first. Replace the `todo!()` so that
//! `cargo test -p parallel_downloads` passes, then run `cargo grade 02`.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
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
    let (done, results) = mpsc::channel();
    for (i, name) in files.iter().enumerate() {
        let (fetch, done, name) = (Arc::clone(&fetch), done.clone(), name.to_string());
        pool().run(
            files.len(),
            Box::new(move || {
                let bytes = fetch(&name);
                let _ = done.send((i, Download { name, bytes }));
            }),
        );
    }
    let mut slots: Vec<Option<Download>> = vec![None; files.len()];
    for (i, download) in results.iter().take(files.len()) {
        slots[i] = Some(download);
    }
    slots.into_iter().map(|d| d.expect("every download came back")).collect()
}

type Task = Box<dyn FnOnce() + Send>;

/// Worker threads kept between calls, so the next call need not start any.
struct Pool {
    tasks: Sender<Task>,
    queue: Arc<Mutex<Receiver<Task>>>,
    workers: Mutex<usize>,
}

impl Pool {
    fn run(&self, at_least: usize, task: Task) {
        let mut workers = self.workers.lock().unwrap();
        while *workers < at_least {
            let queue = Arc::clone(&self.queue);
            thread::spawn(move || {
                loop {
                    let next = queue.lock().unwrap().recv();
                    match next {
                        Ok(task) => task(),
                        Err(_) => break,
                    }
                }
            });
            *workers += 1;
        }
        self.tasks.send(task).expect("the pool lives as long as the program");
    }
}

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tasks, queue) = mpsc::channel();
        Pool { tasks, queue: Arc::new(Mutex::new(queue)), workers: Mutex::new(0) }
    })
}

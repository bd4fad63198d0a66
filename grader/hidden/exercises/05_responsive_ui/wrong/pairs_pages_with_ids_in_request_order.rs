//! Wrong: the workers send back only the page, and the UI gives each page the id
//! of the oldest request still loading, so pages that arrive out of order get
//! another request's id.
//! Must fail: pages_arrive_once_the_requests_are_released

//! Exercise 05: a UI that never freezes.
//!
//! Read README.md in this folder first. Replace the `todo!()` so that
//! `cargo test -p responsive_ui` passes, then run `cargo grade 05`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::thread;

use crossbeam::channel::{Receiver, select, unbounded};

/// Something the user does, in the order the user did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A click, a scroll, a key press: the user expects an answer at once,
    /// `Update::Pong` with the same number.
    Ping(u32),
    /// Open a page: fetch `url` (slow: it waits for the network) and draw the
    /// page as `Update::Loaded` with the same `id` once it has arrived.
    Load { id: u32, url: String },
    /// Close the window.
    Quit,
}

/// Something the UI draws on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// The answer to `Event::Ping` with the same number.
    Pong(u32),
    /// The page fetched for `Event::Load` with the same `id`.
    Loaded { id: u32, page: String },
}

/// The UI loop on one thread: it fetches each page itself, so while a page
/// loads, every click waits. This is the frozen window.
pub fn run_ui_single_threaded<F, D>(events: Receiver<Event>, fetch: F, mut draw: D)
where
    F: Fn(&str) -> String,
    D: FnMut(Update),
{
    for event in events {
        match event {
            Event::Ping(n) => draw(Update::Pong(n)),
            // The window freezes right here, until the network answers.
            Event::Load { id, url } => draw(Update::Loaded { id, page: fetch(&url) }),
            Event::Quit => break,
        }
    }
}

/// The UI loop that never freezes. It runs on the thread that calls it (the
/// UI thread) and handles `events` in order until `Event::Quit`, or until
/// every sender of `events` is gone:
///
/// - `Ping(n)`: draw `Update::Pong(n)` at once, even while pages are loading;
/// - `Load { id, url }`: call `fetch(url)` on a worker thread of its own, never
///   on the UI thread, and go straight back to the events. The worker sends the
///   page back to the UI thread, which draws `Update::Loaded { id, page }` as
///   soon as it arrives;
/// - `Quit`: take no more events, wait for the pages still loading and draw
///   them, join every worker thread, and return.
///
/// `draw` puts something on the screen. Like the widgets of a real UI toolkit
/// it belongs to the UI thread: it is not `Send`, so workers cannot draw.
pub fn run_ui<F, D>(events: Receiver<Event>, fetch: F, mut draw: D)
where
    F: Fn(&str) -> String + Send + Sync + 'static,
    D: FnMut(Update),
{
    let fetch = Arc::new(fetch);
    let (arrived, pages) = unbounded::<String>();
    let mut workers = Vec::new();
    let mut loading = VecDeque::new();
    loop {
        select! {
            recv(events) -> event => match event {
                Ok(Event::Ping(n)) => draw(Update::Pong(n)),
                Ok(Event::Load { id, url }) => {
                    let (fetch, arrived) = (Arc::clone(&fetch), arrived.clone());
                    loading.push_back(id);
                    workers.push(thread::spawn(move || {
                        let _ = arrived.send(fetch(&url));
                    }));
                }
                Ok(Event::Quit) | Err(_) => break,
            },
            recv(pages) -> page => {
                let page = page.expect("the UI holds a sender");
                let id = loading.pop_front().expect("a request is loading");
                draw(Update::Loaded { id, page });
            }
        }
    }
    drop(arrived);
    for page in pages {
        let id = loading.pop_front().expect("a request is loading");
        draw(Update::Loaded { id, page });
    }
    for worker in workers {
        let _ = worker.join();
    }
}

//! The seed's frozen browser: a page takes half a second to load while the user
//! clicks every 100 ms. On one thread every click waits for the page; with the
//! page loading on a worker thread, every click is answered at once.
//! Run it with `cargo run -p responsive_ui`.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam::channel::{Sender, unbounded};
use responsive_ui::{Event, Update, run_ui, run_ui_single_threaded};

const CLICKS: u32 = 4;

fn slow_fetch(url: &str) -> String {
    thread::sleep(Duration::from_millis(500));
    format!("<html>{url}</html>")
}

/// Opens a page, then clicks every 100 ms, noting when each click happened.
fn user(events: Sender<Event>, clicked: Arc<Mutex<Vec<Instant>>>) {
    let _ = events.send(Event::Load { id: 1, url: "example.org".into() });
    for n in 0..CLICKS {
        thread::sleep(Duration::from_millis(100));
        clicked.lock().unwrap().push(Instant::now());
        let _ = events.send(Event::Ping(n));
    }
    let _ = events.send(Event::Quit);
}

/// What the screen shows, with how long each click waited for its answer.
fn screen(clicked: Arc<Mutex<Vec<Instant>>>, start: Instant) -> impl FnMut(Update) {
    move |update| match update {
        Update::Pong(n) => {
            let waited = clicked.lock().unwrap()[n as usize].elapsed();
            println!("  click {n} answered after {} ms", waited.as_millis());
        }
        Update::Loaded { id, page } => {
            println!("  page {id} drawn ({} bytes) at {} ms", page.len(), start.elapsed().as_millis())
        }
    }
}

fn main() {
    println!("one thread (the window freezes while the page loads):");
    let (events, inbox) = unbounded();
    let clicked = Arc::new(Mutex::new(Vec::new()));
    let clicks = thread::spawn({
        let clicked = Arc::clone(&clicked);
        move || user(events, clicked)
    });
    run_ui_single_threaded(inbox, slow_fetch, screen(clicked, Instant::now()));
    clicks.join().unwrap();

    println!("\nthe page loads on a worker thread:");
    let (events, inbox) = unbounded();
    let clicked = Arc::new(Mutex::new(Vec::new()));
    let clicks = thread::spawn({
        let clicked = Arc::clone(&clicked);
        move || user(events, clicked)
    });
    run_ui(inbox, slow_fetch, screen(clicked, Instant::now()));
    clicks.join().unwrap();
}

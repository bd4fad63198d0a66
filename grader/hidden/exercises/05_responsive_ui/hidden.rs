//! Hidden tests for exercise 05: while the test holds every request inside
//! `fetch`, the UI still answers every ping; the pages are drawn once the
//! requests are released, each with its own id; the requests were all in flight
//! at once and none ran on the UI thread; Quit draws the pages still loading and
//! joins every worker. The UI runs on a thread the test owns, every wait is
//! bounded by a patience, and the gate is always opened before anything is
//! asserted, so wrong code fails with a message instead of hanging.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Receiver, RecvTimeoutError, Sender};
use hidden::PATIENCE;
use responsive_ui::{Event, Update, run_ui};

/// Requests the tests make: ids out of order, so counting is no way to match them.
const PAGES: [(u32, &str); 4] = [
    (7, "https://example.org/news"),
    (3, "https://example.org/weather"),
    (9, "https://example.org/maps"),
    (4, "https://example.org/mail"),
];

const PINGS: u32 = 5;

fn page_of(url: &str) -> String {
    format!("<html><h1>{url}</h1></html>")
}

fn url_of(id: u32) -> &'static str {
    PAGES.iter().find(|(i, _)| *i == id).map(|(_, url)| *url).unwrap_or("an id that was never requested")
}

fn load_all(ui: &Ui) {
    for (id, url) in PAGES {
        ui.send(Event::Load { id, url: url.to_string() });
    }
}

/// Holds every request inside `fetch` until the test opens it, and records who
/// came in: how many at once, on which threads, and how many of those threads
/// have ended.
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
    exited: AtomicUsize,
}

#[derive(Default)]
struct GateState {
    open: bool,
    calls: usize,
    inside: usize,
    peak: usize,
    threads: Vec<ThreadId>,
}

/// A safety net only: every test opens the gate itself before it asserts.
const HOLD_AT_MOST: Duration = Duration::from_secs(9);

impl Gate {
    fn new(open: bool) -> Arc<Gate> {
        let state = Mutex::new(GateState { open, ..GateState::default() });
        Arc::new(Gate { state, changed: Condvar::new(), exited: AtomicUsize::new(0) })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `fetch` the learner's UI gets.
    fn fetch(self: &Arc<Gate>) -> impl Fn(&str) -> String + Send + Sync + 'static {
        let gate = Arc::clone(self);
        move |url| {
            gate.pass();
            page_of(url)
        }
    }

    fn pass(self: &Arc<Gate>) {
        ON_EXIT.with(|c| *c.0.borrow_mut() = Some(Arc::clone(self)));
        let mut s = self.lock();
        s.calls += 1;
        s.inside += 1;
        s.peak = s.peak.max(s.inside);
        s.threads.push(thread::current().id());
        self.changed.notify_all();
        let deadline = Instant::now() + HOLD_AT_MOST;
        while !s.open && Instant::now() < deadline {
            s = self.changed.wait_timeout(s, Duration::from_millis(50)).unwrap_or_else(|e| e.into_inner()).0;
        }
        s.inside -= 1;
        self.changed.notify_all();
    }

    fn open(&self) {
        self.lock().open = true;
        self.changed.notify_all();
    }

    /// Waits until `n` requests are inside at once (or have called `fetch` at
    /// all, with `calls`), the UI has stopped, or the patience has run out.
    fn wait_for(&self, n: usize, ui: &Ui, count: fn(&GateState) -> usize) -> usize {
        let deadline = Instant::now() + PATIENCE;
        let mut s = self.lock();
        while count(&s) < n && !ui.stopped() && Instant::now() < deadline {
            s = self.changed.wait_timeout(s, Duration::from_millis(10)).unwrap_or_else(|e| e.into_inner()).0;
        }
        count(&s)
    }

    fn wait_until_inside(&self, n: usize, ui: &Ui) -> usize {
        self.wait_for(n, ui, |s| s.inside)
    }

    fn wait_for_calls(&self, n: usize, ui: &Ui) -> usize {
        self.wait_for(n, ui, |s| s.calls)
    }
}

/// Counts request threads that have really ended: thread-local destructors run
/// as a thread exits, and `join` returns only after that.
struct ExitCounter(RefCell<Option<Arc<Gate>>>);

impl Drop for ExitCounter {
    fn drop(&mut self) {
        if let Some(gate) = self.0.borrow_mut().take() {
            gate.exited.fetch_add(1, Ordering::SeqCst);
        }
    }
}

thread_local! {
    static ON_EXIT: ExitCounter = const { ExitCounter(RefCell::new(None)) };
}

/// The learner's UI loop on a thread the test owns, and what it has drawn.
struct Ui {
    events: Sender<Event>,
    drawn: Receiver<Update>,
    pongs: Vec<u32>,
    pages: Vec<(u32, String)>,
    quit_sent: bool,
    gate: Arc<Gate>,
    thread: ThreadId,
    /// Sends how many request threads had ended when run_ui returned.
    returned: Receiver<usize>,
    handle: Option<JoinHandle<()>>,
}

/// What is known once the UI loop has returned.
struct Closed {
    pongs: Vec<u32>,
    pages: Vec<(u32, String)>,
    /// Request threads that had ended when run_ui returned.
    exited_at_return: usize,
}

impl Ui {
    fn start(gate: &Arc<Gate>) -> Ui {
        let (events, inbox) = channel::unbounded();
        let (screen, drawn) = channel::unbounded();
        let (done, returned) = channel::bounded(1);
        let (fetch, counted) = (gate.fetch(), Arc::clone(gate));
        let handle = thread::Builder::new()
            .name("ui".into())
            .spawn(move || {
                run_ui(inbox, fetch, move |update| {
                    let _ = screen.send(update);
                });
                let _ = done.send(counted.exited.load(Ordering::SeqCst));
            })
            .expect("spawn the UI thread");
        Ui {
            events,
            drawn,
            pongs: Vec::new(),
            pages: Vec::new(),
            quit_sent: false,
            gate: Arc::clone(gate),
            thread: handle.thread().id(),
            returned,
            handle: Some(handle),
        }
    }

    fn send(&self, event: Event) {
        // Fails only when run_ui has already returned; `close` reports that.
        let _ = self.events.send(event);
    }

    fn quit(&mut self) {
        if !self.quit_sent {
            self.send(Event::Quit);
            self.quit_sent = true;
        }
    }

    /// Whether run_ui has returned or panicked.
    fn stopped(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    fn keep(&mut self, update: Update) {
        match update {
            Update::Pong(n) => self.pongs.push(n),
            Update::Loaded { id, page } => self.pages.push((id, page)),
        }
    }

    /// Collects what is drawn until `enough` holds, the UI has stopped, or the
    /// patience has run out.
    fn collect_until(&mut self, enough: impl Fn(&Ui) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !enough(self) {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            match self.drawn.recv_timeout((deadline - now).min(Duration::from_millis(20))) {
                Ok(update) => self.keep(update),
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) if self.stopped() && self.drawn.is_empty() => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }

    /// Whether the UI took every event sent so far off its channel, waiting at
    /// most the patience.
    fn took_every_event(&self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while !self.events.is_empty() && !self.stopped() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        self.events.is_empty()
    }

    /// Opens the gate, sends Quit (once), waits for run_ui to return and
    /// collects everything it drew.
    fn close(mut self) -> Closed {
        self.gate.open();
        self.quit();
        let exited_at_return = match self.returned.recv_timeout(PATIENCE) {
            Ok(exited) => exited,
            Err(RecvTimeoutError::Timeout) => panic!(
                "run_ui did not return within {PATIENCE:?} of the Quit event, with every request released: \
                 after Quit, wait only for the pages still loading, then join the workers and return \
                 (a loop over a channel ends only once every Sender is gone, the UI's own included)"
            ),
            Err(RecvTimeoutError::Disconnected) => {
                let payload = self.handle.take().expect("joined once").join().expect_err("the UI thread ended early");
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                panic!("run_ui panicked: {message}");
            }
        };
        // The screen closed when run_ui returned, so this ends.
        while let Ok(update) = self.drawn.recv_timeout(PATIENCE) {
            self.keep(update);
        }
        Closed { pongs: self.pongs, pages: self.pages, exited_at_return }
    }
}

/// Checks that every request's page was drawn once, with its own id.
fn assert_every_page_drawn(pages: &[(u32, String)], when: &str) {
    let mut by_id: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for (id, page) in pages {
        by_id.entry(*id).or_default().push(page);
    }
    for (id, drawn) in &by_id {
        assert!(
            PAGES.iter().any(|(i, _)| i == id),
            "a page was drawn for id {id}, which was never requested: draw each page with the id of its request"
        );
        assert_eq!(drawn.len(), 1, "the page for request {id} was drawn {} times: draw each page once", drawn.len());
        assert_eq!(
            drawn[0],
            page_of(url_of(*id)),
            "request {id} ({}) was drawn with another request's page: send the id back together with its page",
            url_of(*id)
        );
    }
    assert_eq!(by_id.len(), PAGES.len(), "{} of {} pages were drawn {when}", by_id.len(), PAGES.len());
}

#[test]
fn the_ui_answers_every_ping_while_requests_load() {
    let gate = Gate::new(false);
    let mut ui = Ui::start(&gate);
    load_all(&ui);
    let loading = gate.wait_until_inside(1, &ui);
    for n in 1..=PINGS {
        ui.send(Event::Ping(n));
    }
    ui.collect_until(|ui| ui.pongs.len() >= PINGS as usize);
    let answered_while_loading = ui.pongs.clone();
    let closed = ui.close();

    assert!(
        loading >= 1,
        "no request had started {PATIENCE:?} after {} Load events: start one for every Load",
        PAGES.len()
    );
    assert_eq!(
        answered_while_loading.len(),
        PINGS as usize,
        "the UI answered {} of {PINGS} pings while a request was loading: is the request running on the UI \
         thread, or is the UI waiting for its page? Start it on a worker thread and go straight back to the events",
        answered_while_loading.len()
    );
    assert_eq!(
        answered_while_loading,
        (1..=PINGS).collect::<Vec<_>>(),
        "the pings were answered as {answered_while_loading:?}: answer each ping once, in the order they came"
    );
    assert_eq!(closed.pongs.len(), PINGS as usize, "pings were answered more than once: {:?}", closed.pongs);
}

#[test]
fn every_request_is_in_flight_at_once() {
    let gate = Gate::new(false);
    let ui = Ui::start(&gate);
    load_all(&ui);
    gate.wait_until_inside(PAGES.len(), &ui);
    let peak = gate.lock().peak;
    ui.close();

    assert_eq!(
        peak,
        PAGES.len(),
        "only {peak} of {} requests ever loaded at once: does one worker take the requests one after \
         another, or does the UI wait for each page? Give every request a thread of its own",
        PAGES.len()
    );
}

#[test]
fn pages_arrive_once_the_requests_are_released() {
    let gate = Gate::new(false);
    let mut ui = Ui::start(&gate);
    load_all(&ui);
    gate.wait_until_inside(1, &ui);
    gate.open();
    ui.collect_until(|ui| ui.pages.len() >= PAGES.len());
    let drawn_before_quit = ui.pages.clone();
    ui.close();

    assert_every_page_drawn(
        &drawn_before_quit,
        "after their requests were released (the window still open): does every worker send its page back \
         to the UI thread, and does the UI draw a page as soon as it arrives, while it waits for events too? \
         (select! waits on several channels at once)",
    );
}

#[test]
fn no_request_runs_on_the_ui_thread() {
    let gate = Gate::new(true);
    let ui = Ui::start(&gate);
    let ui_thread = ui.thread;
    load_all(&ui);
    let calls = gate.wait_for_calls(PAGES.len(), &ui);
    ui.close();

    assert_eq!(calls, PAGES.len(), "{calls} of {} Load events made a request: call fetch once per Load", PAGES.len());
    let on_ui = gate.lock().threads.iter().filter(|t| **t == ui_thread).count();
    assert_eq!(
        on_ui,
        0,
        "{on_ui} of {} requests ran on the UI thread, which freezes the window until the page arrives: \
         call fetch on a worker thread",
        PAGES.len()
    );
}

#[test]
fn quit_draws_the_pages_still_loading_and_joins_every_worker() {
    let gate = Gate::new(false);
    let mut ui = Ui::start(&gate);
    load_all(&ui);
    gate.wait_until_inside(1, &ui);
    ui.quit();
    // Once the UI has taken Quit off its channel, no page can have arrived yet:
    // the gate is still closed.
    let took_quit = ui.took_every_event();
    let closed = ui.close();
    let request_threads: HashSet<ThreadId> = gate.lock().threads.iter().copied().collect();

    assert!(
        took_quit,
        "the UI had not taken the Quit event {PATIENCE:?} after it was sent, while pages were loading: is it \
         waiting for a page, or fetching one itself, instead of reading events?"
    );
    assert_every_page_drawn(
        &closed.pages,
        "before run_ui returned, although the window was closed while they were still loading: after Quit, \
         wait for the pages still loading and draw them",
    );
    let running = request_threads.len().saturating_sub(closed.exited_at_return);
    assert_eq!(
        running,
        0,
        "{running} of {} request threads were still running when run_ui returned: keep every JoinHandle and \
         join them all before returning (a pool's threads never end)",
        request_threads.len()
    );
}

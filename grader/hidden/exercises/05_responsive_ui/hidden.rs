//! Hidden tests for exercise 05: while the test holds every request inside
//! `fetch`, the UI still answers every ping; the pages are drawn as they are
//! released one by one, last-asked first, each with its own id; the requests
//! were all in flight at once and none ran on the UI thread; Quit (and an events
//! channel whose senders are all gone) takes no more events, draws the pages
//! still loading, and leaves no worker running. The UI runs on a thread the test
//! owns, every wait is bounded by a patience, and the gate is always opened
//! before anything is asserted, so wrong code fails with a message instead of
//! hanging.
//!
//! Worker threads are counted as ended when their thread-local destructors run,
//! after run_ui has returned, with a bounded wait: `std::thread::scope` returns
//! once its threads' closures have returned, which can be before those
//! destructors have run, so counting them "at return" would fail correct scoped
//! code now and then.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crossbeam::channel::{self, Receiver, RecvTimeoutError, Sender};
use hidden::poll::poll_every;
use hidden::{PATIENCE, Tid, gettid, kernel, on_thread_exit, wait_until};
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

/// Holds every request inside `fetch` until the test opens it (or releases that
/// one request), and records who came in: how many at once, on which threads,
/// with which urls, and which of those threads have ended.
struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    open: bool,
    /// Urls of requests let through one by one.
    released: HashSet<String>,
    /// Urls of the requests inside now.
    waiting: Vec<String>,
    calls: usize,
    inside: usize,
    peak: usize,
    threads: Vec<ThreadId>,
    urls: Vec<String>,
    /// Threads that called fetch, and those of them that have ended.
    callers: HashSet<ThreadId>,
    ended: HashSet<ThreadId>,
}

/// A safety net only: every test opens the gate itself before it asserts.
const HOLD_AT_MOST: Duration = Duration::from_secs(9);

impl Gate {
    fn new(open: bool) -> Arc<Gate> {
        let state = Mutex::new(GateState { open, ..GateState::default() });
        Arc::new(Gate { state, changed: Condvar::new() })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The `fetch` the learner's UI gets.
    fn fetch(self: &Arc<Gate>) -> impl Fn(&str) -> String + Send + Sync + 'static {
        let gate = Arc::clone(self);
        move |url| {
            gate.pass(url);
            page_of(url)
        }
    }

    fn pass(self: &Arc<Gate>, url: &str) {
        let me = thread::current().id();
        let mut s = self.lock();
        if s.callers.insert(me) {
            let gate = Arc::clone(self);
            on_thread_exit(move || {
                gate.lock().ended.insert(me);
                gate.changed.notify_all();
            });
        }
        s.calls += 1;
        s.inside += 1;
        s.peak = s.peak.max(s.inside);
        s.threads.push(me);
        s.urls.push(url.to_string());
        s.waiting.push(url.to_string());
        self.changed.notify_all();
        let deadline = Instant::now() + HOLD_AT_MOST;
        while !s.open && !s.released.contains(url) && Instant::now() < deadline {
            s = self.changed.wait_timeout(s, Duration::from_millis(50)).unwrap_or_else(|e| e.into_inner()).0;
        }
        s.inside -= 1;
        if let Some(at) = s.waiting.iter().position(|u| u == url) {
            s.waiting.remove(at);
        }
        self.changed.notify_all();
    }

    fn open(&self) {
        self.lock().open = true;
        self.changed.notify_all();
    }

    /// Lets one request through: of those inside now, the one asked for last.
    /// Returns its id, or None if no request is inside.
    fn release_latest(&self) -> Option<u32> {
        let mut s = self.lock();
        let (id, url) = PAGES.iter().rev().find(|(_, url)| s.waiting.iter().any(|w| w == url))?;
        s.released.insert(url.to_string());
        self.changed.notify_all();
        Some(*id)
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

    /// How many of the threads (other than `ui`) that called fetch are still
    /// running, waiting at most the patience for them to end.
    fn still_running(&self, ui: ThreadId) -> (usize, usize) {
        let deadline = Instant::now() + PATIENCE;
        let mut s = self.lock();
        let running = |s: &GateState| s.callers.iter().filter(|t| **t != ui && !s.ended.contains(t)).count();
        while running(&s) > 0 && Instant::now() < deadline {
            s = self.changed.wait_timeout(s, Duration::from_millis(10)).unwrap_or_else(|e| e.into_inner()).0;
        }
        (running(&s), s.callers.iter().filter(|t| **t != ui).count())
    }
}

/// The kernel's view of a thread of this process: its state letter (`S` while it
/// sleeps, waiting for something) and how often it has gone to sleep so far.
fn kernel_view(tid: Tid) -> Option<(char, u64)> {
    Some((kernel::state(tid)?, kernel::switches(tid)?.voluntary))
}

/// The learner's UI loop on a thread the test owns, and what it has drawn.
struct Ui {
    /// `None` once the test has dropped its sender (every sender gone).
    events: Option<Sender<Event>>,
    drawn: Receiver<Update>,
    pongs: Vec<u32>,
    pages: Vec<(u32, String)>,
    quit_sent: bool,
    gate: Arc<Gate>,
    thread: ThreadId,
    tid: Tid,
    returned: Receiver<()>,
    handle: Option<JoinHandle<()>>,
}

/// What is known once the UI loop has returned.
struct Closed {
    pongs: Vec<u32>,
    pages: Vec<(u32, String)>,
}

impl Ui {
    fn start(gate: &Arc<Gate>) -> Ui {
        let (events, inbox) = channel::unbounded();
        let (screen, drawn) = channel::unbounded();
        let (done, returned) = channel::bounded(1);
        let (said_tid, tid) = channel::bounded(1);
        let fetch = gate.fetch();
        let handle = thread::Builder::new()
            .name("ui".into())
            .spawn(move || {
                let _ = said_tid.send(gettid());
                run_ui(inbox, fetch, move |update| {
                    let _ = screen.send(update);
                });
                let _ = done.send(());
            })
            .expect("spawn the UI thread");
        Ui {
            events: Some(events),
            drawn,
            pongs: Vec::new(),
            pages: Vec::new(),
            quit_sent: false,
            gate: Arc::clone(gate),
            thread: handle.thread().id(),
            tid: tid.recv().expect("the UI thread says its tid first"),
            returned,
            handle: Some(handle),
        }
    }

    fn send(&self, event: Event) {
        // Fails only when run_ui has already returned; `close` reports that.
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }

    fn quit(&mut self) {
        if !self.quit_sent {
            self.send(Event::Quit);
            self.quit_sent = true;
        }
    }

    /// Drops the test's sender of events: every sender is gone.
    fn hang_up(&mut self) {
        self.events = None;
    }

    /// Whether the UI has dropped its receiver of events (a send fails then; the
    /// probe sent otherwise is a ping no UI that stopped taking events will see).
    fn receiver_gone(&self) -> bool {
        self.events.as_ref().is_some_and(|e| e.send(Event::Ping(1000)).is_err())
    }

    /// Events sent but not yet taken by the UI.
    fn pending(&self) -> usize {
        self.events.as_ref().map_or(0, |e| e.len())
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

    /// Waits until the UI has taken all but `leave` of the events sent so far,
    /// at most the patience; whether it did.
    fn took_all_but(&self, leave: usize) -> bool {
        wait_until(PATIENCE, || self.pending() <= leave || self.stopped());
        self.pending() <= leave
    }

    /// Waits, at most the patience, until the UI thread sleeps (waits for
    /// something) while `pending` events wait for it, or has taken more of them.
    fn sleeps_with(&self, pending: usize) {
        wait_until(PATIENCE, || {
            let before = self.pending();
            let asleep = kernel_view(self.tid).is_some_and(|(state, _)| state == 'S');
            self.stopped() || before < pending || (asleep && self.pending() == pending)
        });
    }

    /// Waits, at most the patience, until the UI thread is asleep and stays so
    /// (the same sleep seen twice, a few milliseconds apart), and says how often
    /// it had gone to sleep by then.
    fn asleep(&self) -> Option<u64> {
        let mut seen = None;
        poll_every(Duration::from_millis(5), PATIENCE, || {
            if self.stopped() {
                return Some(None);
            }
            match kernel_view(self.tid) {
                Some(('S', sleeps)) if seen == Some(sleeps) => return Some(seen),
                Some(('S', sleeps)) => seen = Some(sleeps),
                _ => seen = None,
            }
            None
        })
        .flatten()
    }

    /// Waits, at most the patience, until the UI has woken up since it had gone
    /// to sleep `sleeps` times, and is asleep again (or has returned).
    fn woke_and_slept_since(&self, sleeps: u64) {
        wait_until(PATIENCE, || {
            self.stopped() || kernel_view(self.tid).is_some_and(|(state, n)| state == 'S' && n > sleeps)
        });
    }

    /// Opens the gate, sends Quit (once, unless every sender is gone already),
    /// waits for run_ui to return and collects everything it drew.
    /// Only the tests of closing the window (`must_return`) judge whether run_ui
    /// returns; the others judge only what was drawn while it ran.
    fn close(mut self, must_return: bool) -> Closed {
        self.gate.open();
        self.quit();
        let how = if self.events.is_some() { "the Quit event" } else { "every sender of events was gone" };
        match self.returned.recv_timeout(PATIENCE) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) if !must_return => {
                // Whatever it drew is what this test judges; the stuck UI thread
                // ends with the test's process.
                while let Ok(update) = self.drawn.try_recv() {
                    self.keep(update);
                }
                return Closed { pongs: self.pongs, pages: self.pages };
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "run_ui did not return within {PATIENCE:?} after {how}, with every request released: after \
                 {}, wait only for the pages still loading, then join the workers and return (a loop over a \
                 channel ends only once every Sender is gone, the UI's own included)",
                if self.events.is_some() { "Quit" } else { "Err from the events channel, just as after Quit" }
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
        }
        // The screen closed when run_ui returned, so this ends.
        while let Ok(update) = self.drawn.recv_timeout(PATIENCE) {
            self.keep(update);
        }
        Closed { pongs: self.pongs, pages: self.pages }
    }
}

/// Checks that every request's page was drawn once, with its own id (and, with
/// `contents`, that each id came with its own page: the pages test's business).
fn assert_every_page_drawn(pages: &[(u32, String)], contents: bool, when: &str) {
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
        let with = PAGES.iter().find(|(_, url)| page_of(url) == drawn[0]).map_or("an unknown url", |(_, url)| url);
        assert!(
            !contents || drawn[0] == page_of(url_of(*id)),
            "request {id} ({}) was drawn with the page of {with}: pages that arrive in another order than they were \
             asked for get the wrong id unless each worker sends its id back together with its page",
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
    let fetching_on_ui = gate.lock().threads.contains(&ui.thread);
    let closed = ui.close(false);

    assert!(
        loading >= 1,
        "no request had started {PATIENCE:?} after {} Load events: start one for every Load",
        PAGES.len()
    );
    assert_eq!(
        answered_while_loading.len(),
        PINGS as usize,
        "the UI answered {} of {PINGS} pings while a request was loading: {}",
        answered_while_loading.len(),
        if fetching_on_ui {
            "the UI thread itself was inside fetch, so the window froze until the page came. Call fetch on a \
             worker thread and go straight back to the events"
        } else {
            "the request ran on a worker, but the UI did not come back to its events while the page loaded: is \
             it waiting for the page (a recv or a join right after starting the worker)? Go straight back to \
             the events, and draw the page when it arrives"
        }
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
    let (peak, on_ui) = {
        let s = gate.lock();
        (s.peak, s.threads.contains(&ui.thread))
    };
    let untaken = ui.pending();
    ui.close(false);

    let why = if on_ui {
        "the UI thread itself called fetch, so it could start nothing else until the page came. Call fetch on \
         a worker thread"
    } else if untaken > 0 {
        "the UI stopped taking events while a request was loading: is it waiting for each page (a recv or a \
         join right after starting the worker)? Start the worker and go straight back to the events"
    } else {
        "the UI took every Load, but the requests waited for each other: does one worker (or a pool sized to \
         the CPU cores) take them in turn? Give every request a thread of its own"
    };
    assert_eq!(peak, PAGES.len(), "only {peak} of {} requests ever loaded at once: {why}", PAGES.len());
}

#[test]
fn pages_arrive_once_the_requests_are_released() {
    let gate = Gate::new(false);
    let mut ui = Ui::start(&gate);
    load_all(&ui);
    gate.wait_until_inside(PAGES.len(), &ui);
    // One page at a time, the request made last first: each page must be drawn,
    // with its own id, before the next is released.
    let mut not_drawn = None;
    for _ in 0..PAGES.len() {
        let before = ui.pages.len();
        let released = gate.release_latest().or_else(|| {
            gate.wait_until_inside(1, &ui);
            gate.release_latest()
        });
        let Some(id) = released else { break };
        ui.collect_until(|ui| ui.pages.len() > before);
        if ui.pages.len() == before {
            not_drawn = Some(id);
            break;
        }
    }
    let drawn_before_quit = ui.pages.clone();
    ui.close(false);

    if let Some(id) = not_drawn {
        panic!(
            "the request for page {id} ({}) was let through, but its page was not drawn within {PATIENCE:?}, \
             while the window was still open (pages drawn so far: {:?}): does every worker send its page back to \
             the UI thread, and does the UI draw a page as soon as it arrives, while it waits for events too? \
             (select! waits on several channels at once)",
            url_of(id),
            drawn_before_quit.iter().map(|p| p.0).collect::<Vec<_>>()
        );
    }
    assert_every_page_drawn(
        &drawn_before_quit,
        true,
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
    ui.close(false);

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

/// A Load sent after Quit, which must never be fetched.
const AFTER_QUIT: (u32, &str) = (99, "https://example.org/after-quit");

#[test]
fn quit_draws_the_pages_still_loading_and_joins_every_worker() {
    let gate = Gate::new(false);
    let mut ui = Ui::start(&gate);
    load_all(&ui);
    gate.wait_until_inside(1, &ui);
    ui.quit();
    // Two events after Quit, which the UI must leave alone.
    ui.send(Event::Ping(99));
    ui.send(Event::Load { id: AFTER_QUIT.0, url: AFTER_QUIT.1.to_string() });
    // Once the UI has taken Quit off its channel, no page can have arrived yet:
    // the gate is still closed.
    let mut took_quit = ui.took_all_but(2);
    let fetching_on_ui = gate.lock().threads.contains(&ui.thread);
    if !took_quit {
        // A UI that freezes while pages load has lost the ping test for that
        // already: let the pages through, and judge only what it does at Quit.
        gate.open();
        took_quit = ui.took_all_but(2);
    }
    if took_quit {
        ui.sleeps_with(2);
    }
    // A UI that dropped its receiver left the events alone too (crossbeam then
    // discards them, so they are no longer pending).
    let pending = ui.pending();
    let left_after_quit = if ui.receiver_gone() { 2 } else { pending };
    let ui_thread = ui.thread;
    let closed = ui.close(true);
    let fetched_after_quit = gate.lock().urls.iter().any(|u| u == AFTER_QUIT.1);

    assert!(
        took_quit,
        "the UI had not taken the Quit event {PATIENCE:?} after it was sent, while pages were loading: {}",
        if fetching_on_ui {
            "the UI thread itself was inside fetch. Call fetch on a worker thread and go straight back to the events"
        } else {
            "is it waiting for a page instead of reading events? Go straight back to the events after starting \
             a worker"
        }
    );
    let answered = closed.pongs.contains(&99);
    assert!(
        left_after_quit == 2 && !answered && !fetched_after_quit,
        "after Quit the UI went on taking events: of the ping and the Load sent after Quit, it took {} off the \
         channel{}{}. After Quit, take no more events: only wait for the pages still loading",
        2 - left_after_quit.min(2),
        if answered { ", answered the ping" } else { "" },
        if fetched_after_quit { ", fetched the page" } else { "" }
    );
    assert_every_page_drawn(
        &closed.pages,
        false,
        "before run_ui returned, although the window was closed while they were still loading: after Quit, \
         wait for the pages still loading and draw them",
    );
    let (running, workers) = gate.still_running(ui_thread);
    assert_eq!(
        running, 0,
        "{running} of {workers} request threads were still running {PATIENCE:?} after run_ui returned: keep \
         every JoinHandle and join them all before returning (a pool's threads never end)"
    );
}

#[test]
fn when_every_sender_of_events_is_gone_the_ui_closes_as_on_quit() {
    let gate = Gate::new(false);
    let mut ui = Ui::start(&gate);
    load_all(&ui);
    gate.wait_until_inside(PAGES.len(), &ui);
    // The UI has nothing to do now: it sleeps until the test hangs up. Once it
    // has woken up and gone back to sleep, it has seen the channel close.
    let sleeps = ui.asleep();
    ui.hang_up();
    if let Some(sleeps) = sleeps {
        ui.woke_and_slept_since(sleeps);
    }
    let stopped_early = ui.stopped();
    let ui_thread = ui.thread;
    let closed = ui.close(true);

    assert_every_page_drawn(
        &closed.pages,
        false,
        &format!(
            "before run_ui returned, although every sender of events was gone while they were still loading{}: \
             an events channel that ends (Err) closes the window just as Quit does, so wait for the pages \
             still loading and draw them",
            if stopped_early { " (it returned at once)" } else { "" }
        ),
    );
    let (running, workers) = gate.still_running(ui_thread);
    assert_eq!(
        running, 0,
        "{running} of {workers} request threads were still running {PATIENCE:?} after run_ui returned: keep \
         every JoinHandle and join them all before returning"
    );
}

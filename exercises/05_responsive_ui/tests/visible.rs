//! First checks for exercise 05. The grader runs stricter hidden tests.

use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam::channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use responsive_ui::{Event, Update, run_ui};

const PATIENCE: Duration = Duration::from_secs(5);

/// Runs the UI on a thread of its own, as a browser's UI thread; what it draws
/// comes back over a channel.
fn start_ui<F>(fetch: F) -> (Sender<Event>, Receiver<Update>, JoinHandle<()>)
where
    F: Fn(&str) -> String + Send + Sync + 'static,
{
    let (events, inbox) = unbounded();
    let (screen, drawn) = unbounded();
    let ui = thread::spawn(move || run_ui(inbox, fetch, move |update| screen.send(update).unwrap()));
    (events, drawn, ui)
}

/// Everything drawn until run_ui returns (the screen closes when it does).
fn drawn_until_the_end(drawn: &Receiver<Update>, ui: JoinHandle<()>) -> Vec<Update> {
    let mut all = Vec::new();
    loop {
        match drawn.recv_timeout(PATIENCE) {
            Ok(update) => all.push(update),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("run_ui did not return after Quit; drawn so far: {all:?}"),
        }
    }
    assert!(ui.join().is_ok(), "run_ui panicked: see its message above");
    all
}

#[test]
fn answers_pings_and_draws_pages() {
    let _deadline = visible::deadline("05");
    let (events, drawn, ui) = start_ui(|url| url.to_uppercase());
    let _ = events.send(Event::Load { id: 1, url: "example.org".into() });
    let _ = events.send(Event::Ping(7));
    let _ = events.send(Event::Quit);
    let drawn = drawn_until_the_end(&drawn, ui);
    assert!(drawn.contains(&Update::Pong(7)), "the ping was not answered: drawn {drawn:?}");
    assert!(
        drawn.contains(&Update::Loaded { id: 1, page: "EXAMPLE.ORG".into() }),
        "the page was not drawn before run_ui returned: drawn {drawn:?}"
    );
}

#[test]
fn answers_a_ping_while_a_page_is_loading() {
    let _deadline = visible::deadline("05");
    let (release, released) = unbounded::<()>();
    // The page cannot arrive until this test sends on `release`.
    let (events, drawn, ui) = start_ui(move |url| {
        let _ = released.recv_timeout(PATIENCE);
        url.to_uppercase()
    });
    let _ = events.send(Event::Load { id: 1, url: "slow.example.org".into() });
    let _ = events.send(Event::Ping(1));
    let first = drawn.recv_timeout(PATIENCE);
    let _ = release.send(());
    let _ = events.send(Event::Quit);
    let rest = drawn_until_the_end(&drawn, ui);

    match first {
        Ok(update) => assert_eq!(
            update,
            Update::Pong(1),
            "while the page was loading the UI drew {update:?} instead of answering the ping"
        ),
        Err(RecvTimeoutError::Timeout) => {
            panic!("the UI did not answer a ping while a page was loading: is the page fetched on the UI thread?")
        }
        Err(RecvTimeoutError::Disconnected) => panic!("run_ui returned or panicked before answering the ping"),
    }
    assert_eq!(rest, [Update::Loaded { id: 1, page: "SLOW.EXAMPLE.ORG".into() }], "the page should be drawn once");
}

//! First checks for exercise 10. The grader runs stricter hidden tests, each in
//! a process of its own.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use thread_lifecycle::{
    Event, IllegalTransition, State, current_tid, kernel_state, possible_states, spawn_traced, state_letter,
};

#[test]
fn a_started_thread_becomes_runnable() {
    let _deadline = visible::deadline("10");
    assert_eq!(State::New.next(Event::Start), Ok(State::Runnable));
}

#[test]
fn a_finished_thread_cannot_start_again() {
    let _deadline = visible::deadline("10");
    assert_eq!(
        State::Terminated.next(Event::Start),
        Err(IllegalTransition { from: State::Terminated, event: Event::Start })
    );
}

#[test]
fn state_letter_reads_the_field_after_the_name() {
    let _deadline = visible::deadline("10");
    assert_eq!(state_letter("4250 (chef-hot) S 4242 4242 4100 34816 -1 4194368 98 0 0 0"), Some('S'));
}

#[test]
fn a_sleeping_thread_is_blocked() {
    let _deadline = visible::deadline("10");
    assert_eq!(possible_states('S'), &[State::Blocked]);
}

#[test]
fn the_calling_thread_sees_itself_running() {
    let _deadline = visible::deadline("10");
    // Reading its own stat, a thread is on a CPU: R.
    assert_eq!(kernel_state(current_tid()), Some('R'));
}

#[test]
fn a_thread_waiting_for_a_lock_is_seen_blocked() {
    let _deadline = visible::deadline("10");
    let lock = Arc::new(Mutex::new(()));
    let held = lock.lock().unwrap();
    let theirs = Arc::clone(&lock);
    let traced = spawn_traced("waiter", move || drop(theirs.lock().unwrap()));
    // It takes a moment to get to the lock.
    let deadline = Instant::now() + Duration::from_secs(5);
    while traced.observe() != [State::Blocked] && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(traced.observe(), [State::Blocked], "the thread waits for the lock this test holds");
    drop(held);
    traced.join();
}

//! One thread's life, step by step: the diagram walked with `State::next`, then
//! a real thread that the kernel sees blocked, running and gone. Run it with
//! `cargo run -p thread_lifecycle`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use thread_lifecycle::{Event, State, kernel_state, observe, spawn_traced};

fn main() {
    println!("The diagram, one event at a time:");
    let mut state = State::New;
    for event in [Event::Start, Event::Schedule, Event::Block, Event::Wake, Event::Schedule, Event::Exit] {
        let next = state.next(event).expect("an arrow of the diagram");
        println!("  {state:?} --{event:?}--> {next:?}");
        state = next;
    }
    match State::Blocked.next(Event::Schedule) {
        Ok(next) => println!("  Blocked --Schedule--> {next:?}  (that arrow should not exist!)"),
        Err(e) => println!("  and one that is not allowed: {e}"),
    }

    println!("\nA real thread, as the kernel sees it:");
    let lock = Arc::new(Mutex::new(()));
    let stop = Arc::new(AtomicBool::new(false));
    let held = lock.lock().unwrap();
    let (theirs, flag) = (Arc::clone(&lock), Arc::clone(&stop));
    let traced = spawn_traced("traced", move || {
        drop(theirs.lock().unwrap());
        while !flag.load(Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    });
    let tid = traced.tid();
    println!("  started as tid {tid}");
    show(tid, "main holds the lock it needs", State::Blocked);
    drop(held);
    show(tid, "main let go; it spins", State::Running);
    stop.store(true, Ordering::SeqCst);
    traced.join();
    show(tid, "told to stop and joined", State::Terminated);
}

/// Prints what the kernel says, once the thread has had a moment to get there.
fn show(tid: u32, what: &str, expect: State) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !observe(tid).contains(&expect) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    let letter = kernel_state(tid).map_or("no entry".to_string(), |c| format!("{c:?}"));
    println!("  {what:<30} kernel: {letter:<9} diagram: {:?}", observe(tid));
}

//! Crash isolation, live: a panicking thread is caught at `join`, crashing child
//! processes leave this program running, and at the end an abort in a thread of
//! this very program ends all of it. Run it with `cargo run -p crash_isolation`.

use crash_isolation::{Job, open_tabs, run_in_child, run_in_thread};

fn main() {
    // No core files for the crashes this demo causes on purpose.
    let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: a plain system call on a valid struct; forked children inherit it.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &no_core) };

    println!("a thread of this program panics (the panic hook prints its message):");
    let outcome = run_in_thread(|| panic!("tab {} crashed", 2));
    println!("  -> {outcome:?}, caught at join; this program is still running\n");

    println!("a child process aborts:");
    let outcome = run_in_child(|| std::process::abort());
    println!("  -> {outcome:?}; this program is still running\n");

    println!("three tabs, each a process of its own; the middle one aborts:");
    let tabs: Vec<Job> = vec![Box::new(|| 0), Box::new(|| std::process::abort()), Box::new(|| 0)];
    for (i, outcome) in open_tabs(tabs).iter().enumerate() {
        println!("  tab {i} -> {outcome:?}");
    }

    println!("\nnow a thread of this program aborts: no one is left to print its outcome");
    let outcome = run_in_thread(|| std::process::abort());
    println!("never printed: {outcome:?}");
}

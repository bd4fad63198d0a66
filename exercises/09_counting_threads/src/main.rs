//! The seed's commands, seen from the inside: start three named chefs that wait,
//! then count and list this process's threads. Run it with
//! `cargo run -p counting_threads`, and look from the outside too while it waits.

use std::io::BufRead;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use counting_threads::{list_threads, ps_report, thread_count};

fn main() {
    let pid = std::process::id();
    println!("process {pid} has {} thread(s) before the chefs start", thread_count());

    let mut orders = Vec::new();
    let mut chefs = Vec::new();
    for name in ["chef-hot", "chef-cold", "chef-pastry-and-dessert"] {
        let (order, wait_for_it) = mpsc::channel::<()>();
        orders.push(order);
        // Each chef sleeps in `recv` until its sender is dropped.
        chefs.push(thread::Builder::new().name(name.into()).spawn(move || wait_for_it.recv()).unwrap());
    }
    // A chef that has only just started may show R (or D) for a moment before it sleeps.
    for _ in 0..200 {
        if list_threads().iter().filter(|t| t.name.starts_with("chef")).all(|t| t.state == 'S') {
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    println!("and {} with the chefs waiting for orders:\n", thread_count());
    print!("{}", ps_report(pid, &list_threads()));

    println!("\nFrom another terminal, while this waits:");
    println!("  cat /proc/{pid}/status | grep Threads");
    println!("  ps -L -o pid,lwp,nlwp,stat,comm -p {pid}");
    println!("  htop -p {pid}   (press H to show threads)");
    println!("Press Enter to send the chefs home.");
    let _ = std::io::stdin().lock().read_line(&mut String::new());

    drop(orders);
    for chef in chefs {
        let _ = chef.join();
    }
    println!("{} thread(s) once the chefs have gone home", thread_count());
}

//! Measures what a thread and a process cost on this machine and prints the
//! report table. Run it with `cargo run --release -p what_it_costs`.

use std::process::Command;
use std::time::Duration;

use what_it_costs::{Report, Stats, process_ping_pong, process_spawn_wait, thread_create_join, thread_ping_pong};

/// Threads and processes created for each creation benchmark.
const CREATIONS: usize = 200;
/// Round trips played in each ping-pong.
const ROUND_TRIPS: usize = 2000;

fn stats(samples: &[Duration]) -> Stats {
    Stats::from_samples(samples).expect("every benchmark takes at least one sample")
}

fn main() -> std::io::Result<()> {
    eprintln!("creating {CREATIONS} threads and {CREATIONS} processes, then {ROUND_TRIPS} round trips each ...");
    let thread_create = stats(&thread_create_join(CREATIONS, || {}));
    let process_create = stats(&process_spawn_wait(CREATIONS, || Command::new("true"))?);
    let thread_switch = stats(&thread_ping_pong(ROUND_TRIPS, |ball| ball)?);
    let process_switch = stats(&process_ping_pong(ROUND_TRIPS, Command::new("cat"))?);
    let report = Report { thread_create, process_create, thread_switch, process_switch };
    print!("{}", report.render());
    println!();
    println!(
        "compare the ping-pongs with `perf bench sched pipe` (processes) and `perf bench sched pipe -T` (threads)"
    );
    Ok(())
}

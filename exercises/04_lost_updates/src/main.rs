//! The seed's experiment with real threads: four threads each increment a
//! counter 250,000 times. Run it a few times with `cargo run -p lost_updates
//! --release`: how many updates the racy counter loses changes from run to run,
//! and is sometimes zero. That is why the grader does not grade by running this.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use lost_updates::counters::{AtomicCounter, Counter, MutexCounter, RacyCounter};

const THREADS: u64 = 4;
const EACH: u64 = 250_000;

fn hammer<C: Counter + 'static>(name: &str) {
    let counter = Arc::new(C::new());
    let start = Instant::now();
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || (0..EACH).for_each(|_| counter.increment()))
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().expect("a counting thread panicked"));
    let got = counter.get();
    let want = THREADS * EACH;
    println!("{name:<14} {got:>9} of {want}  lost {:>8}  ({:.1?})", want - got, start.elapsed());
}

fn main() {
    hammer::<RacyCounter>("RacyCounter");
    hammer::<AtomicCounter>("AtomicCounter");
    hammer::<MutexCounter>("MutexCounter");
}

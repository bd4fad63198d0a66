//! The seed's demo: three downloads that take 1, 2 and 3 tenths of a second.
//! One by one they take the sum; on threads, only as long as the slowest.
//! Run it with `cargo run -p parallel_downloads`.

use std::time::{Duration, Instant};

use parallel_downloads::{download_all, download_one_by_one};

fn fake_fetch(name: &str) -> usize {
    let tenths = match name {
        "file_a.zip" => 1,
        "file_b.mp4" => 2,
        _ => 3,
    };
    println!("  starting download: {name}");
    std::thread::sleep(Duration::from_millis(100 * tenths));
    println!("  finished download: {name}");
    name.len() * 1000
}

fn main() {
    let files = ["file_a.zip", "file_b.mp4", "file_c.tar"];

    println!("one by one:");
    let start = Instant::now();
    download_one_by_one(&files, fake_fetch);
    println!("took {:?} (about 0.1 + 0.2 + 0.3 s)\n", start.elapsed());

    println!("on threads:");
    let start = Instant::now();
    download_all(&files, fake_fetch);
    println!("took {:?} (about as long as the slowest, 0.3 s)", start.elapsed());
}

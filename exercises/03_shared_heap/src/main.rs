//! The seed's memory picture, printed: three cooks on three threads find the one
//! pantry at one address (the heap is shared) and their own locals at addresses
//! far apart (each thread has its own stack). Run it with `cargo run -p shared_heap`.

use std::time::Duration;

use shared_heap::{Pantry, address, cook_in_scope, cook_with_arc, plates_served, serve_plate};

/// What one cook saw: printed by the main thread, so lines do not interleave.
fn look_around(i: usize, pantry: &Pantry) -> String {
    let notepad = [0u8; 16]; // a local: it lives in this thread's stack frame
    for _ in 0..=i {
        serve_plate();
    }
    // Stay a moment, so every cook's stack is alive at the same time.
    std::thread::sleep(Duration::from_millis(50));
    format!(
        "  cook {i} on {:?}: pantry at {:#x}, ingredients at {:#x}, my notepad at {:#x}, plates I served: {}",
        std::thread::current().id(),
        address(pantry),
        address(pantry.ingredients.as_slice()),
        address(&notepad),
        plates_served(),
    )
}

fn main() {
    let pantry = Pantry::new(&["flour", "eggs", "basil"]);
    println!(
        "main thread {:?}: ingredients at {:#x}",
        std::thread::current().id(),
        address(pantry.ingredients.as_slice())
    );

    println!("\nscoped threads borrow the caller's pantry (at {:#x}):", address(&pantry));
    for line in cook_in_scope(&pantry, 3, look_around) {
        println!("{line}");
    }

    println!("\nspawned threads share it through one Arc:");
    for line in cook_with_arc(pantry, 3, look_around) {
        println!("{line}");
    }
    println!("\nthe main thread served {} plates: every thread counts its own", plates_served());
}

//! Right: one `Arc` holding the pantry and the cook together, threads made with
//! `thread::Builder`; scoped cooks send their results with their index over a
//! channel; crossbeam cooks fill slots and are joined by the scope; the plate
//! count in a `RefCell` read through `with`.

//! Exercise 03: shared heap, private stacks.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p shared_heap` passes, then run `cargo grade 03`.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

/// The food every cook in the kitchen works from. The list of ingredients is a
/// `Vec`, so the ingredients themselves live on the heap.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pantry {
    pub ingredients: Vec<String>,
}

impl Pantry {
    pub fn new(ingredients: &[&str]) -> Pantry {
        Pantry { ingredients: ingredients.iter().map(|i| i.to_string()).collect() }
    }
}

/// The address of a value in memory, as a number you can print (`{:#x}`) and
/// compare: two references with the same address point at the same value.
pub fn address<T: ?Sized>(value: &T) -> usize {
    std::ptr::from_ref(value).cast::<()>() as usize
}

/// Runs `cook(i, &pantry)` for every cook `i` in `0..cooks`, each on a thread of
/// its own made with `std::thread::spawn`, all at the same time. Every cook works
/// from the one pantry it was given (no copies); the results come back in the
/// order of the cooks, and every thread has finished when this returns.
pub fn cook_with_arc<R, F>(pantry: Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Send + Sync + 'static,
    R: Send + 'static,
{
    let kitchen = Arc::new((pantry, cook));
    let mut handles = Vec::new();
    for i in 0..cooks {
        let kitchen = Arc::clone(&kitchen);
        let handle = thread::Builder::new()
            .name(format!("cook-{i}"))
            .spawn(move || {
                let (pantry, cook) = &*kitchen;
                cook(i, pantry)
            })
            .expect("spawn a cook");
        handles.push(handle);
    }
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.join().expect("a cook panicked"));
    }
    results
}

/// Like [`cook_with_arc`], but the cooks borrow the caller's `pantry`: they run
/// on scoped threads made with `std::thread::scope`, all at the same time.
pub fn cook_in_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    let (tx, rx) = mpsc::channel();
    thread::scope(|s| {
        for i in 0..cooks {
            let tx = tx.clone();
            let cook = &cook;
            s.spawn(move || tx.send((i, cook(i, pantry))).unwrap());
        }
    });
    drop(tx);
    let mut results: Vec<(usize, R)> = rx.into_iter().collect();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Like [`cook_in_scope`], with scoped threads made by `crossbeam::scope`.
pub fn cook_in_crossbeam_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    let slots: Vec<Mutex<Option<R>>> = (0..cooks).map(|_| Mutex::new(None)).collect();
    crossbeam::thread::scope(|s| {
        for (i, slot) in slots.iter().enumerate() {
            let cook = &cook;
            s.spawn(move |_| *slot.lock().unwrap() = Some(cook(i, pantry)));
        }
    })
    .expect("a cook panicked");
    slots.into_iter().map(|slot| slot.into_inner().unwrap().expect("every cook has cooked")).collect()
}

thread_local! {
    static PLATES: RefCell<usize> = const { RefCell::new(0) };
}

/// Counts one more plate served by the calling thread and returns how many plates
/// this thread has served so far. Every thread keeps its own count.
pub fn serve_plate() -> usize {
    PLATES.with(|plates| {
        let mut plates = plates.borrow_mut();
        *plates += 1;
        *plates
    })
}

/// How many plates the calling thread has served (0 in a thread that has served none).
pub fn plates_served() -> usize {
    PLATES.with(|plates| *plates.borrow())
}

//! Right: a helper that joins handles, `Arc::new` for the pantry and a plain
//! clone-able `Arc<F>`, std scope with the handles joined after collecting,
//! crossbeam with `Scope::builder`, a `Cell` counter with `with`.

//! Exercise 03: shared heap, private stacks.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p shared_heap` passes, then run `cargo grade 03`.

use std::cell::Cell;
use std::sync::Arc;
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
    let shared: Arc<Pantry> = pantry.into();
    let cook: Arc<F> = Arc::new(cook);
    let handles: Vec<thread::JoinHandle<R>> = (0..cooks)
        .map(|i| {
            let shared = shared.clone();
            let cook = cook.clone();
            thread::spawn(move || cook(i, shared.as_ref()))
        })
        .collect();
    join_all(handles)
}

fn join_all<R>(handles: Vec<thread::JoinHandle<R>>) -> Vec<R> {
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Like [`cook_with_arc`], but the cooks borrow the caller's `pantry`: they run
/// on scoped threads made with `std::thread::scope`, all at the same time.
pub fn cook_in_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    thread::scope(|s| {
        let mut handles = Vec::with_capacity(cooks);
        for i in 0..cooks {
            let cook = &cook;
            handles.push(s.spawn(move || cook(i, pantry)));
        }
        let mut out = Vec::with_capacity(cooks);
        for h in handles {
            out.push(h.join().unwrap());
        }
        out
    })
}

/// Like [`cook_in_scope`], with scoped threads made by `crossbeam::scope`.
pub fn cook_in_crossbeam_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    let cook = &cook;
    crossbeam::scope(|s| {
        let handles: Vec<_> = (0..cooks)
            .map(|i| s.builder().name(format!("cook-{i}")).spawn(move |_| cook(i, pantry)).unwrap())
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
    .unwrap()
}

thread_local! {
    static PLATES: Cell<usize> = const { Cell::new(0) };
}

/// Counts one more plate served by the calling thread and returns how many plates
/// this thread has served so far. Every thread keeps its own count.
pub fn serve_plate() -> usize {
    PLATES.with(|p| {
        p.set(p.get() + 1);
        p.get()
    })
}

/// How many plates the calling thread has served (0 in a thread that has served none).
pub fn plates_served() -> usize {
    PLATES.with(Cell::get)
}

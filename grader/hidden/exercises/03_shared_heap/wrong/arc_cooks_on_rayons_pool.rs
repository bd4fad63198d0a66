//! Wrong: cook_with_arc runs the cooks on rayon's pool, which borrows the pantry
//! from the caller's stack, is sized to the CPU cores and whose threads never end.
//! Must fail: arc_cooks_all_see_the_one_pantry_on_the_heap, arc_cooks_work_at_the_same_time_on_threads_of_their_own

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
    use rayon::prelude::*;
    let _ = (Arc::new(()), thread::current());
    (0..cooks).into_par_iter().map(|i| cook(i, &pantry)).collect()
}

/// Like [`cook_with_arc`], but the cooks borrow the caller's `pantry`: they run
/// on scoped threads made with `std::thread::scope`, all at the same time.
pub fn cook_in_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    let cook = &cook;
    thread::scope(|s| {
        // Spawn them all before joining any, or they would run one by one.
        let handles: Vec<_> = (0..cooks).map(|i| s.spawn(move || cook(i, pantry))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// Like [`cook_in_scope`], with scoped threads made by `crossbeam::scope`.
pub fn cook_in_crossbeam_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    let cook = &cook;
    let done = crossbeam::scope(|s| {
        let handles: Vec<_> = (0..cooks).map(|i| s.spawn(move |_| cook(i, pantry))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    done.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

thread_local! {
    // One counter per thread, each starting at 0 the first time its thread uses it.
    static PLATES: Cell<usize> = const { Cell::new(0) };
}

/// Counts one more plate served by the calling thread and returns how many plates
/// this thread has served so far. Every thread keeps its own count.
pub fn serve_plate() -> usize {
    let served = PLATES.get() + 1;
    PLATES.set(served);
    served
}

/// How many plates the calling thread has served (0 in a thread that has served none).
pub fn plates_served() -> usize {
    PLATES.get()
}

//! Exercise 03: shared heap, private stacks.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p shared_heap` passes, then run `cargo grade 03`.

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
    todo!("put the pantry and the cook in Arcs, spawn a thread per cook, then join them all")
}

/// Like [`cook_with_arc`], but the cooks borrow the caller's `pantry`: they run
/// on scoped threads made with `std::thread::scope`, all at the same time.
pub fn cook_in_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    todo!("spawn every cook inside std::thread::scope, then join them all")
}

/// Like [`cook_in_scope`], with scoped threads made by `crossbeam::scope`.
pub fn cook_in_crossbeam_scope<R, F>(pantry: &Pantry, cooks: usize, cook: F) -> Vec<R>
where
    F: Fn(usize, &Pantry) -> R + Sync,
    R: Send,
{
    todo!("the same with crossbeam::scope")
}

// Declare the per-thread plate counter here, with `thread_local!`.

/// Counts one more plate served by the calling thread and returns how many plates
/// this thread has served so far. Every thread keeps its own count.
pub fn serve_plate() -> usize {
    todo!("add one to this thread's own counter")
}

/// How many plates the calling thread has served (0 in a thread that has served none).
pub fn plates_served() -> usize {
    todo!("read this thread's own counter")
}

//! Hidden tests for exercise 03: every cook finds the one pantry the caller had (the
//! heap is shared, nothing is copied), cooks work at the same time on threads of
//! their own (proved by a rendezvous), each with a stack of its own (its locals lie
//! in a memory region of its own, read from /proc/self/maps while all are alive),
//! and a thread_local! count starts fresh in every thread.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::thread::{self, ThreadId};

use hidden::{LastToFirst, PATIENCE, Rendezvous};
use shared_heap::{Pantry, cook_in_crossbeam_scope, cook_in_scope, cook_with_arc, plates_served, serve_plate};

const COOKS: usize = 4;

/// The tests' own way to take an address: the learner's `address` is not trusted here.
fn addr<T: ?Sized>(value: &T) -> usize {
    std::ptr::from_ref(value).cast::<()>() as usize
}

fn pantry() -> Pantry {
    Pantry::new(&["flour", "eggs", "basil", "tomatoes", "olive oil"])
}

// ---------------------------------------------------------------------------
// One heap, shared: the addresses the cooks saw from inside their threads.

/// The stack of the calling thread, exactly, as the thread library knows it.
fn stack_of_this_thread() -> std::ops::Range<usize> {
    // SAFETY: `attr` is initialised by pthread_getattr_np before it is read, and
    // destroyed once; the out-pointers point at live locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        assert_eq!(libc::pthread_getattr_np(libc::pthread_self(), &mut attr), 0, "pthread_getattr_np");
        let (mut lo, mut size) = (std::ptr::null_mut(), 0);
        assert_eq!(libc::pthread_attr_getstack(&attr, &mut lo, &mut size), 0, "pthread_attr_getstack");
        libc::pthread_attr_destroy(&mut attr);
        lo as usize..lo as usize + size
    }
}

#[test]
fn arc_cooks_all_see_the_one_pantry_on_the_heap() {
    // Called from a thread of the test's own, whose stack is known exactly.
    let (seen, callers_ingredients, callers_stack) = thread::spawn(|| {
        let pantry = pantry();
        let callers_ingredients = addr(pantry.ingredients.as_slice());
        let seen = cook_with_arc(pantry, COOKS, |_, p| (addr(p), addr(p.ingredients.as_slice())));
        (seen, callers_ingredients, stack_of_this_thread())
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    assert_eq!(seen.len(), COOKS, "{COOKS} cooks should give {COOKS} results");
    let (first_pantry, _) = seen[0];
    for (i, &(at, _)) in seen.iter().enumerate() {
        assert!(
            at == first_pantry,
            "cook {i} found the pantry at {at:#x}, but cook 0 found it at {first_pantry:#x}: each cook got a copy \
             of its own (a pantry.clone() per thread?). Move the pantry into one Arc and give every thread an \
             Arc::clone, which copies the pointer, not the food"
        );
    }
    let (_, ingredients) = seen[0];
    assert!(
        ingredients == callers_ingredients,
        "the cooks found the ingredients at {ingredients:#x}, but the pantry you were given keeps them at \
         {callers_ingredients:#x}: the pantry was cloned on its way to the threads. Move it into the Arc \
         (Arc::new(pantry)) instead of copying it"
    );
    assert!(
        !callers_stack.contains(&first_pantry),
        "the cooks found the pantry at {first_pantry:#x}, on the stack of the thread that called cook_with_arc \
         ({:#x}..{:#x}): they borrowed a local variable of cook_with_arc (scoped threads?) instead of sharing \
         one pantry on the heap. Make the threads with thread::spawn, move the pantry into Arc::new and give \
         every thread an Arc::clone",
        callers_stack.start,
        callers_stack.end
    );
}

#[test]
fn scoped_cooks_borrow_the_callers_pantry() {
    let pantry = pantry();
    let seen = cook_in_scope(&pantry, COOKS, |_, p| addr(p));
    check_borrowed("std::thread::scope", &pantry, &seen);
}

#[test]
fn crossbeam_cooks_borrow_the_callers_pantry() {
    let pantry = pantry();
    let seen = cook_in_crossbeam_scope(&pantry, COOKS, |_, p| addr(p));
    check_borrowed("crossbeam::scope", &pantry, &seen);
}

fn check_borrowed(way: &str, pantry: &Pantry, seen: &[usize]) {
    assert_eq!(seen.len(), COOKS, "{COOKS} cooks should give {COOKS} results");
    for (i, &at) in seen.iter().enumerate() {
        assert!(
            at == addr(pantry),
            "with {way}, cook {i} found the pantry at {at:#x}, but the caller's pantry is at {:#x}: the cook \
             worked on a copy. Scoped threads may borrow: hand every cook the `pantry` reference itself",
            addr(pantry)
        );
    }
}

// ---------------------------------------------------------------------------
// At the same time, on threads of their own.

/// A cook for the "at the same time" tests: every cook waits until all are
/// inside (a rendezvous), then they leave last-to-first: cook `i` returns once
/// the threads of all later cooks have ended. Once one has waited out the
/// patience, nobody waits any more, so wrong code fails fast.
struct Kitchen {
    rv: Rendezvous,
    release: Arc<LastToFirst>,
}

impl Kitchen {
    fn new() -> Arc<Kitchen> {
        Arc::new(Kitchen { rv: Rendezvous::new(COOKS), release: LastToFirst::new(COOKS) })
    }

    /// The cook's work: meet the others, then leave in turn.
    fn cook(self: &Arc<Self>, i: usize) -> (usize, ThreadId) {
        self.release.track(i);
        let _inside = self.rv.arrive();
        if self.rv.all_met() {
            self.release.wait_for_later(i);
        }
        (i, thread::current().id())
    }

    /// How many cooks' threads have ended, waiting at most the patience for all of them.
    fn ended(&self) -> usize {
        self.release.wait_all_ended(PATIENCE)
    }
}

/// Why the cooks never were all inside at once, from the threads they ran on.
fn why_apart(threads: &[ThreadId]) -> String {
    let caller = thread::current().id();
    let distinct: HashSet<&ThreadId> = threads.iter().collect();
    if !threads.is_empty() && threads.iter().all(|t| *t == caller) {
        "every cook ran on the calling thread: spawn a thread per cook".to_string()
    } else if distinct.len() < threads.len() {
        format!(
            "the {} cooks ran on only {} thread(s), so they took turns: one thread per cook",
            threads.len(),
            distinct.len()
        )
    } else {
        "each had a thread, but they took turns: are you joining each thread right after spawning it? Spawn \
         every cook first, then join them all"
            .to_string()
    }
}

fn check_together(way: &str, kitchen: &Kitchen, results: &[(usize, ThreadId)]) {
    let threads: HashSet<ThreadId> = results.iter().map(|r| r.1).collect();
    let caller = thread::current().id();
    if !kitchen.rv.all_met() {
        let ran_on: Vec<ThreadId> = results.iter().map(|r| r.1).collect();
        panic!(
            "with {way}, only {} of {COOKS} cooks were ever cooking at once: {}",
            kitchen.rv.peak(),
            why_apart(&ran_on)
        );
    }
    assert_eq!(results.len(), COOKS, "with {way}, {COOKS} cooks should give {COOKS} results");
    assert!(!threads.contains(&caller), "with {way}, a cook ran on the calling thread");
    assert_eq!(threads.len(), COOKS, "with {way}, {COOKS} cooks ran on {} threads: one thread per cook", threads.len());
    let order: Vec<usize> = results.iter().map(|r| r.0).collect();
    assert_eq!(
        order,
        (0..COOKS).collect::<Vec<_>>(),
        "with {way}, the cooks finished last-to-first and their results came back as {order:?}: return them in \
         the order of the cooks, not in the order they finish (join the handles in the order you spawned them)"
    );
}

#[test]
fn arc_cooks_work_at_the_same_time_on_threads_of_their_own() {
    let kitchen = Kitchen::new();
    let probe = Arc::clone(&kitchen);
    let results = cook_with_arc(pantry(), COOKS, move |i, _| probe.cook(i));
    check_together("thread::spawn and an Arc", &kitchen, &results);
    // A joined thread has ended already; allow a moment for one still on its way out.
    let running = COOKS - kitchen.ended();
    assert_eq!(
        running, 0,
        "{running} of the {COOKS} cooks' threads were still running {PATIENCE:?} after cook_with_arc returned: \
         keep every JoinHandle and join it before returning (a pool's threads never end)"
    );
}

#[test]
fn scoped_cooks_work_at_the_same_time() {
    let kitchen = Kitchen::new();
    let results = cook_in_scope(&pantry(), COOKS, |i, _| kitchen.cook(i));
    check_together("std::thread::scope", &kitchen, &results);
}

#[test]
fn crossbeam_cooks_work_at_the_same_time() {
    let kitchen = Kitchen::new();
    let results = cook_in_crossbeam_scope(&pantry(), COOKS, |i, _| kitchen.cook(i));
    check_together("crossbeam::scope", &kitchen, &results);
}

// ---------------------------------------------------------------------------
// A stack of its own: locals in separate memory regions, seen while all are alive.

/// A cook that notes where its local lies, waits until every cook is inside, and
/// then has the process's memory map read before any cook may leave.
fn stack_probe(
    entry: Arc<Rendezvous>,
    maps: Arc<OnceLock<String>>,
) -> impl Fn(usize, &Pantry) -> (ThreadId, usize) + Send + Sync + 'static {
    move |i, _| {
        let notepad = [i as u8; 64];
        let at = addr(&notepad);
        let _inside = entry.arrive();
        if entry.all_met() {
            // Every cook passes here, and all wait until the map is read: no stack is gone yet.
            maps.get_or_init(|| std::fs::read_to_string("/proc/self/maps").unwrap_or_default());
        }
        std::hint::black_box(&notepad);
        (thread::current().id(), at)
    }
}

/// The memory region of /proc/self/maps that holds `at`.
fn region_of(maps: &str, at: usize) -> Option<&str> {
    maps.lines().find(|line| {
        let range = line.split_whitespace().next().unwrap_or("");
        let Some((lo, hi)) = range.split_once('-') else { return false };
        match (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16)) {
            (Ok(lo), Ok(hi)) => lo <= at && at < hi,
            _ => false,
        }
    })
}

fn check_stacks(
    way: &str,
    cook_all: impl FnOnce(&Pantry, &Arc<Rendezvous>, &Arc<OnceLock<String>>) -> Vec<(ThreadId, usize)>,
) {
    let entry = Arc::new(Rendezvous::new(COOKS));
    let maps = Arc::new(OnceLock::new());
    let seen = cook_all(&pantry(), &entry, &maps);
    let ran_on: Vec<ThreadId> = seen.iter().map(|s| s.0).collect();
    assert!(
        entry.all_met(),
        "with {way}, only {} of {COOKS} cooks were ever cooking at once, so their stacks were never all alive \
         together: {}",
        entry.peak(),
        why_apart(&ran_on)
    );
    assert_eq!(seen.len(), COOKS, "with {way}, {COOKS} cooks should give {COOKS} results");
    let maps = maps.get().expect("the memory map is read once every cook is inside");
    let locals: Vec<usize> = seen.iter().map(|s| s.1).collect();
    let threads: HashSet<ThreadId> = seen.iter().map(|s| s.0).collect();
    assert_eq!(threads.len(), COOKS, "with {way}, {COOKS} cooks ran on {} threads", threads.len());
    let regions: Vec<&str> = locals
        .iter()
        .map(|&at| {
            region_of(maps, at)
                .unwrap_or_else(|| panic!("with {way}, a cook's local at {at:#x} lies in no mapped memory"))
        })
        .collect();
    for a in 0..COOKS {
        for b in a + 1..COOKS {
            assert_ne!(
                locals[a], locals[b],
                "with {way}, cooks {a} and {b} had their local variable at the same address {:#x} at the same time",
                locals[a]
            );
            assert_ne!(
                regions[a], regions[b],
                "with {way}, the locals of cooks {a} ({:#x}) and {b} ({:#x}) lie in one memory region ({}): \
                 every thread should run on a stack of its own",
                locals[a], locals[b], regions[a]
            );
        }
    }
}

#[test]
fn every_cook_has_a_stack_of_its_own() {
    check_stacks("thread::spawn and an Arc", |_, entry, maps| {
        cook_with_arc(pantry(), COOKS, stack_probe(Arc::clone(entry), Arc::clone(maps)))
    });
    check_stacks("std::thread::scope", |p, entry, maps| {
        cook_in_scope(p, COOKS, stack_probe(Arc::clone(entry), Arc::clone(maps)))
    });
    check_stacks("crossbeam::scope", |p, entry, maps| {
        cook_in_crossbeam_scope(p, COOKS, stack_probe(Arc::clone(entry), Arc::clone(maps)))
    });
}

// ---------------------------------------------------------------------------
// Thread-locals: a fresh copy in every thread.

#[test]
fn the_plate_count_starts_fresh_in_every_thread() {
    let served: Vec<usize> = (0..3).map(|_| serve_plate()).collect();
    assert_eq!(served, [1, 2, 3], "serve_plate should return this thread's count so far: 1, then 2, then 3");
    let read = plates_served();
    assert_eq!(
        read, 3,
        "serve_plate counted 3 plates on this thread, but plates_served() says {read}: do both functions use the \
         same thread-local? Declare it once, outside the functions"
    );
    let read_again = plates_served();
    assert_eq!(
        read_again, 3,
        "plates_served() said 3, and right after, with no plate served in between, {read_again}: reading the \
         count changed it. plates_served should only read the count (PLATES.get()), not take or reset it"
    );
    for which in ["a new thread", "another new thread, after the first changed its count,"] {
        let (fresh, counted, read) = thread::spawn(|| {
            let fresh = plates_served();
            let counted: Vec<usize> = (0..2).map(|_| serve_plate()).collect();
            (fresh, counted, plates_served())
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        assert_eq!(
            fresh, 0,
            "{which} found {fresh} plates already served: a `static` is one value shared by every thread; \
             a thread_local! gives each thread its own copy, starting from its initial value"
        );
        assert_eq!((counted, read), (vec![1, 2], 2), "{which} served 2 plates and should count exactly those");
    }
    let read = plates_served();
    assert_eq!(
        read,
        3,
        "this thread served 3 plates, but after two other threads served 2 each it reads {read}: {}",
        if read > 3 {
            "their plates were counted here too, so the count is shared (a `static`?). Keep it in a thread_local!"
        } else {
            "its count changed while other threads served theirs. Every thread should keep a count of its own"
        }
    );
}

#[test]
fn cooks_at_work_keep_separate_counts() {
    // The test owns these threads: the count must be per thread, whoever made them.
    let rv = Rendezvous::new(COOKS);
    let seen: Vec<(usize, Vec<usize>, usize)> = thread::scope(|s| {
        let handles: Vec<_> = (0..COOKS)
            .map(|i| {
                let rv = &rv;
                s.spawn(move || {
                    let counted: Vec<usize> = (0..=i).map(|_| serve_plate()).collect();
                    // Every cook has served its plates before any reads its count.
                    let _inside = rv.arrive();
                    (i, counted, plates_served())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    assert!(
        rv.all_met(),
        "the test's own {COOKS} threads were never all inside at once (at most {}): does serve_plate block?",
        rv.peak()
    );
    let served: Vec<usize> = seen.iter().map(|s| s.0 + 1).collect();
    let read: Vec<usize> = seen.iter().map(|s| s.2).collect();
    let why = if read.contains(&0) {
        "does plates_served read the thread-local that serve_plate adds to?"
    } else {
        "the count is shared between threads (a `static`?). Keep it in a thread_local!"
    };
    assert_eq!(
        read, served,
        "the {COOKS} cooks served {served:?} plates, but once all had served theirs they read {read:?}: {why}"
    );
    for (i, counted, _) in &seen {
        assert_eq!(*counted, (1..=i + 1).collect::<Vec<_>>(), "cook {i}'s serve_plate should return 1, 2, ... in turn");
    }
}

//! First checks for exercise 03. The grader runs stricter hidden tests.

use shared_heap::{Pantry, address, cook_in_crossbeam_scope, cook_in_scope, cook_with_arc, plates_served, serve_plate};

fn pantry() -> Pantry {
    Pantry::new(&["flour", "eggs", "basil"])
}

#[test]
fn arc_cooks_return_their_results_in_order() {
    let _deadline = visible::deadline("03");
    let got = cook_with_arc(pantry(), 3, |i, p| format!("{i}: {}", p.ingredients[i]));
    assert_eq!(got, ["0: flour", "1: eggs", "2: basil"]);
}

#[test]
fn scoped_cooks_see_the_callers_pantry() {
    let _deadline = visible::deadline("03");
    let pantry = pantry();
    let seen = cook_in_scope(&pantry, 2, |_, p| address(p));
    assert_eq!(seen, [address(&pantry); 2], "both cooks should borrow this very pantry");
}

#[test]
fn crossbeam_cooks_return_their_results_in_order() {
    let _deadline = visible::deadline("03");
    let pantry = pantry();
    assert_eq!(cook_in_crossbeam_scope(&pantry, 3, |i, p| p.ingredients[i].len()), [5, 4, 5]);
}

#[test]
fn no_cooks_means_no_results() {
    let _deadline = visible::deadline("03");
    assert!(cook_with_arc(pantry(), 0, |i, _| i).is_empty());
    assert!(cook_in_scope(&pantry(), 0, |i, _| i).is_empty());
    assert!(cook_in_crossbeam_scope(&pantry(), 0, |i, _| i).is_empty());
}

#[test]
fn a_new_thread_starts_its_own_count_of_plates() {
    let _deadline = visible::deadline("03");
    assert_eq!((serve_plate(), serve_plate()), (1, 2));
    let in_new_thread = std::thread::spawn(plates_served).join().unwrap();
    assert_eq!(in_new_thread, 0, "a new thread has served no plates yet");
    assert_eq!(plates_served(), 2);
}

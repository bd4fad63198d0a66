//! The five-course meal, cooked by one chef and then by two. Every step just
//! sleeps for a while, like a chef waiting for the water to boil.
//! Run it with `cargo run --release -p kitchen`.

use std::thread;
use std::time::{Duration, Instant};

use kitchen::{Dish, Kitchen, Step, cook_alone, cook_together, five_course_meal};

/// A step at the counter takes 30 ms, one at an appliance 60 ms.
fn slow_work(start: Instant) -> impl Fn(&Dish, &Step) + Sync {
    move |dish, step| {
        let chef = thread::current().name().unwrap_or("a chef").to_string();
        let at = start.elapsed().as_secs_f64();
        println!("  {at:5.2} s  {chef:<10} {}: {} {:?}", dish.name, step.action, step.needs);
        let ms = if step.needs.is_empty() { 30 } else { 60 };
        thread::sleep(Duration::from_millis(ms));
    }
}

fn serve(start: Instant) -> impl FnMut(&Dish) {
    move |dish| println!("  {:5.2} s  served: {}", start.elapsed().as_secs_f64(), dish.name)
}

fn main() {
    let menu = five_course_meal();
    let kitchen = Kitchen::new();

    println!("one chef:");
    let start = Instant::now();
    cook_alone(&kitchen, &menu, slow_work(start), serve(start));
    let alone = start.elapsed();
    println!("the meal took {alone:.2?}\n");

    println!("two chefs:");
    let start = Instant::now();
    cook_together(&kitchen, &menu, slow_work(start), serve(start));
    let together = start.elapsed();
    println!("the meal took {together:.2?}\n");

    println!(
        "two chefs were {:.1}x as fast (never graded: a busy machine changes it)",
        alone.as_secs_f64() / together.as_secs_f64()
    );
}

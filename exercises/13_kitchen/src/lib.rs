//! Exercise 13: the kitchen.
//!
//! Read README.md in this folder first. Replace every `todo!()` so that
//! `cargo test -p kitchen` passes, then run `cargo grade 13`.
//!
//! The kitchen itself (appliances behind locks, dishes, the demo's menu) is
//! ready in `kitchen.rs`.

mod kitchen;

pub use kitchen::{Appliance, Dish, Held, Kitchen, Notice, Station, Step, five_course_meal};

impl Kitchen {
    /// Takes every appliance in `needs` and returns them held: each one stays
    /// taken until its [`Held`] in the returned `Vec` is dropped.
    ///
    /// Whatever order `needs` lists them in, take them in rank order (the
    /// order of [`Appliance::ALL`]), so that two chefs can never end up each
    /// holding what the other is waiting for.
    pub fn take_all(&self, needs: &[Appliance]) -> Vec<Held<'_>> {
        todo!("take the appliances one at a time, in rank order")
    }
}

/// Cooks one dish: its steps in order. Each step runs `work(dish, step)` while
/// the chef holds every appliance the step needs, and frees them right after.
pub fn cook_dish<W>(kitchen: &Kitchen, dish: &Dish, work: &W)
where
    W: Fn(&Dish, &Step),
{
    todo!("for each step: take what it needs, do the work, free it")
}

/// One chef cooks the whole menu alone: one dish after another, in menu
/// order, and each course is served (`serve(dish)`) as soon as it is done.
pub fn cook_alone<W, S>(kitchen: &Kitchen, menu: &[Dish], work: W, serve: S)
where
    W: Fn(&Dish, &Step),
    S: FnMut(&Dish),
{
    todo!("cook each dish, then serve it")
}

/// Two chefs share the kitchen: the hot chef cooks the `Station::Hot` dishes,
/// the cold chef the `Station::Cold` ones, each on a thread of her own and each
/// her dishes in menu order. They cook at the same time, sharing the oven,
/// the grill and the fridge.
///
/// The calling thread is the pass: it hands each chef her tickets over a
/// channel, and serves every course (`serve(dish)`) as soon as a chef sends it
/// back, while the chefs are still cooking. It returns once every course has
/// been served and both chefs have finished.
pub fn cook_together<W, S>(kitchen: &Kitchen, menu: &[Dish], work: W, serve: S)
where
    W: Fn(&Dish, &Step) + Sync,
    S: FnMut(&Dish),
{
    todo!("start two chefs, send them their tickets, serve what comes back")
}

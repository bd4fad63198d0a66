//! Right: std's mpsc channels for the rails and the pass, chefs in a crossbeam
//! scope, `take_all` by filtering `Appliance::ALL`, and each step's appliances
//! dropped by hand after its work.

mod kitchen;

use std::sync::mpsc::{self, Receiver, Sender};

pub use kitchen::{Appliance, Dish, Held, Kitchen, Notice, Station, Step, five_course_meal};

impl Kitchen {
    /// Takes every appliance in `needs` and returns them held: each one stays
    /// taken until its [`Held`] in the returned `Vec` is dropped.
    ///
    /// Whatever order `needs` lists them in, take them in rank order (the
    /// order of [`Appliance::ALL`]), so that two chefs can never end up each
    /// holding what the other is waiting for.
    pub fn take_all(&self, needs: &[Appliance]) -> Vec<Held<'_>> {
        // One order for every chef: nobody can hold a later appliance while
        // waiting for an earlier one, so no circle of waiting can form.
        Appliance::ALL.iter().filter(|a| needs.contains(a)).map(|&a| self.take(a)).collect()
    }
}

/// Cooks one dish: its steps in order. Each step runs `work(dish, step)` while
/// the chef holds every appliance the step needs, and frees them right after.
pub fn cook_dish<W>(kitchen: &Kitchen, dish: &Dish, work: &W)
where
    W: Fn(&Dish, &Step),
{
    for step in &dish.steps {
        let held = kitchen.take_all(&step.needs);
        work(dish, step);
        drop(held);
    }
}

/// One chef cooks the whole menu alone: one dish after another, in menu
/// order, and each course is served (`serve(dish)`) as soon as it is done.
pub fn cook_alone<W, S>(kitchen: &Kitchen, menu: &[Dish], work: W, mut serve: S)
where
    W: Fn(&Dish, &Step),
    S: FnMut(&Dish),
{
    for dish in menu {
        cook_dish(kitchen, dish, &work);
        serve(dish);
    }
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
pub fn cook_together<W, S>(kitchen: &Kitchen, menu: &[Dish], work: W, mut serve: S)
where
    W: Fn(&Dish, &Step) + Sync,
    S: FnMut(&Dish),
{
    let work = &work;
    let (to_pass, pass) = mpsc::channel::<&Dish>();
    let (hot_rail, hot_tickets) = mpsc::channel::<&Dish>();
    let (cold_rail, cold_tickets) = mpsc::channel::<&Dish>();
    crossbeam::scope(|s| {
        for tickets in [hot_tickets, cold_tickets] {
            let to_pass = to_pass.clone();
            s.spawn(move |_| chef(kitchen, work, tickets, to_pass));
        }
        drop(to_pass);
        for dish in menu {
            let rail = if dish.station == Station::Hot { &hot_rail } else { &cold_rail };
            rail.send(dish).expect("a chef left early");
        }
        drop((hot_rail, cold_rail));
        while let Ok(dish) = pass.recv() {
            serve(dish);
        }
    })
    .expect("a chef panicked");
}

/// A chef: cooks every ticket of her rail, in order, and sends each dish to the pass.
fn chef<'m, W>(kitchen: &Kitchen, work: &W, tickets: Receiver<&'m Dish>, to_pass: Sender<&'m Dish>)
where
    W: Fn(&Dish, &Step) + Sync,
{
    for dish in tickets {
        cook_dish(kitchen, dish, work);
        if to_pass.send(dish).is_err() {
            return;
        }
    }
}

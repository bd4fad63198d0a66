//! Wrong: the single chef cooks all the hot dishes first, while the oven is warm,
//! and then the cold ones, instead of the dishes in menu order.
//! Must fail: one_chef_cooks_every_course_in_menu_order

mod kitchen;

use std::thread::{self, Scope};

use crossbeam::channel::{self, Sender};

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
        let mut order = needs.to_vec();
        order.sort();
        order.into_iter().map(|appliance| self.take(appliance)).collect()
    }
}

/// Cooks one dish: its steps in order. Each step runs `work(dish, step)` while
/// the chef holds every appliance the step needs, and frees them right after.
pub fn cook_dish<W>(kitchen: &Kitchen, dish: &Dish, work: &W)
where
    W: Fn(&Dish, &Step),
{
    for step in &dish.steps {
        // Named, not `_`: the appliances stay taken until the end of this loop body.
        let _held = kitchen.take_all(&step.needs);
        work(dish, step);
    }
}

/// One chef cooks the whole menu alone: one dish after another, in menu
/// order, and each course is served (`serve(dish)`) as soon as it is done.
pub fn cook_alone<W, S>(kitchen: &Kitchen, menu: &[Dish], work: W, mut serve: S)
where
    W: Fn(&Dish, &Step),
    S: FnMut(&Dish),
{
    for station in [Station::Hot, Station::Cold] {
        for dish in menu.iter().filter(|d| d.station == station) {
            cook_dish(kitchen, dish, &work);
            serve(dish);
        }
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
    // Scoped threads may borrow the kitchen, the menu and `work`.
    thread::scope(|scope| {
        let (to_pass, pass) = channel::unbounded::<&Dish>();
        let hot = start_chef(scope, "hot chef", kitchen, work, to_pass.clone());
        let cold = start_chef(scope, "cold chef", kitchen, work, to_pass);
        for dish in menu {
            let chef = match dish.station {
                Station::Hot => &hot,
                Station::Cold => &cold,
            };
            chef.send(dish).expect("a chef left the kitchen before her last ticket");
        }
        // No more tickets: each chef stops once her rail is empty. Only the
        // chefs hold the pass open now, so the loop below ends when both are done.
        drop((hot, cold));
        for dish in pass {
            serve(dish);
        }
    });
}

/// Starts a chef on a thread of her own: she cooks every ticket that comes
/// down her rail, in order, and sends each finished dish to the pass. Returns
/// her rail.
fn start_chef<'scope, 'env, W>(
    scope: &'scope Scope<'scope, 'env>,
    name: &str,
    kitchen: &'env Kitchen,
    work: &'env W,
    to_pass: Sender<&'env Dish>,
) -> Sender<&'env Dish>
where
    W: Fn(&Dish, &Step) + Sync,
{
    let (rail, tickets) = channel::unbounded::<&Dish>();
    thread::Builder::new()
        .name(name.to_string())
        .spawn_scoped(scope, move || {
            for dish in tickets {
                cook_dish(kitchen, dish, work);
                // The pass is gone only if the caller panicked: nobody to serve.
                let _ = to_pass.send(dish);
            }
        })
        .expect("the OS could not start a chef");
    rail
}

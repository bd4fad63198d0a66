//! The kitchen, ready to use: the appliances, each behind a lock of its own,
//! and the dishes of a menu. You do not need to change this file: your work is
//! in `lib.rs`.

use std::fmt;

use parking_lot::{Mutex, MutexGuard};

/// An appliance of the kitchen. There is one of each, shared by every chef.
///
/// Appliances are ranked in the order they are declared, which is the order
/// of [`Appliance::ALL`]: the oven first, the fridge last. The derived `Ord`
/// compares ranks, so `Oven < Grill < Fridge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Appliance {
    Oven,
    Grill,
    Fridge,
}

impl Appliance {
    /// Every appliance, in rank order.
    pub const ALL: [Appliance; 3] = [Appliance::Oven, Appliance::Grill, Appliance::Fridge];

    fn index(self) -> usize {
        self as usize
    }
}

/// Who cooks a dish when two chefs share the kitchen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Station {
    /// Soups, roasts, grills: the hot chef.
    Hot,
    /// Salads and desserts: the cold chef.
    Cold,
}

/// One step of a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the chef does, for example "roast the tomatoes".
    pub action: String,
    /// The appliances the step needs, all at the same time, in the order the
    /// recipe names them. Each appliance at most once; empty for work at the
    /// chef's own counter (chopping, whipping, plating).
    pub needs: Vec<Appliance>,
}

impl Step {
    pub fn new(action: &str, needs: &[Appliance]) -> Step {
        Step { action: action.to_string(), needs: needs.to_vec() }
    }
}

/// A dish of the menu: its steps are done one after another, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dish {
    pub name: String,
    pub station: Station,
    pub steps: Vec<Step>,
}

impl Dish {
    pub fn new(name: &str, station: Station, steps: Vec<Step>) -> Dish {
        Dish { name: name.to_string(), station, steps }
    }
}

/// What a watched kitchen reports. The notice comes on the thread of the chef
/// concerned, so `std::thread::current()` tells which chef it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A chef asks for an appliance. If another chef holds it, she waits.
    Wants(Appliance),
    /// She got it: nobody else can take it until she frees it.
    Took(Appliance),
    /// She is done with it: it is free again right after this notice.
    Frees(Appliance),
}

type Watcher = Box<dyn Fn(Notice) + Send + Sync>;

/// The kitchen: one oven, one grill, one fridge, each guarded by a
/// `parking_lot::Mutex`. The appliances are things in the room, not data in
/// memory, so each lock guards `()`: holding the lock is the right to use the
/// appliance.
pub struct Kitchen {
    appliances: [Mutex<()>; 3],
    watcher: Option<Watcher>,
}

impl Kitchen {
    pub fn new() -> Kitchen {
        Kitchen { appliances: Default::default(), watcher: None }
    }

    /// A kitchen that calls `watcher` each time a chef asks for, takes or frees
    /// an appliance. The tests watch the kitchen this way.
    pub fn watched(watcher: impl Fn(Notice) + Send + Sync + 'static) -> Kitchen {
        Kitchen { appliances: Default::default(), watcher: Some(Box::new(watcher)) }
    }

    /// Waits until `appliance` is free and takes it. It is yours until the
    /// returned [`Held`] is dropped; dropping it frees the appliance.
    pub fn take(&self, appliance: Appliance) -> Held<'_> {
        self.notify(Notice::Wants(appliance));
        let guard = self.appliances[appliance.index()].lock();
        self.notify(Notice::Took(appliance));
        Held { kitchen: self, appliance, _guard: guard }
    }

    fn notify(&self, notice: Notice) {
        if let Some(watcher) = &self.watcher {
            watcher(notice);
        }
    }
}

impl Default for Kitchen {
    fn default() -> Kitchen {
        Kitchen::new()
    }
}

/// An appliance a chef holds: the guard of its lock. Dropping it frees the
/// appliance.
pub struct Held<'k> {
    kitchen: &'k Kitchen,
    appliance: Appliance,
    _guard: MutexGuard<'k, ()>,
}

impl Held<'_> {
    /// Which appliance this is.
    pub fn appliance(&self) -> Appliance {
        self.appliance
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        // Reported while still held: the lock opens when `_guard` drops, after this.
        self.kitchen.notify(Notice::Frees(self.appliance));
    }
}

impl fmt::Debug for Held<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Held({:?})", self.appliance)
    }
}

/// The five-course meal of the demo (`cargo run --release -p kitchen`).
/// The lasagne and the tiramisu need the oven and the fridge at the same time,
/// and their recipes name the two in opposite orders.
pub fn five_course_meal() -> Vec<Dish> {
    use Appliance::{Fridge, Grill, Oven};
    use Station::{Cold, Hot};
    vec![
        Dish::new(
            "caprese salad",
            Cold,
            vec![
                Step::new("slice the tomatoes", &[]),
                Step::new("take out the mozzarella", &[Fridge]),
                Step::new("plate the salad", &[]),
            ],
        ),
        Dish::new(
            "tomato soup",
            Hot,
            vec![
                Step::new("chop the onions", &[]),
                Step::new("roast the tomatoes", &[Oven]),
                Step::new("blend the soup", &[]),
            ],
        ),
        Dish::new(
            "grilled sea bass",
            Hot,
            vec![
                Step::new("grill the fish", &[Grill]),
                Step::new("baste it with butter from the fridge", &[Grill, Fridge]),
            ],
        ),
        Dish::new(
            "lasagne",
            Hot,
            vec![
                Step::new("layer the pasta", &[]),
                Step::new("bake the lasagne", &[Oven]),
                Step::new("top it with mozzarella from the fridge", &[Oven, Fridge]),
            ],
        ),
        Dish::new(
            "tiramisu",
            Cold,
            vec![
                Step::new("whip the mascarpone", &[]),
                Step::new("take the cream out and warm the cups", &[Fridge, Oven]),
                Step::new("dust with cocoa", &[]),
            ],
        ),
    ]
}

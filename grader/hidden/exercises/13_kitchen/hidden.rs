//! Hidden tests for exercise 13: every course is served once and complete; every
//! step runs while its chef holds the appliances it needs, and no appliance is
//! ever used by two chefs at once; the two chefs really cook at the same time;
//! courses are served while the chefs still cook; and two dishes that need the
//! oven and the fridge in opposite orders do not deadlock.
//!
//! The kitchen is watched (`Kitchen::watched`): the test sees every chef ask for,
//! take and free each appliance, on the chef's own thread. The test's step
//! function writes down which steps are inside which appliance. Overlap is proved
//! with gates the test owns, never with a clock: a gate waits for the other chef
//! to come (for an appliance, to a rendezvous, to the pass), and gives up after a
//! patience, so wrong code fails with a message instead of hanging. The deadlock
//! test holds each chef right after her first appliance until the other chef has
//! one too, or waits for hers: code that takes appliances in the recipe's order
//! then deadlocks every time, and the watchdog names the deadlock.
//!
//! When a wait gives up or the kitchen stops, the message says what each chef
//! was doing: her step, what she held and waited for, and what the kernel said
//! about her thread (/proc/self/task/<tid>/stat and wchan).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hidden::contract::stat_state;
use hidden::{PATIENCE, Rendezvous, gettid, kernel};
use kitchen::Appliance::{self, Fridge, Grill, Oven};
use kitchen::Station::{Cold, Hot};
use kitchen::{Dish, Kitchen, Notice, Station, Step, cook_alone, cook_together};

/// What the kernel says a thread is doing, in words: its state (read after the
/// last ')' of its stat line), and for a sleeping thread the kernel function it
/// sleeps in.
fn in_words(tid: i32) -> String {
    let Some(stat) = kernel::stat(tid) else {
        return "gone: the thread has ended".into();
    };
    let wchan = kernel::wchan(tid);
    match stat_state(&stat) {
        Some('S') if wchan.is_empty() => "asleep".into(),
        Some('S') => format!("asleep in the kernel, in {wchan}"),
        Some('R') => "running".into(),
        Some(letter) => format!("in kernel state {letter}"),
        None => "unknown".into(),
    }
}

/// The seed's five-course meal. The lasagne and the tiramisu need the oven and
/// the fridge at once, and their recipes name them in opposite orders.
fn five_course_meal() -> Vec<Dish> {
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

/// One long dish per chef: each uses every appliance in the same order, then
/// shares the oven and the fridge again and again. One dish each, so each chef
/// gets her ticket at once, however the tickets travel.
fn crowded_menu() -> Vec<Dish> {
    let mut hot = vec![
        Step::new("roast the chicken", &[Oven]),
        Step::new("char the peppers", &[Grill]),
        Step::new("chill the sauce", &[Fridge]),
    ];
    let mut cold = vec![
        Step::new("bake the base", &[Oven]),
        Step::new("toast the almonds", &[Grill]),
        Step::new("set the cake", &[Fridge]),
    ];
    for (h, c) in [("gratin", "meringue"), ("pie", "sorbet"), ("kebab", "trifle")] {
        hot.push(Step::new(&format!("bake the {h}"), &[Oven]));
        hot.push(Step::new(&format!("glaze the {h}"), &[Oven, Fridge]));
        cold.push(Step::new(&format!("chill the {c}"), &[Fridge]));
        cold.push(Step::new(&format!("crisp the {c}"), &[Oven, Fridge]));
    }
    vec![Dish::new("roast dinner", Hot, hot), Dish::new("dessert platter", Cold, cold)]
}

/// The caprese salad and the grilled sea bass of the five-course meal: one dish
/// per chef.
fn salad_and_fish() -> Vec<Dish> {
    five_course_meal().into_iter().filter(|d| d.name == "caprese salad" || d.name == "grilled sea bass").collect()
}

/// The lasagne takes the oven, then the fridge; the tiramisu the fridge, then the oven.
fn opposite_orders_menu() -> Vec<Dish> {
    vec![
        Dish::new(
            "lasagne",
            Hot,
            vec![
                Step::new("layer the pasta", &[]),
                Step::new("top it with mozzarella from the fridge", &[Oven, Fridge]),
            ],
        ),
        Dish::new(
            "tiramisu",
            Cold,
            vec![
                Step::new("whip the mascarpone", &[]),
                Step::new("take the cream out and warm the cups", &[Fridge, Oven]),
            ],
        ),
    ]
}

#[derive(Clone, Debug)]
enum Entry {
    Started { dish: String, station: Station, action: String, chef: ThreadId },
    Ended { dish: String, action: String },
    Served { dish: String, by: ThreadId },
}

#[derive(Default)]
struct State {
    /// What each chef (thread) holds and is waiting for, from the kitchen's notices.
    holds: HashMap<ThreadId, Vec<Appliance>>,
    wants: HashMap<ThreadId, Appliance>,
    notices: Vec<Notice>,
    /// The steps inside each appliance right now: never more than one.
    inside: BTreeMap<Appliance, Vec<String>>,
    crowded: Vec<String>,
    unheld: Vec<String>,
    log: Vec<Entry>,
    /// Appliances whose first user waits until the other chef comes for it.
    contested: HashSet<Appliance>,
    /// Holds each chef after her first appliance until the other chef is in too.
    hold_first_takes: bool,
    first_takes_met: bool,
    /// The waits that ran out of patience.
    gave_up: Vec<String>,
    /// Counts everything the board is told: it stops only when the kitchen does.
    progress: usize,
    /// Each chef's kernel thread id, and the step she is in right now.
    tids: HashMap<ThreadId, i32>,
    current: HashMap<ThreadId, (String, Vec<Appliance>)>,
    /// A mistake that ended the test from inside the kitchen.
    fatal: Option<String>,
}

impl State {
    fn served(&self) -> Vec<String> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Entry::Served { dish, .. } => Some(dish.clone()),
                _ => None,
            })
            .collect()
    }

    /// "the hot chef", "the cold chef": by the dishes she started.
    fn chef_name(&self, chef: ThreadId) -> &'static str {
        let stations: HashSet<Station> = self
            .log
            .iter()
            .filter_map(|e| match e {
                Entry::Started { station, chef: c, .. } if *c == chef => Some(*station),
                _ => None,
            })
            .collect();
        match (stations.contains(&Hot), stations.contains(&Cold)) {
            (true, false) => "the hot chef",
            (false, true) => "the cold chef",
            (true, true) => "the chef",
            (false, false) => "the other chef",
        }
    }

    /// Every thread that cooked or took an appliance, in a stable order.
    fn chefs(&self) -> Vec<ThreadId> {
        let mut chefs: Vec<ThreadId> = Vec::new();
        let mut add = |t: ThreadId| {
            if !chefs.contains(&t) {
                chefs.push(t);
            }
        };
        for e in &self.log {
            if let Entry::Started { chef, .. } = e {
                add(*chef);
            }
        }
        for t in self.holds.keys().chain(self.wants.keys()) {
            add(*t);
        }
        chefs.sort_by_key(|t| self.chef_name(*t));
        chefs
    }

    /// What one chef is doing, as the board and the kernel see it.
    fn doing(&self, chef: ThreadId) -> String {
        let mut text = self.chef_name(chef).to_string();
        let held = self.holds.get(&chef).cloned().unwrap_or_default();
        match self.current.get(&chef) {
            Some((step, needs)) => text += &format!(" was at \"{step}\" (needs {needs:?}), holding {held:?}"),
            None => text += &format!(" was between steps, holding {held:?}"),
        }
        if let Some(a) = self.wants.get(&chef) {
            text += &format!(", waiting for the {a:?}");
        }
        if let Some(&tid) = self.tids.get(&chef) {
            text += &format!(" (her thread {tid}: {})", in_words(tid));
        }
        text
    }

    /// What every chef was doing, for a message.
    fn scene(&self) -> String {
        let chefs = self.chefs();
        if chefs.is_empty() {
            return "no chef had started".into();
        }
        chefs.iter().map(|&c| self.doing(c)).collect::<Vec<_>>().join("; ")
    }

    /// A chef who holds more than her step needs, or holds anything between steps.
    fn overreach(&self) -> Option<String> {
        self.chefs().into_iter().find_map(|chef| {
            let held = self.holds.get(&chef).cloned().unwrap_or_default();
            let name = self.chef_name(chef);
            match self.current.get(&chef) {
                Some((step, needs)) => {
                    let extra: Vec<Appliance> = held.iter().copied().filter(|a| !needs.contains(a)).collect();
                    (!extra.is_empty())
                        .then(|| format!("{name} held {extra:?} during \"{step}\", a step that needs only {needs:?}"))
                }
                None if !held.is_empty() || self.wants.contains_key(&chef) => Some(format!(
                    "{name} held {held:?}{} between two steps, while no step of hers was running",
                    self.wants.get(&chef).map(|a| format!(" and waited for the {a:?}")).unwrap_or_default()
                )),
                None => None,
            }
        })
    }

    /// Courses of `menu` whose every step was done, but that were never served.
    fn cooked_not_served<'m>(&self, menu: &'m [Dish]) -> Vec<&'m str> {
        let served = self.served();
        menu.iter()
            .filter(|dish| {
                let ended = |action: &str| {
                    self.log
                        .iter()
                        .any(|e| matches!(e, Entry::Ended { dish: d, action: a } if *d == dish.name && a == action))
                };
                !served.contains(&dish.name) && dish.steps.iter().all(|st| ended(&st.action))
            })
            .map(|dish| dish.name.as_str())
            .collect()
    }

    /// Courses of `menu` of which no step has begun.
    fn never_started<'m>(&self, menu: &'m [Dish]) -> Vec<&'m str> {
        menu.iter()
            .filter(|dish| !self.log.iter().any(|e| matches!(e, Entry::Started { dish: d, .. } if *d == dish.name)))
            .map(|dish| dish.name.as_str())
            .collect()
    }

    /// Another chef holds an appliance, or waits for one that `me` holds.
    fn other_chef_is_in(&self, me: ThreadId) -> bool {
        let mine = self.holds.get(&me).cloned().unwrap_or_default();
        self.holds.iter().any(|(t, h)| *t != me && !h.is_empty())
            || self.wants.iter().any(|(t, a)| *t != me && mine.contains(a))
    }
}

/// What the kitchen, the step function and the pass saw, in order.
struct Board {
    state: Mutex<State>,
    changed: Condvar,
}

type Work = Box<dyn Fn(&Dish, &Step) + Send + Sync>;
type During = Box<dyn Fn(&Board, &Dish, &Step) + Send + Sync>;

impl Board {
    fn new() -> Arc<Board> {
        Arc::new(Board { state: Mutex::default(), changed: Condvar::new() })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn kitchen(self: &Arc<Self>) -> Kitchen {
        let board = Arc::clone(self);
        Kitchen::watched(move |notice| board.notice(notice))
    }

    /// The step function: writes the step down around `during`.
    fn work(self: &Arc<Self>, during: During) -> Work {
        let board = Arc::clone(self);
        Box::new(move |dish, step| {
            board.begin(dish, step);
            during(&board, dish, step);
            board.end(dish, step);
        })
    }

    fn plain_work(self: &Arc<Self>) -> Work {
        self.work(Box::new(|_, _, _| {}))
    }

    fn serve(self: &Arc<Self>) -> impl FnMut(&Dish) + use<> {
        let board = Arc::clone(self);
        move |dish| {
            let mut s = board.lock();
            s.progress += 1;
            s.log.push(Entry::Served { dish: dish.name.clone(), by: thread::current().id() });
            board.changed.notify_all();
        }
    }

    /// Waits until `done` holds, or gives up after the patience; after one wait
    /// has given up, later ones do not wait, so wrong code fails fast.
    fn wait_until<'a>(
        &'a self,
        mut s: MutexGuard<'a, State>,
        what: &str,
        done: impl Fn(&State) -> bool,
    ) -> (MutexGuard<'a, State>, bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if done(&s) {
                return (s, true);
            }
            let now = Instant::now();
            if !s.gave_up.is_empty() || now >= deadline {
                s.gave_up.push(what.to_string());
                self.changed.notify_all();
                return (s, false);
            }
            s = self.changed.wait_timeout(s, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    fn wait_for_served(&self, dishes: &[&str], what: &str) -> bool {
        let s = self.lock();
        self.wait_until(s, what, |s| dishes.iter().all(|d| s.served().iter().any(|x| x == d))).1
    }

    fn notice(&self, notice: Notice) {
        let me = thread::current().id();
        let mut s = self.lock();
        s.progress += 1;
        s.notices.push(notice);
        s.tids.entry(me).or_insert_with(gettid);
        match notice {
            Notice::Wants(a) if s.holds.get(&me).is_some_and(|h| h.contains(&a)) => {
                // A lock is not re-entrant: she would wait for herself forever.
                let last = s.log.iter().rev().find_map(|e| match e {
                    Entry::Started { action, chef, .. } if *chef == me => Some(action.clone()),
                    _ => None,
                });
                let problem = format!(
                    "{} asked for the {a:?} while she still held it{}: an appliance is a lock, and a lock is not \
                     re-entrant, so she would wait for herself forever. Free a step's appliances before the next step \
                     takes its own: `let _held = kitchen.take_all(&step.needs);` inside the loop body frees them at \
                     the end of each pass, while `held = kitchen.take_all(..)` takes the new ones before the old are \
                     dropped",
                    s.chef_name(me),
                    last.map(|step| format!(" (she took it for \"{step}\")")).unwrap_or_default()
                );
                s.fatal.get_or_insert_with(|| problem.clone());
                self.changed.notify_all();
                drop(s);
                panic!("{problem}");
            }
            Notice::Wants(a) => {
                s.wants.insert(me, a);
            }
            Notice::Took(a) => {
                s.wants.remove(&me);
                s.holds.entry(me).or_default().push(a);
            }
            Notice::Frees(a) => s.holds.entry(me).or_default().retain(|x| *x != a),
        }
        self.changed.notify_all();
        if matches!(notice, Notice::Took(_)) && s.hold_first_takes && s.holds[&me].len() == 1 {
            // Right after a chef's first appliance: wait for the other chef to hold
            // one too (then each may want the other's) or to wait for this one.
            let (mut s, met) = self
                .wait_until(s, "the other chef to take an appliance", |s| s.first_takes_met || s.other_chef_is_in(me));
            s.first_takes_met |= met;
            s.hold_first_takes = false;
            self.changed.notify_all();
        }
    }

    fn begin(&self, dish: &Dish, step: &Step) {
        let me = thread::current().id();
        let what = format!("{}: {}", dish.name, step.action);
        let mut s = self.lock();
        s.progress += 1;
        s.tids.entry(me).or_insert_with(gettid);
        s.current.insert(me, (step.action.clone(), step.needs.clone()));
        s.log.push(Entry::Started {
            dish: dish.name.clone(),
            station: dish.station,
            action: step.action.clone(),
            chef: me,
        });
        let held = s.holds.get(&me).cloned().unwrap_or_default();
        let missing: Vec<Appliance> = step.needs.iter().copied().filter(|a| !held.contains(a)).collect();
        if !missing.is_empty() {
            let line = format!("\"{what}\" needs {:?}, but its chef held only {held:?} while it ran", step.needs);
            s.unheld.push(line);
        }
        for &a in &step.needs {
            let users = s.inside.entry(a).or_default();
            users.push(what.clone());
            if users.len() > 1 {
                let line = format!("the {a:?} was used by {} steps at once: {}", users.len(), users.join(" and "));
                s.crowded.push(line);
            }
        }
        self.changed.notify_all();
        for &a in &step.needs {
            if s.contested.remove(&a) {
                // The first step in this appliance waits for the other chef to come
                // for it: with the lock she waits outside, without it she walks in.
                let i_hold = held.contains(&a);
                let waited = format!("the other chef to come for the {a:?}");
                s = self
                    .wait_until(s, &waited, |s| {
                        s.inside.get(&a).is_some_and(|u| u.len() > 1)
                            || (i_hold && s.wants.iter().any(|(t, w)| *t != me && *w == a))
                    })
                    .0;
            }
        }
    }

    fn end(&self, dish: &Dish, step: &Step) {
        let what = format!("{}: {}", dish.name, step.action);
        let mut s = self.lock();
        for &a in &step.needs {
            let users = s.inside.entry(a).or_default();
            if let Some(i) = users.iter().position(|u| *u == what) {
                users.remove(i);
            }
        }
        s.progress += 1;
        s.current.remove(&thread::current().id());
        s.log.push(Entry::Ended { dish: dish.name.clone(), action: step.action.clone() });
        self.changed.notify_all();
    }

    /// Every dish served exactly once, after all its steps ran once, in order.
    fn assert_every_course_served_once_and_complete(&self, menu: &[Dish]) {
        let s = self.lock();
        let served = s.served();
        for dish in menu {
            let times = served.iter().filter(|d| **d == dish.name).count();
            assert!(
                times > 0,
                "the {} never reached the table: a course got lost (served: {served:?}). Every ticket must reach \
                 the chef of its station, and the pass must wait for every course",
                dish.name
            );
            assert!(
                times == 1,
                "the {} was served {times} times (served: {served:?}): each dish is cooked by one chef only, once",
                dish.name
            );
        }
        for dish in menu {
            let ran: Vec<&str> = s
                .log
                .iter()
                .filter_map(|e| match e {
                    Entry::Started { dish: d, action, .. } if *d == dish.name => Some(action.as_str()),
                    _ => None,
                })
                .collect();
            let recipe: Vec<&str> = dish.steps.iter().map(|st| st.action.as_str()).collect();
            assert_eq!(
                ran, recipe,
                "the steps of the {} ran as {ran:?}, but its recipe is {recipe:?}: cook every step once, in order",
                dish.name
            );
            let last_step = s.log.iter().rposition(|e| matches!(e, Entry::Ended { dish: d, .. } if *d == dish.name));
            let served_at = s.log.iter().position(|e| matches!(e, Entry::Served { dish: d, .. } if *d == dish.name));
            assert!(
                last_step < served_at,
                "the {} was served before its last step was done: serve a course only once it is cooked",
                dish.name
            );
        }
    }

    fn assert_every_step_held_what_it_needs(&self, who: &str) {
        let s = self.lock();
        assert!(
            s.unheld.is_empty(),
            "{who}: {}. Take a step's appliances with take_all and keep what it returns until the work is done \
             (`let _held = ...`; `let _ = ...` drops them at once)",
            first_few(&s.unheld)
        );
    }

    /// The threads that cooked the dishes of one station.
    fn chefs_of(&self, menu: &[Dish], station: Station) -> HashSet<ThreadId> {
        let names: Vec<&str> = menu.iter().filter(|d| d.station == station).map(|d| d.name.as_str()).collect();
        self.lock()
            .log
            .iter()
            .filter_map(|e| match e {
                Entry::Started { dish, chef, .. } if names.contains(&dish.as_str()) => Some(*chef),
                _ => None,
            })
            .collect()
    }

    fn servers(&self) -> HashSet<ThreadId> {
        self.lock()
            .log
            .iter()
            .filter_map(|e| match e {
                Entry::Served { by, .. } => Some(*by),
                _ => None,
            })
            .collect()
    }
}

/// Runs `cook_together` on a thread of its own, the pass, and returns that
/// thread's id. With `must_return`, cook_together must also return once every
/// course is served; without, a kitchen that served everything but does not
/// return is left to the test that checks returning, and this test goes on. A kitchen that stops (a loop waiting on a channel nobody closes)
/// fails with a message instead of hanging: the test's own gates never hold
/// anything up for longer than the patience, so twice that without any news
/// from the kitchen means it is stuck.
fn cook_together_in_time(board: &Arc<Board>, menu: &[Dish], work: Work, must_return: bool) -> ThreadId {
    let (kitchen, owned_menu, serve) = (board.kitchen(), menu.to_vec(), board.serve());
    let (done, finished) = mpsc::channel();
    let (tell, told) = mpsc::channel();
    let pass = thread::Builder::new()
        .name("the pass".into())
        .spawn(move || {
            let _ = tell.send(gettid());
            cook_together(&kitchen, &owned_menu, work, serve);
            let _ = done.send(());
        })
        .expect("start the pass");
    let pass_id = pass.thread().id();
    let pass_tid = told.recv().expect("the pass tells its tid");
    let (mut seen, mut since) = (board.lock().progress, Instant::now());
    loop {
        match finished.recv_timeout(Duration::from_millis(20)) {
            Ok(()) => break,
            Err(RecvTimeoutError::Disconnected) => match pass.join() {
                Err(panic) => {
                    // What the kitchen itself saw says more than the scope's panic.
                    if let Some(problem) = board.lock().fatal.clone() {
                        panic!("{problem}");
                    }
                    std::panic::resume_unwind(panic)
                }
                Ok(()) => break,
            },
            Err(RecvTimeoutError::Timeout) => {}
        }
        let s = board.lock();
        if let Some(problem) = s.fatal.clone() {
            drop(s);
            panic!("{problem}");
        }
        if s.progress != seen {
            (seen, since) = (s.progress, Instant::now());
        } else if since.elapsed() > 2 * PATIENCE {
            if !must_return && s.served().len() >= menu.len() {
                break;
            }
            stopped(&s, menu, pass_tid);
        }
    }
    pass_id
}

/// A kitchen with no news for twice the patience: says what everyone was doing.
fn stopped(s: &State, menu: &[Dish], pass_tid: i32) -> ! {
    let served = s.served();
    let quiet = 2 * PATIENCE;
    let pass = format!("the pass, the thread that called cook_together, was {}", in_words(pass_tid));
    if served.len() >= menu.len() {
        let alive: Vec<ThreadId> = s
            .chefs()
            .into_iter()
            .filter(|c| s.tids.get(c).is_some_and(|t| std::path::Path::new(&format!("/proc/self/task/{t}")).exists()))
            .collect();
        if !alive.is_empty() {
            panic!(
                "every course was served ({served:?}), but cook_together had not returned {quiet:?} later, and the \
                 chefs were still there ({}; {pass}): they wait for more tickets. A chef's `for dish in rail` ends \
                 only once every Sender of her rail is dropped: drop the rails' Senders once every ticket is sent \
                 (then the chefs go home, and with them their Senders of the pass)",
                s.scene()
            );
        }
        panic!(
            "every course was served ({served:?}) and both chefs had gone home, but cook_together had not returned \
             {quiet:?} later ({pass}): `for dish in pass` ends only once every Sender of the pass is dropped, and \
             the pass's own is one of them: drop it before the loop"
        );
    }
    let mut text = format!(
        "the kitchen stopped with {} of {} courses served ({served:?}) and no news for {quiet:?}: {}; {pass}",
        served.len(),
        menu.len(),
        s.scene()
    );
    let cooked = s.cooked_not_served(menu);
    if !cooked.is_empty() {
        text += &format!("; cooked but never served: {cooked:?}");
    }
    let never = s.never_started(menu);
    if !never.is_empty() {
        text += &format!("; never started: {never:?}");
    }
    if cooked.is_empty() {
        panic!(
            "{text}. Is a chef or the pass waiting on a channel whose Sender is never dropped, or for a ticket that \
             never comes?"
        );
    }
    panic!(
        "{text}. A finished course was not taken by the pass, which was busy waiting for something else, such as \
         handing out the next ticket or the chefs going home. On a channel of capacity 0 (`bounded(0)`), or a \
         full one, a send waits until the other side receives: the chef waits for the pass, and the pass for the \
         chef. Give the rails and the pass `unbounded()` channels, hand out every ticket, then serve the courses \
         as they come back"
    );
}

/// The first three problems, and how many more there were.
fn first_few(problems: &[String]) -> String {
    let mut text = problems.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if problems.len() > 3 {
        text.push_str(&format!(" (and {} more)", problems.len() - 3));
    }
    text
}

#[test]
fn take_all_takes_appliances_in_rank_order() {
    hidden::watchdog();
    let board = Board::new();
    let kitchen = board.kitchen();
    let asks =
        [vec![Fridge, Oven], vec![Fridge, Grill, Oven], vec![Grill, Oven], vec![Fridge, Grill], vec![Grill], vec![]];
    for needs in asks {
        board.lock().notices.clear();
        let held = kitchen.take_all(&needs);
        let notices = std::mem::take(&mut board.lock().notices);
        let mut ranked = needs.clone();
        ranked.sort();
        let asked: Vec<Appliance> =
            notices.iter().filter_map(|n| if let Notice::Wants(a) = n { Some(*a) } else { None }).collect();
        assert_eq!(
            asked,
            ranked,
            "take_all(&{needs:?}) asked for {asked:?}: whatever order a recipe names them in, take appliances in \
             rank order ({:?}), the same order for every chef",
            Appliance::ALL
        );
        let want: Vec<Notice> = ranked.iter().flat_map(|&a| [Notice::Wants(a), Notice::Took(a)]).collect();
        assert_eq!(
            notices, want,
            "take_all(&{needs:?}) gave these notices before returning: take each appliance and keep it; nothing \
             may be freed before the caller drops what take_all returned"
        );
        let mut returned: Vec<Appliance> = held.iter().map(|h| h.appliance()).collect();
        returned.sort();
        assert_eq!(returned, ranked, "take_all(&{needs:?}) must return every appliance it took, still held");
        drop(held);
        let mut freed: Vec<Appliance> = std::mem::take(&mut board.lock().notices)
            .iter()
            .filter_map(|n| if let Notice::Frees(a) = n { Some(*a) } else { None })
            .collect();
        freed.sort();
        assert_eq!(freed, ranked, "dropping what take_all(&{needs:?}) returned must free each appliance once");
    }
}

#[test]
fn one_chef_cooks_every_course_in_menu_order() {
    hidden::watchdog();
    let board = Board::new();
    let menu = five_course_meal();
    cook_alone(&board.kitchen(), &menu, board.plain_work(), board.serve());
    let served = board.lock().served();
    let order: Vec<&str> = menu.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(served, order, "one chef cooks the dishes in menu order and serves each as soon as it is done");
    board.assert_every_course_served_once_and_complete(&menu);
    let late = {
        let s = board.lock();
        let at = |matching: &dyn Fn(&Entry) -> bool| s.log.iter().position(matching);
        menu.windows(2).find_map(|pair| {
            let served = at(&|e| matches!(e, Entry::Served { dish, .. } if *dish == pair[0].name));
            let next = at(&|e| matches!(e, Entry::Started { dish, .. } if *dish == pair[1].name));
            (served > next).then(|| (pair[0].name.clone(), pair[1].name.clone()))
        })
    };
    if let Some((dish, next)) = late {
        panic!(
            "the {dish} was served only after the chef had begun the {next}: serve each course as soon as it is \
             done, before starting the next one"
        );
    }
    let chefs: HashSet<ThreadId> = board.chefs_of(&menu, Hot).union(&board.chefs_of(&menu, Cold)).copied().collect();
    assert_eq!(chefs.len(), 1, "one chef cooked on {} threads: cook_alone cooks everything on one thread", chefs.len());
}

#[test]
fn every_step_runs_while_its_chef_holds_what_it_needs() {
    hidden::watchdog();
    let menu = five_course_meal();
    let board = Board::new();
    cook_alone(&board.kitchen(), &menu, board.plain_work(), board.serve());
    board.assert_every_step_held_what_it_needs("cooking alone");
    let board = Board::new();
    cook_together_in_time(&board, &crowded_menu(), board.plain_work(), false);
    board.assert_every_step_held_what_it_needs("cooking together");
}

#[test]
fn two_chefs_serve_every_course_exactly_once() {
    hidden::watchdog();
    let board = Board::new();
    let menu = five_course_meal();
    // The hot chef starts on the soup only once both cold courses are served: the
    // cold chef alone must take her tickets, and only hers.
    let work = board.work(Box::new(|board, dish, step| {
        if dish.name == "tomato soup" && step.action == "chop the onions" {
            board.wait_for_served(&["caprese salad", "tiramisu"], "the cold courses to be served");
        }
    }));
    let pass = cook_together_in_time(&board, &menu, work, true);
    board.assert_every_course_served_once_and_complete(&menu);
    for (station, chef) in [(Hot, "hot"), (Cold, "cold")] {
        let want: Vec<&str> = menu.iter().filter(|d| d.station == station).map(|d| d.name.as_str()).collect();
        let mut began: Vec<String> = Vec::new();
        for e in &board.lock().log {
            if let Entry::Started { dish, station: st, .. } = e
                && *st == station
                && !began.contains(dish)
            {
                began.push(dish.clone());
            }
        }
        assert!(
            began == want,
            "the {chef} chef began her dishes in the order {began:?}, but the menu lists them as {want:?}: each \
             chef cooks her tickets in the order of the menu"
        );
    }
    let (hot, cold) = (board.chefs_of(&menu, Hot), board.chefs_of(&menu, Cold));
    assert_eq!(hot.len(), 1, "the hot dishes were cooked on {} threads: one hot chef cooks every hot dish", hot.len());
    assert_eq!(cold.len(), 1, "the cold dishes were cooked on {} threads: one cold chef cooks them all", cold.len());
    assert!(
        hot != cold,
        "the hot and the cold dishes were all cooked on one thread: the two chefs need a thread each, and each \
         cooks the dishes of her own station"
    );
    assert!(
        board.servers() == HashSet::from([pass]),
        "courses were served on a thread other than the one that called cook_together: the calling thread is the pass"
    );
}

#[test]
fn the_two_chefs_cook_at_the_same_time() {
    hidden::watchdog();
    let board = Board::new();
    let menu = salad_and_fish();
    // The cold chef at the fridge and the hot chef at the grill must be in at once.
    let rv = Arc::new(Rendezvous::new(2));
    let probe = Arc::clone(&rv);
    // When the meeting gave up: what everyone did, who held too much, how many chefs had cooked.
    type Seen = Option<(String, Option<String>, usize)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let saw = Arc::clone(&seen);
    let work = board.work(Box::new(move |board, dish, step| {
        let meet = [("caprese salad", "take out the mozzarella"), ("grilled sea bass", "grill the fish")];
        if meet.contains(&(dish.name.as_str(), step.action.as_str())) {
            let inside = probe.arrive();
            if !probe.all_met() {
                let s = board.lock();
                let cooks: HashSet<ThreadId> = s
                    .log
                    .iter()
                    .filter_map(|e| if let Entry::Started { chef, .. } = e { Some(*chef) } else { None })
                    .collect();
                saw.lock().unwrap().get_or_insert_with(|| (s.scene(), s.overreach(), cooks.len()));
            }
            drop(inside);
        }
    }));
    cook_together_in_time(&board, &menu, work, false);
    board.assert_every_course_served_once_and_complete(&menu);
    if !rv.all_met() {
        let (scene, overreach, cooks) = seen.lock().unwrap().clone().unwrap_or_default();
        let why = if let Some(overreach) = overreach {
            let mut why =
                format!("{overreach}: take only what a step needs, right before its work, and free it right after");
            why[..1].make_ascii_uppercase();
            why
        } else if cooks <= 1 {
            "Only one chef had cooked anything: each chef cooks the dishes of her own station, both at once".to_string()
        } else {
            "Start both chefs before either cooks, and do not make one chef wait for the other".to_string()
        };
        panic!(
            "the cold chef taking out the mozzarella and the hot chef grilling the fish were never at work at the \
             same time (at most {} of 2 at once). When the test gave up waiting, {scene}. {why}",
            rv.peak()
        );
    }
}

#[test]
fn no_appliance_is_ever_used_by_two_chefs_at_once() {
    hidden::watchdog();
    let board = Board::new();
    board.lock().contested = HashSet::from(Appliance::ALL);
    let menu = crowded_menu();
    cook_together_in_time(&board, &menu, board.plain_work(), false);
    let crowded = board.lock().crowded.clone();
    assert!(
        crowded.is_empty(),
        "{}: a step may use an appliance only while its chef holds it. Take every appliance a step needs before \
         the work, and keep it until the work is done",
        first_few(&crowded)
    );
    board.assert_every_step_held_what_it_needs("cooking together");
    board.assert_every_course_served_once_and_complete(&menu);
}

#[test]
fn courses_are_served_as_they_reach_the_pass() {
    hidden::watchdog();
    let board = Board::new();
    let menu = five_course_meal();
    // The hot chef finishes the soup only once the caprese salad is on the table.
    let tiramisu_waited: Arc<Mutex<bool>> = Arc::default();
    let noted = Arc::clone(&tiramisu_waited);
    let recipes = menu.clone();
    let work = board.work(Box::new(move |board, dish, step| {
        if dish.name == "tomato soup"
            && step.action == "blend the soup"
            && !board.wait_for_served(&["caprese salad"], "the caprese salad to be served")
        {
            *noted.lock().unwrap() = board.lock().never_started(&recipes).contains(&"tiramisu");
        }
    }));
    let pass = cook_together_in_time(&board, &menu, work, false);
    board.assert_every_course_served_once_and_complete(&menu);
    assert!(
        board.servers() == HashSet::from([pass]),
        "courses were served on a thread other than the one that called cook_together: the calling thread is the pass"
    );
    let s = board.lock();
    if s.gave_up.is_empty() {
        return;
    }
    // Was the salad cooked while the soup waited, and only the serving late?
    let ended = |name: &str, step: &str| {
        s.log.iter().position(|e| matches!(e, Entry::Ended { dish, action } if dish == name && action == step))
    };
    let salad_done_in_time = matches!(
        (ended("caprese salad", "plate the salad"), ended("tomato soup", "blend the soup")),
        (Some(salad), Some(soup)) if salad < soup
    );
    if salad_done_in_time && *tiramisu_waited.lock().unwrap() {
        panic!(
            "the caprese salad was cooked, but not served while the hot chef was still making the soup (waited \
             {PATIENCE:?}), and the cold chef, done with the salad, had not begun the tiramisu: she was waiting, for \
             her next ticket or to hand the salad over. Is the pass still handing out tickets, one chef at a time? \
             A send on a channel of capacity 0 (`bounded(0)`) waits until the chef takes the ticket, and the hot \
             chef takes her next one only after the soup. Hand out every ticket without waiting (`unbounded()` \
             rails), then serve each course as it reaches the pass"
        );
    }
    if salad_done_in_time {
        panic!(
            "the caprese salad was cooked, but not served while the hot chef was still making the soup (waited \
             {PATIENCE:?}; served in the end: {:?}): serve each course as soon as it reaches the pass, while the \
             chefs are still cooking, not after they have finished",
            s.served()
        );
    }
    panic!(
        "the cold chef did not finish the caprese salad while the hot chef was blending the soup, a step that needs \
         no appliance (waited {PATIENCE:?}): do both chefs cook at the same time, each taking only what her step \
         needs, for as long as it needs it?"
    );
}

#[test]
fn opposite_orders_do_not_deadlock() {
    hidden::watchdog();
    let board = Board::new();
    board.lock().hold_first_takes = true;
    let menu = opposite_orders_menu();
    cook_together_in_time(&board, &menu, board.plain_work(), false);
    board.assert_every_course_served_once_and_complete(&menu);
    board.assert_every_step_held_what_it_needs("cooking together");
    assert!(
        board.lock().first_takes_met,
        "the lasagne and the tiramisu were never in the kitchen at the same time, so this proves nothing: each \
         chef cooks her own station's dishes, both at once"
    );
}

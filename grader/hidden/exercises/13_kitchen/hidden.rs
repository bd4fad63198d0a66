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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hidden::{PATIENCE, Rendezvous};
use kitchen::Appliance::{self, Fridge, Grill, Oven};
use kitchen::Station::{Cold, Hot};
use kitchen::{Dish, Kitchen, Notice, Station, Step, cook_alone, cook_together};

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

/// Two dishes, one per chef, that use every appliance in the same order; then
/// a few more that share the oven and the fridge.
fn crowded_menu() -> Vec<Dish> {
    let mut menu = vec![
        Dish::new(
            "roast chicken",
            Hot,
            vec![
                Step::new("roast the chicken", &[Oven]),
                Step::new("char the peppers", &[Grill]),
                Step::new("chill the sauce", &[Fridge]),
            ],
        ),
        Dish::new(
            "cheesecake",
            Cold,
            vec![
                Step::new("bake the base", &[Oven]),
                Step::new("toast the almonds", &[Grill]),
                Step::new("set the cake", &[Fridge]),
            ],
        ),
    ];
    for (hot, cold) in [("gratin", "meringue"), ("pie", "sorbet"), ("kebab", "trifle")] {
        menu.push(Dish::new(hot, Hot, vec![Step::new("bake", &[Oven]), Step::new("glaze", &[Oven, Fridge])]));
        menu.push(Dish::new(cold, Cold, vec![Step::new("chill", &[Fridge]), Step::new("crisp", &[Oven, Fridge])]));
    }
    menu
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
    Started { dish: String, action: String, chef: ThreadId },
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
        match notice {
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
        s.log.push(Entry::Started { dish: dish.name.clone(), action: step.action.clone(), chef: me });
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
/// thread's id. A kitchen that stops (a loop waiting on a channel nobody closes)
/// fails with a message instead of hanging: the test's own gates never hold
/// anything up for longer than the patience, so twice that without any news
/// from the kitchen means it is stuck.
fn cook_together_in_time(board: &Arc<Board>, menu: &[Dish], work: Work) -> ThreadId {
    let (kitchen, owned_menu, serve) = (board.kitchen(), menu.to_vec(), board.serve());
    let (done, finished) = mpsc::channel();
    let pass = thread::Builder::new()
        .name("the pass".into())
        .spawn(move || {
            cook_together(&kitchen, &owned_menu, work, serve);
            let _ = done.send(());
        })
        .expect("start the pass");
    let pass_id = pass.thread().id();
    let (mut seen, mut since) = (board.lock().progress, Instant::now());
    loop {
        match finished.recv_timeout(Duration::from_millis(20)) {
            Ok(()) => break,
            Err(RecvTimeoutError::Disconnected) => match pass.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => break,
            },
            Err(RecvTimeoutError::Timeout) => {}
        }
        let s = board.lock();
        if s.progress != seen {
            (seen, since) = (s.progress, Instant::now());
        } else if since.elapsed() > 2 * PATIENCE {
            let served = s.served();
            if served.len() >= menu.len() {
                panic!(
                    "every course was served ({served:?}), but cook_together had not returned {:?} later: \
                     `for dish in pass` ends only once every Sender of the pass is dropped, the chefs' clones and \
                     the pass's own (drop yours before the loop), and a chef's `for ticket in rail` only once the \
                     rail's Sender is dropped",
                    2 * PATIENCE
                );
            }
            panic!(
                "the kitchen stopped with {} of {} courses served ({served:?}) and no news for {:?}: is a chef or \
                 the pass waiting on a channel whose Sender is never dropped, or for a ticket that never comes?",
                served.len(),
                menu.len(),
                2 * PATIENCE
            );
        }
    }
    pass_id
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
    cook_together_in_time(&board, &menu, board.plain_work());
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
    let pass = cook_together_in_time(&board, &menu, work);
    board.assert_every_course_served_once_and_complete(&menu);
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
    let menu = five_course_meal();
    // The cold chef at the fridge and the hot chef at the grill must be in at once.
    let rv = Arc::new(Rendezvous::new(2));
    let probe = Arc::clone(&rv);
    let work = board.work(Box::new(move |_, dish, step| {
        let meet = [("caprese salad", "take out the mozzarella"), ("grilled sea bass", "grill the fish")];
        if meet.contains(&(dish.name.as_str(), step.action.as_str())) {
            drop(probe.arrive());
        }
    }));
    cook_together_in_time(&board, &menu, work);
    board.assert_every_course_served_once_and_complete(&menu);
    assert!(
        rv.all_met(),
        "the cold chef taking out the mozzarella and the hot chef grilling the fish were never at work at the same \
         time (at most {} of 2 at once): start both chefs before either cooks, let each take only what her step \
         needs, and do not make one chef wait for the other",
        rv.peak()
    );
}

#[test]
fn no_appliance_is_ever_used_by_two_chefs_at_once() {
    hidden::watchdog();
    let board = Board::new();
    board.lock().contested = HashSet::from(Appliance::ALL);
    let menu = crowded_menu();
    cook_together_in_time(&board, &menu, board.plain_work());
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
    let work = board.work(Box::new(|board, dish, step| {
        if dish.name == "tomato soup" && step.action == "blend the soup" {
            board.wait_for_served(&["caprese salad"], "the caprese salad to be served");
        }
    }));
    let pass = cook_together_in_time(&board, &menu, work);
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
    cook_together_in_time(&board, &menu, board.plain_work());
    board.assert_every_course_served_once_and_complete(&menu);
    board.assert_every_step_held_what_it_needs("cooking together");
    assert!(
        board.lock().first_takes_met,
        "the lasagne and the tiramisu were never in the kitchen at the same time, so this proves nothing: each \
         chef cooks her own station's dishes, both at once"
    );
}

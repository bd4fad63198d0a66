//! `cargo grade watch`: grades the current exercise, then again on every save
//! under its folder (file watching, debounced; an editor's save-and-rename
//! counts), with keys for the next exercise, hints, the list, a reset and a
//! check of everything. `--manual` grades on Enter instead, for file systems
//! where watching does not work.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use console::{Key, Term};
use notify::RecursiveMode;
use notify::event::{EventKind, ModifyKind};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use crate::catalogue::{Course, Exercise};
use crate::error::Error;
use crate::grade::{self, Options, Runner};
use crate::model::{Mode, Report};
use crate::progress::{self, State};
use crate::{history, render, reset};

/// How long the file system must be quiet before a save counts: an editor's
/// write-and-rename takes a millisecond or two; a burst of saves still grades once.
const DEBOUNCE: Duration = Duration::from_millis(10);

pub struct WatchOptions {
    /// Grade on Enter instead of on every save.
    pub manual: bool,
    /// The exercise to start with; the first without full marks when `None`.
    pub start: Option<String>,
    pub runner: Runner,
    pub record: bool,
}

enum Event {
    Changed(Vec<PathBuf>),
    Key(char),
    Enter,
    Quit,
}

/// Runs until the learner quits; returns the exit code.
pub fn run(course: &Course, opts: WatchOptions) -> Result<u8, Error> {
    let (tx, rx) = mpsc::channel();
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let mut screen = Screen::new(interactive)?;
    // Keep the watcher alive for the whole session.
    let (_watcher, mode) = if opts.manual {
        (None, "manual mode: press Enter to grade after you save".to_string())
    } else {
        match watch_files(&course.paths.exercises, tx.clone()) {
            Ok(w) => (Some(w), format!("watching {} for saves", shown(course, &course.paths.exercises))),
            Err(why) => {
                (None, format!("file watching is not available here ({why}): press Enter to grade after you save"))
            }
        }
    };
    let ready = read_keys(interactive, tx);
    let mut watch = Watch { course, opts: &opts, screen: &mut screen, mode, current: 0, hints_shown: 0, passed: false };
    watch.current = watch.start_index()?;
    watch.grade_current()?;
    watch.event_loop(&rx, &ready)
}

struct Watch<'a> {
    course: &'a Course,
    opts: &'a WatchOptions,
    screen: &'a mut Screen,
    mode: String,
    current: usize,
    hints_shown: usize,
    passed: bool,
}

impl Watch<'_> {
    fn exercise(&self) -> &Exercise {
        &self.course.exercises[self.current]
    }

    fn start_index(&self) -> Result<usize, Error> {
        let id = match &self.opts.start {
            Some(name) => self.course.select(std::slice::from_ref(name))?[0].id.clone(),
            None => {
                let standings = self.standings();
                let current = progress::current(&standings).or(standings.last());
                current.map(|s| s.id.clone()).unwrap_or_default()
            }
        };
        Ok(self.course.exercises.iter().position(|e| e.id == id).unwrap_or(0))
    }

    fn standings(&self) -> Vec<progress::Standing> {
        // An unreadable history shows as no progress; grading goes on.
        progress::read(self.course).unwrap_or_else(|_| progress::standings(self.course, &Default::default()))
    }

    /// `ready` lets the key reader take one more key: it waits between keys, so
    /// after the last one (quit) nothing holds the terminal in raw mode.
    fn event_loop(&mut self, rx: &Receiver<Event>, ready: &Sender<()>) -> Result<u8, Error> {
        let mut confirm_reset = false;
        let _ = ready.send(());
        while let Ok(event) = rx.recv() {
            let quits = matches!(event, Event::Quit | Event::Key('q')) && !confirm_reset;
            if !quits && !matches!(event, Event::Changed(_)) {
                let _ = ready.send(());
            }
            if confirm_reset {
                confirm_reset = false;
                if matches!(event, Event::Key('y') | Event::Key('Y')) {
                    let ex = self.exercise().clone();
                    match reset::reset(self.course, &ex) {
                        Ok(done) => {
                            if let Some(e) = &done.unrecorded {
                                self.screen.say(&format!("warning: {e}"));
                            }
                            let saved = shown(self.course, &done.backup);
                            self.screen
                                .say(&format!("Your src/ is saved in {saved}; {} is the starter again.", ex.dir));
                            self.grade_current()?;
                        }
                        Err(e) => self.screen.say(&format!("error: {e}")),
                    }
                } else {
                    self.screen.say("Not reset.");
                }
                continue;
            }
            match event {
                Event::Changed(paths) => {
                    let dir = self.course.paths.exercises.join(&self.exercise().dir);
                    // The exercise's own files; not a `target/` of `cargo test` inside it.
                    let own = |p: &PathBuf| {
                        p.strip_prefix(&dir).is_ok_and(|rel| !rel.components().any(|c| c.as_os_str() == "target"))
                    };
                    if paths.iter().any(own) {
                        // A burst of saves grades once.
                        while let Ok(Event::Changed(_)) = rx.try_recv() {}
                        self.grade_current()?;
                    }
                }
                Event::Enter => self.grade_current()?,
                Event::Key('q') | Event::Quit => break,
                Event::Key('n') => self.next()?,
                Event::Key('h') => self.hint(),
                Event::Key('l') => {
                    let list = progress::render_list(&self.standings());
                    self.screen.say(&list);
                    self.keys();
                }
                Event::Key('r') => {
                    let ex = self.exercise();
                    self.screen.say(&format!(
                        "Reset {} {} to its starter? Your src/ is saved in .threadlings/backup/ first. [y/N]",
                        ex.id, ex.title
                    ));
                    confirm_reset = true;
                }
                Event::Key('c') => self.check_all()?,
                Event::Key(_) => self.keys(),
            }
        }
        self.screen.say("Bye! `cargo grade watch` picks up where you left off.");
        Ok(0)
    }

    /// Grades `ids` (all when empty); the caller shows the report, then records it.
    fn grade(&self, ids: Vec<String>) -> Result<Report, Error> {
        let opts = Options { mode: Mode::Exercises, ids, runner: self.opts.runner.clone() };
        grade::grade(self.course, &opts)
    }

    /// Appends the report to the history, after it is on screen: the append
    /// waits for the disk.
    fn record(&mut self, report: &Report) {
        if self.opts.record
            && let Err(e) = history::append(&self.course.paths.history, &history::Record::of(report))
        {
            self.screen.say(&format!("warning: {e}"));
        }
    }

    fn grade_current(&mut self) -> Result<(), Error> {
        let ex = self.exercise().clone();
        self.screen.clear();
        self.screen.say(&format!("Grading {} {} ...", ex.id, ex.title));
        let report = self.grade(vec![ex.id.clone()])?;
        self.screen.clear();
        self.screen.say(&render::text(&report, self.course, self.screen.style()));
        // Before the next exercise is worked out from the history.
        self.record(&report);
        self.passed = report.all_passed();
        if self.passed {
            let mut text = if report.mode == Mode::Visible {
                // A student copy: no hidden tests and no reference solution here.
                format!(
                    "The visible tests of {} {} pass! Commit and push: the hidden tests grade it in CI.",
                    ex.id, ex.title
                )
            } else {
                format!(
                    "Full marks for {} {}! Compare with the reference solution: `cargo grade solution {}`.",
                    ex.id, ex.title, ex.id
                )
            };
            match self.next_index() {
                Some(i) => {
                    let next = &self.course.exercises[i];
                    text.push_str(&format!("\nPress n for the next exercise: {} {}.", next.id, next.title));
                }
                None => text.push_str("\nEvery exercise is done. Well done!"),
            }
            self.screen.say(&text);
        }
        self.status();
        Ok(())
    }

    /// The first exercise after the current one without full marks.
    fn next_index(&self) -> Option<usize> {
        let standings = self.standings();
        (self.current + 1..self.course.exercises.len()).find(|&i| standings[i].state != State::Done)
    }

    fn next(&mut self) -> Result<(), Error> {
        if !self.passed {
            let ex = self.exercise();
            self.screen
                .say(&format!("{} is not passing yet: `n` moves on once it has full marks (h for a hint).", ex.id));
            return Ok(());
        }
        match self.next_index() {
            Some(i) => {
                self.current = i;
                self.hints_shown = 0;
                self.grade_current()
            }
            None => {
                self.screen.say("There is no exercise left without full marks.");
                Ok(())
            }
        }
    }

    fn hint(&mut self) {
        let ex = self.exercise();
        let n = (self.hints_shown + 1).min(ex.hints.len());
        let more = if n < ex.hints.len() { " (h again for the next)" } else { " (the last one)" };
        let text = format!("Hint {n} of {}{more}:\n{}", ex.hints.len(), ex.hints[n - 1]);
        let id = ex.id.clone();
        self.hints_shown = n;
        self.screen.say(&text);
        if self.opts.record
            && let Err(e) = history::append_hint(&self.course.paths.history, &history::HintRecord::now(&id, n as u32))
        {
            self.screen.say(&format!("warning: {e}"));
        }
    }

    fn check_all(&mut self) -> Result<(), Error> {
        self.screen.say("Grading every exercise ...");
        let report = self.grade(Vec::new())?;
        self.record(&report);
        let mut text = String::new();
        for ex in &report.exercises {
            let mark = if ex.score == ex.max_score { "✓" } else { " " };
            text.push_str(&format!("  {mark} {:<4}{:<36}{:>3}/{}\n", ex.id, ex.title, ex.score, ex.max_score));
        }
        text.push_str(&format!("Score: {}/{}", report.score, report.max_score));
        self.screen.say(&text);
        self.status();
        Ok(())
    }

    fn status(&mut self) {
        let standings = self.standings();
        let done = standings.iter().filter(|s| s.state == State::Done).count();
        let points: u32 = standings.iter().filter_map(|s| s.points).sum();
        let max: u32 = standings.iter().map(|s| s.max).sum();
        let width = 26;
        let filled = if max == 0 { 0 } else { (points as usize * width) / max as usize };
        let bar = format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled));
        let text = format!("{bar} {done}/{} exercises done, {points}/{max} points ({})", standings.len(), self.mode);
        self.screen.say(&text);
        self.keys();
    }

    fn keys(&mut self) {
        let enter = if self.mode.contains("Enter") { "Enter grade · " } else { "" };
        self.screen.say(&format!("{enter}n next · h hint · l list · r reset · c check all · q quit"));
    }
}

/// Watches `dir` recursively; changed paths arrive on `tx`.
fn watch_files(dir: &Path, tx: Sender<Event>) -> Result<impl Drop, String> {
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            // Writes, creations, renames and removals; not reads (grading reads
            // the sources, which must not start another grade) nor metadata.
            let paths: Vec<PathBuf> = events
                .into_iter()
                .filter(|e| match e.event.kind {
                    EventKind::Create(_) | EventKind::Remove(_) => true,
                    EventKind::Modify(kind) => !matches!(kind, ModifyKind::Metadata(_)),
                    _ => false,
                })
                .flat_map(|e| e.event.paths)
                .collect();
            if !paths.is_empty() {
                let _ = tx.send(Event::Changed(paths));
            }
        }
    })
    .map_err(|e| e.to_string())?;
    debouncer.watch(dir, RecursiveMode::Recursive).map_err(|e| e.to_string())?;
    Ok(debouncer)
}

/// Keys from the terminal (one at a time, raw), or lines from a pipe: a
/// line's first letter is a key, an empty line is Enter. The reader reads a
/// key only after each signal on the returned sender.
fn read_keys(interactive: bool, tx: Sender<Event>) -> Sender<()> {
    let (ready, go) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let term = Term::stdout();
        let mut line = String::new();
        while go.recv().is_ok() {
            let event = if interactive {
                match term.read_key_raw() {
                    Ok(Key::CtrlC | Key::Escape) => Event::Quit,
                    Ok(Key::Enter) => Event::Enter,
                    Ok(Key::Char(c)) => Event::Key(c.to_ascii_lowercase()),
                    Ok(_) => Event::Key(' '),
                    Err(_) => Event::Quit,
                }
            } else {
                line.clear();
                match std::io::stdin().read_line(&mut line) {
                    Ok(n) if n > 0 => line.trim().chars().next().map_or(Event::Enter, Event::Key),
                    _ => Event::Quit,
                }
            };
            if tx.send(event).is_err() {
                break;
            }
        }
    });
    ready
}

fn shown(course: &Course, path: &Path) -> String {
    path.strip_prefix(&course.root).unwrap_or(path).display().to_string()
}

/// The terminal while watch runs: keys neither echoed nor line-buffered nor
/// turned into signals (Ctrl-C is a key that quits cleanly), restored on drop.
struct Screen {
    raw: bool,
    saved: Option<libc::termios>,
}

impl Screen {
    fn new(interactive: bool) -> Result<Screen, Error> {
        let saved = if interactive { quiet_keys() } else { None };
        Ok(Screen { raw: saved.is_some(), saved })
    }

    fn style(&self) -> render::Style {
        if self.raw && std::env::var_os("NO_COLOR").is_none() { render::Style::Color } else { render::Style::Plain }
    }

    fn clear(&mut self) {
        if self.raw {
            let _ = Term::stdout().clear_screen();
        }
    }

    /// Prints `text` and a newline.
    fn say(&mut self, text: &str) {
        let text = format!("{}\n", text.trim_end_matches('\n'));
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if let Some(saved) = self.saved {
            // SAFETY: `saved` came from `tcgetattr` on the same descriptor.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &saved) };
        }
    }
}

/// Switches the terminal on stdin to unechoed single keys; returns the
/// settings to restore, or `None` when stdin is no terminal.
fn quiet_keys() -> Option<libc::termios> {
    // SAFETY: a zeroed termios is a valid buffer for `tcgetattr` to fill.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: plain calls on stdin with a valid termios pointer.
    if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
        return None;
    }
    let mut quiet = saved;
    quiet.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
    quiet.c_cc[libc::VMIN] = 1;
    quiet.c_cc[libc::VTIME] = 0;
    // SAFETY: as above.
    (unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSADRAIN, &quiet) } == 0).then_some(saved)
}

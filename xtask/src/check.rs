//! The course check: is the course still sound? Catalogue and directories agree;
//! every recorded starter fails every hidden test and every solution passes them
//! all, run after run with the same verdicts; every wrong solution is caught.
//!
//! All of it is one grading batch: the starters, solutions and wrong solutions
//! of the selected exercises are members of one scratch workspace, built in one
//! cargo call and run in one pool of test processes.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use grader::catalogue::{Course, Exercise};
use grader::error::Error;
use grader::grade::{self, Runner, Submission};
use grader::model::{ExerciseResult, Status};
use grader::process;
use grader::stage::Scratch;

use crate::hidden_style;
use crate::layout;
use crate::lint;
use crate::starters::{self, Record, Starter};
use crate::variants::{self, Kind, Variant};

/// Test processes at once per CPU in the check's pool.
pub const CHECK_JOBS_PER_CPU: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Times to grade everything; verdicts must not change between runs.
    pub runs: usize,
    /// Exercises to grade (ids, dirs or crates); all when empty. Layout is always
    /// checked for the whole course.
    pub ids: Vec<String>,
    /// CPU-bound processes kept running beside the check, to prove verdicts hold
    /// on a loaded machine.
    pub hogs: usize,
    /// Fail when an exercise's `src/` is not its recorded starter, instead of
    /// taking it for a learner's work: for authors before they publish.
    pub strict: bool,
    /// Cargo's target directory; the grader's default when `None`.
    pub target_dir: Option<PathBuf>,
    /// Show cargo's build progress on stderr.
    pub show_build: bool,
    /// Lint the shipped code as graded: rustfmt and clippy on solutions,
    /// right and wrong solutions, and clippy on the hidden tests. The author's
    /// check and `.ci/run` do; `cargo test` leaves it out (a clippy pass over
    /// every variant costs a minute and a tenth of the disk).
    pub lint: bool,
    /// Stage and lint only, grade nothing (`.ci/run`, after `cargo test` graded).
    pub lint_only: bool,
    /// With `lint`: rustfmt only, no clippy on solutions, variants or hidden
    /// tests (the lints' own test, which needs no second check of every
    /// dependency).
    pub no_clippy: bool,
}

/// What one grading of one exercise found.
#[derive(Debug, Clone, Default)]
pub struct ExerciseCheck {
    pub id: String,
    pub dir: String,
    /// Why the starter was not graded, when it was not.
    pub starter_skipped: Option<String>,
    pub starter: Vec<String>,
    pub solution: Vec<String>,
    pub wrong: Vec<String>,
    /// Problems of the right solutions (correct code in other styles).
    pub right: Vec<String>,
    /// (submission key, test) -> verdict, to compare runs.
    pub verdicts: BTreeMap<(String, String), Status>,
    pub points: Points,
}

/// Points and counts for the run summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Points {
    pub starter: (u32, u32),
    pub solution: (u32, u32),
    /// Wrong solutions caught, of all.
    pub wrong: (usize, usize),
    /// Right solutions with full marks, of all.
    pub right: (usize, usize),
}

impl ExerciseCheck {
    pub fn problems(&self) -> impl Iterator<Item = &String> {
        self.starter.iter().chain(&self.solution).chain(&self.wrong).chain(&self.right)
    }
}

/// Static problems: the layout of the selected exercises (all when `ids` is
/// empty), wrong-solution headers, the starter record, and hidden tests that
/// `rustfmt --check` would change.
pub fn static_problems(course: &Course, ids: &[String]) -> Result<Vec<String>, Error> {
    let only: Vec<String> = if ids.is_empty() { Vec::new() } else { ids.to_vec() };
    let mut problems = layout::problems(course, &only);
    let (found, header_problems) = variants::discover(course);
    problems.extend(header_problems.into_iter().filter(|p| {
        only.is_empty() || found.iter().any(|v| only.contains(&v.id) && p.starts_with(&v.file.display().to_string()))
    }));
    for v in found.iter().filter(|v| only.is_empty() || only.contains(&v.id)) {
        problems.extend(v.source(course).err());
    }
    let record = Record::load(course)?;
    for ex in course.exercises.iter().filter(|e| only.is_empty() || only.contains(&e.id)) {
        if record.status(course, ex)? == Starter::Pristine {
            problems.extend(layout::starter_files_in_solution(course, ex));
        }
        if !record.digests.contains_key(&ex.dir) {
            problems.push(format!(
                "exercise {} ({}): {} has no digest of its starter: run `{}`",
                ex.id,
                ex.dir,
                starters::RECORD,
                starters::UPDATE
            ));
        }
    }
    let selected: Vec<&Exercise> =
        course.exercises.iter().filter(|e| only.is_empty() || only.contains(&e.id)).collect();
    problems.extend(hidden_style::format_problems(course, &selected)?);
    Ok(problems)
}

/// Grades the starters, solutions, wrong and right solutions of `selected` in
/// one batch; progress lines go to `progress`.
pub fn grade_exercises(
    course: &Course,
    selected: &[&Exercise],
    opts: &CheckOptions,
    progress: &mut (dyn Write + Send),
) -> Result<Vec<ExerciseCheck>, Error> {
    let record = Record::load(course)?;
    let (found, _) = variants::discover(course);
    let found: Vec<&Variant> = found.iter().filter(|v| selected.iter().any(|e| e.id == v.id)).collect();
    let scratch = grade::default_scratch(course);
    // Per process: two checks at once must not rewrite each other's trees.
    let variant_root = scratch.join("check-sources").join(std::process::id().to_string());
    let mut checks: Vec<ExerciseCheck> =
        selected.iter().map(|e| ExerciseCheck { id: e.id.clone(), dir: e.dir.clone(), ..Default::default() }).collect();
    // A patch that no longer applies is named, and its variant not graded.
    let mut ready = Vec::new();
    for v in found {
        match v.source(course) {
            Ok((file, text)) => ready.push((v, file, text)),
            Err(problem) => checks.iter_mut().find(|c| c.id == v.id).expect("selected").wrong.push(problem),
        }
    }
    variants::materialize(course, &ready, &variant_root)?;
    let found: Vec<&Variant> = ready.iter().map(|(v, _, _)| *v).collect();
    // Exercise by exercise, so progress can be told as each one finishes;
    // within one, wrong solutions first: they wait out patiences and timeouts.
    let mut submissions = Vec::new();
    let mut roles = Vec::new();
    for (ex, check) in selected.iter().zip(&mut checks) {
        for v in found.iter().filter(|v| v.id == ex.id) {
            let mut sub = Submission::new(ex, &v.key(), &variant_root.join(v.key()));
            if v.kind == Kind::Wrong {
                sub.only = Some(v.must_fail.clone());
            }
            submissions.push(sub);
            roles.push(Role::Variant(v));
        }
        match record.status(course, ex)? {
            Starter::Pristine => {
                submissions.push(Submission::new(ex, "starter", &course.paths.exercises));
                roles.push(Role::Starter);
            }
            Starter::Changed if opts.strict => check.starter.push(format!(
                "exercise {}: {} differs from its recorded starter in {}: if the change is meant, run `{}`",
                ex.id,
                course.paths.exercises.join(&ex.dir).join("src").display(),
                starters::RECORD,
                starters::UPDATE
            )),
            Starter::Changed => {
                check.starter_skipped = Some(format!(
                    "exercises/{}/src/ is not the recorded starter (a learner's work): its starter check is skipped",
                    ex.dir
                ))
            }
            Starter::Unrecorded => check.starter.push(format!(
                "exercise {}: no recorded starter in {}: run `{}`",
                ex.id,
                starters::RECORD,
                starters::UPDATE
            )),
        }
        submissions.push(Submission::solution(course, ex, "solution"));
        roles.push(Role::Solution);
    }

    let count = |kind| found.iter().filter(|v| v.kind == kind).count();
    let kinds = format!(
        "{} starters, {} solutions, {} wrong and {} right solutions",
        roles.iter().filter(|r| matches!(r, Role::Starter)).count(),
        selected.len(),
        count(Kind::Wrong),
        count(Kind::Right)
    );
    let _ = writeln!(progress, "course check: building {kinds} of {} exercises in one batch ...", selected.len());
    let start = Instant::now();
    let progress = Mutex::new(progress);
    let left: Mutex<BTreeMap<&str, usize>> = Mutex::new(BTreeMap::new());
    for sub in &submissions {
        *left.lock().unwrap().entry(sub.exercise.id.as_str()).or_default() += 1;
    }
    let exercises_done = Mutex::new(0);
    let on_done = |i: usize| {
        let ex = submissions[i].exercise;
        let mut left = left.lock().unwrap();
        let n = left.get_mut(ex.id.as_str()).expect("counted");
        *n -= 1;
        if *n == 0 {
            let mut done = exercises_done.lock().unwrap();
            *done += 1;
            let _ = writeln!(
                progress.lock().unwrap(),
                "course check: {} {} graded ({} of {} exercises, {:.0} s)",
                ex.id,
                ex.title,
                *done,
                selected.len(),
                start.elapsed().as_secs_f64()
            );
        }
    };
    // Most hidden-test time in a check is wrong solutions sleeping out a
    // rendezvous patience, not CPU: a wider pool than a learner's grade.
    let jobs = CHECK_JOBS_PER_CPU * grader::limits::cpus();
    let runner = Runner { show_build: opts.show_build, jobs, target_dir: opts.target_dir.clone(), ..Runner::default() };
    let label = batch_label(course, selected);
    let results = if opts.lint_only {
        Scratch::open(&scratch, &label).and_then(|s| s.stage(course, &label, &submissions)).map(|_| Vec::new())
    } else {
        grade::grade_batch(course, &label, &submissions, &runner, &on_done)
    };
    let _ = std::fs::remove_dir_all(&variant_root);
    let results = results?;
    if !opts.lint && !opts.lint_only {
        return Ok(judged(checks, &submissions, &roles, &results));
    }

    // The staged crates are the shipped code as graded: lint them there.
    let scratch = Scratch::open(&scratch, &label)?;
    let ws = scratch.workspace(&label);
    let mut members = Vec::new();
    let mut owners = Vec::new();
    for (sub, role) in submissions.iter().zip(&roles) {
        let (id, dir) = (&sub.exercise.id, &sub.exercise.dir);
        let edit = |v: &Variant| {
            format!(
                "run `cargo xtask wrong edit {id} {n}`, fix the file, then `cargo xtask wrong save {id} {n}`",
                n = v.name
            )
        };
        let (name, fix, wrong) = match role {
            Role::Starter => continue,
            Role::Solution => (
                format!("solutions/{dir}/src (over the starter's)"),
                format!("run `rustfmt --edition 2024 solutions/{dir}/src/lib.rs` or fix what clippy says"),
                false,
            ),
            Role::Variant(v) if v.kind == Kind::Wrong => (v.label(), edit(v), true),
            Role::Variant(v) => (v.label(), "fix the file".to_string(), false),
        };
        members.push(lint::Member { dir: scratch.member(&label, &sub.key, dir), name, fix, wrong });
        owners.push((id.clone(), role));
    }
    let target_dir = opts.target_dir.clone().unwrap_or_else(|| scratch.target_dir());
    let problems = lint::problems(&ws, &target_dir, &members, !opts.no_clippy)?;
    for problem in problems {
        let at = members.iter().position(|m| problem.starts_with(&format!("{}: ", m.name))).expect("named");
        let (id, role) = &owners[at];
        let check = checks.iter_mut().find(|c| &c.id == id).expect("selected");
        match role {
            Role::Solution => check.solution.push(problem),
            Role::Variant(v) if v.kind == Kind::Wrong => check.wrong.push(problem),
            _ => check.right.push(problem),
        }
    }
    drop(scratch);
    Ok(judged(checks, &submissions, &roles, &results))
}

/// Each result judged by the role of its submission.
fn judged(
    mut checks: Vec<ExerciseCheck>,
    submissions: &[Submission],
    roles: &[Role],
    results: &[ExerciseResult],
) -> Vec<ExerciseCheck> {
    for ((sub, role), result) in submissions.iter().zip(roles).zip(results) {
        let check = checks.iter_mut().find(|c| c.id == sub.exercise.id).expect("selected");
        for t in &result.tests {
            check.verdicts.insert((sub.key.clone(), t.name.clone()), t.status);
        }
        match role {
            Role::Starter => judge_starter(check, result),
            Role::Solution => judge_solution(check, result),
            Role::Variant(v) if v.kind == Kind::Wrong => judge_wrong(check, result, v),
            Role::Variant(v) => judge_right(check, result, v),
        }
    }
    checks
}

/// `check` for the whole course, `check-04-05` for a selection: checks of
/// different exercises run at once without waiting for each other's workspace.
fn batch_label(course: &Course, selected: &[&Exercise]) -> String {
    if selected.len() == course.exercises.len() {
        return "check".into();
    }
    let ids: Vec<&str> = selected.iter().map(|e| e.id.as_str()).collect();
    format!("check-{}", ids.join("-"))
}

enum Role<'a> {
    Starter,
    Solution,
    Variant(&'a Variant),
}

fn first_line(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    if line.is_empty() { String::new() } else { format!(": {line}") }
}

fn judge_starter(check: &mut ExerciseCheck, result: &ExerciseResult) {
    check.points.starter = (result.score, result.max_score);
    if !result.build_message.is_empty() {
        let why = first_line(&result.build_message);
        check.starter.push(format!("the starter of {} does not build (starters must compile){why}", result.id));
        return;
    }
    for t in result.tests.iter().filter(|t| t.status == Status::Passed) {
        check.starter.push(format!("the starter of {} passes hidden test '{}'", result.id, t.name));
    }
    not_run(&mut check.starter, &format!("the starter of {}", result.id), result);
}

/// Tests the grader could not run prove nothing either way: each is a problem.
fn not_run(problems: &mut Vec<String>, at: &str, result: &ExerciseResult) -> bool {
    let mut any = false;
    for t in result.tests.iter().filter(|t| t.status == Status::NotRun) {
        problems.push(format!("{at}: hidden test '{}' could not run{}", t.name, first_line(&t.message)));
        any = true;
    }
    any
}

fn judge_solution(check: &mut ExerciseCheck, result: &ExerciseResult) {
    check.points.solution = (result.score, result.max_score);
    for t in result.tests.iter().filter(|t| t.status != Status::Passed) {
        let why = first_line(if t.message.is_empty() { &result.build_message } else { &t.message });
        check.solution.push(format!(
            "the solution of {} does not pass hidden test '{}' ({}){why}",
            result.id,
            t.name,
            t.status.as_str()
        ));
    }
}

fn judge_right(check: &mut ExerciseCheck, result: &ExerciseResult, v: &Variant) {
    check.points.right.1 += 1;
    let at = v.label();
    let failing: Vec<_> = result.tests.iter().filter(|t| t.status != Status::Passed).collect();
    if failing.is_empty() {
        check.points.right.0 += 1;
    }
    for t in failing {
        let why = first_line(if t.message.is_empty() { &result.build_message } else { &t.message });
        check.right.push(format!(
            "{at} is correct but does not pass hidden test '{}' ({}){why}",
            t.name,
            t.status.as_str()
        ));
    }
}

fn judge_wrong(check: &mut ExerciseCheck, result: &ExerciseResult, w: &Variant) {
    check.points.wrong.1 += 1;
    let at = w.label();
    if !result.build_message.is_empty() {
        let why = first_line(&result.build_message);
        check.wrong.push(format!("{at} does not build, so it proves nothing{why}"));
        return;
    }
    if not_run(&mut check.wrong, &at, result) {
        return;
    }
    let passed: Vec<&str> =
        result.tests.iter().filter(|t| t.status == Status::Passed).map(|t| t.name.as_str()).collect();
    if passed.is_empty() {
        check.points.wrong.0 += 1;
    }
    for name in passed {
        check.wrong.push(format!("{at}: hidden test '{name}' passed this wrong solution"));
    }
}

/// `cargo xtask check`: the static problems, then `runs` gradings with their
/// verdicts compared. Returns every problem found.
pub fn run(root: &Path, opts: &CheckOptions, out: &mut (dyn Write + Send)) -> Result<Vec<String>, Error> {
    let course = Course::load(root)?;
    let selected = course.select(&opts.ids)?;
    let ids: Vec<String> =
        if opts.ids.is_empty() { Vec::new() } else { selected.iter().map(|e| e.id.clone()).collect() };
    let mut problems = static_problems(&course, &ids)?;
    if !problems.is_empty() {
        return Ok(report(out, problems));
    }
    if (opts.lint || opts.lint_only) && !opts.no_clippy {
        let _ = writeln!(out, "course check: clippy on the hidden tests ...");
        problems.extend(hidden_style::clippy_problems(&course, &selected)?);
    }
    if opts.lint_only {
        let _ = writeln!(out, "course check: formatting and clippy on the solutions and their variants ...");
        for c in grade_exercises(&course, &selected, opts, out)? {
            problems.extend(c.problems().cloned());
        }
        return Ok(report(out, problems));
    }
    let _hogs = start_hogs(opts.hogs)?;
    if opts.hogs > 0 {
        let _ = writeln!(out, "with {} CPU-bound processes running beside the check", opts.hogs);
    }
    let mut seen: BTreeMap<(String, String, String), Status> = BTreeMap::new();
    for n in 1..=opts.runs.max(1) {
        let start = Instant::now();
        let checks = grade_exercises(&course, &selected, opts, out)?;
        let mut total = Points::default();
        let mut skipped = Vec::new();
        for c in &checks {
            let add = |a: &mut (u32, u32), b: (u32, u32)| *a = (a.0 + b.0, a.1 + b.1);
            add(&mut total.starter, c.points.starter);
            add(&mut total.solution, c.points.solution);
            total.wrong = (total.wrong.0 + c.points.wrong.0, total.wrong.1 + c.points.wrong.1);
            total.right = (total.right.0 + c.points.right.0, total.right.1 + c.points.right.1);
            if let Some(note) = &c.starter_skipped {
                let _ = writeln!(out, "note: {note}");
                skipped.push(c.id.clone());
            }
            problems.extend(c.problems().map(|p| format!("run {n}: {p}")));
            for ((key, test), status) in &c.verdicts {
                let at = (c.id.clone(), key.clone(), test.clone());
                if let Some(before) = seen.insert(at, *status).filter(|b| b != status) {
                    problems.push(format!(
                        "run {n}: the verdict of {} '{test}' ({key}) changed from {} to {}",
                        c.id,
                        before.as_str(),
                        status.as_str()
                    ));
                }
            }
        }
        let skipped =
            if skipped.is_empty() { String::new() } else { format!(" ({} skipped: learner work)", skipped.join(", ")) };
        let _ = writeln!(
            out,
            "run {n}/{}: starters {}/{}{skipped}, solutions {}/{}, wrong solutions caught {}/{}, right solutions full marks {}/{} ({:.1} s)",
            opts.runs.max(1),
            total.starter.0,
            total.starter.1,
            total.solution.0,
            total.solution.1,
            total.wrong.0,
            total.wrong.1,
            total.right.0,
            total.right.1,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(report(out, problems))
}

/// Busy loops in processes of their own, stopped when the returned values drop.
fn start_hogs(n: usize) -> Result<Vec<process::Background>, Error> {
    (0..n)
        .map(|_| {
            let mut cmd = Command::new("sh");
            cmd.args(["-c", "while :; do :; done"]);
            process::start_background(cmd).map_err(|e| Error::Tool { tool: "sh".into(), why: e.to_string() })
        })
        .collect()
}

fn report(out: &mut dyn Write, problems: Vec<String>) -> Vec<String> {
    if problems.is_empty() {
        let _ = writeln!(out, "the course is sound");
    } else {
        let _ = writeln!(out, "{} problem(s):", problems.len());
        for p in &problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
    problems
}

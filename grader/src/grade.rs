//! The grading pipeline: stage, build once, run every hidden test, score.
//!
//! The unit of work is a [`Submission`]: one source tree graded as one exercise.
//! A learner's grade is one submission per selected exercise; the course check
//! grades starters, solutions and wrong solutions of many exercises in one batch,
//! so one cargo build and one pool of test processes serve them all.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::catalogue::{Course, Exercise, TestSpec};
use crate::compile::{self, Built};
use crate::error::Error;
use crate::model::{ExerciseResult, Mode, Report, Status, TestResult};
use crate::process;
use crate::run::{self, Job};
use crate::sandbox::Sandbox;
use crate::stage::{Scratch, Staged};

/// Where and how a batch is built and run.
#[derive(Debug, Clone)]
pub struct Runner {
    /// Test processes run at once.
    pub jobs: usize,
    /// Grader-owned scratch directory; `<course>/target/threadlings` by default.
    pub scratch: Option<PathBuf>,
    /// Cargo's target directory; `<scratch>/target` by default. Courses that share
    /// one build their common dependencies once.
    pub target_dir: Option<PathBuf>,
    /// Show cargo's build progress on stderr.
    pub show_build: bool,
    /// Show a progress bar of the test runs on stderr (on a terminal only).
    pub show_progress: bool,
}

impl Default for Runner {
    fn default() -> Runner {
        let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
        Runner { jobs, scratch: None, target_dir: None, show_build: false, show_progress: false }
    }
}

/// A learner's (or the solutions') grading run.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Exercise ids, directories or crate names; all when empty.
    pub ids: Vec<String>,
    pub runner: Runner,
}

impl Options {
    pub fn new(mode: Mode) -> Options {
        Options { mode, ids: Vec::new(), runner: Runner::default() }
    }
}

/// One source tree graded as one exercise.
#[derive(Debug, Clone)]
pub struct Submission<'a> {
    pub exercise: &'a Exercise,
    /// Names the submission inside its batch: its crate is staged at
    /// `<key>/<dir>/` in the scratch workspace ("exercises", "solutions",
    /// "wrong-<name>", ...). Letters, digits, `_` and `-` only.
    pub key: String,
    /// A tree shaped like `exercises/`: the sources are `<sources>/<dir>/src/`.
    pub sources: PathBuf,
    /// A tree shaped like `exercises/` whose files lie under the sources' (a
    /// solution's starter; see [`crate::layers`]).
    pub under: Option<PathBuf>,
    /// The hidden tests to run; all of them when `None`.
    pub only: Option<Vec<String>>,
}

impl<'a> Submission<'a> {
    pub fn new(exercise: &'a Exercise, key: &str, sources: &Path) -> Submission<'a> {
        Submission { exercise, key: key.into(), sources: sources.to_path_buf(), under: None, only: None }
    }

    /// The reference solution of `exercise`, layered over its starter.
    pub fn solution(course: &Course, exercise: &'a Exercise, key: &str) -> Submission<'a> {
        Submission {
            under: Some(course.paths.exercises.clone()),
            ..Submission::new(exercise, key, &course.paths.solutions)
        }
    }

    fn wants(&self, test: &TestSpec) -> bool {
        self.only.as_ref().is_none_or(|names| names.contains(&test.name))
    }
}

/// Grades the selected exercises of `course`.
pub fn grade(course: &Course, opts: &Options) -> Result<Report, Error> {
    let selected = course.select(&opts.ids)?;
    let (key, sources) = match opts.mode {
        Mode::Exercises => ("exercises", &course.paths.exercises),
        Mode::Solutions => ("solutions", &course.paths.solutions),
    };
    let submissions: Vec<Submission> = selected
        .iter()
        .map(|ex| match opts.mode {
            Mode::Exercises => Submission::new(ex, key, sources),
            Mode::Solutions => Submission::solution(course, ex, key),
        })
        .collect();
    // Submission times come from git while cargo builds: off the critical path.
    let (results, commits) = std::thread::scope(|s| {
        let commits = s.spawn(|| {
            selected.iter().map(|ex| last_commit(&course.root, &sources.join(&ex.dir).join("src"))).collect::<Vec<_>>()
        });
        let results = grade_batch(course, key, &submissions, &opts.runner, &|_| {});
        (results, commits.join().unwrap_or_else(|_| vec![None; selected.len()]))
    });
    let mut results = results?;
    for ((result, ex), commit) in results.iter_mut().zip(&selected).zip(commits) {
        if let Some((secs, stamp)) = commit {
            result.late = ex.due_secs().map(|due| secs > due);
            result.submitted_at = Some(stamp);
        }
    }
    Ok(Report::new(opts.mode, results))
}

/// When `path` was last committed: seconds since the epoch and RFC 3339, from
/// its own history in git (so a later commit elsewhere does not move it);
/// `None` outside a git repository, without git, or for a path never committed.
pub fn last_commit(repo: &Path, path: &Path) -> Option<(u64, String)> {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(repo).args(["log", "-1", "--format=%ct %cI", "--"]).arg(path);
    let done = process::run(cmd, &process::Limits::tool(std::time::Duration::from_secs(30))).ok()?;
    if done.exit != Some(process::Exit::Code(0)) {
        return None;
    }
    let text = done.stdout.text();
    let (secs, stamp) = text.trim().split_once(' ')?;
    Some((secs.parse().ok()?, stamp.to_string()))
}

/// Grades `submissions` in the scratch workspace `label`: one cargo build for
/// all of them, then one pool of test processes. Results come back in the order
/// of `submissions`; `done` hears the index of each submission whose tests have
/// all finished.
pub fn grade_batch(
    course: &Course,
    label: &str,
    submissions: &[Submission],
    runner: &Runner,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<ExerciseResult>, Error> {
    let scratch_dir = runner.scratch.clone().unwrap_or_else(|| default_scratch(course));
    let scratch = Scratch::open(&scratch_dir, label)?;
    let workspace = scratch.workspace(label);
    let staged = scratch.stage(course, label, submissions)?;
    let target_dir = runner.target_dir.clone().unwrap_or_else(|| scratch.target_dir());

    let crates: Vec<(PathBuf, String)> =
        staged.iter().filter_map(|s| s.as_ref().ok().map(|s| (s.manifest.clone(), s.package.clone()))).collect();
    let built = compile::build(&workspace, &target_dir, &crates, runner.show_build)?;

    // Plan every test of every submission, then run them all in one pool.
    let mut plans = Vec::new();
    let mut jobs = Vec::new();
    for (owner, (sub, staged)) in submissions.iter().zip(&staged).enumerate() {
        let plan = plan(sub.exercise, staged, &built, &workspace);
        if let Plan::Run { exe, names } = &plan {
            for spec in sub.exercise.tests.iter().filter(|t| sub.wants(t) && names.contains(&t.name)) {
                jobs.push(Job {
                    exe: exe.clone(),
                    name: spec.name.clone(),
                    repeat: spec.repeat,
                    timeout_secs: sub.exercise.timeout_secs,
                    workspace: workspace.clone(),
                    owner,
                });
            }
        }
        plans.push(plan);
    }
    // A submission with nothing to run is done before the pool starts.
    for (owner, _) in submissions.iter().enumerate().filter(|(i, _)| !jobs.iter().any(|j| j.owner == *i)) {
        done(owner);
    }
    let sandbox = Sandbox::detect(run::TASK_CAP);
    let bar = if runner.show_progress { ProgressBar::new(jobs.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("running hidden tests [{bar:30}] {pos}/{len}")
            .expect("valid template")
            .progress_chars("#>-"),
    );
    let job_done = |owner: usize, last: bool| {
        bar.inc(1);
        if last {
            done(owner);
        }
    };
    let outcomes = run::run_all(&jobs, runner.jobs, &sandbox, &job_done);
    bar.finish_and_clear();
    let mut outcomes: HashMap<(usize, &str), run::Outcome> =
        jobs.iter().zip(outcomes).map(|(job, o)| ((job.owner, job.name.as_str()), o)).collect();

    let mut results = Vec::new();
    for (owner, (sub, plan)) in submissions.iter().zip(plans).enumerate() {
        let ex = sub.exercise;
        let relabel = |m: &str| relabel(m, &workspace, sub, &course.root);
        let wanted = ex.tests.iter().filter(|t| sub.wants(t));
        let (build_message, tests) = match plan {
            Plan::NotBuilt(message) => {
                let tests = wanted.map(|t| not_run(t, Status::NotBuilt, "the exercise did not build")).collect();
                (relabel(&message), tests)
            }
            Plan::Run { names, .. } => {
                let tests = wanted
                    .map(|spec| {
                        if !names.contains(&spec.name) {
                            return not_run(spec, Status::NotBuilt, "this hidden test is missing from the test build (a course bug: run `cargo xtask check`)");
                        }
                        let o = outcomes.remove(&(owner, spec.name.as_str())).expect("one outcome per job");
                        TestResult {
                            name: spec.name.clone(),
                            status: o.status,
                            score: if o.status == Status::Passed { spec.points } else { 0 },
                            max_score: spec.points,
                            repeat: spec.repeat,
                            runs: o.runs,
                            duration_ms: o.duration.as_millis() as u64,
                            message: relabel(&o.message),
                        }
                    })
                    .collect();
                (String::new(), tests)
            }
        };
        results.push(ExerciseResult::new(&ex.id, &ex.dir, &ex.title, build_message, tests));
    }
    Ok(results)
}

/// `<course>/target/threadlings`: the scratch directory unless told otherwise.
pub fn default_scratch(course: &Course) -> PathBuf {
    course.root.join("target").join("threadlings")
}

enum Plan {
    NotBuilt(String),
    Run { exe: PathBuf, names: Vec<String> },
}

fn plan(ex: &Exercise, staged: &Result<Staged, String>, built: &HashMap<PathBuf, Built>, ws: &Path) -> Plan {
    let staged = match staged {
        Ok(s) => s,
        Err(missing) => return Plan::NotBuilt(missing.clone()),
    };
    match built.get(&staged.manifest) {
        Some(Built::Test(exe)) => match run::list(exe, ws) {
            Ok(names) => Plan::Run { exe: exe.clone(), names },
            Err(why) => Plan::NotBuilt(why),
        },
        Some(Built::Errors(message)) => Plan::NotBuilt(message.clone()),
        None => Plan::NotBuilt(format!("no build result for exercise {}", ex.id)),
    }
}

fn not_run(spec: &TestSpec, status: Status, message: &str) -> TestResult {
    TestResult {
        name: spec.name.clone(),
        status,
        score: 0,
        max_score: spec.points,
        repeat: spec.repeat,
        runs: 0,
        duration_ms: 0,
        message: message.into(),
    }
}

/// Rewrites scratch paths in compiler and panic messages to the paths the reader
/// knows: their own sources, and "hidden test".
fn relabel(message: &str, ws: &Path, sub: &Submission, root: &Path) -> String {
    let (key, dir) = (&sub.key, &sub.exercise.dir);
    let src = sub.sources.strip_prefix(root).unwrap_or(&sub.sources).join(dir).join("src");
    let out = message.replace(&format!("{}/", ws.display()), "");
    let out = out.replace(&format!("{key}/{dir}/tests/hidden.rs"), "hidden test");
    out.replace(&format!("{key}/{dir}/src"), &src.display().to_string())
}

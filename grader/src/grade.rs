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
use crate::limits;
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
        let jobs = limits::JOBS_PER_CPU * limits::cpus();
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
    /// Graded by its visible tests instead, staged in place of the hidden ones:
    /// every test the build lists, a point each, run once.
    pub visible: bool,
}

impl<'a> Submission<'a> {
    pub fn new(exercise: &'a Exercise, key: &str, sources: &Path) -> Submission<'a> {
        Submission {
            exercise,
            key: key.into(),
            sources: sources.to_path_buf(),
            under: None,
            only: None,
            visible: false,
        }
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

    /// The tests graded, given the names the build lists: the catalogue's (those
    /// asked for, listed or not), or for visible tests every listed one.
    fn specs(&self, listed: &[String]) -> Vec<TestSpec> {
        if !self.visible {
            return self.exercise.tests.iter().filter(|t| self.wants(t)).cloned().collect();
        }
        listed.iter().map(|name| TestSpec { name: name.clone(), ..visible_tests() }).collect()
    }
}

/// Grades the selected exercises of `course`. The learner's exercises in a
/// course without its hidden tests (a student copy) are graded by their
/// visible tests, and the report says so (`Mode::Visible`).
pub fn grade(course: &Course, opts: &Options) -> Result<Report, Error> {
    let mode = match opts.mode {
        Mode::Exercises if !course.has_hidden_tests() => Mode::Visible,
        mode => mode,
    };
    let selected = course.select(&opts.ids)?;
    let sources = match mode {
        Mode::Exercises | Mode::Visible => &course.paths.exercises,
        Mode::Solutions => &course.paths.solutions,
    };
    // Submission times come from git while cargo builds: off the critical path.
    // Git is asked from the graded tree: with `--exercises`, the learner's
    // checkout, not the course's.
    let (results, commits) = std::thread::scope(|s| {
        let commits = s.spawn(|| {
            selected.iter().map(|ex| last_commit(sources, &sources.join(&ex.dir).join("src"))).collect::<Vec<_>>()
        });
        let results = if mode == Mode::Visible {
            grade_visible(course, &selected, &opts.runner)
        } else {
            let key = mode.as_str();
            let submissions: Vec<Submission> = selected
                .iter()
                .map(|ex| match mode {
                    Mode::Solutions => Submission::solution(course, ex, key),
                    _ => Submission::new(ex, key, sources),
                })
                .collect();
            grade_batch(course, key, &submissions, &opts.runner, &|_| {})
        };
        (results, commits.join().unwrap_or_else(|_| vec![None; selected.len()]))
    });
    let mut results = results?;
    for ((result, ex), commit) in results.iter_mut().zip(&selected).zip(commits) {
        if let Some((secs, stamp)) = commit {
            result.late = ex.due_secs().map(|due| secs > due);
            result.submitted_at = Some(stamp);
        }
    }
    Ok(Report::new(mode, results))
}

/// The learner's exercises graded by their visible tests, bounded like hidden
/// tests: each `exercises/<dir>/tests/visible.rs` is copied into the scratch
/// directory as that exercise's test file, and the exercise is built as
/// `cargo test -p <crate>` builds it (none of the grader's features, and the
/// visible tests' support crate). One point a test; results in `selected` order.
fn grade_visible(course: &Course, selected: &[&Exercise], runner: &Runner) -> Result<Vec<ExerciseResult>, Error> {
    let pack = runner.scratch.clone().unwrap_or_else(|| default_scratch(course)).join("visible-tests");
    let mut local = course.clone();
    local.paths.hidden = pack.clone();
    let support = course.paths.visible.join("Cargo.toml").is_file().then(|| {
        let mut spec = toml::Table::new();
        spec.insert("package".into(), "threadlings-visible".into());
        spec.insert("path".into(), course.paths.visible.display().to_string().into());
        toml::Value::Table(spec)
    });
    for ex in &mut local.exercises {
        ex.features.clear();
        if let Some(spec) = &support {
            ex.dependencies.insert("visible".into(), spec.clone());
        }
    }
    let mut missing = Vec::new();
    let mut graded = Vec::new();
    for ex in selected {
        let file = course.paths.exercises.join(&ex.dir).join("tests").join("visible.rs");
        let Ok(text) = std::fs::read(&file) else {
            missing.push(ex.id.as_str());
            continue;
        };
        let copy = pack.join(&ex.dir).join("hidden.rs");
        if !std::fs::read(&copy).is_ok_and(|old| old == text) {
            // Written whole and renamed: a grading run beside this one reads
            // the old file or the new one, never half of it.
            let dir = copy.parent().expect("a parent");
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create a scratch directory", dir, e))?;
            let part = dir.join(format!("hidden.rs.{}", std::process::id()));
            std::fs::write(&part, &text).map_err(|e| Error::io("write the scratch workspace", &part, e))?;
            std::fs::rename(&part, &copy).map_err(|e| Error::io("write the scratch workspace", &copy, e))?;
        }
        graded.push(local.exercises.iter().find(|e| e.id == ex.id).expect("the same catalogue"));
    }
    let submissions: Vec<Submission> = graded
        .iter()
        .map(|ex| Submission { visible: true, ..Submission::new(ex, "visible", &course.paths.exercises) })
        .collect();
    let mut results = grade_batch(&local, Mode::Exercises.as_str(), &submissions, runner, &|_| {})?.into_iter();
    Ok(selected
        .iter()
        .map(|ex| {
            if !missing.contains(&ex.id.as_str()) {
                return results.next().expect("one result per graded exercise");
            }
            let shown = format!("exercises/{}/tests", ex.dir);
            let why = format!("{shown}/visible.rs is missing: restore it with `git checkout -- {shown}`");
            let test = not_run(&visible_tests(), Status::NotBuilt, &why);
            ExerciseResult::new(&ex.id, &ex.dir, &ex.title, String::new(), vec![test])
        })
        .collect())
}

/// When `path` was last committed: seconds since the epoch and RFC 3339, from
/// its own history in git (so a later commit elsewhere does not move it);
/// `None` outside a git repository, without git, or for a path never committed.
/// `repo` is any directory of the repository (git runs there).
pub fn last_commit(repo: &Path, path: &Path) -> Option<(u64, String)> {
    let mut cmd = std::process::Command::new("git");
    cmd.current_dir(repo).args(["log", "-1", "--format=%ct %cI", "--"]).arg(path);
    let done = process::run(cmd, &process::Limits::tool(limits::GIT_TIMEOUT)).ok()?;
    if done.exit != process::Exit::Code(0) {
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
    let mut specs = Vec::new();
    let mut jobs = Vec::new();
    for (sub, staged) in submissions.iter().zip(&staged) {
        let plan = plan(sub.exercise, staged, &built, &workspace);
        specs.push(match &plan {
            Plan::Run { names, .. } => sub.specs(names),
            // Visible tests are known by the build's list; without a build,
            // one entry stands for them all.
            Plan::NotBuilt(_) | Plan::NotRun(_) if sub.visible => vec![visible_tests()],
            Plan::NotBuilt(_) | Plan::NotRun(_) => sub.specs(&[]),
        });
        plans.push(plan);
    }
    for (owner, ((sub, plan), specs)) in submissions.iter().zip(&plans).zip(&specs).enumerate() {
        if let Plan::Run { exe, names } = plan {
            for spec in specs.iter().filter(|t| names.contains(&t.name)) {
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
    }
    // A submission with nothing to run is done before the pool starts.
    for (owner, _) in submissions.iter().enumerate().filter(|(i, _)| !jobs.iter().any(|j| j.owner == *i)) {
        done(owner);
    }
    let sandbox = Sandbox::detect(limits::TASK_CAP);
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
    let mut outcomes = run::run_all(&jobs, runner.jobs, &sandbox, &job_done);
    bar.finish_and_clear();

    let mut results = Vec::new();
    for (owner, ((sub, plan), specs)) in submissions.iter().zip(plans).zip(&specs).enumerate() {
        let ex = sub.exercise;
        let relabel = |m: &str| relabel(m, &workspace, sub, course);
        let (build_message, tests) = match plan {
            Plan::NotBuilt(message) => {
                let tests = specs.iter().map(|t| not_run(t, Status::NotBuilt, "the exercise did not build")).collect();
                (relabel(&message), tests)
            }
            Plan::NotRun(why) => {
                let tests = specs.iter().map(|t| not_run(t, Status::NotRun, &relabel(&why))).collect();
                (String::new(), tests)
            }
            Plan::Run { names, .. } => {
                let tests = specs
                    .iter()
                    .map(|spec| {
                        if !names.contains(&spec.name) {
                            return not_run(spec, Status::NotRun, "this hidden test is missing from the test build (a course bug: run `cargo xtask check`)");
                        }
                        let o = outcomes.remove(&(owner, spec.name.clone())).expect("one outcome per job");
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
    /// The learner's code did not build, or its sources are missing.
    NotBuilt(String),
    /// The grader could not run the tests (a course or environment problem).
    NotRun(String),
    Run {
        exe: PathBuf,
        names: Vec<String>,
    },
}

fn plan(ex: &Exercise, staged: &Result<Staged, String>, built: &HashMap<PathBuf, Built>, ws: &Path) -> Plan {
    let staged = match staged {
        Ok(s) => s,
        Err(missing) => return Plan::NotBuilt(missing.clone()),
    };
    match built.get(&staged.manifest) {
        Some(Built::Test(exe)) => match run::list(exe, ws) {
            Ok(names) => Plan::Run { exe: exe.clone(), names },
            Err(why) => Plan::NotRun(why),
        },
        Some(Built::Errors(message)) => Plan::NotBuilt(message.clone()),
        None => Plan::NotRun(format!("cargo reported no build result for exercise {} (a grader bug)", ex.id)),
    }
}

/// The one entry that stands for an exercise's visible tests when they could
/// not be listed: it is worth a point, so a visible run that did not build
/// does not pass.
fn visible_tests() -> TestSpec {
    TestSpec { name: "tests/visible.rs".into(), points: 1, repeat: 1, visibility: "visible".into() }
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
/// knows: their own sources (a learner's tree graded from outside the course,
/// with `--exercises`, as `exercises/`), and "hidden test" or their visible tests.
fn relabel(message: &str, ws: &Path, sub: &Submission, course: &Course) -> String {
    let (key, dir) = (&sub.key, &sub.exercise.dir);
    let tree = match sub.sources.strip_prefix(&course.root) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) if sub.sources == course.paths.exercises => PathBuf::from("exercises"),
        Err(_) => sub.sources.clone(),
    };
    let src = tree.join(dir).join("src");
    let tests =
        if sub.visible { tree.join(dir).join("tests/visible.rs").display().to_string() } else { "hidden test".into() };
    let out = message.replace(&format!("{}/", ws.display()), "");
    let out = out.replace(&format!("{key}/{dir}/tests/hidden.rs"), &tests);
    out.replace(&format!("{key}/{dir}/src"), &src.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_learners_files_and_the_hidden_test_not_the_scratch_copy() {
        let text = "format_version = 1\n[dependencies]\n[[exercises]]\nid = \"01\"\ndir = \"01_first\"\n\
                    crate = \"first\"\ntitle = \"t\"\ntopic = \"t\"\nhints = [\"h\"]\n\
                    [[exercises.tests]]\nname = \"runs\"\npoints = 1\n";
        let course = Course::parse(Path::new("/course"), text).unwrap();
        let sub = Submission::new(&course.exercises[0], "exercises", Path::new("/course/exercises"));
        let ws = Path::new("/course/target/threadlings/exercises");
        let message = "panicked at /course/target/threadlings/exercises/exercises/01_first/tests/hidden.rs:3:5\n\
                       error at /course/target/threadlings/exercises/exercises/01_first/src/lib.rs:9:1";
        assert_eq!(
            relabel(message, ws, &sub, &course),
            "panicked at hidden test:3:5\nerror at exercises/01_first/src/lib.rs:9:1"
        );
    }
}

//! The grading pipeline: stage, build once, run every hidden test, score.

use std::path::{Path, PathBuf};

use crate::catalogue::{Course, Exercise};
use crate::compile::{self, Built};
use crate::error::Error;
use crate::model::{ExerciseResult, Mode, Report, Status, TestResult};
use crate::run::{self, Job};
use crate::sandbox::Sandbox;
use crate::stage::{Scratch, Staged};

#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    /// Exercise ids, directories or crate names; all when empty.
    pub ids: Vec<String>,
    /// Test processes run at once.
    pub jobs: usize,
    /// Grader-owned scratch directory; `<course>/target/threadlings` by default.
    pub scratch: Option<PathBuf>,
    /// Grade another tree shaped like `exercises/` (a label and a directory),
    /// such as the author check's deliberately wrong solutions.
    pub sources: Option<(String, PathBuf)>,
}

impl Options {
    pub fn new(mode: Mode) -> Options {
        let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
        Options { mode, ids: Vec::new(), jobs, scratch: None, sources: None }
    }
}

/// Grades the selected exercises of `course`.
pub fn grade(course: &Course, opts: &Options) -> Result<Report, Error> {
    let selected = course.select(&opts.ids)?;
    let scratch_dir = opts.scratch.clone().unwrap_or_else(|| course.root.join("target").join("threadlings"));
    let (label, sources) = match &opts.sources {
        Some((label, dir)) => (label.as_str(), dir.as_path()),
        None => match opts.mode {
            Mode::Exercises => ("exercises", course.paths.exercises.as_path()),
            Mode::Solutions => ("solutions", course.paths.solutions.as_path()),
        },
    };
    let scratch = Scratch::open(&scratch_dir, label)?;
    let workspace = scratch.workspace(label);
    let staged = scratch.stage(course, label, sources, &selected)?;

    let crates: Vec<(PathBuf, String)> = selected
        .iter()
        .zip(&staged)
        .filter_map(|(ex, s)| s.as_ref().ok().map(|s| (s.manifest.clone(), ex.crate_name.clone())))
        .collect();
    let built = compile::build(&workspace, &scratch.target_dir(), &crates)?;

    // Plan every test of every exercise, then run them all in one pool.
    let mut plans = Vec::new();
    let mut jobs = Vec::new();
    for (ex, staged) in selected.iter().zip(&staged) {
        let plan = plan(ex, staged, &built, &workspace);
        if let Plan::Run { exe, names } = &plan {
            for spec in ex.tests.iter().filter(|t| names.contains(&t.name)) {
                jobs.push(Job {
                    exe: exe.clone(),
                    name: spec.name.clone(),
                    repeat: spec.repeat,
                    timeout_secs: ex.timeout_secs,
                    workspace: workspace.clone(),
                });
            }
        }
        plans.push(plan);
    }
    let sandbox = Sandbox::detect(run::TASK_CAP);
    let mut outcomes = run::run_all(&jobs, opts.jobs, &sandbox).into_iter();

    let mut results = Vec::new();
    for (ex, plan) in selected.iter().zip(plans) {
        let relabel = |m: &str| relabel(m, &workspace, label, ex, sources, &course.root);
        let (build_message, tests) = match plan {
            Plan::NotBuilt(message) => {
                let message = relabel(&message);
                let tests =
                    ex.tests.iter().map(|t| not_run(t, Status::NotBuilt, "the exercise did not build")).collect();
                (message, tests)
            }
            Plan::Run { names, .. } => {
                let tests = ex
                    .tests
                    .iter()
                    .map(|spec| {
                        if !names.contains(&spec.name) {
                            return not_run(spec, Status::NotBuilt, "this hidden test is missing from the test build (a course bug: run `cargo xtask check`)");
                        }
                        let o = outcomes.next().expect("one outcome per job");
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
    Ok(Report::new(opts.mode, results))
}

enum Plan {
    NotBuilt(String),
    Run { exe: PathBuf, names: Vec<String> },
}

fn plan(
    ex: &Exercise,
    staged: &Result<Staged, String>,
    built: &std::collections::HashMap<PathBuf, Built>,
    ws: &Path,
) -> Plan {
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

fn not_run(spec: &crate::catalogue::TestSpec, status: Status, message: &str) -> TestResult {
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
fn relabel(message: &str, ws: &Path, label: &str, ex: &Exercise, sources: &Path, root: &Path) -> String {
    let src = sources.strip_prefix(root).unwrap_or(sources).join(&ex.dir).join("src");
    let out = message.replace(&format!("{}/", ws.display()), "");
    let out = out.replace(&format!("{label}/{}/tests/hidden.rs", ex.dir), "hidden test");
    out.replace(&format!("{label}/{}/src", ex.dir), &src.display().to_string())
}

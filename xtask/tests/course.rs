//! The course check inside `cargo test`, one test per exercise and part:
//!
//! - `layout`: catalogue, directories, pages, wrong-solution headers, starter
//!   record, formatting of the hidden tests;
//! - `starter::<dir>`: the recorded starter scores 0 (skipped, with a note, when
//!   `exercises/<dir>/src/` is a learner's work);
//! - `solution::<dir>`: the reference solution scores full marks;
//! - `wrong::<dir>`: every wrong solution is caught;
//! - `right::<dir>`: every right solution (correct code in another style) keeps
//!   full marks.
//!
//! Every selected exercise is graded once, in one batch, by whichever test runs
//! first; `cargo test -p xtask --test course -- 04` checks exercise 04 alone.
//! Repetition for flakiness lives in `cargo xtask check --runs N`, and the
//! lints of the shipped code (rustfmt and clippy on solutions, variants and
//! hidden tests) in `cargo xtask check` and `cargo xtask check --lint-only`,
//! which `.ci/run` runs: here they would cost a minute and disk for nothing a
//! learner changes.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use grader::catalogue::Course;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use xtask::check::{self, ExerciseCheck};

type Checks = Result<BTreeMap<String, ExerciseCheck>, String>;

const PARTS: [&str; 4] = ["starter", "solution", "wrong", "right"];

fn main() {
    let args = Arguments::from_args();
    let course = Course::load(&xtask::repo_root()).unwrap_or_else(|e| panic!("{e}"));
    let course = Arc::new(course);

    let name = |part: &str, dir: &str| format!("{part}::{dir}");
    // Grade only the exercises some selected test needs.
    let selected: Vec<String> = course
        .exercises
        .iter()
        .filter(|ex| PARTS.iter().any(|p| !args.is_filtered_out(&Trial::test(name(p, &ex.dir), || Ok(())))))
        .map(|ex| ex.id.clone())
        .collect();
    let checks: Arc<OnceLock<Checks>> = Arc::default();

    let mut trials = Vec::new();
    let layout_course = Arc::clone(&course);
    trials.push(Trial::test("layout", move || {
        let problems = check::static_problems(&layout_course, &[]).map_err(|e| e.to_string())?;
        if problems.is_empty() { Ok(()) } else { Err(problems.join("\n").into()) }
    }));
    for ex in &course.exercises {
        for part in PARTS {
            let (course, checks, selected, dir) =
                (Arc::clone(&course), Arc::clone(&checks), selected.clone(), ex.dir.clone());
            trials.push(Trial::ignorable_test(name(part, &ex.dir), move || {
                let all = checks.get_or_init(|| grade(&course, &selected)).as_ref().map_err(Failed::from)?;
                let check = &all[&dir];
                let problems = match part {
                    "starter" => {
                        if let Some(note) = &check.starter_skipped {
                            return Ok(Completion::ignored_with(note));
                        }
                        &check.starter
                    }
                    "solution" => &check.solution,
                    "wrong" => &check.wrong,
                    _ => &check.right,
                };
                if problems.is_empty() { Ok(Completion::Completed) } else { Err(problems.join("\n").into()) }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

fn grade(course: &Course, ids: &[String]) -> Checks {
    let selected = course.select(ids).map_err(|e| e.to_string())?;
    let opts = check::CheckOptions { show_build: true, ..check::CheckOptions::default() };
    let checks = check::grade_exercises(course, &selected, &opts, &mut std::io::stderr()).map_err(|e| e.to_string())?;
    Ok(checks.into_iter().map(|c| (c.dir.clone(), c)).collect())
}

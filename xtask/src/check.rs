//! The course check: is the course still sound? Catalogue and directories agree;
//! every starter fails every hidden test and every solution passes them all, run
//! after run with the same verdicts; every wrong solution is caught.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use grader::catalogue::Course;
use grader::error::Error;
use grader::grade::{self, Options};
use grader::model::{Mode, Report, Status};

use crate::{layout, wrong};

/// Runs the check `runs` times over, writing progress to `out`; returns the problems.
pub fn run(root: &Path, runs: usize, out: &mut dyn Write) -> Result<Vec<String>, Error> {
    let course = Course::load(root)?;
    let mut problems = layout::problems(&course);
    let (wrongs, header_problems) = wrong::discover(&course);
    problems.extend(header_problems);
    if !problems.is_empty() {
        return Ok(report(out, problems));
    }
    let scratch = course.root.join("target").join("threadlings");
    let mut seen: BTreeMap<(Mode, String, String), Status> = BTreeMap::new();
    for n in 1..=runs {
        let start = Instant::now();
        let starters = grade_all(&course, Mode::Exercises, &scratch)?;
        let solutions = grade_all(&course, Mode::Solutions, &scratch)?;
        for (report, want_pass) in [(&starters, false), (&solutions, true)] {
            for ex in &report.exercises {
                for t in &ex.tests {
                    let passed = t.status == Status::Passed;
                    if passed != want_pass {
                        let whose = if want_pass { "the solution" } else { "the starter" };
                        let first_line = t.message.lines().next().unwrap_or_default();
                        problems.push(format!(
                            "run {n}: {whose} of {} {} hidden test '{}' ({}){}",
                            ex.id,
                            if passed { "passes" } else { "does not pass" },
                            t.name,
                            t.status.as_str(),
                            if first_line.is_empty() { String::new() } else { format!(": {first_line}") }
                        ));
                    }
                    let key = (report.mode, ex.id.clone(), t.name.clone());
                    if let Some(before) = seen.insert(key, t.status).filter(|b| *b != t.status) {
                        problems.push(format!(
                            "run {n}: the verdict of {} '{}' ({}) changed from {} to {}",
                            ex.id,
                            t.name,
                            report.mode.as_str(),
                            before.as_str(),
                            t.status.as_str()
                        ));
                    }
                }
            }
        }
        let caught = wrong::check(&course, &wrongs, &scratch)?;
        let uncaught = caught.len();
        problems.extend(caught.into_iter().map(|p| format!("run {n}: {p}")));
        let _ = writeln!(
            out,
            "run {n}/{runs}: starters {}/{}, solutions {}/{}, wrong solutions caught {}/{} ({:.1} s)",
            starters.score,
            starters.max_score,
            solutions.score,
            solutions.max_score,
            wrongs.len() - uncaught.min(wrongs.len()),
            wrongs.len(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(report(out, problems))
}

fn grade_all(course: &Course, mode: Mode, scratch: &Path) -> Result<Report, Error> {
    let mut opts = Options::new(mode);
    opts.scratch = Some(scratch.to_path_buf());
    grade::grade(course, &opts)
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

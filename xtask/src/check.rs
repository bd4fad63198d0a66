//! The course check: is the course still sound? Catalogue and directories agree;
//! every starter fails every hidden test and every solution passes them all, run
//! after run with the same verdicts; every wrong solution is caught.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use grader::catalogue::Course;
use grader::error::Error;
use grader::grade::{self, Options};
use grader::model::{Mode, Report, Status};
use grader::process;

use crate::{layout, wrong};

#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Times to grade everything; verdicts must not change between runs.
    pub runs: usize,
    /// Exercises to grade (ids, dirs or crates); all when empty. Layout is always
    /// checked for the whole course.
    pub ids: Vec<String>,
    /// CPU-bound processes kept running beside the check, to prove verdicts hold
    /// on a loaded machine.
    pub hogs: usize,
}

impl CheckOptions {
    pub fn runs(runs: usize) -> CheckOptions {
        CheckOptions { runs, ids: Vec::new(), hogs: 0 }
    }
}

/// Runs the check, writing progress to `out`; returns the problems found.
pub fn run(root: &Path, opts: &CheckOptions, out: &mut dyn Write) -> Result<Vec<String>, Error> {
    let course = Course::load(root)?;
    let selected: Vec<String> = course.select(&opts.ids)?.iter().map(|e| e.id.clone()).collect();
    let only: &[String] = if opts.ids.is_empty() { &[] } else { &selected };
    let mut problems = layout::problems(&course, only);
    let (wrongs, header_problems) = wrong::discover(&course);
    let wrongs: Vec<_> = wrongs.into_iter().filter(|w| selected.contains(&w.id)).collect();
    problems.extend(
        header_problems
            .into_iter()
            .filter(|p| only.is_empty() || wrongs.iter().any(|w| p.starts_with(&w.file.display().to_string()))),
    );
    if !problems.is_empty() {
        return Ok(report(out, problems));
    }
    let _hogs = start_hogs(opts.hogs)?;
    if opts.hogs > 0 {
        let _ = writeln!(out, "with {} CPU-bound processes running beside the check", opts.hogs);
    }
    let scratch = course.root.join("target").join("threadlings");
    let mut seen: BTreeMap<(Mode, String, String), Status> = BTreeMap::new();
    for n in 1..=opts.runs {
        let start = Instant::now();
        let starters = grade_all(&course, Mode::Exercises, &selected, &scratch)?;
        let solutions = grade_all(&course, Mode::Solutions, &selected, &scratch)?;
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
        let uncaught = wrong::check(&course, &wrongs, &scratch)?;
        let _ = writeln!(
            out,
            "run {n}/{}: starters {}/{}, solutions {}/{}, wrong solutions caught {}/{} ({:.1} s)",
            opts.runs,
            starters.score,
            starters.max_score,
            solutions.score,
            solutions.max_score,
            wrongs.len() - uncaught.len().min(wrongs.len()),
            wrongs.len(),
            start.elapsed().as_secs_f64()
        );
        problems.extend(uncaught.into_iter().map(|p| format!("run {n}: {p}")));
    }
    Ok(report(out, problems))
}

fn grade_all(course: &Course, mode: Mode, ids: &[String], scratch: &Path) -> Result<Report, Error> {
    let mut opts = Options::new(mode);
    opts.ids = ids.to_vec();
    opts.scratch = Some(scratch.to_path_buf());
    grade::grade(course, &opts)
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

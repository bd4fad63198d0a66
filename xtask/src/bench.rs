//! Times a warm full grade of the reference solutions against plain `cargo test`
//! of the same hidden tests in the same scratch workspace, alternating the two
//! in one process so both see the same machine, and reports the ratio.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use grader::catalogue::Course;
use grader::compile;
use grader::error::Error;
use grader::grade::{self, Options};
use grader::model::Mode;
use grader::process::{self, Exit, Limits};
use grader::stage::paths;

pub fn run(root: &Path, runs: usize) -> Result<(), Error> {
    let course = Course::load(root)?;
    let scratch = grade::default_scratch(&course);
    let mut opts = Options::new(Mode::Solutions);
    opts.runner.scratch = Some(scratch.clone());
    // Warm-up: builds everything once, so both sides below are warm.
    grade::grade(&course, &opts)?;
    cargo_test(&scratch)?;

    let (mut graded, mut tested) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let report = grade::grade(&course, &opts)?;
        graded.push(start.elapsed());
        if !report.all_passed() {
            return Err(Error::Build { why: "a reference solution failed during the benchmark".into() });
        }
        tested.push(cargo_test(&scratch)?);
    }
    let repeats: u32 = course.exercises.iter().flat_map(|e| &e.tests).map(|t| t.repeat).sum();
    let tests: usize = course.exercises.iter().map(|e| e.tests.len()).sum();
    println!("warm full grade vs plain `cargo test` of the same hidden tests, {runs} runs each, alternating");
    println!(
        "{tests} hidden tests; the grader runs {repeats} test processes (repeats included), cargo test runs each test once"
    );
    println!("{:<36}{:>10}{:>10}{:>10}", "", "min", "median", "max");
    row("cargo grade --solutions", &mut graded);
    row("cargo test (same crates)", &mut tested);
    let ratio = median(&mut graded).as_secs_f64() / median(&mut tested).as_secs_f64();
    println!("ratio of medians: {ratio:.2}x");
    Ok(())
}

/// `cargo test` of the staged solutions: the same hidden tests, one process per
/// binary, each test once.
fn cargo_test(scratch: &Path) -> Result<Duration, Error> {
    let ws = paths::workspace(scratch, "solutions");
    let mut cmd = Command::new(compile::cargo());
    // One test at a time: several hidden tests count the threads or children of
    // their process, which only holds when they are alone in it.
    cmd.current_dir(&ws).args(["test", "--quiet", "--target-dir"]).arg(paths::target_dir(scratch));
    cmd.args(["--", "--test-threads=1"]);
    compile::neutralize_cargo_env(&mut cmd);
    let start = Instant::now();
    let done = process::run(cmd, &Limits::tool(Duration::from_secs(600)))
        .map_err(|e| Error::Tool { tool: "cargo".into(), why: e.to_string() })?;
    if done.exit != Exit::Code(0) {
        return Err(Error::Build { why: format!("cargo test of the solutions failed: {}", done.stderr.text()) });
    }
    Ok(start.elapsed())
}

pub(crate) fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

pub(crate) fn row(name: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    println!("{name:<36}{:>10}{:>10}{:>10}", ms(times[0]), ms(median(times)), ms(times[times.len() - 1]));
}

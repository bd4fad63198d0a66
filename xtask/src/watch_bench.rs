//! `cargo xtask bench --watch`: from a saved edit of a solved exercise 01 to the
//! verdict on screen in `cargo grade watch`, against a fresh `cargo grade 01`
//! after the same edit (the baseline), alternating in one process.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use grader::catalogue::Course;
use grader::compile;
use grader::error::Error;
use grader::grade;
use grader::process::{self, Limits};
use grader::stage::paths;

/// How long one verdict may take before the benchmark gives up.
const PATIENCE: Duration = Duration::from_secs(120);

pub fn run(root: &Path, runs: usize) -> Result<(), Error> {
    let course = Course::load(root)?;
    let ex = course.select(&["01".to_string()])?[0].clone();
    let copy = course_copy(&course, "bench-watch")?;
    // The baseline's copy builds into a target directory of its own: the two
    // copies stage the same packages at the same places.
    let baseline = course_copy(&course, "bench-baseline")?;
    let lib = copy.join("exercises").join(&ex.dir).join("src/lib.rs");
    let baseline_lib = baseline.join("exercises").join(&ex.dir).join("src/lib.rs");
    let solved = fs::read_to_string(course.paths.solutions.join(&ex.dir).join("src/lib.rs"))
        .map_err(|e| Error::io("read the solution", &course.paths.solutions, e))?;
    let target = paths::target_dir(&grade::default_scratch(&course));
    let grader = grader_exe(root)?;
    let edit = |lib: &Path, n: usize| {
        fs::write(lib, format!("{solved}\n// edit {n}\n")).map_err(|e| Error::io("edit", lib, e))
    };
    let grade_baseline = || {
        let mut cmd = Command::new(&grader);
        cmd.args([&ex.id, "--no-record", "--course"]).arg(&baseline);
        let start = Instant::now();
        process::run(cmd, &Limits::tool(PATIENCE))
            .map_err(|e| Error::Tool { tool: "grader".into(), why: e.to_string() })?;
        Ok::<Duration, Error>(start.elapsed())
    };
    edit(&baseline_lib, 0)?;
    grade_baseline()?; // cold the first time

    let mut cmd = Command::new(&grader);
    cmd.args(["watch", &ex.id, "--course"]).arg(&copy).arg("--target-dir").arg(&target);
    let mut watch = process::start_piped(cmd).map_err(|e| Error::Tool { tool: "grader".into(), why: e.to_string() })?;
    let (stdin, stdout) = watch.pipes();
    let lines = lines_of(stdout.expect("piped"));
    wait_for_verdict(&lines)?; // the first grade, cold or warm
    edit(&lib, 0)?;
    wait_for_verdict(&lines)?; // a warm-up edit
    let (mut watched, mut fresh) = (Vec::new(), Vec::new());
    for n in 1..=runs {
        while lines.try_recv().is_ok() {}
        let start = Instant::now();
        edit(&lib, n)?;
        wait_for_verdict(&lines)?;
        watched.push(start.elapsed());

        edit(&baseline_lib, n)?;
        fresh.push(grade_baseline()?);
    }
    if let Some(mut stdin) = stdin {
        let _ = stdin.write_all(b"q\n");
    }
    drop(watch);
    println!("watch latency: a saved edit of a solved 01 to its verdict, {runs} runs, alternating");
    println!("{:<36}{:>10}{:>10}{:>10}", "", "min", "median", "max");
    crate::bench::row("cargo grade watch (save -> verdict)", &mut watched);
    crate::bench::row("grader 01 afresh after an edit", &mut fresh);
    let ratio = crate::bench::median(&mut watched).as_secs_f64() / crate::bench::median(&mut fresh).as_secs_f64();
    println!("ratio of medians: {ratio:.2}x");
    Ok(())
}

/// A copy of the course's starters beside the repository's hidden tests, support
/// crate and lock file, so editing it touches nothing of the learner's. Its
/// `target/` stays between runs, so only the first one is cold.
fn course_copy(course: &Course, name: &str) -> Result<PathBuf, Error> {
    let copy = grade::default_scratch(course).join(name);
    let _ = fs::remove_dir_all(copy.join("exercises"));
    fs::create_dir_all(&copy).map_err(|e| Error::io("create the benchmark course", &copy, e))?;
    let catalogue = fs::read_to_string(course.root.join("course.toml"))
        .map_err(|e| Error::io("read the catalogue", &course.root, e))?;
    let paths = format!(
        "[paths]\nsupport = {:?}\nhidden = {:?}\nlockfile = {:?}\nsolutions = {:?}\n\n",
        course.paths.support.display().to_string(),
        course.paths.hidden.display().to_string(),
        course.paths.lockfile.display().to_string(),
        course.paths.solutions.display().to_string()
    );
    let catalogue = catalogue.replacen("[dependencies]", &format!("{paths}[dependencies]"), 1);
    fs::write(copy.join("course.toml"), catalogue).map_err(|e| Error::io("write the catalogue", &copy, e))?;
    for other in &course.exercises {
        // Every exercise needs a src/; only 01's is edited.
        let from = course.paths.exercises.join(&other.dir).join("src/lib.rs");
        let to = copy.join("exercises").join(&other.dir).join("src");
        fs::create_dir_all(&to).map_err(|e| Error::io("create the benchmark course", &to, e))?;
        fs::copy(&from, to.join("lib.rs")).map_err(|e| Error::io("copy a starter", &from, e))?;
    }
    Ok(copy)
}

fn grader_exe(root: &Path) -> Result<PathBuf, Error> {
    let mut cmd = Command::new(compile::cargo());
    cmd.current_dir(root).args(["build", "--quiet", "-p", "grader"]);
    process::run(cmd, &Limits::tool(Duration::from_secs(600)))
        .map_err(|e| Error::Tool { tool: "cargo".into(), why: e.to_string() })?;
    Ok(root.join("target/debug/grader"))
}

fn lines_of(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for_verdict(lines: &mpsc::Receiver<String>) -> Result<(), Error> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with("Score: ") => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(Error::Build { why: "watch mode gave no verdict within 120 s".into() }),
        }
    }
}

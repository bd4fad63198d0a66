//! Course author tasks, run as `cargo xtask <task>`: one module per task.

pub mod bench;
pub mod check;
pub mod classroom;
pub mod export;
pub mod gradescope;
pub mod hidden_style;
pub mod layout;
pub mod lint;
pub mod report;
pub mod snapshots;
pub mod starters;
pub mod variants;
pub mod watch_bench;

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
Course author tasks.

Usage:
  cargo xtask check [--runs N] [--hogs N] [--strict] [--lint-only] [EXERCISE...]
                                 the course check: catalogue and directories agree, every
                                 recorded starter scores 0 and every solution full marks N
                                 times in a row (default 3) with the same verdicts, every
                                 wrong solution is caught, and the shipped code (solutions,
                                 variants, hidden tests) passes rustfmt and clippy; --hogs N
                                 keeps N CPU-bound processes running beside it; --strict
                                 fails when an exercise's src/ is not its recorded starter
                                 (otherwise it is taken for a learner's work and its starter
                                 check is skipped); --lint-only stages and lints, grading
                                 nothing (`cargo test` grades, without the lints);
                                 EXERCISEs limit the grading
  cargo xtask starters [--update | --pristine]
                                 whether each exercise's src/ is its recorded starter;
                                 --update records every src/ as it is now; --pristine
                                 lists the crates still at their starter, one a line
  cargo xtask wrong new EXERCISE MISTAKE [FILE]
  cargo xtask wrong edit EXERCISE MISTAKE
  cargo xtask wrong save EXERCISE MISTAKE
                                 wrong solutions are patches against the solution
                                 (grader/hidden/exercises/<dir>/wrong/MISTAKE.patch, header
                                 on top); edit writes the whole file (header included)
                                 under target/threadlings/wrong-edit/ and prints its path;
                                 save turns that file back into the patch; new starts one
                                 from the solution's FILE (default lib.rs) with a header
                                 to fill in, then edits it
  cargo xtask snapshots EXERCISE...
                                 write the hidden tests' snapshots from the reference
                                 solutions into grader/hidden/exercises/<dir>/snapshots/,
                                 for review with `git diff`
  cargo xtask classroom [--check]
                                 write .github/workflows/classroom.yml, the autograding
                                 workflow, from the catalogue; --check only says
                                 whether the committed one is current (1 when stale)
  cargo xtask export-student DIR
                                 write the student template into DIR (new or empty): the
                                 exercises, their pages and visible tests, the grader, a
                                 classroom workflow that grades with the hidden tests of
                                 the private course repository; no solutions, no hidden
                                 tests, no author tools or CI
  cargo xtask gradescope [--out FILE]
                                 the Gradescope autograder zip (default
                                 target/threadlings/gradescope.zip): setup.sh,
                                 run_autograder and the course with its hidden tests
  cargo xtask bench [--runs N] [--watch]
                                 time a warm full grade against plain `cargo test` of the
                                 same hidden tests (default 5 runs each); --watch instead
                                 times watch mode from a saved edit to its verdict
  cargo xtask report [--history FILE] [--out DIR]
                                 the learner's progress report from the history (default
                                 .threadlings/history.jsonl) into DIR (default
                                 target/threadlings/report/): index.html, report.md,
                                 report.json
  cargo xtask report --class DIR [--out DIR]
                                 the class report from DIR, one <learner>.json (`cargo grade
                                 --format json`) and/or <learner>/history.jsonl per learner:
                                 class.html, class.csv (Canvas), class-moodle.csv, class.json

Exit codes: 0 sound, 1 a check failed, 2 bad arguments or catalogue, 3 environment.
";

/// The repository root: xtask lives one level below it.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}

pub fn main(args: Vec<String>) -> ExitCode {
    let args = match parse(&args) {
        Ok(parsed) => parsed,
        Err(why) => {
            eprintln!("error: {why} (see `cargo xtask --help`)");
            return ExitCode::from(2);
        }
    };
    let result = match args.task.as_str() {
        "check" => {
            let opts = check::CheckOptions {
                runs: args.runs.unwrap_or(3),
                ids: args.ids,
                hogs: args.hogs,
                strict: args.strict,
                target_dir: None,
                show_build: true,
                lint: true,
                lint_only: args.lint_only,
                no_clippy: false,
            };
            check::run(&repo_root(), &opts, &mut std::io::stdout()).map(|problems| problems.is_empty())
        }
        "classroom" => classroom::run(&repo_root(), args.check, &mut std::io::stdout()),
        "export-student" => {
            let dir = args.dest.as_deref().expect("parse asks for it");
            export::run(&repo_root(), dir, &mut std::io::stdout())
        }
        "gradescope" => gradescope::run(&repo_root(), args.out.as_deref(), &mut std::io::stdout()),
        "starters" if args.pristine => starters::list_pristine(&repo_root(), &mut std::io::stdout()),
        "starters" => starters::run(&repo_root(), args.update, &mut std::io::stdout()),
        "bench" if args.watch => watch_bench::run(&repo_root(), args.runs.unwrap_or(10)).map(|()| true),
        "bench" => bench::run(&repo_root(), args.runs.unwrap_or(5)).map(|()| true),
        "snapshots" => snapshots::run(&repo_root(), &args.ids).map(|()| true),
        "wrong" => wrong(&args.ids),
        "report" => report::run(&repo_root(), args.history.as_deref(), args.class.as_deref(), args.out.as_deref())
            .map(|()| true),
        _ => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn wrong(words: &[String]) -> Result<bool, grader::error::Error> {
    let [action, id, name, rest @ ..] = words else { unreachable!("parse checks the words") };
    let course = grader::catalogue::Course::load(&repo_root())?;
    println!("{}", variants::wrong(&course, action, id, name, rest.first().map(String::as_str))?);
    Ok(true)
}

struct Args {
    task: String,
    runs: Option<usize>,
    hogs: usize,
    strict: bool,
    lint_only: bool,
    update: bool,
    pristine: bool,
    watch: bool,
    history: Option<PathBuf>,
    class: Option<PathBuf>,
    out: Option<PathBuf>,
    check: bool,
    dest: Option<PathBuf>,
    ids: Vec<String>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        task: "help".into(),
        runs: None,
        hogs: 0,
        strict: false,
        lint_only: false,
        update: false,
        pristine: false,
        watch: false,
        history: None,
        class: None,
        out: None,
        check: false,
        dest: None,
        ids: Vec::new(),
    };
    let mut it = args.iter();
    let number = |flag: &str, v: Option<&String>| -> Result<usize, String> {
        let v = v.ok_or(format!("{flag} needs a number"))?;
        v.parse().map_err(|_| format!("{flag} takes a number, not '{v}'"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => parsed.runs = Some(number("--runs", it.next())?.max(1)),
            "--hogs" => parsed.hogs = number("--hogs", it.next())?,
            "--strict" if parsed.task == "check" => parsed.strict = true,
            "--lint-only" if parsed.task == "check" => parsed.lint_only = true,
            "--update" if parsed.task == "starters" => parsed.update = true,
            "--pristine" if parsed.task == "starters" => parsed.pristine = true,
            "--watch" if parsed.task == "bench" => parsed.watch = true,
            "--out" if parsed.task == "gradescope" => {
                parsed.out = Some(it.next().map(PathBuf::from).ok_or("--out needs a path")?);
            }
            "--history" | "--class" | "--out" if parsed.task == "report" => {
                let path = it.next().map(PathBuf::from).ok_or(format!("{arg} needs a path"))?;
                match arg.as_str() {
                    "--history" => parsed.history = Some(path),
                    "--class" => parsed.class = Some(path),
                    _ => parsed.out = Some(path),
                }
            }
            "--check" if parsed.task == "classroom" => parsed.check = true,
            "-h" | "--help" | "help" => parsed.task = "help".into(),
            "check" | "bench" | "snapshots" | "starters" | "report" | "classroom" | "export-student" | "gradescope"
            | "wrong"
                if parsed.task == "help" =>
            {
                parsed.task = arg.clone()
            }
            other if other.starts_with('-') => return Err(format!("unknown option '{other}'")),
            _ if parsed.task == "export-student" && parsed.dest.is_none() => parsed.dest = Some(PathBuf::from(arg)),
            _ if matches!(parsed.task.as_str(), "check" | "snapshots" | "wrong") => parsed.ids.push(arg.clone()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if parsed.task == "export-student" && parsed.dest.is_none() {
        return Err("export-student needs a directory to write the template into".into());
    }
    if parsed.task == "wrong" && !(3..=4).contains(&parsed.ids.len()) {
        return Err("`cargo xtask wrong` takes new, edit or save, an exercise and a mistake".into());
    }
    if parsed.history.is_some() && parsed.class.is_some() {
        return Err("--history and --class make different reports: give one".into());
    }
    Ok(parsed)
}

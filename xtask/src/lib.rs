//! Course author tasks, run as `cargo xtask <task>`: one module per task.

pub mod bench;
pub mod check;
pub mod classroom;
pub mod hidden_style;
pub mod layout;
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
  cargo xtask check [--runs N] [--hogs N] [--strict] [EXERCISE...]
                                 the course check: catalogue and directories agree, every
                                 recorded starter scores 0 and every solution full marks N
                                 times in a row (default 3) with the same verdicts, every
                                 wrong solution is caught; --hogs N keeps N CPU-bound
                                 processes running beside it; --strict fails when an
                                 exercise's src/ is not its recorded starter (otherwise it
                                 is taken for a learner's work and its starter check is
                                 skipped); EXERCISEs limit the grading
  cargo xtask starters [--update | --pristine]
                                 whether each exercise's src/ is its recorded starter;
                                 --update records every src/ as it is now; --pristine
                                 lists the crates still at their starter, one a line
  cargo xtask snapshots EXERCISE...
                                 write the hidden tests' snapshots from the reference
                                 solutions into grader/hidden/exercises/<dir>/snapshots/,
                                 for review with `git diff`
  cargo xtask classroom [--check]
                                 write .github/workflows/classroom.yml, the autograding
                                 workflow, from the catalogue; --check only says
                                 whether the committed one is current (1 when stale)
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
            };
            check::run(&repo_root(), &opts, &mut std::io::stdout()).map(|problems| problems.is_empty())
        }
        "classroom" => classroom::run(&repo_root(), args.check, &mut std::io::stdout()),
        "starters" if args.pristine => starters::list_pristine(&repo_root(), &mut std::io::stdout()),
        "starters" => starters::run(&repo_root(), args.update, &mut std::io::stdout()),
        "bench" if args.watch => watch_bench::run(&repo_root(), args.runs.unwrap_or(10)).map(|()| true),
        "bench" => bench::run(&repo_root(), args.runs.unwrap_or(5)).map(|()| true),
        "snapshots" => snapshots::run(&repo_root(), &args.ids).map(|()| true),
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

struct Args {
    task: String,
    runs: Option<usize>,
    hogs: usize,
    strict: bool,
    update: bool,
    pristine: bool,
    watch: bool,
    history: Option<PathBuf>,
    class: Option<PathBuf>,
    out: Option<PathBuf>,
    check: bool,
    ids: Vec<String>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        task: "help".into(),
        runs: None,
        hogs: 0,
        strict: false,
        update: false,
        pristine: false,
        watch: false,
        history: None,
        class: None,
        out: None,
        check: false,
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
            "--update" if parsed.task == "starters" => parsed.update = true,
            "--pristine" if parsed.task == "starters" => parsed.pristine = true,
            "--watch" if parsed.task == "bench" => parsed.watch = true,
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
            "check" | "bench" | "snapshots" | "starters" | "report" | "classroom" if parsed.task == "help" => {
                parsed.task = arg.clone()
            }
            other if other.starts_with('-') => return Err(format!("unknown option '{other}'")),
            _ if parsed.task == "check" || parsed.task == "snapshots" => parsed.ids.push(arg.clone()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if parsed.history.is_some() && parsed.class.is_some() {
        return Err("--history and --class make different reports: give one".into());
    }
    Ok(parsed)
}

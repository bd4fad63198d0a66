//! Course author tasks, run as `cargo xtask <task>`: one module per task.

pub mod bench;
pub mod check;
pub mod layout;
pub mod wrong;

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
Course author tasks.

Usage:
  cargo xtask check [--runs N]   the course check: catalogue and directories agree, every
                                 starter scores 0 and every solution full marks N times in
                                 a row (default 3), every wrong solution is caught
  cargo xtask bench [--runs N]   time a warm full grade against plain `cargo test` of the
                                 same hidden tests (default 5 runs each)

Exit codes: 0 sound, 1 a check failed, 2 bad arguments or catalogue, 3 environment.
";

/// The repository root: xtask lives one level below it.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}

pub fn main(args: Vec<String>) -> ExitCode {
    let (task, runs) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(why) => {
            eprintln!("error: {why} (see `cargo xtask --help`)");
            return ExitCode::from(2);
        }
    };
    let result = match task.as_str() {
        "check" => {
            check::run(&repo_root(), runs.unwrap_or(3), &mut std::io::stdout()).map(|problems| problems.is_empty())
        }
        "bench" => bench::run(&repo_root(), runs.unwrap_or(5)).map(|()| true),
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

fn parse(args: &[String]) -> Result<(String, Option<usize>), String> {
    let mut task = String::from("help");
    let mut runs = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                let v = it.next().ok_or("--runs needs a number")?;
                runs = Some(
                    v.parse().ok().filter(|&n| n > 0).ok_or(format!("--runs takes a positive number, not '{v}'"))?,
                );
            }
            "-h" | "--help" | "help" => task = "help".into(),
            "check" | "bench" => task = arg.clone(),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok((task, runs))
}

//! The command line: parse, dispatch, print, map errors to exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::catalogue::Course;
use crate::error::{Error, exit};
use crate::grade::{self, Options};
use crate::history;
use crate::model::Mode;
use crate::render;

pub const HELP: &str = "\
Grades threadlings exercises with hidden tests.

Usage:
  cargo grade [OPTIONS] [EXERCISE...]   grade all exercises, or the ones named
  cargo grade list                      list the exercises
  cargo grade hint EXERCISE [N]         show hint N (default 1) of an exercise

An EXERCISE is an id (01), a directory (01_first_thread) or a crate name.

Options:
  --solutions       grade the reference solutions in solutions/ instead of exercises/
  --format FORMAT   text (default) or json
  --jobs N          test processes run at once (default: the number of CPUs)
  --course DIR      the course root (default: the nearest directory with course.toml)
  --scratch DIR     where graded copies are built (default: <course>/target/threadlings)
  --target-dir DIR  cargo's target directory for them (default: <scratch>/target)
  --no-record       do not add this run to the progress history
  -h, --help        show this help

Exit codes:
  0  every graded test passed
  1  some graded test did not pass
  2  the command line or the course catalogue is wrong
  3  the environment failed (a missing tool, an unreadable or unwritable path)
";

#[derive(Debug, PartialEq)]
enum Command {
    Grade { format: Format, record: bool },
    List,
    Hint { exercise: String, n: usize },
    Help,
}

#[derive(Debug, PartialEq, Clone, Copy)]
enum Format {
    Text,
    Json,
}

struct Args {
    command: Command,
    options: Options,
    course: Option<PathBuf>,
}

/// Runs the grader with the process's arguments.
pub fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(argv: Vec<String>) -> Result<u8, Error> {
    let args = parse(argv)?;
    if args.command == Command::Help {
        print!("{HELP}");
        return Ok(exit::PASSED);
    }
    let root = match args.course {
        Some(dir) => dir,
        None => {
            let cwd = std::env::current_dir().map_err(|e| Error::io("read the current directory", ".".as_ref(), e))?;
            Course::find_root(&cwd)?
        }
    };
    let course = Course::load(&root)?;
    match args.command {
        Command::List => {
            for ex in &course.exercises {
                println!("{:<4}{:<34}{:>3} points  {}", ex.id, ex.title, ex.max_score(), ex.topic);
            }
            Ok(exit::PASSED)
        }
        Command::Hint { exercise, n } => {
            let ex = course.select(std::slice::from_ref(&exercise))?[0];
            let hint = ex.hints.get(n - 1).ok_or_else(|| {
                Error::Usage(format!(
                    "exercise {} has {} hints; ask for 1 to {}",
                    ex.id,
                    ex.hints.len(),
                    ex.hints.len()
                ))
            })?;
            println!("Hint {n} of {} for {} {}:\n\n{hint}", ex.hints.len(), ex.id, ex.title);
            if n < ex.hints.len() {
                println!("\nMore: `cargo grade hint {} {}`", ex.id, n + 1);
            }
            Ok(exit::PASSED)
        }
        Command::Grade { format, record } => {
            let mut options = args.options;
            let runner = &mut options.runner;
            let scratch = runner.scratch.clone().unwrap_or_else(|| grade::default_scratch(&course));
            let target = runner.target_dir.clone().unwrap_or_else(|| scratch.join("target"));
            let first_build = !target.join("debug").is_dir();
            if first_build {
                eprintln!(
                    "First grade: building the course's dependencies and every exercise with its hidden tests \
                     (about a minute; later grades take seconds) ..."
                );
            }
            runner.show_build = first_build || std::io::stderr().is_terminal();
            let report = grade::grade(&course, &options)?;
            match format {
                Format::Json => print!("{}", render::json(&report)),
                Format::Text => {
                    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    let style = if color { render::Style::Color } else { render::Style::Plain };
                    print!("{}", render::text(&report, &course, style));
                }
            }
            if record && report.mode == Mode::Exercises {
                // The grade stands even if the history cannot be written.
                if let Err(e) = history::append(&course.paths.history, &history::Record::of(&report)) {
                    eprintln!("warning: {e}");
                }
            }
            Ok(if report.all_passed() { exit::PASSED } else { exit::NOT_PASSED })
        }
        Command::Help => unreachable!("handled above"),
    }
}

fn parse(argv: Vec<String>) -> Result<Args, Error> {
    let mut options = Options::new(Mode::Exercises);
    let mut course = None;
    let mut format = Format::Text;
    let mut record = true;
    let mut words = Vec::new();
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| Error::Usage(format!("{flag} needs a value")));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Args { command: Command::Help, options, course }),
            "--solutions" => options.mode = Mode::Solutions,
            "--no-record" => record = false,
            "--format" => {
                format = match value("--format")?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    other => return Err(Error::Usage(format!("unknown format '{other}': use text or json"))),
                }
            }
            "--jobs" => {
                let v = value("--jobs")?;
                options.runner.jobs = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::Usage(format!("--jobs takes a positive number, not '{v}'")))?;
            }
            "--course" => course = Some(PathBuf::from(value("--course")?)),
            "--scratch" => options.runner.scratch = Some(PathBuf::from(value("--scratch")?)),
            "--target-dir" => options.runner.target_dir = Some(PathBuf::from(value("--target-dir")?)),
            flag if flag.starts_with('-') => return Err(Error::Usage(format!("unknown option '{flag}'"))),
            _ => words.push(arg),
        }
    }
    let command = match words.first().map(String::as_str) {
        Some("list") if words.len() == 1 => Command::List,
        Some("hint") => {
            let exercise = words
                .get(1)
                .cloned()
                .ok_or_else(|| Error::Usage("`hint` needs an exercise, like `cargo grade hint 01`".into()))?;
            let n = match words.get(2) {
                None => 1,
                Some(n) => n
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::Usage(format!("hint number '{n}' is not a positive number")))?,
            };
            if words.len() > 3 {
                return Err(Error::Usage("`hint` takes an exercise and at most a number".into()));
            }
            Command::Hint { exercise, n }
        }
        _ => {
            options.ids = words;
            Command::Grade { format, record }
        }
    };
    Ok(Args { command, options, course })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Args, Error> {
        parse(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn grade_is_the_default_command() {
        let args = parse_words(&["01", "--solutions", "--format", "json", "--jobs", "3"]).unwrap();
        assert_eq!(args.command, Command::Grade { format: Format::Json, record: true });
        assert_eq!(
            (args.options.ids, args.options.mode, args.options.runner.jobs),
            (vec!["01".to_string()], Mode::Solutions, 3)
        );
    }

    #[test]
    fn hint_and_list_parse() {
        assert_eq!(parse_words(&["hint", "02", "3"]).unwrap().command, Command::Hint { exercise: "02".into(), n: 3 });
        assert_eq!(parse_words(&["list"]).unwrap().command, Command::List);
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for bad in [&["--format", "xml"][..], &["--jobs", "0"], &["--bogus"], &["hint"], &["--course"]] {
            let err = parse_words(bad).err().expect("rejected");
            assert_eq!(err.exit_code(), exit::USAGE, "{bad:?}");
        }
    }
}

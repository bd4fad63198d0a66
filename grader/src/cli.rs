//! The command line: parse (clap), dispatch, print, map errors to exit codes.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::catalogue::{Course, Exercise};
use crate::error::{Error, exit};
use crate::fence::{self, Fence};
use crate::grade::{self, Options, Runner};
use crate::model::{Mode, Report};
use crate::out::{note, print};
use crate::watch::{self, WatchOptions};
use crate::{history, progress, render, reset, solution};

/// The text after the options: what an EXERCISE is, grading in a student
/// copy, and the exit codes.
fn after_help() -> String {
    let mut text = "\
An EXERCISE is an id (1 or 01), a directory (01_first_thread) or a crate name.

In a student copy of the course (no grader/hidden/exercises/), the hidden tests
run in CI: a grade here runs each exercise's visible tests instead (tests/visible.rs),
each in a process of its own with a timeout, and counts tests passed, not points.

Exit codes:"
        .to_string();
    for (code, meaning) in exit::DOCUMENTED {
        text.push_str(&format!("\n  {code}  {meaning}"));
    }
    text
}

#[derive(Parser, Debug)]
#[command(
    name = "cargo grade",
    bin_name = "cargo grade",
    version,
    about = "Grades threadlings exercises with hidden tests.",
    after_help = after_help(),
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// Exercises to grade; all of them when none is named (inside
    /// exercises/<dir>/, that one)
    #[arg(value_name = "EXERCISE")]
    exercises: Vec<String>,
    #[command(flatten)]
    grade: GradeArgs,
    /// The course root [default: the nearest directory with course.toml]
    #[arg(long, value_name = "DIR", global = true)]
    course: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct GradeArgs {
    /// Grade the reference solutions in solutions/ instead of exercises/
    #[arg(long)]
    solutions: bool,
    /// Output format: the report (text, json), a CI system's result file
    /// (classroom, junit, gradescope, classroom50, ctrf)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Grade every exercise, also when run inside exercises/<dir>/
    #[arg(long)]
    all: bool,
    /// Do not add this run to the progress history
    #[arg(long)]
    no_record: bool,
    /// The learner's exercises/ tree to grade, for example a student's checkout
    /// beside the course; only read, never written [default: <course>/exercises]
    #[arg(long = "exercises", value_name = "DIR")]
    exercises_dir: Option<PathBuf>,
    #[command(flatten)]
    runner: RunnerArgs,
}

#[derive(Args, Debug, Clone)]
struct RunnerArgs {
    /// Test processes run at once [default: twice the number of CPUs]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..), global = true)]
    jobs: Option<u16>,
    /// Where graded copies are built [default: <course>/target/threadlings]
    #[arg(long, value_name = "DIR", global = true)]
    scratch: Option<PathBuf>,
    /// Cargo's target directory for them [default: <scratch>/target]
    #[arg(long, value_name = "DIR", global = true)]
    target_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Grade the current exercise on every save; keys for the next one, hints,
    /// the list, a reset and a check of everything
    Watch {
        /// Grade when you press Enter instead of on every save (for file
        /// systems where watching files does not work)
        #[arg(long)]
        manual: bool,
        /// The exercise to start with [default: the first without full marks]
        #[arg(value_name = "EXERCISE")]
        exercise: Option<String>,
    },
    /// Every exercise with its status, points and attempts
    List,
    /// Show a hint for an exercise (hint 1 first, then 2, ...)
    Hint {
        #[arg(value_name = "EXERCISE")]
        exercise: String,
        /// Which hint [default: 1]
        #[arg(value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        n: Option<u16>,
    },
    /// Put an exercise's src/ back to its starter; your code is copied to
    /// .threadlings/backup/ first
    Reset {
        #[arg(value_name = "EXERCISE")]
        exercise: String,
        /// Do not ask first
        #[arg(long)]
        yes: bool,
    },
    /// Compare your code with the reference solution, once you have full marks
    Solution {
        #[arg(value_name = "EXERCISE")]
        exercise: String,
        /// Show it before you have full marks
        #[arg(long)]
        give_up: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The human report (learner text fenced under GitHub Actions)
    Text,
    /// Our own report (grader/schemas/report.schema.json)
    Json,
    /// The classroom-resources reporter's result: base64, one line, as the step
    /// output `result` when GITHUB_OUTPUT is set; always exits 0 once graded
    Classroom,
    /// JUnit XML: a testsuite per exercise, a testcase per hidden test
    Junit,
    /// Gradescope's results.json
    Gradescope,
    /// Classroom 50's result.json
    #[value(name = "classroom50")]
    Classroom50,
    /// The Common Test Report Format
    Ctrf,
}

/// Runs the grader with the process's arguments.
pub fn main() -> ExitCode {
    match run(std::env::args_os().collect()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            note(&format!("error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

fn parse(argv: Vec<std::ffi::OsString>) -> Result<Result<Cli, String>, Error> {
    match Cli::try_parse_from(argv) {
        Ok(cli) => Ok(Ok(cli)),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Ok(Err(e.to_string())),
            // One line, like every other error: clap's first line names the problem.
            _ => {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or("bad arguments");
                Err(Error::Usage(first.trim_start_matches("error: ").to_string()))
            }
        },
    }
}

fn run(argv: Vec<std::ffi::OsString>) -> Result<u8, Error> {
    let cli = match parse(argv)? {
        Ok(cli) => cli,
        Err(help) => {
            print(&help);
            return Ok(exit::PASSED);
        }
    };
    let cwd = std::env::current_dir().map_err(|e| Error::io("read the current directory", ".".as_ref(), e))?;
    let root = match &cli.course {
        Some(dir) => dir.clone(),
        None => Course::find_root(&cwd)?,
    };
    let mut course = Course::load(&root)?;
    if let Some(dir) = &cli.grade.exercises_dir {
        if cli.command.is_some() {
            return Err(Error::Usage("--exercises DIR is for grading: give it without a subcommand".into()));
        }
        course.paths.exercises =
            std::fs::canonicalize(dir).map_err(|e| Error::io("find the exercises to grade", dir, e))?;
    }
    let course = course;
    let runner = runner(&cli.grade.runner);
    match cli.command {
        None => grade_command(&course, cli.exercises, cli.grade, runner, &cwd),
        Some(Cmd::List) => {
            print(&progress::render_list(&progress::read(&course)?));
            Ok(exit::PASSED)
        }
        Some(Cmd::Hint { exercise, n }) => hint(&course, &exercise, n.map_or(1, usize::from)),
        Some(Cmd::Reset { exercise, yes }) => reset_command(&course, &exercise, yes),
        Some(Cmd::Solution { exercise, give_up }) => solution_command(&course, &exercise, give_up),
        Some(Cmd::Watch { manual, exercise }) => {
            let interactive = std::io::stdout().is_terminal();
            let runner = Runner { show_build: !interactive, ..runner };
            watch::run(&course, WatchOptions { manual, start: exercise, runner, record: true })
        }
    }
}

fn runner(args: &RunnerArgs) -> Runner {
    let mut runner = Runner::default();
    if let Some(jobs) = args.jobs {
        runner.jobs = usize::from(jobs);
    }
    // Cargo runs from `/` (away from learner configs): relative paths would
    // land there.
    let absolute = |dir: &Option<PathBuf>| dir.as_ref().map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()));
    runner.scratch = absolute(&args.scratch);
    runner.target_dir = absolute(&args.target_dir);
    runner
}

fn one<'a>(course: &'a Course, name: &str) -> Result<&'a Exercise, Error> {
    Ok(course.select(&[name.to_string()])?[0])
}

/// The exercise whose folder `cwd` is in, if any.
fn exercise_here<'a>(course: &'a Course, cwd: &Path) -> Option<&'a Exercise> {
    let rel = cwd.strip_prefix(&course.paths.exercises).ok()?;
    let dir = rel.components().next()?.as_os_str().to_str()?;
    course.exercises.iter().find(|e| e.dir == dir)
}

fn grade_command(
    course: &Course,
    mut ids: Vec<String>,
    args: GradeArgs,
    mut runner: Runner,
    cwd: &Path,
) -> Result<u8, Error> {
    let mode = if args.solutions { Mode::Solutions } else { Mode::Exercises };
    if args.solutions {
        solutions_here(course)?;
    }
    // A student copy: its hidden tests run in CI, and a run of the visible
    // tests here is no grade for a CI system to take.
    let visible_only = mode == Mode::Exercises && !course.has_hidden_tests();
    if ids.is_empty()
        && !args.all
        && let Some(ex) = exercise_here(course, &std::fs::canonicalize(cwd).unwrap_or(cwd.to_path_buf()))
    {
        note(&format!("grading {} {}, the exercise of this folder (`--all` for every exercise)", ex.id, ex.title));
        ids.push(ex.id.clone());
    }
    let scratch = runner.scratch.clone().unwrap_or_else(|| grade::default_scratch(course));
    let target = runner.target_dir.clone().unwrap_or_else(|| crate::stage::paths::target_dir(&scratch));
    let first_build = !target.join("debug").is_dir();
    if first_build {
        note(&format!(
            "First grade: building the course's dependencies and every exercise with its {} tests \
             (about a minute; later grades take seconds) ...",
            if visible_only { "visible" } else { "hidden" }
        ));
    }
    // Under GitHub Actions cargo's output is not echoed: it quotes learner code,
    // which must not reach the log unfenced; compiler errors are in the report.
    runner.show_build = (first_build || std::io::stderr().is_terminal()) && !fence::github_actions();
    runner.show_progress = std::io::stderr().is_terminal();
    let options = Options { mode, ids, runner };
    let start = epoch_ms();
    let graded = if visible_only && !matches!(args.format, Format::Text | Format::Json) {
        let name = args.format.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
        Err(Error::Usage(format!(
            "--format {name} reports a grade, and the hidden tests are not in this repository \
             ({}): they run in CI; here use text or json",
            course.paths.hidden.display()
        )))
    } else {
        grade::grade(course, &options)
    };
    let report = match graded {
        Ok(report) => report,
        Err(e) if args.format == Format::Classroom => {
            // The reporter still gets a result, and says what broke.
            classroom_output(&render::classroom_error(&format!("the grader could not grade: {e}")))?;
            return Err(e);
        }
        Err(e) if args.format == Format::Gradescope => {
            // So does Gradescope: results.json says what broke.
            print(&render::gradescope_error(&format!("The grader could not grade this submission: {e}")));
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let stop = epoch_ms();
    match args.format {
        Format::Json => print(&render::json(&report)),
        Format::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let style = if color { render::Style::Color } else { render::Style::Plain };
            let text = render::text(&report, course, style);
            match Fence::for_this_run() {
                Some(fence) => print(&fence.wrap(&text)),
                None => print(&text),
            }
        }
        Format::Classroom => {
            classroom_output(&render::classroom(&report))?;
            step_summary(&render::step_summary(&report));
        }
        Format::Junit => print(&render::junit(&report)),
        Format::Gradescope => print(&render::gradescope(&report, course)),
        Format::Classroom50 => print(&render::classroom50(&report)),
        Format::Ctrf => print(&render::ctrf(&report, start, stop)),
    }
    let record = !args.no_record && report.mode == Mode::Exercises;
    if record {
        // The grade stands even if the history cannot be written.
        if let Err(e) = history::append(&course.paths.history, &history::Record::of(&report)) {
            note(&format!("warning: {e}"));
        }
    }
    if args.format == Format::Text && record {
        print(&after_a_pass(course, &report)?);
    }
    // A classroom step passes once graded: the reporter fails the job on a
    // failing grade, and later exercises' steps still run.
    Ok(if report.all_passed() || args.format == Format::Classroom { exit::PASSED } else { exit::NOT_PASSED })
}

fn epoch_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The classroom result: the step output `result` when GITHUB_OUTPUT names
/// the file for it, else one line on stdout.
fn classroom_output(line: &str) -> Result<(), Error> {
    match std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        Some(path) => append(Path::new(&path), &format!("result={line}\n"), "write the step output"),
        None => {
            print(&format!("{line}\n"));
            Ok(())
        }
    }
}

/// The Markdown summary, to GITHUB_STEP_SUMMARY when set; a summary that cannot
/// be written is a warning, the grade stands.
fn step_summary(markdown: &str) {
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
        && let Err(e) = append(Path::new(&path), markdown, "write the step summary")
    {
        note(&format!("warning: {e}"));
    }
}

fn append(path: &Path, text: &str, doing: &'static str) -> Result<(), Error> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| Error::io(doing, path, e))
}

/// After a subset of exercises all pass: where to compare, and what is next.
fn after_a_pass(course: &Course, report: &Report) -> Result<String, Error> {
    if !report.all_passed() || report.exercises.len() == course.exercises.len() {
        return Ok(String::new());
    }
    let ids: Vec<&str> = report.exercises.iter().map(|e| e.id.as_str()).collect();
    let mut text = format!("Compare with the reference solution: `cargo grade solution {}`.\n", ids[0]);
    match progress::current(&progress::read(course)?) {
        Some(next) => text.push_str(&format!("Next: {} {}: `cargo grade {}`.\n", next.id, next.title, next.id)),
        None => text.push_str("Every exercise is done. Well done!\n"),
    }
    Ok(text)
}

fn hint(course: &Course, name: &str, n: usize) -> Result<u8, Error> {
    let ex = one(course, name)?;
    let hint = ex.hints.get(n - 1).ok_or_else(|| {
        Error::Usage(format!("exercise {} has {} hints; ask for 1 to {}", ex.id, ex.hints.len(), ex.hints.len()))
    })?;
    let mut text = format!("Hint {n} of {} for {} {}:\n\n{hint}\n", ex.hints.len(), ex.id, ex.title);
    if n < ex.hints.len() {
        text.push_str(&format!("\nMore: `cargo grade hint {} {}`\n", ex.id, n + 1));
    }
    print(&text);
    // The hint is shown even if the history cannot be written.
    if let Err(e) = history::append_hint(&course.paths.history, &history::HintRecord::now(&ex.id, n as u32)) {
        note(&format!("warning: {e}"));
    }
    Ok(exit::PASSED)
}

fn reset_command(course: &Course, name: &str, yes: bool) -> Result<u8, Error> {
    let ex = one(course, name)?;
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::Usage(format!(
                "reset replaces your code in exercises/{}/src/: add --yes to do it without a terminal to ask on",
                ex.dir
            )));
        }
        print(&format!(
            "Reset {} {} to its starter? Your exercises/{}/src/ is copied to .threadlings/backup/ first. [y/N] ",
            ex.id, ex.title, ex.dir
        ));
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            print("Not reset.\n");
            return Ok(exit::PASSED);
        }
    }
    let done = reset::reset(course, ex)?;
    if let Some(e) = &done.unrecorded {
        eprintln!("warning: {e}");
    }
    let shown = |p: &Path| p.strip_prefix(&course.root).unwrap_or(p).display().to_string();
    print(&format!(
        "Your code is saved in {}/.\n{}/ is the starter again.\n",
        shown(&done.backup),
        shown(&done.restored)
    ));
    Ok(exit::PASSED)
}

/// The reference solutions are not in a student copy of the course.
fn solutions_here(course: &Course) -> Result<(), Error> {
    if course.paths.solutions.is_dir() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the reference solutions are not in this copy of the course ({} is missing): your teacher has them",
        course.paths.solutions.display()
    )))
}

fn solution_command(course: &Course, name: &str, give_up: bool) -> Result<u8, Error> {
    let ex = one(course, name)?;
    solutions_here(course)?;
    let standing = progress::read(course)?.into_iter().find(|s| s.id == ex.id).expect("every exercise has a standing");
    if standing.best != Some(standing.max) && !give_up {
        let best = standing.best.map_or("not graded yet".to_string(), |b| format!("best {b}/{}", standing.max));
        print(&format!(
            "{} {} is not solved yet ({best}). Keep going: `cargo grade {}`, and `cargo grade hint {}` when stuck.\n\
             To see the reference solution anyway: `cargo grade solution {} --give-up`.\n",
            ex.id, ex.title, ex.id, ex.id, ex.id
        ));
        return Ok(exit::NOT_PASSED);
    }
    print(&solution::compare(course, ex)?);
    Ok(exit::PASSED)
}

/// The generated help, for tests that check the README against it.
pub fn help_text() -> String {
    Cli::command().render_long_help().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Cli, Error> {
        let argv = std::iter::once("grader").chain(words.iter().copied()).map(Into::into).collect();
        parse(argv)?.map_err(Error::Usage)
    }

    #[test]
    fn grading_is_the_default_and_subcommands_parse() {
        let cli = parse_words(&["01", "--solutions", "--format", "json", "--jobs", "3"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(
            (cli.exercises, cli.grade.solutions, cli.grade.format),
            (vec!["01".to_string()], true, Format::Json)
        );
        assert_eq!(runner(&cli.grade.runner).jobs, 3);
        assert!(matches!(parse_words(&["hint", "2", "3"]).unwrap().command, Some(Cmd::Hint { n: Some(3), .. })));
        assert!(matches!(parse_words(&["list"]).unwrap().command, Some(Cmd::List)));
        for (word, format) in [
            ("classroom", Format::Classroom),
            ("junit", Format::Junit),
            ("gradescope", Format::Gradescope),
            ("classroom50", Format::Classroom50),
            ("ctrf", Format::Ctrf),
        ] {
            assert_eq!(parse_words(&["--format", word]).unwrap().grade.format, format);
        }
        assert!(matches!(parse_words(&["reset", "1", "--yes"]).unwrap().command, Some(Cmd::Reset { yes: true, .. })));
        assert!(matches!(parse_words(&["watch", "--manual"]).unwrap().command, Some(Cmd::Watch { manual: true, .. })));
    }

    #[test]
    fn bad_arguments_are_one_line_usage_errors() {
        for bad in [&["--format", "xml"][..], &["--jobs", "0"], &["--bogus"], &["hint"], &["--course"]] {
            let err = parse_words(bad).expect_err("rejected");
            assert_eq!(err.exit_code(), exit::USAGE, "{bad:?}");
            assert_eq!(err.to_string().lines().count(), 1, "{err}");
        }
    }

    #[test]
    fn help_and_version_are_not_errors() {
        for words in [&["--help"][..], &["help"], &["--version"], &["help", "watch"]] {
            let text = parse(std::iter::once("grader").chain(words.iter().copied()).map(Into::into).collect())
                .unwrap()
                .expect_err("help text");
            assert!(!text.is_empty());
        }
        assert!(help_text().contains("Exit codes:"));
    }
}

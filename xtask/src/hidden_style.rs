//! The hidden tests held to the project's style: `rustfmt --check` on every
//! `hidden.rs`, and clippy on them as the grader builds them. They are no crate
//! of their own (the grader copies each into a staged crate as
//! `tests/hidden.rs`), so clippy runs on a workspace staged from the solutions,
//! and only what it says about `tests/hidden.rs` counts: the learner's side
//! (`src/`) is not the hidden tests' to lint.

use std::process::Command;
use std::time::Duration;

use grader::catalogue::{Course, Exercise};
use grader::compile::{self, neutralize_cargo_env};
use grader::error::Error;
use grader::grade::{self, Submission};
use grader::process::{self, Exit, Limits};
use grader::stage::Scratch;
use serde::Deserialize;

/// The batch the hidden tests are staged in for clippy.
const LABEL: &str = "lint-hidden";
const TOOL_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Every `hidden.rs` of `selected` that `rustfmt --check` would change, one line each.
pub fn format_problems(course: &Course, selected: &[&Exercise]) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    for ex in selected {
        let file = course.paths.hidden.join(&ex.dir).join("hidden.rs");
        if !file.is_file() {
            continue; // the layout check names a missing file
        }
        let mut cmd = Command::new("rustfmt");
        // The edition is the workspace's; rustfmt.toml is found from the file up.
        cmd.args(["--check", "--edition", "2024"]).arg(&file);
        let done = process::run(cmd, &Limits::tool(Duration::from_secs(120))).map_err(|e| Error::Tool {
            tool: "rustfmt".into(),
            why: format!("could not start it ({e}): rustup component add rustfmt"),
        })?;
        match done.exit {
            Exit::Code(0) => {}
            Exit::Code(1) => problems.push(format!(
                "{}: not formatted: run `rustfmt --edition 2024 {}`",
                file.display(),
                file.display()
            )),
            _ => problems.push(format!(
                "{}: rustfmt failed: {}",
                file.display(),
                done.stderr.text().lines().next().unwrap_or("no message")
            )),
        }
    }
    Ok(problems)
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    message: String,
    spans: Vec<Span>,
}

#[derive(Deserialize)]
struct Span {
    file_name: String,
    line_start: usize,
    is_primary: bool,
}

/// Clippy's warnings on the hidden tests of `selected`, one line each naming
/// `grader/hidden/exercises/<dir>/hidden.rs:<line>`, as if with `-D warnings`.
pub fn clippy_problems(course: &Course, selected: &[&Exercise]) -> Result<Vec<String>, Error> {
    let scratch = Scratch::open(&grade::default_scratch(course), LABEL)?;
    let submissions: Vec<Submission> = selected.iter().map(|ex| Submission::solution(course, ex, "solution")).collect();
    let staged = scratch.stage(course, LABEL, &submissions)?;
    let mut cmd = Command::new(compile::cargo());
    // From the root, as the grader builds: no learner config applies.
    cmd.current_dir("/")
        .args(["clippy", "--tests", "--keep-going", "--message-format=json", "--color=never", "--manifest-path"])
        .arg(scratch.workspace(LABEL).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(scratch.target_dir());
    let mut problems = Vec::new();
    for (ex, staged) in selected.iter().zip(&staged) {
        match staged {
            Ok(s) => {
                cmd.arg("--package").arg(&s.package);
            }
            Err(why) => problems.push(format!("exercise {}: could not stage its hidden tests: {why}", ex.id)),
        }
    }
    neutralize_cargo_env(&mut cmd);
    let done = process::run(cmd, &Limits::tool(TOOL_TIMEOUT)).map_err(|e| Error::Tool {
        tool: "cargo clippy".into(),
        why: format!("could not start it ({e}): rustup component add clippy"),
    })?;
    for line in done.stdout.text().lines() {
        let Ok(Message { reason, message: Some(d) }) = serde_json::from_str::<Message>(line) else { continue };
        if reason != "compiler-message" || !matches!(d.level.as_str(), "warning" | "error") {
            continue;
        }
        let Some(span) = d.spans.iter().find(|s| s.is_primary) else { continue };
        let Some(dir) = staged_hidden_test(&span.file_name).filter(|d| selected.iter().any(|e| e.dir == *d)) else {
            continue;
        };
        let file = course.paths.hidden.join(dir).join("hidden.rs");
        let problem = format!("{}:{}: clippy {}: {}", file.display(), span.line_start, d.level, d.message);
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    if done.exit != Exit::Code(0) && problems.is_empty() {
        let stderr = done.stderr.text();
        let why = stderr.lines().filter(|l| l.contains("error")).take(3).collect::<Vec<_>>().join(" ");
        problems.push(format!("cargo clippy on the staged hidden tests failed: {why}"));
    }
    Ok(problems)
}

/// The exercise dir of a staged `<key>/<dir>/tests/hidden.rs`, if that is what `file` is.
fn staged_hidden_test(file: &str) -> Option<&str> {
    file.strip_suffix("/tests/hidden.rs")?.rsplit('/').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staged_hidden_tests_count() {
        assert_eq!(staged_hidden_test("solution/04_lost_updates/tests/hidden.rs"), Some("04_lost_updates"));
        assert_eq!(staged_hidden_test("/abs/lint-hidden/solution/04_x/tests/hidden.rs"), Some("04_x"));
        assert_eq!(staged_hidden_test("solution/04_lost_updates/src/lib.rs"), None);
        assert_eq!(staged_hidden_test("solution/04_lost_updates/tests/visible.rs"), None);
    }
}

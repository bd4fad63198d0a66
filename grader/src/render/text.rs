use std::fmt::Write;

use crate::catalogue::Course;
use crate::model::{Mode, Report, Status};

/// Lines of a failure message shown per test; the JSON report has it all.
const MESSAGE_LINES: usize = 16;
/// Lines of compiler output shown per exercise (the build keeps whole errors,
/// at most a few of them).
const BUILD_LINES: usize = 150;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Color,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Style::Plain => text.to_string(),
            Style::Color => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }
}

/// What a run of the visible tests says first: they are not the grade.
const VISIBLE_NOTICE: &str = "The hidden tests are not in this repository: they run in CI when you push, \
     and they give your grade.\nHere each exercise's visible tests (tests/visible.rs) run instead, \
     each in a process of its own with a timeout.";

/// The human report: per exercise its points, per test what failed and why, then
/// the total and what to do next. A run of the visible tests counts tests
/// passed, not points, and says that the hidden tests run in CI.
pub fn text(report: &Report, course: &Course, style: Style) -> String {
    let mut out = String::new();
    let visible = report.mode == Mode::Visible;
    let whose = match report.mode {
        Mode::Exercises => "your code in exercises/",
        Mode::Solutions => "the reference solutions",
        Mode::Visible => "your code in exercises/, by its visible tests",
    };
    let n = report.exercises.len();
    if visible {
        let _ = writeln!(out, "{VISIBLE_NOTICE}\n");
    }
    let _ = writeln!(out, "Graded {n} exercise{} ({whose})\n", if n == 1 { "" } else { "s" });
    let id_width = report.exercises.iter().map(|e| e.id.len()).max().unwrap_or(0).max(2) + 2;
    for ex in &report.exercises {
        let full = ex.score == ex.max_score;
        let tally = if visible {
            format!("visible tests: {}/{} passed", ex.score, ex.max_score)
        } else {
            format!("{:>3}/{}", ex.score, ex.max_score)
        };
        let points = style.paint(if full { "32" } else { "33" }, &tally);
        let _ = writeln!(out, "{:<id_width$}{:<44}{points}", ex.id, ex.title);
        if !ex.build_message.is_empty() {
            let _ = writeln!(out, "    {}", style.paint("31", "does not build:"));
            push_indented(&mut out, &ex.build_message, BUILD_LINES, 6);
        }
        let width = ex.tests.iter().map(|t| t.name.len()).max().unwrap_or(0) + 2;
        for t in &ex.tests {
            let (mark, color) = if t.status == Status::Passed { ("✓", "32") } else { ("✗", "31") };
            let status = if t.status == Status::Passed { String::new() } else { format!("  {}", t.status.as_str()) };
            let repeats = if t.repeat > 1 && t.status == Status::Passed {
                format!("  ({} runs)", t.repeat)
            } else {
                String::new()
            };
            let points = if visible { String::new() } else { format!("{:>2}/{}", t.score, t.max_score) };
            let line = format!("    {} {:<width$}{points}{status}{repeats}", style.paint(color, mark), t.name);
            let _ = writeln!(out, "{}", line.trim_end());
            if t.status != Status::Passed && ex.build_message.is_empty() {
                push_indented(&mut out, &t.message, MESSAGE_LINES, 8);
            }
        }
        out.push('\n');
    }
    if visible {
        let _ = writeln!(
            out,
            "Visible tests: {}/{} passed. Not your grade: the hidden tests run in CI when you push.",
            report.score, report.max_score
        );
    } else {
        let _ = writeln!(out, "Score: {}/{}", report.score, report.max_score);
    }
    match report.next.as_deref().and_then(|id| course.find(id)) {
        Some(ex) if report.mode != Mode::Solutions => {
            let _ = writeln!(
                out,
                "Next: {} {}. Read exercises/{}/README.md, edit exercises/{}/src/lib.rs,\n      \
                 check with `cargo test -p {}` and `cargo grade {}`. Stuck? `cargo grade hint {}`.",
                ex.id, ex.title, ex.dir, ex.dir, ex.crate_name, ex.id, ex.id
            );
        }
        Some(ex) => {
            let _ = writeln!(out, "The reference solution of {} {} does not get full marks.", ex.id, ex.title);
        }
        None if visible => {
            let _ = writeln!(out, "Every visible test passes: push, and CI runs the hidden tests.");
        }
        None if report.mode == Mode::Exercises && report.exercises.len() == course.exercises.len() => {
            let _ = writeln!(out, "Every exercise passes. Well done!");
        }
        None => {}
    }
    out
}

fn push_indented(out: &mut String, message: &str, max_lines: usize, indent: usize) {
    let lines: Vec<&str> = message.lines().collect();
    for line in lines.iter().take(max_lines) {
        let _ = writeln!(out, "{:indent$}{line}", "");
    }
    if lines.len() > max_lines {
        let _ = writeln!(out, "{:indent$}... {} more lines (`--format json` shows all)", "", lines.len() - max_lines);
    }
}

//! The classroom-resources reporter's version-1 result (base64 of JSON), and the
//! Markdown step summary beside it.

use std::fmt::Write;

use base64::Engine;
use serde_json::{Value, json};

use super::{headline, location, qualified, truncate, why};
use crate::model::{Report, Status};

/// Largest base64 document written: the reporter receives it through an
/// environment variable, and Linux refuses one string over 128 KiB.
pub const CLASSROOM_LIMIT: usize = 96 * 1024;
/// Bytes of a message kept per test before the document must shrink further.
const MESSAGE_START: usize = 2000;

/// The reporter's result document, messages cut to `message_cap` bytes each.
pub fn classroom_document(report: &Report, message_cap: usize) -> Value {
    let mut tests = Vec::new();
    for ex in &report.exercises {
        for t in &ex.tests {
            let message = if t.status == Status::Passed { String::new() } else { why(ex, t) };
            let (filename, line_no) = location(&message).unwrap_or(("", 0));
            tests.push(json!({
                "name": qualified(ex, t),
                "status": match t.status {
                    Status::Passed => "pass",
                    Status::NotRun => "error",
                    _ => "fail",
                },
                "score": t.score,
                "message": if message_cap == 0 { String::new() } else { truncate(&message, message_cap) },
                "test_code": format!("cargo grade {}", ex.id),
                "filename": filename,
                "line_no": line_no,
                "duration": t.duration_ms,
            }));
        }
    }
    let broken = report.exercises.iter().flat_map(|e| &e.tests).any(|t| t.status == Status::NotRun);
    let status = if broken {
        "error"
    } else if report.all_passed() {
        "pass"
    } else {
        "fail"
    };
    json!({ "version": 1, "status": status, "max_score": report.max_score, "tests": tests })
}

/// The base64 line of the reporter's result, under [`CLASSROOM_LIMIT`]:
/// messages are cut shorter until it fits; no test is ever left out.
pub fn classroom(report: &Report) -> String {
    let mut cap = MESSAGE_START;
    loop {
        let encoded = encode(&classroom_document(report, cap));
        if encoded.len() <= CLASSROOM_LIMIT || cap == 0 {
            return encoded;
        }
        cap = if cap > 16 { cap / 2 } else { 0 };
    }
}

/// A result for a run that could not grade: status `error` and one test
/// entry, worth nothing, saying what broke.
pub fn classroom_error(what: &str) -> String {
    let doc = json!({
        "version": 1,
        "status": "error",
        "max_score": 0,
        "tests": [{
            "name": "grading",
            "status": "error",
            "score": 0,
            "message": truncate(what, MESSAGE_START),
            "test_code": "cargo grade",
            "filename": "",
            "line_no": 0,
            "duration": 0,
        }],
    });
    encode(&doc)
}

fn encode(doc: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(doc.to_string())
}

/// A Markdown summary: per exercise its points, its failing tests and the first
/// line of why.
pub fn step_summary(report: &Report) -> String {
    let mut out = format!("## threadlings: {}/{} points\n\n", report.score, report.max_score);
    for ex in &report.exercises {
        let mark = if ex.score == ex.max_score { "✅" } else { "❌" };
        let _ = writeln!(out, "### {mark} {} {}: {}/{}\n", ex.id, ex.title, ex.score, ex.max_score);
        for t in ex.tests.iter().filter(|t| t.status != Status::Passed) {
            let line = code_span(&truncate(&headline(ex, t), 200));
            let _ = writeln!(out, "- `{}` {}: {line}", t.name, t.status.as_str());
        }
        if ex.tests.iter().any(|t| t.status != Status::Passed) {
            out.push('\n');
        }
    }
    out
}

/// Text shown literally in Markdown: in a code span, its backticks dropped.
fn code_span(text: &str) -> String {
    let text: String = text.chars().filter(|c| *c != '`' && *c != '\n').collect();
    if text.is_empty() { String::new() } else { format!("`{text}`") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExerciseResult, Mode, TestResult};

    #[test]
    fn a_huge_report_fits_the_limit_with_every_test_kept() {
        let test = |i: usize| TestResult {
            name: format!("test_{i}"),
            status: Status::Failed,
            score: 0,
            max_score: 1,
            repeat: 1,
            runs: 1,
            duration_ms: 1,
            message: "::error::x\n".repeat(10_000),
        };
        let exercises = (0..15)
            .map(|e| ExerciseResult::new(&format!("{e:02}"), "d", "t", String::new(), (0..20).map(test).collect()))
            .collect();
        let encoded = classroom(&Report::new(Mode::Exercises, exercises));
        assert!(encoded.len() <= CLASSROOM_LIMIT, "{}", encoded.len());
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc["tests"].as_array().unwrap().len(), 300, "no test is left out");
        assert_eq!(doc["max_score"], 300);
        assert!(doc["tests"][0]["message"].as_str().unwrap().starts_with("::error::x"), "messages cut, not dropped");
    }
}

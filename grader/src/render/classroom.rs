//! The classroom-resources reporter's version-1 result (base64 of JSON), and the
//! Markdown step summary beside it.

use std::fmt::Write;

use base64::Engine;
use serde_json::{Value, json};

use super::{first_line, qualified, truncate, why};
use crate::model::{Report, Status};

/// Largest base64 document written: the reporter receives it through an
/// environment variable, and Linux refuses one string over 128 KiB.
pub const CLASSROOM_LIMIT: usize = 64 * 1024;
/// Bytes of a message kept per test before the document must shrink further.
const MESSAGE_START: usize = 2000;

/// The reporter's result document, messages cut to `message_cap` bytes each.
pub fn classroom_document(report: &Report, message_cap: usize) -> Value {
    let mut tests = Vec::new();
    for ex in &report.exercises {
        for t in &ex.tests {
            let message = if t.status == Status::Passed { String::new() } else { why(ex, t) };
            tests.push(json!({
                "name": qualified(ex, t),
                "status": if t.status == Status::Passed { "pass" } else { "fail" },
                "score": t.score,
                "message": truncate(&message, message_cap),
                "test_code": format!("cargo grade {}", ex.id),
                "filename": "",
                "line_no": 0,
                "duration": t.duration_ms,
            }));
        }
    }
    let status = if report.all_passed() { "pass" } else { "fail" };
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
        cap /= 2;
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
            let line = code_span(&truncate(first_line(&why(ex, t)), 200));
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

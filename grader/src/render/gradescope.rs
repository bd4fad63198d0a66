//! Gradescope's `results.json`.

use serde_json::json;

use super::{qualified, why};
use crate::catalogue::Course;
use crate::model::{Report, Status};

/// Results with each test's visibility from the catalogue (`visible` unless
/// the test says otherwise).
pub fn gradescope(report: &Report, course: &Course) -> String {
    let mut tests = Vec::new();
    for ex in &report.exercises {
        let spec = course.find(&ex.id);
        for (i, t) in ex.tests.iter().enumerate() {
            let visibility = spec
                .and_then(|s| s.tests.iter().find(|s| s.name == t.name))
                .map_or("visible", |s| s.visibility.as_str());
            let ok = t.status == Status::Passed;
            let mut test = json!({
                "score": t.score,
                "max_score": t.max_score,
                "status": if ok { "passed" } else { "failed" },
                "name": qualified(ex, t),
                "number": format!("{}.{}", ex.id, i + 1),
                "output": if ok { String::new() } else { format!("{}\n{}", t.status.as_str(), why(ex, t)) },
                "visibility": visibility,
            });
            if let Some(at) = &ex.submitted_at {
                test["extra_data"] = json!({ "submitted_at": at, "late": ex.late });
            }
            tests.push(test);
        }
    }
    let doc = json!({
        "score": report.score,
        "output": format!("threadlings: {}/{} points", report.score, report.max_score),
        "tests": tests,
    });
    serde_json::to_string_pretty(&doc).expect("serializes") + "\n"
}

/// Results when the grader could not grade: no points, and `what` broke, so
/// the student and the teacher see why instead of an empty autograder.
pub fn gradescope_error(what: &str) -> String {
    let doc = json!({ "score": 0, "output": what, "tests": [] });
    serde_json::to_string_pretty(&doc).expect("serializes") + "\n"
}

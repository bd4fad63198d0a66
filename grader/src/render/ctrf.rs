//! The Common Test Report Format (CTRF).

use serde_json::json;

use super::{qualified, why};
use crate::model::{Report, Status};

/// The report as CTRF; `start` and `stop` are the run's bounds in milliseconds
/// since the Unix epoch.
pub fn ctrf(report: &Report, start: u64, stop: u64) -> String {
    let mut tests = Vec::new();
    let (mut passed, mut failed, mut other) = (0, 0, 0);
    for ex in &report.exercises {
        for t in &ex.tests {
            let ok = t.status == Status::Passed;
            match t.status {
                Status::Passed => passed += 1,
                Status::NotRun => other += 1,
                _ => failed += 1,
            }
            let mut test = json!({
                "name": qualified(ex, t),
                "status": match t.status {
                    Status::Passed => "passed",
                    Status::NotRun => "other",
                    _ => "failed",
                },
                "duration": t.duration_ms,
                "rawStatus": serde_json::to_value(t.status).expect("serializes"),
                "suite": format!("{} {}", ex.id, ex.title),
                "retries": t.runs.saturating_sub(1),
            });
            if !ok {
                test["message"] = why(ex, t).into();
            }
            tests.push(test);
        }
    }
    let doc = json!({
        "results": {
            "tool": { "name": "threadlings" },
            "summary": {
                "tests": passed + failed + other,
                "passed": passed,
                "failed": failed,
                "pending": 0,
                "skipped": 0,
                "other": other,
                "start": start,
                "stop": stop,
            },
            "tests": tests,
        }
    });
    serde_json::to_string_pretty(&doc).expect("serializes") + "\n"
}

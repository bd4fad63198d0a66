//! Classroom 50's `result.json` (`classroom50/result/v1`).

use serde_json::json;

use super::qualified;
use crate::model::{Report, Status};

pub fn classroom50(report: &Report) -> String {
    let tests: Vec<_> = report
        .exercises
        .iter()
        .flat_map(|ex| ex.tests.iter().map(move |t| (ex, t)))
        .map(|(ex, t)| {
            json!({
                "test-name": qualified(ex, t),
                "passed": t.status == Status::Passed,
                "score": t.score,
                "max-score": t.max_score,
            })
        })
        .collect();
    let doc = json!({
        "schema": "classroom50/result/v1",
        "score": report.score,
        "max-score": report.max_score,
        "tests": tests,
    });
    serde_json::to_string_pretty(&doc).expect("serializes") + "\n"
}

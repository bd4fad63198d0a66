//! Every output format, rendered from one `Report`: one module per format.

mod classroom;
mod classroom50;
mod ctrf;
mod gradescope;
mod json;
mod junit;
mod text;

pub use classroom::{CLASSROOM_LIMIT, classroom, classroom_document, classroom_error, step_summary};
pub use classroom50::classroom50;
pub use ctrf::ctrf;
pub use gradescope::gradescope;
pub use json::json;
pub use junit::junit;
pub use text::{Style, text};

use crate::model::{ExerciseResult, TestResult};

/// A test's name across exercises: `<exercise id> <test>`.
fn qualified(ex: &ExerciseResult, t: &TestResult) -> String {
    format!("{} {}", ex.id, t.name)
}

/// Why a test did not pass, in full: the build's errors for a test that was not
/// built, else its message.
fn why(ex: &ExerciseResult, t: &TestResult) -> String {
    if ex.build_message.is_empty() || t.message != "the exercise did not build" {
        t.message.clone()
    } else {
        format!("{}\n{}", t.message, ex.build_message)
    }
}

/// The first non-empty line of `text`.
fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

/// `text` cut to at most `max` bytes on a character boundary, saying so.
fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[... {} bytes left out]", &text[..end], text.len() - end)
}

/// Milliseconds as seconds, for formats that count in seconds.
fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

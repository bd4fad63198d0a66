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
pub use gradescope::{gradescope, gradescope_error};
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

/// One line that says why a test did not pass: the first compiler error of a
/// test that was not built, else the first line of its message after the
/// panic's location.
fn headline(ex: &ExerciseResult, t: &TestResult) -> String {
    let message = if ex.build_message.is_empty() { &t.message } else { &ex.build_message };
    let where_it_panicked = |l: &str| {
        // Repeated tests say which run failed first: "run 1 of 3: panicked at ...".
        let l = l.strip_prefix("run ").and_then(|r| r.split_once(": ")).map_or(l, |(_, rest)| rest);
        l.starts_with("panicked at ") || l.starts_with("thread '") && l.contains(" panicked at ")
    };
    let line = message.lines().map(str::trim).find(|l| !l.is_empty() && !where_it_panicked(l));
    line.unwrap_or_else(|| first_line(&t.message)).to_string()
}

/// Where a message points into the learner's code: the file and line of its
/// first panic location or compiler error in `exercises/` or `solutions/`.
fn location(message: &str) -> Option<(&str, u64)> {
    message.lines().find_map(|line| {
        let rest = line.split_once("panicked at ").or_else(|| line.split_once("--> "))?.1;
        let mut parts = rest.trim().split(':');
        let (file, line_no) = (parts.next()?, parts.next()?.parse().ok()?);
        (file.starts_with("exercises/") || file.starts_with("solutions/")).then_some((file, line_no))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_come_from_panics_and_compiler_errors_in_learner_code() {
        assert_eq!(location("panicked at exercises/p/src/lib.rs:3:10:\nindex"), Some(("exercises/p/src/lib.rs", 3)));
        assert_eq!(
            location("error[E0308]: x\n --> exercises/b/src/lib.rs:2:25\n"),
            Some(("exercises/b/src/lib.rs", 2))
        );
        assert_eq!(location("panicked at hidden test:3:5:"), None);
        assert_eq!(truncate("héllo", 2), "h\n[... 5 bytes left out]");
    }

    #[test]
    fn headlines_skip_panic_locations() {
        let t = TestResult {
            name: "t".into(),
            status: crate::model::Status::Failed,
            score: 0,
            max_score: 1,
            repeat: 3,
            runs: 1,
            duration_ms: 1,
            message: "run 1 of 3: panicked at exercises/a/src/lib.rs:37:5:\nnot yet implemented".into(),
        };
        let ex = ExerciseResult::new("01", "a", "A", String::new(), vec![t.clone()]);
        assert_eq!(headline(&ex, &t), "not yet implemented");
    }
}

//! The result model: one grading run, from which every output format is rendered.

use serde::{Deserialize, Serialize};

/// Version of the JSON report and of history records; bump on breaking changes.
pub const REPORT_FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    TimedOut,
    Crashed,
    /// The learner's code did not compile, or its sources are missing.
    NotBuilt,
    /// The grader could not run the test: its executable would not start, or
    /// the course is broken. Nothing about the learner's code.
    NotRun,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::TimedOut => "timed out",
            Status::Crashed => "crashed",
            Status::NotBuilt => "not built",
            Status::NotRun => "not run",
        }
    }
}

/// Whose code was graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The learner's `exercises/`.
    Exercises,
    /// The reference `solutions/`.
    Solutions,
    /// The learner's `exercises/`, by their visible tests (`tests/visible.rs`),
    /// a point a test: a student copy of the course, whose hidden tests run in CI.
    Visible,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exercises => "exercises",
            Mode::Solutions => "solutions",
            Mode::Visible => "visible",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub format_version: u32,
    pub mode: Mode,
    pub score: u32,
    pub max_score: u32,
    /// Id of the first graded exercise without full marks.
    pub next: Option<String>,
    pub exercises: Vec<ExerciseResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExerciseResult {
    pub id: String,
    pub dir: String,
    pub title: String,
    pub score: u32,
    pub max_score: u32,
    /// The compiler's errors when the exercise did not build, else empty.
    pub build_message: String,
    pub tests: Vec<TestResult>,
    /// When the exercise's `src/` was last committed (RFC 3339, from git), when
    /// known: a regrade keeps it, and commits to other exercises do not move it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Whether that commit came after the exercise's `due` date, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub status: Status,
    pub score: u32,
    pub max_score: u32,
    /// Runs asked for by the catalogue, and runs made before the verdict was known.
    pub repeat: u32,
    pub runs: u32,
    pub duration_ms: u64,
    /// Why it did not pass; empty when it passed.
    pub message: String,
}

impl Report {
    pub fn new(mode: Mode, exercises: Vec<ExerciseResult>) -> Report {
        let score = exercises.iter().map(|e| e.score).sum();
        let max_score = exercises.iter().map(|e| e.max_score).sum();
        let next = exercises.iter().find(|e| e.score < e.max_score).map(|e| e.id.clone());
        Report { format_version: REPORT_FORMAT_VERSION, mode, score, max_score, next, exercises }
    }

    pub fn all_passed(&self) -> bool {
        self.exercises.iter().all(|e| e.tests.iter().all(|t| t.status == Status::Passed))
    }
}

impl ExerciseResult {
    pub fn new(id: &str, dir: &str, title: &str, build_message: String, tests: Vec<TestResult>) -> Self {
        ExerciseResult {
            id: id.into(),
            dir: dir.into(),
            title: title.into(),
            score: tests.iter().map(|t| t.score).sum(),
            max_score: tests.iter().map(|t| t.max_score).sum(),
            build_message,
            tests,
            submitted_at: None,
            late: None,
        }
    }
}

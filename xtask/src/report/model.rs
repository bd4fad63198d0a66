//! The learner's report as data: built from the catalogue and the history, and
//! rendered to HTML, Markdown and JSON alike. Everything in it is sorted and
//! derived from the history alone, so one history always gives one report.

use std::collections::BTreeMap;

use grader::catalogue::Course;
use grader::history::{ExerciseRecord, History};
use grader::model::{Mode, Status};
use serde::Serialize;

use super::time;

/// Version of `report.json` (and `class.json`); bump on breaking changes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct LearnerReport {
    pub format_version: u32,
    pub exercises_done: usize,
    pub exercises_total: usize,
    pub points: u32,
    pub max_points: u32,
    /// Grading runs of the learner's exercises in the history.
    pub grades: usize,
    pub hints: usize,
    /// History lines that could not be read and were skipped.
    pub damaged_lines: usize,
    /// The catalogue's exercises in order.
    pub exercises: Vec<ExerciseReport>,
    /// Exercises in the history that the catalogue no longer has (renamed or
    /// removed), by id; their points are not in the totals.
    pub unknown_exercises: Vec<ExerciseReport>,
    pub topics: Vec<TopicPoints>,
    /// Points after each grading run.
    pub timeline: Vec<TimelinePoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExerciseReport {
    pub id: String,
    pub title: String,
    pub topic: String,
    /// `done`, `started` or `not started`.
    pub status: &'static str,
    /// Points at the latest grade, and the best ever; absent before the first.
    pub points: Option<u32>,
    pub best: Option<u32>,
    pub max_points: u32,
    pub attempts: usize,
    /// Seconds since the Unix epoch, and the same as text in UTC.
    pub first_attempt: Option<u64>,
    pub first_attempt_text: Option<String>,
    pub first_full_marks: Option<u64>,
    pub first_full_marks_text: Option<String>,
    pub time_to_full_marks_secs: Option<u64>,
    pub time_to_full_marks_text: Option<String>,
    /// Hint requests, and the highest hint shown.
    pub hints: usize,
    pub highest_hint: Option<u32>,
    /// Tests not passing at the latest grade, with the first line of their message.
    pub failing: Vec<Failing>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Failing {
    pub test: String,
    pub status: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicPoints {
    pub topic: String,
    pub points: u32,
    pub max_points: u32,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct TimelinePoint {
    pub time: u64,
    pub points: u32,
}

/// The failing tests of one graded exercise: the kept first lines where the
/// record has them, else the status alone (records before they were kept).
pub fn failing_of(grade: &ExerciseRecord) -> Vec<Failing> {
    let messages: BTreeMap<&str, &str> = grade.failing.iter().map(|(t, m)| (t.as_str(), m.as_str())).collect();
    let mut failing: Vec<Failing> = grade
        .tests
        .iter()
        .filter(|(_, status)| *status != Status::Passed)
        .map(|(test, status)| Failing {
            test: test.clone(),
            status: status.as_str().into(),
            message: messages.get(test.as_str()).copied().unwrap_or_default().into(),
        })
        .collect();
    failing.sort();
    failing
}

/// One exercise's row from its grades (oldest first) and hint requests.
fn exercise(
    id: &str,
    title: &str,
    topic: &str,
    max: u32,
    grades: &[(u64, &ExerciseRecord)],
    hints: &[u32],
) -> ExerciseReport {
    let last = grades.last().map(|(_, e)| *e);
    let full = |e: &ExerciseRecord| e.max_score > 0 && e.score >= e.max_score;
    let status = match last {
        Some(e) if full(e) => "done",
        Some(_) => "started",
        None => "not started",
    };
    let first_attempt = grades.first().map(|(t, _)| *t);
    let first_full_marks = grades.iter().find(|(_, e)| full(e)).map(|(t, _)| *t);
    let time_to_full = first_attempt.zip(first_full_marks).map(|(a, f)| f.saturating_sub(a));
    ExerciseReport {
        id: id.into(),
        title: title.into(),
        topic: topic.into(),
        status,
        points: last.map(|e| e.score),
        best: grades.iter().map(|(_, e)| e.score).max(),
        max_points: max,
        attempts: grades.len(),
        first_attempt,
        first_attempt_text: first_attempt.map(time::date_time),
        first_full_marks,
        first_full_marks_text: first_full_marks.map(time::date_time),
        time_to_full_marks_secs: time_to_full,
        time_to_full_marks_text: time_to_full.map(time::duration),
        hints: hints.len(),
        highest_hint: hints.iter().copied().max(),
        failing: last.map(failing_of).unwrap_or_default(),
    }
}

/// The report of one learner's history against `course`.
pub fn learner(course: &Course, history: &History) -> LearnerReport {
    let mut records: Vec<_> = history.records.iter().filter(|r| r.mode == Mode::Exercises).collect();
    // Appends are in time order, but a clock may have been set back: sort, stably.
    records.sort_by_key(|r| r.time);
    let mut grades: BTreeMap<&str, Vec<(u64, &ExerciseRecord)>> = BTreeMap::new();
    let mut timeline = Vec::new();
    let mut latest: BTreeMap<&str, u32> = BTreeMap::new();
    for r in &records {
        for e in &r.exercises {
            grades.entry(e.id.as_str()).or_default().push((r.time, e));
            latest.insert(e.id.as_str(), e.score);
        }
        let points = course.exercises.iter().filter_map(|ex| latest.get(ex.id.as_str())).sum();
        timeline.push(TimelinePoint { time: r.time, points });
    }
    let mut hints: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for h in &history.hints {
        // A hint asked for as `1` belongs to exercise `01`.
        let id = course.find(&h.exercise).map_or(h.exercise.as_str(), |ex| ex.id.as_str());
        hints.entry(id).or_default().push(h.hint);
    }
    let exercises: Vec<ExerciseReport> = course
        .exercises
        .iter()
        .map(|ex| {
            let g = grades.get(ex.id.as_str()).map_or(&[][..], Vec::as_slice);
            let h = hints.get(ex.id.as_str()).map_or(&[][..], Vec::as_slice);
            exercise(&ex.id, &ex.title, &ex.topic, ex.max_score(), g, h)
        })
        .collect();
    let known = |id: &str| course.exercises.iter().any(|ex| ex.id == id);
    let mut unknown_ids: Vec<&str> = grades.keys().chain(hints.keys()).copied().filter(|id| !known(id)).collect();
    unknown_ids.sort();
    unknown_ids.dedup();
    let unknown_exercises = unknown_ids
        .into_iter()
        .map(|id| {
            let g = grades.get(id).map_or(&[][..], Vec::as_slice);
            let h = hints.get(id).map_or(&[][..], Vec::as_slice);
            let max = g.last().map_or(0, |(_, e)| e.max_score);
            exercise(id, "(not in the catalogue)", "", max, g, h)
        })
        .collect();
    let mut topics: Vec<TopicPoints> = Vec::new();
    for ex in &exercises {
        match topics.iter_mut().find(|t| t.topic == ex.topic) {
            Some(t) => {
                t.points += ex.points.unwrap_or(0);
                t.max_points += ex.max_points;
            }
            None => topics.push(TopicPoints {
                topic: ex.topic.clone(),
                points: ex.points.unwrap_or(0),
                max_points: ex.max_points,
            }),
        }
    }
    LearnerReport {
        format_version: FORMAT_VERSION,
        exercises_done: exercises.iter().filter(|e| e.status == "done").count(),
        exercises_total: exercises.len(),
        points: exercises.iter().filter_map(|e| e.points).sum(),
        max_points: exercises.iter().map(|e| e.max_points).sum(),
        grades: records.len(),
        hints: history.hints.len(),
        damaged_lines: history.damaged,
        exercises,
        unknown_exercises,
        topics,
        timeline,
    }
}

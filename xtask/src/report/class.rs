//! The class report: every learner's results side by side, from a folder with
//! one entry per learner, `<learner>.json` (a `cargo grade --format json`
//! report) and/or `<learner>/history.jsonl`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use grader::catalogue::Course;
use grader::error::Error;
use grader::history::{self, first_line};
use grader::model::{Report, Status};
use serde::Serialize;

use super::model::{self, FORMAT_VERSION, Failing, LearnerReport};
use super::time;

/// A learner with a history whose last this many grading runs raised no points has stalled.
pub const STALL_AFTER: usize = 3;
/// The hidden tests listed as the ones most learners fail.
const HARD_TESTS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct ClassReport {
    pub format_version: u32,
    pub max_points: u32,
    pub stall_after: usize,
    /// By name.
    pub learners: Vec<ClassLearner>,
    /// In catalogue order.
    pub exercises: Vec<ClassExercise>,
    /// Hidden tests failing at the latest grade of the most learners.
    pub hard_tests: Vec<HardTest>,
    pub stalled: Vec<Stalled>,
    pub distribution: Vec<Bucket>,
    /// Entries of the class folder that could not be read, by name.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassLearner {
    pub name: String,
    /// `report`, `history` or `report and history`.
    pub source: &'static str,
    pub points: u32,
    pub exercises_done: usize,
    /// One per catalogue exercise, in order.
    pub cells: Vec<Cell>,
    /// Graded ids the catalogue does not have.
    pub unknown_exercises: Vec<String>,
    pub damaged_lines: usize,
    /// The latest grading run in the learner's history, in UTC.
    pub last_grade_text: Option<String>,
    pub stalled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub id: String,
    pub status: &'static str,
    pub points: Option<u32>,
    /// Only where the learner's history is known.
    pub attempts: Option<usize>,
    pub time_to_full_marks_secs: Option<u64>,
    pub failing: Vec<Failing>,
    /// From a grade report that carries them: when the exercise's sources were
    /// last committed, and whether that was after its due date.
    pub submitted_at: Option<String>,
    pub late: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassExercise {
    pub id: String,
    pub title: String,
    pub max_points: u32,
    pub done: usize,
    pub started: usize,
    pub not_started: usize,
    /// Medians over the learners with a history who attempted it / reached full marks.
    pub median_attempts: Option<usize>,
    pub median_time_to_full_marks_text: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HardTest {
    pub exercise: String,
    pub title: String,
    pub test: String,
    pub learners_failing: usize,
    /// Learners graded on the exercise.
    pub learners_graded: usize,
    /// The most common first message line, and how many learners got it.
    pub message: String,
    pub message_learners: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stalled {
    pub learner: String,
    pub points: u32,
    pub last_grade_text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub range: String,
    pub learners: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub entry: String,
    pub why: String,
}

/// What one learner's entry held.
struct Entry {
    report: Option<Report>,
    history: Option<LearnerReport>,
}

/// Reads the class folder: every learner entry, and every entry that could not be read.
pub fn read(course: &Course, dir: &Path) -> Result<ClassReport, Error> {
    let listing = fs::read_dir(dir).map_err(|e| Error::io("read the class folder", dir, e))?;
    let mut names: Vec<_> =
        listing.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut problems = Vec::new();
    for name in names.iter().filter(|n| !n.starts_with('.')) {
        let path = dir.join(name);
        if path.is_dir() {
            let file = path.join("history.jsonl");
            match fs::read(&file) {
                Ok(bytes) => {
                    let history = history::parse(&String::from_utf8_lossy(&bytes));
                    let report = model::learner(course, &history);
                    entries.entry(name.clone()).or_insert(Entry { report: None, history: None }).history = Some(report);
                }
                Err(e) => {
                    problems.push(Problem { entry: format!("{name}/"), why: format!("no readable history.jsonl: {e}") })
                }
            }
        } else if let Some(learner) = name.strip_suffix(".json") {
            let parsed = fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| serde_json::from_str::<Report>(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(report) => {
                    entries.entry(learner.into()).or_insert(Entry { report: None, history: None }).report = Some(report)
                }
                Err(why) => problems.push(Problem {
                    entry: name.clone(),
                    why: format!("not a report from cargo grade --format json: {why}"),
                }),
            }
        } else {
            problems.push(Problem {
                entry: name.clone(),
                why: "neither a <learner>.json report nor a <learner>/ folder with history.jsonl".into(),
            });
        }
    }
    let learners: Vec<ClassLearner> = entries.into_iter().map(|(name, entry)| learner(course, name, entry)).collect();
    Ok(summarize(course, learners, problems))
}

fn learner(course: &Course, name: String, entry: Entry) -> ClassLearner {
    let source = match (&entry.report, &entry.history) {
        (Some(_), Some(_)) => "report and history",
        (Some(_), None) => "report",
        _ => "history",
    };
    let mut unknown = Vec::new();
    let mut cells: Vec<Cell> = course
        .exercises
        .iter()
        .map(|ex| Cell {
            id: ex.id.clone(),
            status: "not started",
            points: None,
            attempts: None,
            time_to_full_marks_secs: None,
            failing: Vec::new(),
            submitted_at: None,
            late: None,
        })
        .collect();
    if let Some(h) = &entry.history {
        for (cell, e) in cells.iter_mut().zip(&h.exercises) {
            cell.status = e.status;
            cell.points = e.points;
            cell.attempts = Some(e.attempts);
            cell.time_to_full_marks_secs = e.time_to_full_marks_secs;
            cell.failing = e.failing.clone();
        }
        unknown.extend(h.unknown_exercises.iter().map(|e| e.id.clone()));
    }
    // A report is the latest grade of the exercises it graded.
    if let Some(report) = &entry.report {
        for e in &report.exercises {
            let Some(cell) = cells.iter_mut().find(|c| c.id == e.id) else {
                unknown.push(e.id.clone());
                continue;
            };
            cell.status = if e.max_score > 0 && e.score >= e.max_score { "done" } else { "started" };
            cell.points = Some(e.score);
            cell.submitted_at = e.submitted_at.clone();
            cell.late = e.late;
            let mut failing: Vec<Failing> = e
                .tests
                .iter()
                .filter(|t| t.status != Status::Passed)
                .map(|t| Failing {
                    test: t.name.clone(),
                    status: t.status.as_str().into(),
                    message: first_line(&t.message),
                })
                .collect();
            failing.sort();
            cell.failing = failing;
        }
    }
    unknown.sort();
    unknown.dedup();
    let stalled = entry.history.as_ref().is_some_and(|h| {
        let t = &h.timeline;
        h.exercises_done < h.exercises_total
            && t.len() > STALL_AFTER
            && t[t.len() - STALL_AFTER..].iter().all(|p| p.points <= t[t.len() - STALL_AFTER - 1].points)
    });
    ClassLearner {
        name,
        source,
        points: cells.iter().filter_map(|c| c.points).sum(),
        exercises_done: cells.iter().filter(|c| c.status == "done").count(),
        cells,
        unknown_exercises: unknown,
        damaged_lines: entry.history.as_ref().map_or(0, |h| h.damaged_lines),
        last_grade_text: entry.history.as_ref().and_then(|h| h.timeline.last()).map(|p| time::date_time(p.time)),
        stalled,
    }
}

fn median<T: Ord + Copy>(mut values: Vec<T>) -> Option<T> {
    values.sort();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

fn summarize(course: &Course, learners: Vec<ClassLearner>, problems: Vec<Problem>) -> ClassReport {
    let max_points: u32 = course.exercises.iter().map(|ex| ex.max_score()).sum();
    let exercises = course
        .exercises
        .iter()
        .enumerate()
        .map(|(i, ex)| {
            let cells: Vec<&Cell> = learners.iter().map(|l| &l.cells[i]).collect();
            let count = |status: &str| cells.iter().filter(|c| c.status == status).count();
            let attempts = cells.iter().filter_map(|c| c.attempts).filter(|&a| a > 0).collect();
            let times = cells.iter().filter_map(|c| c.time_to_full_marks_secs).collect();
            ClassExercise {
                id: ex.id.clone(),
                title: ex.title.clone(),
                max_points: ex.max_score(),
                done: count("done"),
                started: count("started"),
                not_started: count("not started"),
                median_attempts: median(attempts),
                median_time_to_full_marks_text: median(times).map(time::duration),
            }
        })
        .collect();
    let mut hard_tests = Vec::new();
    for (i, ex) in course.exercises.iter().enumerate() {
        let graded = learners.iter().filter(|l| l.cells[i].status != "not started").count();
        let mut by_test: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for l in &learners {
            for f in &l.cells[i].failing {
                *by_test.entry(&f.test).or_default().entry(&f.message).or_default() += 1;
            }
        }
        for (test, messages) in by_test {
            // The most common message; among equals, the first in order.
            let (message, n) = messages.iter().fold(("", 0), |best, (m, &n)| if n > best.1 { (m, n) } else { best });
            hard_tests.push(HardTest {
                exercise: ex.id.clone(),
                title: ex.title.clone(),
                test: test.into(),
                learners_failing: messages.values().sum(),
                learners_graded: graded,
                message: message.into(),
                message_learners: n,
            });
        }
    }
    hard_tests.sort_by_key(|t| std::cmp::Reverse(t.learners_failing));
    hard_tests.truncate(HARD_TESTS);
    let stalled = learners
        .iter()
        .filter(|l| l.stalled)
        .map(|l| Stalled {
            learner: l.name.clone(),
            points: l.points,
            last_grade_text: l.last_grade_text.clone().unwrap_or_default(),
        })
        .collect();
    let ranges = ["0–19%", "20–39%", "40–59%", "60–79%", "80–100%"];
    let mut distribution: Vec<Bucket> = ranges.iter().map(|r| Bucket { range: (*r).into(), learners: 0 }).collect();
    for l in &learners {
        let share = (l.points * 100).checked_div(max_points).unwrap_or(0);
        distribution[(share / 20).min(4) as usize].learners += 1;
    }
    ClassReport {
        format_version: FORMAT_VERSION,
        max_points,
        stall_after: STALL_AFTER,
        learners,
        exercises,
        hard_tests,
        stalled,
        distribution,
        problems,
    }
}

/// `class.csv`, for Canvas's gradebook import: the five identity columns, then
/// one per exercise, and the `Points Possible` row first.
pub fn canvas_csv(course: &Course, report: &ClassReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> =
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"].iter().map(|s| (*s).to_string()).collect();
    header.extend(course.exercises.iter().map(|ex| format!("{} ({})", ex.title, ex.id)));
    w.write_record(&header).expect("writing to memory");
    let mut possible = vec!["Points Possible".to_string(), String::new(), String::new(), String::new(), String::new()];
    possible.extend(course.exercises.iter().map(|ex| ex.max_score().to_string()));
    w.write_record(&possible).expect("writing to memory");
    for l in &report.learners {
        let mut row = vec![l.name.clone(), String::new(), String::new(), l.name.clone(), String::new()];
        row.extend(l.cells.iter().map(|c| c.points.map_or(String::new(), |p| p.to_string())));
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}

/// `class-moodle.csv`: a `Username` column to map onto Moodle's users, then one per exercise.
pub fn moodle_csv(course: &Course, report: &ClassReport) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["Username".to_string()];
    header.extend(course.exercises.iter().map(|ex| format!("{} ({})", ex.title, ex.id)));
    w.write_record(&header).expect("writing to memory");
    for l in &report.learners {
        let mut row = vec![l.name.clone()];
        row.extend(l.cells.iter().map(|c| c.points.map_or(String::new(), |p| p.to_string())));
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}

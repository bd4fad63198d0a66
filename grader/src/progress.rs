//! Where a learner stands, read from the progress history: per exercise done,
//! started or not started, points now and best, attempts.

use crate::catalogue::Course;
use crate::history::History;
use crate::model::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Full marks at its latest grade.
    Done,
    /// Graded, without full marks at its latest grade.
    Started,
    /// Back at its starter, and not graded since.
    Reset,
    NotStarted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Done => "done",
            State::Started => "started",
            State::Reset => "reset",
            State::NotStarted => "not started",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Standing {
    pub id: String,
    pub title: String,
    pub state: State,
    /// Points at the latest grade since the last reset, and the best ever.
    pub points: Option<u32>,
    pub best: Option<u32>,
    pub max: u32,
    /// Grades of this exercise in the history.
    pub attempts: usize,
}

/// The standing of every exercise of `course`, from its progress history.
pub fn read(course: &Course) -> Result<Vec<Standing>, crate::error::Error> {
    let history = crate::history::read_history(&course.paths.history)?;
    Ok(standings(course, &history))
}

/// The standing of every exercise of `course`, in catalogue order.
pub fn standings(course: &Course, history: &History) -> Vec<Standing> {
    course
        .exercises
        .iter()
        .map(|ex| {
            // Each grade of `ex` with the index of its record.
            let grades: Vec<_> = (history.records.iter().enumerate())
                .filter(|(_, r)| r.mode == Mode::Exercises)
                .flat_map(|(at, r)| r.exercises.iter().filter(|e| e.id == ex.id).map(move |e| (at, e)))
                .collect();
            let reset = history.resets.iter().rfind(|(_, r)| r.exercise == ex.id).map(|(at, _)| *at);
            // The latest grade counts only if it came after the latest reset.
            let last = grades.last().filter(|(at, _)| reset.is_none_or(|r| *at >= r)).map(|(_, e)| *e);
            let state = match last {
                Some(e) if e.score == e.max_score => State::Done,
                Some(_) => State::Started,
                None if reset.is_some() => State::Reset,
                None => State::NotStarted,
            };
            Standing {
                id: ex.id.clone(),
                title: ex.title.clone(),
                state,
                points: last.map(|e| e.score),
                best: grades.iter().map(|(_, e)| e.score).max(),
                max: ex.max_score(),
                attempts: grades.len(),
            }
        })
        .collect()
}

/// The exercise to work on: the first one not done.
pub fn current(standings: &[Standing]) -> Option<&Standing> {
    standings.iter().find(|s| s.state != State::Done)
}

/// `cargo grade list`: a line per exercise, the current one marked.
pub fn render_list(standings: &[Standing]) -> String {
    let current = current(standings).map(|s| s.id.clone());
    let width = standings.iter().map(|s| s.title.len()).max().unwrap_or(0) + 2;
    let id_width = standings.iter().map(|s| s.id.len()).max().unwrap_or(0).max(2) + 2;
    let mut out = format!("     {:<id_width$}{:<width$}{:<13}{:>7}  attempts\n", "id", "exercise", "status", "points");
    for s in standings {
        let mark = if current.as_deref() == Some(s.id.as_str()) { ">" } else { " " };
        let points = format!("{}/{}", s.points.map_or("-".to_string(), |p| p.to_string()), s.max);
        out.push_str(&format!(
            "  {mark}  {:<id_width$}{:<width$}{:<13}{points:>7}  {}\n",
            s.id,
            s.title,
            s.state.as_str(),
            s.attempts
        ));
    }
    let done = standings.iter().filter(|s| s.state == State::Done).count();
    let points: u32 = standings.iter().filter_map(|s| s.points).sum();
    let max: u32 = standings.iter().map(|s| s.max).sum();
    out.push_str(&format!("\nDone {done} of {} exercises, {points} of {max} points.", standings.len()));
    match current {
        Some(id) => out.push_str(&format!(" Next: `cargo grade {id}`.\n")),
        None => out.push_str(" Every exercise is done.\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{ExerciseRecord, Record, ResetRecord};

    fn record(scores: &[(&str, u32, u32)]) -> Record {
        Record {
            format_version: 1,
            time: 0,
            mode: Mode::Exercises,
            score: 0,
            max_score: 0,
            exercises: scores
                .iter()
                .map(|&(id, score, max_score)| ExerciseRecord {
                    id: id.into(),
                    score,
                    max_score,
                    tests: Vec::new(),
                    failing: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn states_points_and_attempts_come_from_the_latest_and_all_grades() {
        let text = "format_version = 1\n[dependencies]\n\
            [[exercises]]\nid = \"01\"\ndir = \"a\"\ncrate = \"a\"\ntitle = \"A\"\ntopic = \"t\"\nhints = [\"h\"]\ntests = [{ name = \"x\", points = 4 }]\n\
            [[exercises]]\nid = \"02\"\ndir = \"b\"\ncrate = \"b\"\ntitle = \"B\"\ntopic = \"t\"\nhints = [\"h\"]\ntests = [{ name = \"x\", points = 2 }]\n\
            [[exercises]]\nid = \"03\"\ndir = \"c\"\ncrate = \"c\"\ntitle = \"C\"\ntopic = \"t\"\nhints = [\"h\"]\ntests = [{ name = \"x\", points = 1 }]\n";
        let course = Course::parse(std::path::Path::new("/c"), text).unwrap();
        let records = vec![record(&[("01", 1, 4), ("02", 2, 2)]), record(&[("01", 4, 4)]), record(&[("02", 0, 2)])];
        let mut history = History { records, ..History::default() };
        let s = standings(&course, &history);
        assert_eq!(s.iter().map(|s| s.state).collect::<Vec<_>>(), [State::Done, State::Started, State::NotStarted]);
        assert_eq!((s[0].points, s[0].best, s[0].attempts), (Some(4), Some(4), 2));
        assert_eq!((s[1].points, s[1].best, s[1].attempts), (Some(0), Some(2), 2));
        assert_eq!(current(&s).unwrap().id, "02");
        let list = render_list(&s);
        assert!(list.contains(">  02") && list.contains("Done 1 of 3 exercises, 4 of 7 points"), "{list}");

        // 01 is reset: back to its starter, its best and attempts kept, and
        // the current exercise again; its next grade counts from there.
        history.resets.push((3, ResetRecord::now("01")));
        let s = standings(&course, &history);
        assert_eq!((s[0].state, s[0].points, s[0].best, s[0].attempts), (State::Reset, None, Some(4), 2));
        assert_eq!(current(&s).unwrap().id, "01");
        assert!(render_list(&s).contains(">  01  A  reset            -/4  2"), "{}", render_list(&s));
        history.records.push(record(&[("01", 1, 4)]));
        let s = standings(&course, &history);
        assert_eq!((s[0].state, s[0].points, s[0].attempts), (State::Started, Some(1), 3));
    }
}

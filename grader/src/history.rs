//! The learner's progress history: one JSON record per grading run, appended to a
//! JSON-lines file with a single write under a lock, so a crash or a second run
//! can never tear or lose a record. Readers skip a corrupt line and say so.
//!
//! Three kinds of line: a grade (a [`Record`], no `kind` field, as every
//! history since the first has had), a hint request (a [`HintRecord`],
//! `"kind":"hint"`) and a reset of an exercise to its starter (a
//! [`ResetRecord`], `"kind":"reset"`).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{Mode, REPORT_FORMAT_VERSION, Report, Status};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub format_version: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
    pub mode: Mode,
    pub score: u32,
    pub max_score: u32,
    pub exercises: Vec<ExerciseRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExerciseRecord {
    pub id: String,
    pub score: u32,
    pub max_score: u32,
    pub tests: Vec<(String, Status)>,
    /// Every test that did not pass, with the first line of its message; absent
    /// in records written before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<(String, String)>,
}

/// The kind tag of a hint request line.
pub const HINT_KIND: &str = "hint";

/// A hint shown to the learner: `{"format_version":1,"time":..,"kind":"hint","exercise":"01","hint":2}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HintRecord {
    pub format_version: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// Always [`HINT_KIND`].
    pub kind: String,
    /// The exercise's id.
    pub exercise: String,
    /// Which hint, from 1.
    pub hint: u32,
}

impl HintRecord {
    /// Hint `hint` of exercise `exercise`, shown now.
    pub fn now(exercise: &str, hint: u32) -> HintRecord {
        HintRecord {
            format_version: REPORT_FORMAT_VERSION,
            time: now(),
            kind: HINT_KIND.into(),
            exercise: exercise.into(),
            hint,
        }
    }
}

/// The kind tag of a reset line.
pub const RESET_KIND: &str = "reset";

/// An exercise reset to its starter: `{"format_version":1,"time":..,"kind":"reset","exercise":"01"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRecord {
    pub format_version: u32,
    /// Seconds since the Unix epoch.
    pub time: u64,
    /// Always [`RESET_KIND`].
    pub kind: String,
    /// The exercise's id.
    pub exercise: String,
}

impl ResetRecord {
    /// Exercise `exercise`, reset now.
    pub fn now(exercise: &str) -> ResetRecord {
        ResetRecord {
            format_version: REPORT_FORMAT_VERSION,
            time: now(),
            kind: RESET_KIND.into(),
            exercise: exercise.into(),
        }
    }
}

/// Everything a history holds, oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub records: Vec<Record>,
    pub hints: Vec<HintRecord>,
    /// Each reset, with the number of grade records before it (grades from
    /// `records[n..]` on are of the code after the reset).
    pub resets: Vec<(usize, ResetRecord)>,
    /// Lines that were neither: torn, damaged, or of a kind this grader does not know.
    pub damaged: usize,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The first non-empty line of a test's message, at most 200 characters.
pub fn first_line(message: &str) -> String {
    let line = message.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let mut cut: String = line.chars().take(200).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}

impl Record {
    pub fn of(report: &Report) -> Record {
        let time = now();
        Record {
            format_version: REPORT_FORMAT_VERSION,
            time,
            mode: report.mode,
            score: report.score,
            max_score: report.max_score,
            exercises: report
                .exercises
                .iter()
                .map(|e| ExerciseRecord {
                    id: e.id.clone(),
                    score: e.score,
                    max_score: e.max_score,
                    tests: e.tests.iter().map(|t| (t.name.clone(), t.status)).collect(),
                    failing: e
                        .tests
                        .iter()
                        .filter(|t| t.status != Status::Passed)
                        .map(|t| (t.name.clone(), first_line(&t.message)))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Appends `record` as one line.
pub fn append(path: &Path, record: &Record) -> Result<(), Error> {
    append_line(path, serde_json::to_vec(record).expect("records serialize"))
}

/// Appends a reset as one line.
pub fn append_reset(path: &Path, reset: &ResetRecord) -> Result<(), Error> {
    append_line(path, serde_json::to_vec(reset).expect("reset records serialize"))
}

/// Appends a hint request as one line.
pub fn append_hint(path: &Path, hint: &HintRecord) -> Result<(), Error> {
    append_line(path, serde_json::to_vec(hint).expect("hint records serialize"))
}

fn append_line(path: &Path, mut line: Vec<u8>) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io("create the history directory", dir, e))?;
    }
    line.push(b'\n');
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io("open the progress history", path, e))?;
    // SAFETY: flock on a descriptor we own; released when the file closes.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
    // A previous writer that died mid-line must not glue its fragment to ours.
    let needs_newline = fs::read(path).is_ok_and(|b| b.last().is_some_and(|&c| c != b'\n'));
    if needs_newline {
        line.insert(0, b'\n');
    }
    file.write_all(&line)
        .and_then(|_| file.sync_data())
        .map_err(|e| Error::io("append to the progress history", path, e))
}

/// Every readable grade record, oldest first, and the count of lines that were
/// neither a grade nor a hint request.
pub fn read(path: &Path) -> Result<(Vec<Record>, usize), Error> {
    let history = read_history(path)?;
    Ok((history.records, history.damaged))
}

/// Every readable line of the history; a missing file is an empty history.
pub fn read_history(path: &Path) -> Result<History, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(parse(&String::from_utf8_lossy(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(History::default()),
        Err(e) => Err(Error::io("read the progress history", path, e)),
    }
}

/// Parses the lines of a history, skipping and counting the damaged ones.
pub fn parse(text: &str) -> History {
    let mut history = History::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            history.damaged += 1;
            continue;
        };
        let parsed = match value.get("kind").and_then(|k| k.as_str()) {
            None => serde_json::from_value::<Record>(value).map(|r| history.records.push(r)),
            Some(HINT_KIND) => serde_json::from_value::<HintRecord>(value).map(|h| history.hints.push(h)),
            Some(RESET_KIND) => {
                serde_json::from_value::<ResetRecord>(value).map(|r| history.resets.push((history.records.len(), r)))
            }
            Some(_) => {
                history.damaged += 1;
                continue;
            }
        };
        if parsed.is_err() {
            history.damaged += 1;
        }
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExerciseResult, TestResult};

    fn report(score: u32) -> Report {
        let test = TestResult {
            name: "t".into(),
            status: if score > 0 { Status::Passed } else { Status::Failed },
            score,
            max_score: 1,
            repeat: 1,
            runs: 1,
            duration_ms: 3,
            message: String::new(),
        };
        Report::new(Mode::Exercises, vec![ExerciseResult::new("01", "01_x", "X", String::new(), vec![test])])
    }

    #[test]
    fn appends_survive_a_torn_line_and_corrupt_lines_are_counted() {
        let dir = std::env::temp_dir().join(format!("threadlings-history-{}", std::process::id()));
        let path = dir.join("history.jsonl");
        let _ = fs::remove_dir_all(&dir);
        append(&path, &Record::of(&report(0))).unwrap();
        // A writer killed mid-record leaves a fragment without a newline.
        OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"format_ver").unwrap();
        append(&path, &Record::of(&report(1))).unwrap();
        let (records, corrupt) = read(&path).unwrap();
        assert_eq!(records.iter().map(|r| r.score).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(corrupt, 1);
        assert_eq!(records[1].exercises[0].tests[0].1, Status::Passed);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn records_keep_the_first_line_of_each_failing_test() {
        let mut report = report(0);
        report.exercises[0].tests[0].message = "\n  assertion failed: x == 1\nleft: 0\n".into();
        let record = Record::of(&report);
        assert_eq!(record.exercises[0].failing, [("t".to_string(), "assertion failed: x == 1".to_string())]);
        let passed = Record::of(&self::report(1));
        assert!(passed.exercises[0].failing.is_empty());
        assert!(!serde_json::to_string(&passed).unwrap().contains("failing"));
    }

    #[test]
    fn old_lines_hint_lines_and_damaged_lines_are_read_apart() {
        let text = concat!(
            r#"{"format_version":1,"time":10,"mode":"exercises","score":0,"max_score":1,"exercises":[{"id":"01","score":0,"max_score":1,"tests":[["t","failed"]]}]}"#,
            "\n",
            r#"{"format_version":1,"time":11,"kind":"hint","exercise":"01","hint":2}"#,
            "\n{\"format_ver\n",
            r#"{"format_version":1,"time":12,"kind":"reaction","exercise":"01"}"#,
            "\n",
            r#"{"format_version":1,"time":13,"kind":"hint","exercise":"01"}"#,
            "\n\n",
            r#"{"format_version":1,"time":14,"mode":"exercises","score":1,"max_score":1,"exercises":[{"id":"01","score":1,"max_score":1,"tests":[["t","passed"]],"failing":[]}]}"#,
        );
        let history = parse(text);
        assert_eq!(history.records.iter().map(|r| r.time).collect::<Vec<_>>(), [10, 14]);
        assert!(history.records[0].exercises[0].failing.is_empty());
        assert_eq!(
            history.hints,
            [HintRecord { format_version: 1, time: 11, kind: "hint".into(), exercise: "01".into(), hint: 2 }]
        );
        assert_eq!(history.damaged, 3);
    }

    #[test]
    fn hint_requests_are_appended_as_their_own_lines() {
        let dir = std::env::temp_dir().join(format!("threadlings-hints-{}", std::process::id()));
        let path = dir.join("history.jsonl");
        let _ = fs::remove_dir_all(&dir);
        append(&path, &Record::of(&report(0))).unwrap();
        append_hint(&path, &HintRecord::now("01", 1)).unwrap();
        append_hint(&path, &HintRecord::now("01", 2)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.lines().nth(1).unwrap().contains(r#""kind":"hint","exercise":"01","hint":1"#), "{text}");
        let history = read_history(&path).unwrap();
        assert_eq!((history.records.len(), history.hints.len(), history.damaged), (1, 2, 0));
        let (records, damaged) = read(&path).unwrap();
        assert_eq!((records.len(), damaged), (1, 0));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_history_is_empty() {
        assert_eq!(read(Path::new("/nonexistent/threadlings/h.jsonl")).unwrap().0.len(), 0);
    }
}

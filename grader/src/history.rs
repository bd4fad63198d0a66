//! The learner's progress history: one JSON record per grading run, appended to a
//! JSON-lines file with a single write under a lock, so a crash or a second run
//! can never tear or lose a record. Readers skip a corrupt line and say so.

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
}

impl Record {
    pub fn of(report: &Report) -> Record {
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
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
                })
                .collect(),
        }
    }
}

/// Appends `record` as one line.
pub fn append(path: &Path, record: &Record) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io("create the history directory", dir, e))?;
    }
    let mut line = serde_json::to_vec(record).expect("records serialize");
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

/// Every readable record, oldest first, and the count of lines that were not.
pub fn read(path: &Path) -> Result<(Vec<Record>, usize), Error> {
    let text = match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(Error::io("read the progress history", path, e)),
    };
    let mut records = Vec::new();
    let mut corrupt = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Record>(line) {
            Ok(r) => records.push(r),
            Err(_) => corrupt += 1,
        }
    }
    Ok((records, corrupt))
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
    fn a_missing_history_is_empty() {
        assert_eq!(read(Path::new("/nonexistent/threadlings/h.jsonl")).unwrap().0.len(), 0);
    }
}

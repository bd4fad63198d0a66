//! The course catalogue (`course.toml`): the one list of exercises, in order, with
//! their hidden tests and points. Everything else is checked against it.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// The catalogue format this grader reads.
pub const FORMAT_VERSION: u32 = 1;
/// The catalogue's file name at the course root.
pub const FILE_NAME: &str = "course.toml";

#[derive(Debug, Clone)]
pub struct Course {
    /// The directory holding `course.toml`; catalogue paths are relative to it.
    pub root: PathBuf,
    pub paths: Paths,
    /// Crates learner code may use, as Cargo dependency specifications.
    pub dependencies: BTreeMap<String, toml::Value>,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone)]
pub struct Paths {
    pub exercises: PathBuf,
    pub solutions: PathBuf,
    /// The crate of helpers every hidden test may use.
    pub support: PathBuf,
    /// Hidden tests: `<hidden>/<dir>/hidden.rs` and `<hidden>/<dir>/snapshots/`.
    /// A student copy of the course has none: there they run in CI.
    pub hidden: PathBuf,
    /// The crate the exercises' visible tests use (`visible::deadline`).
    pub visible: PathBuf,
    /// Lock file that pins every crate the hidden tests build against.
    pub lockfile: PathBuf,
    /// Where grading runs are recorded.
    pub history: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub id: String,
    pub dir: String,
    /// The package and library name of the exercise crate.
    #[serde(rename = "crate")]
    pub crate_name: String,
    pub title: String,
    pub topic: String,
    /// Seconds one run of one hidden test may take before it is killed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    pub hints: Vec<String>,
    /// Dependencies of this exercise's graded crate besides (or replacing) the
    /// course's, as Cargo dependency specifications.
    #[serde(default)]
    pub dependencies: BTreeMap<String, toml::Value>,
    /// Features the grader turns on when it builds this exercise, such as
    /// `"parking_lot/shuttle"` to swap in model-checked locks.
    #[serde(default)]
    pub features: Vec<String>,
    /// When the exercise is due, RFC 3339 in UTC (`2026-12-01T23:59:59Z`);
    /// work committed later is marked late.
    #[serde(default)]
    pub due: Option<String>,
    pub tests: Vec<TestSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    pub name: String,
    pub points: u32,
    /// Runs needed, all passing, for the points; concurrency tests repeat.
    #[serde(default = "one")]
    pub repeat: u32,
    /// Who sees this test's result on Gradescope: `visible` (the default),
    /// `hidden`, `after_due_date` or `after_published`.
    #[serde(default = "visible")]
    pub visibility: String,
}

/// Gradescope's visibility values, in the catalogue's `visibility` field.
pub const VISIBILITIES: [&str; 4] = ["hidden", "after_due_date", "after_published", "visible"];

fn default_timeout() -> u64 {
    10
}
fn one() -> u32 {
    1
}
fn visible() -> String {
    "visible".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format_version: u32,
    #[serde(default)]
    paths: RawPaths,
    dependencies: BTreeMap<String, toml::Value>,
    exercises: Vec<Exercise>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawPaths {
    exercises: String,
    solutions: String,
    support: String,
    hidden: String,
    visible: String,
    lockfile: String,
    history: String,
}

impl Default for RawPaths {
    fn default() -> Self {
        RawPaths {
            exercises: "exercises".into(),
            solutions: "solutions".into(),
            support: "grader/hidden".into(),
            hidden: "grader/hidden/exercises".into(),
            visible: "grader/visible".into(),
            lockfile: "Cargo.lock".into(),
            history: ".threadlings/history.jsonl".into(),
        }
    }
}

impl Course {
    /// Reads `course.toml` from `root`.
    pub fn load(root: &Path) -> Result<Course, Error> {
        let file = root.join(FILE_NAME);
        let root = &fs_canonical(root);
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io("read the catalogue", &file, e))?;
        Course::parse(root, &text).map_err(|why| Error::Catalogue { path: file, why })
    }

    /// Parses and validates catalogue text; `Err` says what is wrong in one line.
    pub fn parse(root: &Path, text: &str) -> Result<Course, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if raw.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version is {}, this grader reads {FORMAT_VERSION}: update the grader (git pull) or the catalogue",
                raw.format_version
            ));
        }
        validate(&raw.exercises)?;
        let at = |p: &str| root.join(p);
        Ok(Course {
            root: root.to_path_buf(),
            paths: Paths {
                exercises: at(&raw.paths.exercises),
                solutions: at(&raw.paths.solutions),
                support: at(&raw.paths.support),
                hidden: at(&raw.paths.hidden),
                visible: at(&raw.paths.visible),
                lockfile: at(&raw.paths.lockfile),
                history: at(&raw.paths.history),
            },
            dependencies: raw.dependencies,
            exercises: raw.exercises,
        })
    }

    /// Finds the course root: `start` or the nearest ancestor holding `course.toml`.
    pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
        start
            .ancestors()
            .find(|dir| dir.join(FILE_NAME).is_file())
            .map(Path::to_path_buf)
            .ok_or_else(|| Error::NoCourse { start: start.to_path_buf() })
    }

    /// The exercises named by `ids` (all of them when empty), in catalogue order.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Exercise>, Error> {
        if ids.is_empty() {
            return Ok(self.exercises.iter().collect());
        }
        for id in ids {
            if self.find(id).is_none() {
                return Err(Error::UnknownExercise {
                    id: id.clone(),
                    known: self.exercises.iter().map(|e| e.id.clone()).collect(),
                });
            }
        }
        Ok(self.exercises.iter().filter(|e| ids.iter().any(|id| e.matches(id))).collect())
    }

    pub fn find(&self, id: &str) -> Option<&Exercise> {
        self.exercises.iter().find(|e| e.matches(id))
    }

    /// Whether the hidden tests are here. A student copy of the course
    /// (`cargo xtask export-student`) has no hidden test directory: its hidden
    /// tests run in CI, and a local grade runs the visible tests instead.
    pub fn has_hidden_tests(&self) -> bool {
        self.paths.hidden.is_dir()
    }
}

impl Exercise {
    /// An exercise answers to its id (`1` for `01` too), its directory and its
    /// crate name.
    pub fn matches(&self, name: &str) -> bool {
        let number = |s: &str| s.parse::<u32>().ok();
        self.id == name
            || self.dir == name
            || self.crate_name == name
            || number(name).is_some_and(|n| number(&self.id) == Some(n))
    }

    /// Whether the grader gives this exercise's crate a dependency called `name`.
    pub fn may_depend_on(&self, course: &Course, name: &str) -> bool {
        self.dependencies.contains_key(name) || course.dependencies.contains_key(name)
    }

    /// The due date in seconds since the Unix epoch, if the exercise has one.
    pub fn due_secs(&self) -> Option<u64> {
        let due = humantime::parse_rfc3339_weak(self.due.as_deref()?).ok()?;
        due.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs())
    }

    pub fn max_score(&self) -> u32 {
        self.tests.iter().map(|t| t.points).sum()
    }
}

/// `dir` made absolute when it exists, as given otherwise (errors then name it).
fn fs_canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

fn validate(exercises: &[Exercise]) -> Result<(), String> {
    if exercises.is_empty() {
        return Err("no [[exercises]]: the catalogue lists at least one exercise".into());
    }
    let mut seen = HashSet::new();
    for ex in exercises {
        let at = format!("exercise '{}'", ex.id);
        // An exercise may reuse one name for its id, dir and crate; no two
        // exercises may share any name, or selecting by it would be ambiguous.
        let names: HashSet<&String> = [&ex.id, &ex.dir, &ex.crate_name].into_iter().collect();
        for name in names {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(format!("{at}: '{name}' must be non-empty letters, digits, '_' or '-'"));
            }
            if !seen.insert(name.clone()) {
                return Err(format!("{at}: '{name}' is used by another exercise"));
            }
        }
        if ex.hints.is_empty() || ex.hints.iter().any(|h| h.trim().is_empty()) {
            return Err(format!("{at}: hints must be a non-empty list of non-empty texts"));
        }
        if ex.tests.is_empty() {
            return Err(format!("{at}: lists no [[exercises.tests]]"));
        }
        if ex.timeout_secs == 0 || ex.timeout_secs > 600 {
            return Err(format!("{at}: timeout_secs must be between 1 and 600"));
        }
        if let Some(due) = &ex.due
            && humantime::parse_rfc3339_weak(due).is_err()
        {
            return Err(format!("{at}: due '{due}' is not a date and time like 2026-12-01T23:59:59Z (UTC)"));
        }
        let mut names = HashSet::new();
        for t in &ex.tests {
            if !names.insert(&t.name) {
                return Err(format!("{at}: test '{}' is listed twice", t.name));
            }
            if t.repeat == 0 || t.repeat > 1000 {
                return Err(format!("{at}: test '{}' has repeat {}, want 1..=1000", t.name, t.repeat));
            }
            if !VISIBILITIES.contains(&t.visibility.as_str()) {
                return Err(format!(
                    "{at}: test '{}' has visibility '{}', want one of {}",
                    t.name,
                    t.visibility,
                    VISIBILITIES.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// A TOML error in one line, with where it is: "line 3, column 7: ...".
pub fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim_end();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
format_version = 1
[dependencies]
crossbeam = "0.8"
[[exercises]]
id = "01"
dir = "01_first_thread"
crate = "first_thread"
title = "First thread"
topic = "spawn and join"
hints = ["one"]
[[exercises.tests]]
name = "runs"
points = 2
repeat = 3
"#;

    fn parse(text: &str) -> Result<Course, String> {
        Course::parse(Path::new("/course"), text)
    }

    #[test]
    fn reads_a_valid_catalogue_with_defaults() {
        let course = parse(GOOD).unwrap();
        let ex = &course.exercises[0];
        assert_eq!((ex.timeout_secs, ex.max_score(), ex.tests[0].repeat), (10, 2, 3));
        assert_eq!(course.paths.hidden, Path::new("/course/grader/hidden/exercises"));
        assert!(course.find("first_thread").is_some() && course.find("01_first_thread").is_some());
        assert!(course.find("1").is_some() && course.find("001").is_some() && course.find("2").is_none());
    }

    #[test]
    fn syntax_errors_say_where_in_one_line() {
        let err = parse(&GOOD.replace("points = 2", "points = = 2")).unwrap_err();
        assert!(err.starts_with("line 14, column 10: "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn rejects_other_format_versions() {
        let err = parse(&GOOD.replace("format_version = 1", "format_version = 2")).unwrap_err();
        assert!(err.contains("format_version is 2"), "{err}");
    }

    #[test]
    fn rejects_unknown_fields_and_duplicates() {
        assert!(parse(&GOOD.replace("topic =", "topik =")).unwrap_err().contains("topik"));
        let twice = format!("{GOOD}[[exercises.tests]]\nname = \"runs\"\npoints = 1\n");
        assert!(parse(&twice).unwrap_err().contains("listed twice"));
        assert!(parse(&GOOD.replace("hints = [\"one\"]", "hints = []")).unwrap_err().contains("hints"));
        let seen = parse(&GOOD.replace("repeat = 3", "repeat = 3\nvisibility = \"after_due_date\"")).unwrap();
        assert_eq!(seen.exercises[0].tests[0].visibility, "after_due_date");
        assert_eq!(parse(GOOD).unwrap().exercises[0].tests[0].visibility, "visible");
        let due = parse(&GOOD.replace("hints =", "due = \"2026-12-01T23:59:59Z\"\nhints =")).unwrap();
        assert_eq!(due.exercises[0].due_secs(), Some(1_796_169_599));
        let bad = parse(&GOOD.replace("hints =", "due = \"next friday\"\nhints =")).unwrap_err();
        assert!(bad.contains("due 'next friday'"), "{bad}");
        let bad = parse(&GOOD.replace("repeat = 3", "repeat = 3\nvisibility = \"secret\"")).unwrap_err();
        assert!(bad.contains("visibility 'secret'"), "{bad}");
    }

    #[test]
    fn rejects_two_exercises_with_one_id_and_accepts_one_name_used_thrice() {
        let second = GOOD.split_once("[[exercises]]").unwrap().1.replace("01_first_thread", "02_other");
        let same_id = format!("{GOOD}[[exercises]]{}", second.replace("first_thread", "other"));
        assert!(parse(&same_id).unwrap_err().contains("'01' is used by another exercise"));
        let one_name = GOOD
            .replace("\"01\"", "\"solo\"")
            .replace("01_first_thread", "solo")
            .replace("\"first_thread\"", "\"solo\"");
        assert!(parse(&one_name).is_ok());
    }

    #[test]
    fn select_keeps_catalogue_order_and_names_unknown_ids() {
        let course = parse(GOOD).unwrap();
        assert_eq!(course.select(&[]).unwrap().len(), 1);
        let err = course.select(&["99".into()]).unwrap_err().to_string();
        assert!(err.contains("99") && err.contains("01"), "{err}");
    }
}

//! Wrong solutions kept as fixtures: each is a plausible learner mistake that the
//! hidden tests must keep catching. A wrong solution is a file
//! `<hidden>/<dir>/wrong/<name>.rs` that replaces the solution's `src/lib.rs`,
//! and says in its header what it gets wrong and which tests must fail:
//!
//! ```text
//! //! Wrong: joins each thread inside the loop that spawns it.
//! //! Must fail: downloads_are_in_flight_at_the_same_time
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::Course;
use grader::error::Error;

pub struct Wrong {
    pub dir: String,
    pub id: String,
    pub name: String,
    pub file: PathBuf,
    pub must_fail: Vec<String>,
}

impl Wrong {
    /// The submission key of this wrong solution in the check's batch.
    pub fn key(&self) -> String {
        format!("wrong-{}", self.name)
    }
}

/// Every wrong solution in the course, and the problems with their headers.
pub fn discover(course: &Course) -> (Vec<Wrong>, Vec<String>) {
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    for ex in &course.exercises {
        let dir = course.paths.hidden.join(&ex.dir).join("wrong");
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        let mut files: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "rs")).collect();
        files.sort();
        for file in files {
            let text = fs::read_to_string(&file).unwrap_or_default();
            let header = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
            let must_fail: Vec<String> = header("//! Must fail:")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            let at = file.display();
            if header("//! Wrong:").is_none_or(str::is_empty) {
                problems.push(format!("{at}: the header needs a `//! Wrong: <the mistake>` line"));
            }
            if must_fail.is_empty() {
                problems.push(format!("{at}: the header needs a `//! Must fail: <test>, ...` line"));
            }
            for name in must_fail.iter().filter(|n| !ex.tests.iter().any(|t| &t.name == *n)) {
                problems.push(format!("{at}: must fail '{name}', which is not a hidden test of {}", ex.id));
            }
            let name = file.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                problems.push(format!("{at}: name the file with letters, digits and '_' only"));
                continue;
            }
            found.push(Wrong { dir: ex.dir.clone(), id: ex.id.clone(), name, file, must_fail });
        }
    }
    (found, problems)
}

/// Writes each wrong solution as a source tree under `root`: the solution's
/// `src/` with `lib.rs` replaced, at `<root>/<key>/<dir>/src/`, shaped like
/// `exercises/` so the grader stages it like any other submission.
pub fn materialize(course: &Course, wrongs: &[&Wrong], root: &Path) -> Result<(), Error> {
    let _ = fs::remove_dir_all(root);
    for w in wrongs {
        let src = root.join(w.key()).join(&w.dir).join("src");
        copy_dir(&course.paths.solutions.join(&w.dir).join("src"), &src)?;
        fs::copy(&w.file, src.join("lib.rs")).map_err(|e| Error::io("copy a wrong solution", &w.file, e))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Error> {
    fs::create_dir_all(to).map_err(|e| Error::io("create a directory", to, e))?;
    for entry in fs::read_dir(from).map_err(|e| Error::io("read a solution", from, e))?.flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).map_err(|e| Error::io("copy a solution file", &entry.path(), e))?;
        }
    }
    Ok(())
}

//! Variants of a solution kept as fixtures of the course check, each a file that
//! replaces the solution's `src/lib.rs`:
//!
//! - `<hidden>/<dir>/wrong/<name>.rs`: a plausible learner mistake that the hidden
//!   tests must keep catching, with a header saying what it gets wrong and which
//!   tests must fail;
//! - `<hidden>/<dir>/right/<name>.rs`: correct code in another style the page
//!   allows (scoped threads instead of `Arc`, std channels instead of crossbeam,
//!   ...), which must keep full marks.
//!
//! ```text
//! //! Wrong: joins each thread inside the loop that spawns it.
//! //! Must fail: downloads_are_in_flight_at_the_same_time
//!
//! //! Right: std::thread::scope instead of Arc and spawn.
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::Course;
use grader::error::Error;
use grader::reset::copy_tree;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Wrong,
    Right,
}

impl Kind {
    /// The folder beside `hidden.rs`, and the prefix of submission keys.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Wrong => "wrong",
            Kind::Right => "right",
        }
    }
}

pub struct Variant {
    pub kind: Kind,
    pub dir: String,
    pub id: String,
    pub name: String,
    pub file: PathBuf,
    /// Tests that must fail (wrong solutions; empty for right ones).
    pub must_fail: Vec<String>,
}

impl Variant {
    /// The submission key of this variant in the check's batch.
    pub fn key(&self) -> String {
        format!("{}-{}", self.kind.folder(), self.name)
    }

    /// `01_first_thread wrong/runs_inline.rs`, for messages.
    pub fn label(&self) -> String {
        format!("{} {}/{}.rs", self.dir, self.kind.folder(), self.name)
    }
}

/// Every wrong and right solution in the course, and the problems with their headers.
pub fn discover(course: &Course) -> (Vec<Variant>, Vec<String>) {
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    for ex in &course.exercises {
        for kind in [Kind::Wrong, Kind::Right] {
            let dir = course.paths.hidden.join(&ex.dir).join(kind.folder());
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
                match kind {
                    Kind::Wrong => {
                        if header("//! Wrong:").is_none_or(str::is_empty) {
                            problems.push(format!("{at}: the header needs a `//! Wrong: <the mistake>` line"));
                        }
                        if must_fail.is_empty() {
                            problems.push(format!("{at}: the header needs a `//! Must fail: <test>, ...` line"));
                        }
                    }
                    Kind::Right => {
                        if header("//! Right:").is_none_or(str::is_empty) {
                            problems.push(format!("{at}: the header needs a `//! Right: <the style>` line"));
                        }
                        if !must_fail.is_empty() {
                            problems.push(format!("{at}: a right solution must fail no test; drop `Must fail:`"));
                        }
                    }
                }
                for name in must_fail.iter().filter(|n| !ex.tests.iter().any(|t| &t.name == *n)) {
                    problems.push(format!("{at}: must fail '{name}', which is not a hidden test of {}", ex.id));
                }
                let name = file.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    problems.push(format!("{at}: name the file with letters, digits and '_' only"));
                    continue;
                }
                found.push(Variant { kind, dir: ex.dir.clone(), id: ex.id.clone(), name, file, must_fail });
            }
        }
    }
    (found, problems)
}

/// Writes each variant as a source tree under `root`: the solution's `src/`
/// with `lib.rs` replaced, at `<root>/<key>/<dir>/src/`, shaped like
/// `exercises/` so the grader stages it like any other submission.
pub fn materialize(course: &Course, variants: &[&Variant], root: &Path) -> Result<(), Error> {
    let _ = fs::remove_dir_all(root);
    for v in variants {
        let src = root.join(v.key()).join(&v.dir).join("src");
        copy_tree(&course.paths.solutions.join(&v.dir).join("src"), &src)?;
        fs::copy(&v.file, src.join("lib.rs")).map_err(|e| Error::io("copy a solution variant", &v.file, e))?;
    }
    Ok(())
}

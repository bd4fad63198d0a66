//! `cargo xtask starters`: the author's side of the starter record
//! (`grader::starters`): whether each exercise's `src/` is its recorded
//! starter, and rewriting the record.

use std::path::Path;

use grader::catalogue::Course;
use grader::error::Error;
pub use grader::starters::{RECORD, Record, Starter, UPDATE, digest};

/// `cargo xtask starters --pristine`: the crate of every exercise whose `src/`
/// is its recorded starter, one a line, for lints that must not judge a
/// learner's work.
pub fn list_pristine(root: &Path, out: &mut dyn std::io::Write) -> Result<bool, Error> {
    let course = Course::load(root)?;
    let record = Record::load(&course)?;
    for ex in &course.exercises {
        if record.status(&course, ex)? == Starter::Pristine {
            let _ = writeln!(out, "{}", ex.crate_name);
        }
    }
    Ok(true)
}

/// `cargo xtask starters [--update]`: each exercise's status, or a new record of
/// every `src/` as it is now.
pub fn run(root: &Path, update: bool, out: &mut dyn std::io::Write) -> Result<bool, Error> {
    let course = Course::load(root)?;
    let record = Record::load(&course)?;
    if update {
        let mut fresh = Record::default();
        for ex in &course.exercises {
            fresh.digests.insert(ex.dir.clone(), digest(&course.paths.exercises.join(&ex.dir).join("src"))?);
        }
        fresh.save(&course)?;
        let changed = course.exercises.iter().filter(|e| record.digests.get(&e.dir) != fresh.digests.get(&e.dir));
        for ex in changed {
            let _ = writeln!(out, "{}: recorded its src/ as the starter", ex.dir);
        }
        let _ = writeln!(out, "wrote {RECORD}; review it with `git diff` and commit it with the starters");
        return Ok(true);
    }
    let mut all_pristine = true;
    for ex in &course.exercises {
        let status = record.status(&course, ex)?;
        all_pristine &= status == Starter::Pristine;
        let said = match status {
            Starter::Pristine => "the recorded starter",
            Starter::Changed => "differs from the recorded starter (learner work, or an unrecorded change)",
            Starter::Unrecorded => "has no recorded starter",
        };
        let _ = writeln!(out, "{}: {said}", ex.dir);
    }
    if !all_pristine {
        let _ = writeln!(out, "to record every src/ as it is now: `{UPDATE}`");
    }
    Ok(all_pristine)
}

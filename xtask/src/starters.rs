//! The recorded starters: a digest of every exercise's shipped `src/`, so the
//! course check can tell a pristine starter from a learner's work, committed or
//! not. Only a recorded starter is graded as one (it must score 0); an exercise
//! whose `src/` differs is the learner's, and its starter check is skipped.
//! Authors refresh the record with `cargo xtask starters --update`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::{Course, Exercise};
use grader::error::Error;
use sha2::{Digest, Sha256};

/// The record, relative to the course root.
pub const RECORD: &str = "xtask/starters.toml";
/// The command that rewrites the record, for messages.
pub const UPDATE: &str = "cargo xtask starters --update";

/// What an exercise's `src/` is, measured against the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Starter {
    /// Byte for byte the recorded starter.
    Pristine,
    /// Something else: the learner's work, or an author's unrecorded change.
    Changed,
    /// The record has no entry for this exercise.
    Unrecorded,
}

/// Exercise directory -> digest of its starter's `src/`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    pub digests: BTreeMap<String, String>,
}

impl Record {
    pub fn path(course: &Course) -> PathBuf {
        course.root.join(RECORD)
    }

    /// Reads the record; a missing file is an empty record.
    pub fn load(course: &Course) -> Result<Record, Error> {
        let path = Record::path(course);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Record::default()),
            Err(e) => return Err(Error::io("read the starter record", &path, e)),
        };
        let bad =
            |why: String| Error::Catalogue { path: path.clone(), why: format!("{why}: rewrite it with `{UPDATE}`") };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| bad(e.message().to_string()))?;
        let mut record = Record::default();
        let starters =
            table.get("starters").and_then(|v| v.as_table()).ok_or_else(|| bad("no [starters] table".into()))?;
        for (dir, digest) in starters {
            let digest = digest.as_str().ok_or_else(|| bad(format!("the digest of '{dir}' is not a string")))?;
            record.digests.insert(dir.clone(), digest.to_string());
        }
        Ok(record)
    }

    pub fn save(&self, course: &Course) -> Result<(), Error> {
        let path = Record::path(course);
        let mut text = String::from(
            "# The digest of every exercise's starter src/, written by `cargo xtask starters --update`.\n\
             # The course check grades an exercise's src/ as its starter only when it matches\n\
             # (anything else is a learner's work); `cargo xtask check --strict` fails on a mismatch.\n\
             [starters]\n",
        );
        for (dir, digest) in &self.digests {
            text.push_str(&format!("{dir} = \"{digest}\"\n"));
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create the starter record's directory", dir, e))?;
        }
        fs::write(&path, text).map_err(|e| Error::io("write the starter record", &path, e))
    }

    /// Compares an exercise's `src/` with its recorded starter.
    pub fn status(&self, course: &Course, ex: &Exercise) -> Result<Starter, Error> {
        let Some(recorded) = self.digests.get(&ex.dir) else { return Ok(Starter::Unrecorded) };
        let src = course.paths.exercises.join(&ex.dir).join("src");
        Ok(if &digest(&src)? == recorded { Starter::Pristine } else { Starter::Changed })
    }
}

/// SHA-256 over every regular file under `dir`: relative path, length, bytes,
/// in path order. Symlinks and special files are skipped, as staging skips them.
pub fn digest(dir: &Path) -> Result<String, Error> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut hash = Sha256::new();
    for (rel, path) in files {
        let bytes = fs::read(&path).map_err(|e| Error::io("read a starter file", &path, e))?;
        hash.update(rel.as_bytes());
        hash.update([0]);
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io("read a starter directory", dir, e))?.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() {
            collect(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            out.push((rel, path));
        }
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_covers_names_and_contents_and_ignores_order_of_creation() {
        let base = std::env::temp_dir().join(format!("threadlings-digest-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("b"));
        for (dir, order) in [(&a, ["lib.rs", "m.rs"]), (&b, ["m.rs", "lib.rs"])] {
            fs::create_dir_all(dir.join("sub")).unwrap();
            for name in order {
                fs::write(dir.join(name), name).unwrap();
            }
            fs::write(dir.join("sub/x.rs"), "x").unwrap();
        }
        assert_eq!(digest(&a).unwrap(), digest(&b).unwrap());
        fs::write(b.join("sub/x.rs"), "y").unwrap();
        assert_ne!(digest(&a).unwrap(), digest(&b).unwrap(), "contents count");
        fs::write(b.join("sub/x.rs"), "x").unwrap();
        fs::rename(b.join("m.rs"), b.join("n.rs")).unwrap();
        assert_ne!(digest(&a).unwrap(), digest(&b).unwrap(), "names count");
        let _ = fs::remove_dir_all(&base);
    }
}

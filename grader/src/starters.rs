//! The recorded starters: a digest of every exercise's shipped `src/`, so the
//! course check can tell a pristine starter from a learner's work, committed or
//! not, and `cargo grade reset` can find the starter again in git history.
//! Authors refresh the record with `cargo xtask starters --update`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::catalogue::{Course, Exercise};
use crate::error::Error;
use sha2::{Digest, Sha256};

/// The record, relative to the course root.
pub const RECORD: &str = "grader/starters.toml";
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
        let table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| bad(crate::catalogue::toml_error(&text, &e)))?;
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
    let mut contents = Vec::new();
    for (rel, path) in files {
        let bytes = fs::read(&path).map_err(|e| Error::io("read a starter file", &path, e))?;
        contents.push((rel, bytes));
    }
    Ok(digest_files(contents))
}

/// The digest of a tree given as (relative path, contents) pairs, in any order.
pub fn digest_files(mut files: Vec<(String, Vec<u8>)>) -> String {
    files.sort();
    let mut hash = Sha256::new();
    for (rel, bytes) in files {
        hash.update(rel.as_bytes());
        hash.update([0]);
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
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

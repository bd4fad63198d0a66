//! A solution is layered over its starter: `solutions/<dir>/src/` holds only the
//! files that differ from `exercises/<dir>/src/`, so copying it over a starter
//! still solves the exercise. Every reader of solutions goes through [`files`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::catalogue::{Course, Exercise};

/// The `src/` folders whose files make up exercise `ex`'s solution, lowest first:
/// the starter's, then the solution's.
pub fn solution(course: &Course, ex: &Exercise) -> [PathBuf; 2] {
    [course.paths.exercises.join(&ex.dir).join("src"), course.paths.solutions.join(&ex.dir).join("src")]
}

/// Every regular file of the folders `layers`, each laid over the ones before:
/// its path relative to its folder, and where it is read from.
pub fn files(layers: &[PathBuf]) -> BTreeMap<PathBuf, PathBuf> {
    let mut out = BTreeMap::new();
    for layer in layers {
        collect(layer, Path::new(""), &mut out);
    }
    out
}

fn collect(dir: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, PathBuf>) {
    let Ok(entries) = fs::read_dir(dir.join(rel)) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = rel.join(entry.file_name());
        if kind.is_dir() {
            collect(dir, &path, out);
        } else if kind.is_file() {
            out.insert(path, entry.path());
        }
    }
}

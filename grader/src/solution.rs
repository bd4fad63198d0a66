//! `cargo grade solution`: the reference solution beside the learner's code, as
//! a diff per file, once the exercise has full marks (or on `--give-up`).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use similar::TextDiff;

use crate::catalogue::{Course, Exercise};
use crate::error::Error;
use crate::layers;

/// Every file of the learner's and the reference `src/`, as unified diffs from
/// the learner's to the reference.
pub fn compare(course: &Course, ex: &Exercise) -> Result<String, Error> {
    let yours = course.paths.exercises.join(&ex.dir).join("src");
    let reference = course.paths.solutions.join(&ex.dir).join("src");
    let shown = |p: &Path| p.strip_prefix(&course.root).unwrap_or(p).display().to_string();
    // The reference is the solution's files over the starter's (`layers`).
    let theirs = layers::files(&layers::solution(course, ex));
    let mut names: BTreeSet<String> = theirs.keys().map(|p| p.display().to_string()).collect();
    collect(&yours, &yours, &mut names);
    if !reference.is_dir() {
        return Err(Error::io("read the reference solution", &reference, std::io::ErrorKind::NotFound.into()));
    }
    let mut out = format!(
        "The reference solution of {} {}, as changes from your code ({} -> {}):\n",
        ex.id,
        ex.title,
        shown(&yours),
        shown(&reference)
    );
    for name in names {
        let (a, b) =
            (yours.join(&name), theirs.get(Path::new(&name)).cloned().unwrap_or_else(|| reference.join(&name)));
        let (left, right) = (fs::read_to_string(&a).unwrap_or_default(), fs::read_to_string(&b).unwrap_or_default());
        if left == right {
            out.push_str(&format!("\n{name}: the same as yours\n"));
            continue;
        }
        let diff = TextDiff::from_lines(&left, &right);
        out.push('\n');
        out.push_str(&diff.unified_diff().context_radius(3).header(&shown(&a), &shown(&b)).to_string());
    }
    out.push_str(&format!("\nThe files that differ from the starter are in {}/.\n", shown(&reference)));
    Ok(out)
}

fn collect(root: &Path, dir: &Path, names: &mut BTreeSet<String>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect(root, &path, names);
        } else if let Ok(rel) = path.strip_prefix(root) {
            names.insert(rel.display().to_string());
        }
    }
}

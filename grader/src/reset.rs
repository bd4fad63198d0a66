//! `cargo grade reset`: an exercise's `src/` back to its starter. The learner's
//! `src/` is copied to `.threadlings/backup/<dir>/<time>/` first, so nothing
//! they wrote is ever lost. The starter is found in git history: the newest
//! commit whose `src/` matches the digest recorded in `grader/starters.toml`.
//! The reset is written to the progress history, so `list` shows it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::catalogue::{Course, Exercise};
use crate::error::Error;
use crate::history::{self, ResetRecord};
use crate::process::{self, Exit, Limits};
use crate::starters::{self, Record};

/// Commits searched for the starter, newest first.
const HISTORY_DEPTH: usize = 500;

/// A tree of files: path relative to `src/`, and contents.
pub type Files = Vec<(String, Vec<u8>)>;

/// Where the learner's `src/` was saved, and the restored starter.
pub struct Reset {
    pub backup: PathBuf,
    pub restored: PathBuf,
    /// Why the history could not record the reset, if it could not (the
    /// reset itself is done).
    pub unrecorded: Option<Error>,
}

/// Backs up and resets `ex`. Call only once the learner has agreed.
pub fn reset(course: &Course, ex: &Exercise) -> Result<Reset, Error> {
    let starter = find_starter(course, ex)?;
    let src = course.paths.exercises.join(&ex.dir).join("src");
    let backup = backup_dir(course, ex)?;
    if src.exists() {
        copy_tree(&src, &backup)?;
    } else {
        fs::create_dir_all(&backup).map_err(|e| Error::io("create the backup", &backup, e))?;
    }
    fs::remove_dir_all(&src)
        .or_else(|e| if src.exists() { Err(e) } else { Ok(()) })
        .map_err(|e| Error::io("clear the exercise's src/ (your code is in the backup)", &src, e))?;
    for (rel, bytes) in &starter {
        let path = src.join(rel);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("restore the starter", dir, e))?;
        }
        fs::write(&path, bytes).map_err(|e| Error::io("restore the starter (your code is in the backup)", &path, e))?;
    }
    let unrecorded = history::append_reset(&course.paths.history, &ResetRecord::now(&ex.id)).err();
    Ok(Reset { backup, restored: src, unrecorded })
}

/// The starter's files, from the newest commit whose `src/` matches the record.
pub fn find_starter(course: &Course, ex: &Exercise) -> Result<Files, Error> {
    let record = Record::load(course)?;
    let want = record.digests.get(&ex.dir).ok_or_else(|| Error::Tool {
        tool: "reset".into(),
        why: format!("{} has no recorded starter for {}: ask the course's authors", starters::RECORD, ex.dir),
    })?;
    let src = course.paths.exercises.join(&ex.dir).join("src");
    let rel = src.strip_prefix(&course.root).unwrap_or(&src).display().to_string();
    let not_found = |why: String| Error::Tool {
        tool: "reset".into(),
        why: format!(
            "could not find the starter of {} in git history ({why}): copy {rel}/ from the course's repository",
            ex.id
        ),
    };
    let commits = git(&course.root, &["rev-list", &format!("--max-count={HISTORY_DEPTH}"), "HEAD", "--", &rel])
        .map_err(&not_found)?;
    for commit in String::from_utf8_lossy(&commits).lines() {
        let listing = git(&course.root, &["ls-tree", "-r", "-z", commit, "--", &rel]).map_err(&not_found)?;
        let mut files = Vec::new();
        for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let Some((meta, path)) = entry.split_once('\t') else { continue };
            let mut meta = meta.split(' ');
            let (mode, kind, blob) = (meta.next(), meta.next(), meta.next());
            if kind != Some("blob") || mode == Some("120000") {
                continue; // submodules and symlinks are not sources
            }
            let bytes = git(&course.root, &["cat-file", "blob", blob.unwrap_or_default()]).map_err(&not_found)?;
            let within = path.strip_prefix(&rel).unwrap_or(path).trim_start_matches('/').to_string();
            files.push((within, bytes));
        }
        if !files.is_empty() && &starters::digest_files(files.clone()) == want {
            return Ok(files);
        }
    }
    Err(not_found(format!("no commit's {rel}/ matches {}", starters::RECORD)))
}

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root).args(args);
    let done = process::run(cmd, &Limits::tool(Duration::from_secs(60))).map_err(|e| format!("git: {e}"))?;
    if done.exit != Exit::Code(0) {
        let err = done.stderr.text();
        return Err(format!("git {}: {}", args[0], err.lines().next().unwrap_or("failed")));
    }
    let mut out = done.stdout.bytes;
    let (a, b) = done.stdout.tail.as_slices();
    out.extend_from_slice(a);
    out.extend_from_slice(b);
    Ok(out)
}

/// `.threadlings/backup/<dir>/<UTC time>/`, made unique if a reset ran this second.
fn backup_dir(course: &Course, ex: &Exercise) -> Result<PathBuf, Error> {
    let root = course.paths.history.parent().unwrap_or(&course.root).join("backup").join(&ex.dir);
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string().replace(':', "-");
    let mut dir = root.join(&stamp);
    let mut n = 2;
    while dir.exists() {
        dir = root.join(format!("{stamp}-{n}"));
        n += 1;
    }
    Ok(dir)
}

/// Copies every file under `from` to `to`, creating folders as needed.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    fs::create_dir_all(to).map_err(|e| Error::io("create a folder", to, e))?;
    for entry in fs::read_dir(from).map_err(|e| Error::io("read a folder", from, e))?.flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target).map_err(|e| Error::io("copy a file", &entry.path(), e))?;
        }
    }
    Ok(())
}

//! The scratch workspace: grader-owned crates under the target directory that take
//! only the learner's `src/` and add the hidden tests, with the grader's manifest,
//! lock file and snapshots. Learner files are only ever read.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::catalogue::{Course, Exercise};
use crate::error::Error;
use crate::grade::Submission;
use crate::layers;

/// Largest learner source tree staged; beyond it grading stops with an error.
const MAX_SOURCE_BYTES: u64 = 8 << 20;

/// The scratch directory, with one label's workspace held exclusively while this
/// value lives. Runs of other labels go on at the same time; cargo guards the
/// shared target directory itself.
pub struct Scratch {
    pub dir: PathBuf,
    _lock: File,
}

/// One submission made ready to build.
pub struct Staged {
    /// The staged crate's manifest, as cargo reports it back.
    pub manifest: PathBuf,
    /// Its package name (the library is always named after the exercise's crate).
    pub package: String,
}

impl Scratch {
    /// Opens (creating) `dir` and waits for any other grading run using the
    /// workspace `label` in it.
    pub fn open(dir: &Path, label: &str) -> Result<Scratch, Error> {
        fs::create_dir_all(dir).map_err(|e| Error::io("create the scratch directory", dir, e))?;
        // Absolute: cargo runs from elsewhere (see `compile`).
        let dir = &fs::canonicalize(dir).map_err(|e| Error::io("resolve the scratch directory", dir, e))?;
        let lock_path = dir.join(format!(".lock-{label}"));
        let lock = File::create(&lock_path).map_err(|e| Error::io("create the scratch lock", &lock_path, e))?;
        // SAFETY: flock on a descriptor we own; released when the file closes.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            eprintln!("waiting for another grading run to finish with {} ...", dir.join(label).display());
            // SAFETY: as above, blocking this time.
            if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(Error::io("lock the scratch directory", &lock_path, std::io::Error::last_os_error()));
            }
        }
        Ok(Scratch { dir: dir.to_path_buf(), _lock: lock })
    }

    /// The cargo target directory shared by every mode, so dependencies build once.
    pub fn target_dir(&self) -> PathBuf {
        self.dir.join("target")
    }

    /// The workspace of the batch `label` ("exercises", "solutions", ...).
    ///
    /// Members live at `<key>/<dir>` inside it (see [`Scratch::member`]): cargo
    /// names artifacts after a member's path relative to its workspace, so the key
    /// keeps, say, the solution's test executable from standing in for the learner's.
    pub fn workspace(&self, label: &str) -> PathBuf {
        self.dir.join(label)
    }

    /// The staged crate of submission `key` of exercise `dir` in batch `label`.
    pub fn member(&self, label: &str, key: &str, dir: &str) -> PathBuf {
        self.workspace(label).join(key).join(dir)
    }

    /// Stages every submission into the workspace `label`, each at
    /// `<key>/<dir>/`; a submission whose sources are missing maps to `Err`.
    pub fn stage(
        &self,
        course: &Course,
        label: &str,
        submissions: &[Submission],
    ) -> Result<Vec<Result<Staged, String>>, Error> {
        let ws = self.workspace(label);
        claim(&ws, course)?;
        remove_strays(&ws, course)?;
        let lock =
            fs::read(&course.paths.lockfile).map_err(|e| Error::io("read the lock file", &course.paths.lockfile, e))?;
        write_if_changed(&ws.join("Cargo.lock"), &lock)?;
        let mut staged = Vec::new();
        let mut members = Vec::new();
        for sub in submissions {
            let ex = sub.exercise;
            let source_dir = sub.sources.join(&ex.dir).join("src");
            let mut layers: Vec<PathBuf> = sub.under.iter().map(|u| u.join(&ex.dir).join("src")).collect();
            layers.push(source_dir.clone());
            let files = layers::files(&layers);
            let member = format!("{}/{}", sub.key, ex.dir);
            let crate_dir = ws.join(&member);
            if !files.contains_key(Path::new("lib.rs")) {
                // Keep the workspace loadable: a member without sources is removed.
                let _ = fs::remove_dir_all(&crate_dir);
                let shown = source_dir.strip_prefix(&course.root).unwrap_or(&source_dir);
                staged.push(Err(format!(
                    "{} is missing: restore it with `git checkout -- {}`",
                    shown.join("lib.rs").display(),
                    shown.parent().unwrap_or(shown).display()
                )));
                continue;
            }
            // Package names are unique in a workspace; the library keeps the
            // exercise's crate name, which is what the hidden tests import. The
            // label is in the name too: cargo names a member's artifacts after
            // its package and its path inside the workspace, and batches of
            // another label (`check`, `check-04`) stage the same paths into the
            // same target directory, maybe with other sources.
            let shared = submissions.iter().filter(|s| s.exercise.crate_name == ex.crate_name).count() > 1;
            let package = if shared { format!("{}-{label}-{}", ex.crate_name, sub.key) } else { ex.crate_name.clone() };
            stage_one(course, ex, &package, &files, &crate_dir)?;
            staged.push(Ok(Staged { manifest: crate_dir.join("Cargo.toml"), package }));
            members.push(member);
        }
        write_if_changed(&ws.join("Cargo.toml"), workspace_manifest(course, &members, Profile::of(label)).as_bytes())?;
        Ok(staged)
    }
}

fn stage_one(
    course: &Course,
    ex: &Exercise,
    package: &str,
    files: &BTreeMap<PathBuf, PathBuf>,
    crate_dir: &Path,
) -> Result<(), Error> {
    sync_files(files, &crate_dir.join("src"))?;
    let hidden = course.paths.hidden.join(&ex.dir);
    let tests = crate_dir.join("tests");
    mkdir(&tests)?;
    let hidden_rs = hidden.join("hidden.rs");
    let text = fs::read(&hidden_rs).map_err(|e| Error::io("read the hidden tests", &hidden_rs, e))?;
    write_if_changed(&tests.join("hidden.rs"), &text)?;
    // Snapshots are the grader's: only `.snap` files, and stale ones go.
    let mut unlimited = u64::MAX;
    let snaps = hidden.join("snapshots");
    let is_snap = &mut |p: &Path| p.extension().is_some_and(|e| e == "snap");
    if snaps.is_dir() {
        sync_tree(&snaps, &tests.join("snapshots"), is_snap, &mut unlimited)?;
    } else {
        let _ = fs::remove_dir_all(tests.join("snapshots"));
    }
    write_if_changed(&crate_dir.join("Cargo.toml"), crate_manifest(course, ex, package).as_bytes())
}

/// How a batch is built: the leanest profile that keeps its verdicts meaningful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// The learner's own batch, rebuilt after every save: incremental caches
    /// pay off there, and line tables let deadlock reports name their frames.
    Learner,
    /// The course check's batches: hundreds of crates graded for verdicts only,
    /// so no debug info, no symbol tables (a third of each test executable) and
    /// no caches, to keep the disk they take small.
    Check,
    /// Anything else (the reference solutions): line tables, no caches.
    Other,
}

impl Profile {
    fn of(label: &str) -> Profile {
        match label {
            "exercises" => Profile::Learner,
            _ if label.starts_with("check") => Profile::Check,
            _ => Profile::Other,
        }
    }
}

fn workspace_manifest(course: &Course, members: &[String], profile: Profile) -> String {
    let mut deps = String::new();
    for (name, spec) in &course.dependencies {
        deps.push_str(&format!("{name} = {spec}\n"));
    }
    let members = toml::Value::Array(members.iter().cloned().map(toml::Value::String).collect());
    // Nothing optimised anywhere. Dependencies get no debug info and, as in
    // a release, no debug assertions: smaller executables, same learner code.
    let incremental = profile == Profile::Learner;
    let (debug, strip) = match profile {
        Profile::Check => ("false", "\"symbols\""),
        _ => ("\"line-tables-only\"", "false"),
    };
    format!(
        "# Generated by the grader for each run; edits are overwritten.\n\
         [workspace]\nresolver = \"3\"\nmembers = {members}\n\n\
         [workspace.dependencies]\n{deps}\n\
         [profile.dev]\nopt-level = 0\ndebug = {debug}\nstrip = {strip}\nincremental = {incremental}\n\n\
         [profile.dev.package.\"*\"]\ndebug = false\ndebug-assertions = false\noverflow-checks = false\n"
    )
}

fn crate_manifest(course: &Course, ex: &Exercise, package: &str) -> String {
    let mut deps = String::new();
    for name in course.dependencies.keys().filter(|n| !ex.dependencies.contains_key(*n)) {
        deps.push_str(&format!("{name}.workspace = true\n"));
    }
    for (name, spec) in &ex.dependencies {
        deps.push_str(&format!("{name} = {spec}\n"));
    }
    let features = toml::Value::Array(ex.features.iter().cloned().map(toml::Value::String).collect());
    let support = toml::Value::String(course.paths.support.display().to_string());
    format!(
        "# Generated by the grader for each run; edits are overwritten.\n\
         [package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\
         autobins = false\nautoexamples = false\nautotests = false\nautobenches = false\nbuild = false\n\n\
         [lib]\nname = \"{name}\"\npath = \"src/lib.rs\"\ntest = false\ndoctest = false\n\n\
         [[test]]\nname = \"hidden\"\npath = \"tests/hidden.rs\"\n\n\
         [features]\ndefault = {features}\n\n\
         [dependencies]\n{deps}\n\
         [dev-dependencies]\nhidden = {{ package = \"threadlings-hidden\", path = {support} }}\n",
        name = ex.crate_name,
    )
}

/// Ties a scratch workspace to one course: crates staged from another checkout
/// would point at its support crate and confuse cargo, so they go.
fn claim(ws: &Path, course: &Course) -> Result<(), Error> {
    let marker = ws.join(".course");
    let root = course.root.display().to_string();
    if fs::read_to_string(&marker).is_ok_and(|owner| owner == root) {
        return Ok(());
    }
    if ws.exists() {
        fs::remove_dir_all(ws).map_err(|e| Error::io("clear a scratch workspace of another course", ws, e))?;
    }
    mkdir(ws)?;
    fs::write(&marker, root).map_err(|e| Error::io("write the scratch workspace marker", &marker, e))
}

/// Removes staged crates of exercises no longer in the catalogue. Other
/// submissions' crates stay: they are not members of this build, and a later
/// batch that grades them again rebuilds nothing.
fn remove_strays(ws: &Path, course: &Course) -> Result<(), Error> {
    let entries = fs::read_dir(ws).map_err(|e| Error::io("list the scratch workspace", ws, e))?;
    for key in entries.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())) {
        for crate_dir in fs::read_dir(key.path()).into_iter().flatten().flatten() {
            if !course.exercises.iter().any(|e| crate_dir.file_name() == e.dir.as_str()) {
                let _ = fs::remove_dir_all(crate_dir.path());
            }
        }
    }
    Ok(())
}

/// Mirrors the regular files under `from` that `keep` accepts into `to`, writing only
/// what changed (so cargo rebuilds only edited crates) and deleting the rest.
fn sync_tree(from: &Path, to: &Path, keep: &mut dyn FnMut(&Path) -> bool, budget: &mut u64) -> Result<(), Error> {
    mkdir(to)?;
    let mut wanted = Vec::new();
    let entries = fs::read_dir(from).map_err(|e| Error::io("read the sources", from, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        let name = entry.file_name();
        if kind.is_dir() {
            sync_tree(&path, &to.join(&name), keep, budget)?;
            wanted.push(name);
        } else if kind.is_file() && keep(&path) {
            let bytes = fs::read(&path).map_err(|e| Error::io("read a source file", &path, e))?;
            *budget = budget.checked_sub(bytes.len() as u64).ok_or_else(|| Error::Build {
                why: format!(
                    "{} holds more than {} MiB of sources: remove large files",
                    from.display(),
                    MAX_SOURCE_BYTES >> 20
                ),
            })?;
            write_if_changed(&to.join(&name), &bytes)?;
            wanted.push(name);
        }
        // Symlinks and other special files are not staged.
    }
    let existing = fs::read_dir(to).map_err(|e| Error::io("read the scratch workspace", to, e))?;
    for entry in existing.flatten() {
        if !wanted.contains(&entry.file_name()) {
            let path = entry.path();
            let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        }
    }
    Ok(())
}

/// Mirrors `files` (path inside `to` -> where to read it) into `to`, writing only
/// what changed (so cargo rebuilds only edited crates) and deleting the rest.
fn sync_files(files: &BTreeMap<PathBuf, PathBuf>, to: &Path) -> Result<(), Error> {
    let mut budget = MAX_SOURCE_BYTES;
    for (rel, from) in files {
        let bytes = fs::read(from).map_err(|e| Error::io("read a source file", from, e))?;
        budget = budget.checked_sub(bytes.len() as u64).ok_or_else(|| Error::Build {
            why: format!(
                "{} holds more than {} MiB of sources: remove large files",
                to.display(),
                MAX_SOURCE_BYTES >> 20
            ),
        })?;
        let dest = to.join(rel);
        mkdir(dest.parent().unwrap_or(to))?;
        write_if_changed(&dest, &bytes)?;
    }
    remove_unlisted(to, Path::new(""), files);
    Ok(())
}

fn remove_unlisted(to: &Path, rel: &Path, files: &BTreeMap<PathBuf, PathBuf>) {
    for entry in fs::read_dir(to.join(rel)).into_iter().flatten().flatten() {
        let path = rel.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_unlisted(to, &path, files);
            if files.keys().all(|f| !f.starts_with(&path)) {
                let _ = fs::remove_dir_all(entry.path());
            }
        } else if !files.contains_key(&path) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    fs::write(path, bytes).map_err(|e| Error::io("write the scratch workspace", path, e))
}

fn mkdir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create a scratch directory", dir, e))
}

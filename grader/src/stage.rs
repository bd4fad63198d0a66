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
use crate::limits::SOURCE_CAP;

/// The scratch directory, with one label's workspace held exclusively while this
/// value lives. Runs of other labels go on at the same time; cargo guards the
/// shared target directory itself.
pub struct Scratch {
    pub dir: PathBuf,
    _lock: File,
}

/// Where things are in a scratch directory, without opening it: the one place
/// these paths are made (the grader's batches, xtask's benchmarks and snapshots).
pub mod paths {
    use std::path::{Path, PathBuf};

    /// The cargo target directory shared by every batch, so dependencies build once.
    pub fn target_dir(scratch: &Path) -> PathBuf {
        scratch.join("target")
    }

    /// The workspace of the batch `label` ("exercises", "solutions", ...).
    pub fn workspace(scratch: &Path, label: &str) -> PathBuf {
        scratch.join(label)
    }

    /// The staged crate of submission `key` of exercise `dir` in batch `label`.
    pub fn member(scratch: &Path, label: &str, key: &str, dir: &str) -> PathBuf {
        workspace(scratch, label).join(key).join(dir)
    }
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
        paths::target_dir(&self.dir)
    }

    /// The workspace of the batch `label` ("exercises", "solutions", ...).
    ///
    /// Members live at `<key>/<dir>` inside it (see [`Scratch::member`]): cargo
    /// names artifacts after a member's path relative to its workspace, so the key
    /// keeps, say, the solution's test executable from standing in for the learner's.
    pub fn workspace(&self, label: &str) -> PathBuf {
        paths::workspace(&self.dir, label)
    }

    /// The staged crate of submission `key` of exercise `dir` in batch `label`.
    pub fn member(&self, label: &str, key: &str, dir: &str) -> PathBuf {
        paths::member(&self.dir, label, key, dir)
    }

    /// Stages every submission into the workspace `label`, each at
    /// `<key>/<dir>/`; a submission whose sources are missing or too large
    /// maps to `Err` with what to do, and the others are graded.
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
            let size = files_bytes(&files);
            if size > SOURCE_CAP {
                let _ = fs::remove_dir_all(&crate_dir);
                let shown = source_dir.strip_prefix(&course.root).unwrap_or(&source_dir);
                staged.push(Err(format!(
                    "{} holds {} MiB of files, more than the {} MiB graded: move large files out of src/",
                    shown.display(),
                    size.div_ceil(1 << 20),
                    SOURCE_CAP >> 20
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
    let snaps = hidden.join("snapshots");
    let is_snap = &mut |p: &Path| p.extension().is_some_and(|e| e == "snap");
    if snaps.is_dir() {
        sync_tree(&snaps, &tests.join("snapshots"), is_snap)?;
    } else {
        let _ = fs::remove_dir_all(tests.join("snapshots"));
    }
    let snapshots = uses_snapshots(&String::from_utf8_lossy(&text));
    write_if_changed(&crate_dir.join("Cargo.toml"), crate_manifest(course, ex, package, snapshots).as_bytes())
}

/// Whether hidden tests need the toolkit's snapshot feature (insta). Its items
/// are `insta` and `snapshot_settings`: code that uses them names one, so the
/// test never misses; a mere mention costs only link time.
fn uses_snapshots(hidden_rs: &str) -> bool {
    hidden_rs.contains("insta") || hidden_rs.contains("snapshot")
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

fn crate_manifest(course: &Course, ex: &Exercise, package: &str, snapshots: bool) -> String {
    let mut deps = String::new();
    for name in course.dependencies.keys().filter(|n| !ex.dependencies.contains_key(*n)) {
        deps.push_str(&format!("{name}.workspace = true\n"));
    }
    for (name, spec) in &ex.dependencies {
        deps.push_str(&format!("{name} = {spec}\n"));
    }
    let features = toml::Value::Array(ex.features.iter().cloned().map(toml::Value::String).collect());
    let support = toml::Value::String(course.paths.support.display().to_string());
    let toolkit = if snapshots { "[\"snapshots\"]" } else { "[]" };
    format!(
        "# Generated by the grader for each run; edits are overwritten.\n\
         [package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\
         autobins = false\nautoexamples = false\nautotests = false\nautobenches = false\nbuild = false\n\n\
         [lib]\nname = \"{name}\"\npath = \"src/lib.rs\"\ntest = false\ndoctest = false\n\n\
         [[test]]\nname = \"hidden\"\npath = \"tests/hidden.rs\"\n\n\
         [features]\ndefault = {features}\n\n\
         [dependencies]\n{deps}\n\
         [dev-dependencies]\nhidden = {{ package = \"threadlings-hidden\", path = {support}, default-features = false, features = {toolkit} }}\n",
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
fn sync_tree(from: &Path, to: &Path, keep: &mut dyn FnMut(&Path) -> bool) -> Result<(), Error> {
    mkdir(to)?;
    let mut wanted = Vec::new();
    let entries = fs::read_dir(from).map_err(|e| Error::io("read the sources", from, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        let name = entry.file_name();
        if kind.is_dir() {
            sync_tree(&path, &to.join(&name), keep)?;
            wanted.push(name);
        } else if kind.is_file() && keep(&path) {
            let bytes = fs::read(&path).map_err(|e| Error::io("read a source file", &path, e))?;
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

/// Bytes of the files a submission stages.
fn files_bytes(files: &BTreeMap<PathBuf, PathBuf>) -> u64 {
    files.values().map(|from| fs::metadata(from).map_or(0, |m| m.len())).sum()
}

/// Mirrors `files` (path inside `to` -> where to read it) into `to`, writing only
/// what changed (so cargo rebuilds only edited crates) and deleting the rest.
fn sync_files(files: &BTreeMap<PathBuf, PathBuf>, to: &Path) -> Result<(), Error> {
    for (rel, from) in files {
        let bytes = fs::read(from).map_err(|e| Error::io("read a source file", from, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const COURSE: &str = r#"
format_version = 1
[dependencies]
crossbeam = "0.8"
rayon = "1.10"
[[exercises]]
id = "01"
dir = "01_first"
crate = "first"
title = "First"
topic = "t"
hints = ["h"]
dependencies = { rayon = { version = "1.10", default-features = false } }
features = ["extra"]
[[exercises.tests]]
name = "runs"
points = 1
"#;

    fn course() -> Course {
        Course::parse(Path::new("/course"), COURSE).unwrap()
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("threadlings-stage-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn profiles_differ_only_where_their_batches_need_it() {
        let course = course();
        let members = ["exercises/01_first".to_string()];
        let parse = |p| workspace_manifest(&course, &members, p).parse::<toml::Table>().unwrap();
        let (learner, check) = (parse(Profile::Learner), parse(Profile::Check));
        let dev = |t: &toml::Table| t["profile"]["dev"].as_table().unwrap().clone();
        assert_eq!(dev(&learner)["incremental"].as_bool(), Some(true), "the learner's batch rebuilds on every save");
        assert_eq!(dev(&check)["incremental"].as_bool(), Some(false));
        assert_eq!(dev(&check)["strip"].as_str(), Some("symbols"), "verdicts need no symbols");
        assert_eq!(dev(&learner)["debug"].as_str(), Some("line-tables-only"), "deadlock reports name lines");
        assert_eq!(learner["workspace"]["members"].as_array().unwrap().len(), 1);
        assert_eq!(learner["workspace"]["dependencies"]["crossbeam"].as_str(), Some("0.8"));
        assert_eq!(Profile::of("check-04"), Profile::Check);
        assert_eq!(Profile::of("exercises"), Profile::Learner);
        assert_eq!(Profile::of("solutions"), Profile::Other);
    }

    #[test]
    fn a_crate_gets_the_catalogues_dependencies_its_own_overrides_and_the_hidden_test() {
        let course = course();
        let manifest: toml::Table =
            crate_manifest(&course, &course.exercises[0], "first-check-x", false).parse().unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some("first-check-x"));
        assert_eq!(manifest["lib"]["name"].as_str(), Some("first"), "hidden tests import the crate by its name");
        assert_eq!(manifest["package"]["build"].as_bool(), Some(false), "no learner build script");
        let deps = manifest["dependencies"].as_table().unwrap();
        assert_eq!(deps["crossbeam"]["workspace"].as_bool(), Some(true));
        assert_eq!(deps["rayon"]["default-features"].as_bool(), Some(false));
        assert_eq!(manifest["features"]["default"].as_array().unwrap()[0].as_str(), Some("extra"));
        assert_eq!(manifest["test"].as_array().unwrap()[0]["path"].as_str(), Some("tests/hidden.rs"));
        let toolkit = |m: &toml::Table| m["dev-dependencies"]["hidden"].as_table().unwrap().clone();
        assert_eq!(toolkit(&manifest)["default-features"].as_bool(), Some(false));
        assert_eq!(toolkit(&manifest)["features"].as_array().unwrap().len(), 0, "no insta to link");
        let snapping: toml::Table =
            crate_manifest(&course, &course.exercises[0], "first-check-x", true).parse().unwrap();
        assert_eq!(toolkit(&snapping)["features"].as_array().unwrap()[0].as_str(), Some("snapshots"));
        assert!(uses_snapshots("use hidden::snapshot_settings;") && uses_snapshots("hidden::insta::assert_snapshot!"));
        assert!(!uses_snapshots("use hidden::{PATIENCE, Rendezvous};"));
    }

    #[test]
    fn syncing_writes_only_changes_and_removes_what_the_source_lost() {
        let dir = temp("sync");
        let (from, to) = (dir.join("from"), dir.join("to"));
        fs::create_dir_all(from.join("nested")).unwrap();
        fs::write(from.join("lib.rs"), "pub fn a() {}").unwrap();
        fs::write(from.join("nested/b.rs"), "pub fn b() {}").unwrap();
        sync_tree(&from, &to, &mut |_| true).unwrap();
        assert_eq!(fs::read_to_string(to.join("nested/b.rs")).unwrap(), "pub fn b() {}");
        let written = fs::metadata(to.join("lib.rs")).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::remove_dir_all(from.join("nested")).unwrap();
        sync_tree(&from, &to, &mut |_| true).unwrap();
        assert!(!to.join("nested").exists(), "a removed source is removed from the staged crate");
        assert_eq!(fs::metadata(to.join("lib.rs")).unwrap().modified().unwrap(), written, "unchanged: not rewritten");
        assert_eq!(files_bytes(&layers::files(std::slice::from_ref(&from))), "pub fn a() {}".len() as u64);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn paths_put_members_under_their_key_in_their_batch() {
        let scratch = Path::new("/s");
        assert_eq!(paths::member(scratch, "check", "wrong-x", "01_first"), Path::new("/s/check/wrong-x/01_first"));
        assert_eq!(paths::target_dir(scratch), Path::new("/s/target"));
    }
}

//! Helpers shared by the grader's integration tests: fixture courses copied
//! out of the repository, and trees of files read back.

#![allow(dead_code)] // each test binary uses its own share

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Copies `fixtures/<fixture>` to `<tmp>/courses/<name>`, with @REPO@ replaced
/// by the repository root and every crate `fx_x` renamed `fx_<name>_x`. The same
/// name gets the same path every time, so its scratch workspace stays its own
/// and rebuilds nothing that did not change; the names are its own because every
/// copy builds into one shared target directory, where a crate's artifacts are
/// named after its package and its place in its workspace, the same in every copy.
pub fn copy_fixture(fixture: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("courses").join(name);
    let _ = fs::remove_dir_all(&dir);
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture), &dir);
    let repo = fs::canonicalize(REPO).unwrap();
    for file in files_under(&dir).into_iter().filter(|f| f.extension().is_some_and(|x| x == "toml" || x == "rs")) {
        let text = fs::read_to_string(&file).unwrap();
        fs::write(file, rename_crates(&text.replace("@REPO@", repo.to_str().unwrap()), name)).unwrap();
    }
    dir
}

/// `fx_x` as `fx_<name>_x`, as in a copy made by [`copy_fixture`].
pub fn rename_crates(text: &str, name: &str) -> String {
    text.replace("fx_", &format!("fx_{name}_"))
}

pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files
}

/// Every file under `dir` with its contents, to prove something changed nothing.
pub fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir).into_iter().map(|f| (f.clone(), fs::read(&f).unwrap())).collect()
}

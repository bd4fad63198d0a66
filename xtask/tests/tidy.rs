//! Tidy: what is written twice must agree. The README's usage and exit codes
//! against the grader's code, the facts the grader shares with the hidden
//! tests, the catalogue's crates against the workspace's, and the hidden-test
//! folders against the catalogue (no stray files, no unnamed snapshots).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::Course;
use grader::error::exit;

fn root() -> PathBuf {
    xtask::repo_root()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines of the first fenced block after `marker` in `text`.
fn block_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let at = text.find(marker).unwrap_or_else(|| panic!("README.md: no '{marker}': put it back above the block"));
    let rest = &text[at..];
    let open = rest.find("```text\n").expect("README.md: a ```text block after the marker") + "```text\n".len();
    let close = rest[open..].find("\n```").expect("README.md: the block is closed");
    rest[open..open + close].lines().collect()
}

#[test]
fn readme_usage_is_the_grader_help() {
    let readme = read(&root().join("README.md"));
    let shown = block_after(&readme, "`cargo grade --help`");
    let help = grader::cli::help_text();
    let help: Vec<&str> = help.trim_end().lines().collect();
    // Trailing spaces aside (editors drop them), line for line.
    for (i, (a, b)) in shown.iter().zip(&help).enumerate() {
        assert_eq!(
            a.trim_end(),
            b.trim_end(),
            "README.md: line {} of the `cargo grade --help` block differs from the help: paste `cargo grade --help` into it",
            i + 1
        );
    }
    assert_eq!(
        shown.len(),
        help.len(),
        "README.md: the `cargo grade --help` block has {} lines, the help {}: paste `cargo grade --help` into it",
        shown.len(),
        help.len()
    );
}

#[test]
fn readme_exit_codes_are_the_documented_codes() {
    let readme = read(&root().join("README.md"));
    let at = readme.find("### Exit codes").expect("README.md: no '### Exit codes' section");
    let rows: Vec<(String, String)> = readme[at..]
        .lines()
        .skip_while(|l| !l.starts_with("| code |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            (cells[0].to_string(), cells[1..].join(" | "))
        })
        .collect();
    let code: Vec<(String, String)> = exit::DOCUMENTED.iter().map(|(c, m)| (c.to_string(), m.to_string())).collect();
    for (shown, real) in rows.iter().zip(&code) {
        assert_eq!(
            shown, real,
            "README.md: the exit-code row `| {} | {} |` differs from grader/src/error.rs exit::DOCUMENTED: make the row `| {} | {} |`",
            shown.0, shown.1, real.0, real.1
        );
    }
    assert_eq!(
        rows.len(),
        code.len(),
        "README.md: the exit-code table has {} rows, exit::DOCUMENTED {}",
        rows.len(),
        code.len()
    );
    let named = [exit::PASSED, exit::NOT_PASSED, exit::USAGE, exit::ENVIRONMENT];
    let documented: Vec<u8> = exit::DOCUMENTED.iter().map(|(c, _)| *c).collect();
    assert_eq!(documented, named, "grader/src/error.rs: exit::DOCUMENTED must list every exit code once, in order");
}

#[test]
fn the_deadlock_exit_code_has_one_definition() {
    let contract = "grader/hidden/src/contract.rs";
    let lib = read(&root().join("grader/src/lib.rs"));
    assert!(
        lib.contains("#[path = \"../hidden/src/contract.rs\"]"),
        "grader/src/lib.rs: compile {contract} in as `mod contract` (#[path]), so the grader and the hidden tests share it"
    );
    let watchdog = read(&root().join("grader/hidden/src/watchdog.rs"));
    assert!(
        watchdog.contains("use crate::contract::DEADLOCK_EXIT;"),
        "grader/hidden/src/watchdog.rs: exit with {contract}'s DEADLOCK_EXIT, not a number of its own"
    );
    assert_eq!(grader::verdict::DEADLOCK_EXIT, grader::contract::DEADLOCK_EXIT);
    let mut defined = Vec::new();
    for dir in ["grader/src", "grader/hidden/src"] {
        for entry in fs::read_dir(root().join(dir)).unwrap().flatten() {
            let text = fs::read_to_string(entry.path()).unwrap_or_default();
            if text.contains("const DEADLOCK_EXIT") {
                defined.push(format!("{dir}/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    assert_eq!(defined, [contract], "define DEADLOCK_EXIT once, in {contract}, and use it from there");
}

#[test]
fn catalogue_crates_are_the_workspace_crates() {
    let course = Course::load(&root()).unwrap_or_else(|e| panic!("{e}"));
    let manifest: toml::Table = read(&root().join("Cargo.toml")).parse().expect("Cargo.toml parses");
    let workspace = manifest["workspace"]["dependencies"].as_table().expect("Cargo.toml: [workspace.dependencies]");
    for (name, wanted) in &course.dependencies {
        match workspace.get(name) {
            None => panic!(
                "course.toml: [dependencies] names '{name}', Cargo.toml [workspace.dependencies] does not: add it there"
            ),
            Some(have) => assert_eq!(
                have, wanted,
                "course.toml: [dependencies] {name} = {wanted} differs from Cargo.toml [workspace.dependencies] \
                 {name} = {have}: make them the same"
            ),
        }
    }
}

/// Every file under the hidden-test folder of an exercise, relative to it.
fn files_under(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, base, out);
        } else {
            out.push(path.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        }
    }
}

#[test]
fn hidden_test_folders_hold_only_what_the_catalogue_uses() {
    let course = Course::load(&root()).unwrap_or_else(|e| panic!("{e}"));
    let hidden = &course.paths.hidden;
    let dirs: BTreeSet<&str> = course.exercises.iter().map(|e| e.dir.as_str()).collect();
    let mut strays = Vec::new();
    for entry in fs::read_dir(hidden).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !dirs.contains(name.as_str()) {
            strays.push(format!("{}: no exercise in course.toml has this dir", entry.path().display()));
            continue;
        }
        let mut files = Vec::new();
        files_under(&entry.path(), &entry.path(), &mut files);
        let tests = fs::read_to_string(entry.path().join("hidden.rs")).unwrap_or_default();
        for file in files {
            let known = match file.split_once('/') {
                None => file == "hidden.rs" || file == "AUDIT.md",
                Some(("wrong", rest)) => rest.ends_with(".patch") && !rest.contains('/'),
                Some(("right", rest)) => rest.ends_with(".rs") && !rest.contains('/'),
                Some(("snapshots", snap)) => match snap.strip_suffix(".snap") {
                    Some(name) if tests.contains(&format!("assert_snapshot!(\"{name}\"")) => true,
                    Some(name) => {
                        strays.push(format!(
                            "{}/{file}: no hidden test names the snapshot \"{name}\": delete it, or name it in hidden.rs",
                            entry.path().display()
                        ));
                        continue;
                    }
                    None => false,
                },
                Some(_) => false,
            };
            if !known {
                strays.push(format!(
                    "{}/{file}: a stray file: an exercise's hidden folder holds hidden.rs, AUDIT.md, \
                     snapshots/*.snap, wrong/*.patch and right/*.rs only",
                    entry.path().display()
                ));
            }
        }
    }
    assert!(strays.is_empty(), "{}", strays.join("\n"));
}

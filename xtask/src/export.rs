//! `cargo xtask export-student DIR`: the student template, a repository a
//! teacher publishes as the assignment. It holds the exercises (pages, starters,
//! visible tests), the grader and its support crates, and a classroom workflow
//! that grades with the hidden tests of the teacher's private copy of the
//! course; it holds no solutions, no hidden tests, no wrong or right variants,
//! no audit notes and none of the author's tools or CI.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use grader::catalogue::Course;
use grader::compile;
use grader::error::Error;
use grader::process::{self, Exit, Limits};
use serde::Serialize;

use crate::classroom;

/// Files the course carries, relative to `root`: git's tracked files that exist
/// on disk, or outside git every file but builds, histories and pending snapshots.
pub fn course_files(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut cmd = Command::new("git");
    cmd.current_dir(root).args(["ls-files", "-z", "--cached", "--", "."]);
    let listed = process::run(cmd, &Limits::tool(Duration::from_secs(60)))
        .ok()
        .filter(|done| done.exit == Exit::Code(0) && !done.stdout.bytes.is_empty());
    let mut files: Vec<PathBuf> = match listed {
        Some(done) => done
            .stdout
            .bytes
            .split(|b| *b == 0)
            .filter(|name| !name.is_empty())
            .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
            .filter(|rel| root.join(rel).is_file())
            .collect(),
        None => {
            let mut files = Vec::new();
            walk(root, Path::new(""), &mut files)?;
            files
        }
    };
    files.sort();
    Ok(files)
}

fn walk(root: &Path, rel: &Path, files: &mut Vec<PathBuf>) -> Result<(), Error> {
    let dir = root.join(rel);
    for entry in fs::read_dir(&dir).map_err(|e| Error::io("read a folder", &dir, e))?.flatten() {
        let name = entry.file_name();
        let path = rel.join(&name);
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            if !(rel.as_os_str().is_empty() && [".git", "target", ".threadlings"].iter().any(|n| name == *n)) {
                walk(root, &path, files)?;
            }
        } else if kind.is_file() && !name.to_string_lossy().ends_with(".snap.new") {
            files.push(path);
        }
    }
    Ok(())
}

/// Why a course file stays out of the student template, if it does.
pub fn left_out(rel: &Path) -> Option<&'static str> {
    let path = rel.to_string_lossy();
    let under = |dir: &str| path.starts_with(dir);
    if under("solutions/") {
        Some("reference solutions")
    } else if under("grader/hidden/exercises/") {
        Some("hidden tests, snapshots, wrong and right solutions")
    } else if rel.file_name().is_some_and(|n| n == "AUDIT.md") {
        Some("audit notes")
    } else if under("xtask/") || under(".ci/") || path == ".github/workflows/ci.yml" {
        Some("the author's tools and CI")
    } else if under("grader/tests/") {
        Some("the grader's own tests")
    } else if path == "CONTRIBUTING.md" || path == "ARCHITECTURE.md" {
        Some("the author's documentation")
    } else {
        None
    }
}

/// Files the template gets in a form of its own.
const REWRITTEN: [&str; 4] = ["Cargo.toml", ".cargo/config.toml", "README.md", classroom::STUDENT_WORKFLOW];

/// `cargo xtask export-student DIR`: writes the template into `dir`, which must
/// be new or empty.
pub fn run(root: &Path, dir: &Path, out: &mut dyn std::io::Write) -> Result<bool, Error> {
    let course = Course::load(root)?;
    if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Error::BadPath {
            path: dir.to_path_buf(),
            why: "is not empty: export into a new or empty directory (remove it first, or name another)".into(),
        });
    }
    fs::create_dir_all(dir).map_err(|e| Error::io("create the template directory", dir, e))?;
    let mut written = 0;
    for rel in course_files(root)? {
        if left_out(&rel).is_some() || REWRITTEN.iter().any(|r| rel == Path::new(r)) {
            continue;
        }
        copy_file(&root.join(&rel), &dir.join(&rel))?;
        written += 1;
    }
    let read = |rel: &str| fs::read_to_string(root.join(rel)).map_err(|e| Error::io("read", &root.join(rel), e));
    let generated = [
        ("Cargo.toml", workspace_manifest(&read("Cargo.toml")?)),
        (".cargo/config.toml", cargo_config(&read(".cargo/config.toml")?)),
        ("README.md", readme(&course)),
        (classroom::STUDENT_WORKFLOW, classroom::student_workflow(&course)?),
    ];
    for (rel, text) in &generated {
        write(&dir.join(rel), text)?;
        written += 1;
    }
    prune_lock(dir)?;
    let strays = course_files_under(dir)?.into_iter().filter(|rel| left_out(rel).is_some()).collect::<Vec<_>>();
    if let Some(rel) = strays.first() {
        return Err(Error::Build { why: format!("the template holds {}, which must stay out of it", rel.display()) });
    }
    let _ = writeln!(
        out,
        "wrote the student template to {} ({written} files: exercises, visible tests, the grader; \
         no solutions, hidden tests or author CI)\n\
         next: commit it to a new repository, mark that a template, and set {} and {} \
         (README.md of the course, \"For teachers\")",
        dir.display(),
        classroom::COURSE_REPO_VARIABLE,
        classroom::COURSE_TOKEN_SECRET,
    );
    Ok(true)
}

/// Every file under `dir`, relative to it.
fn course_files_under(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    walk(dir, Path::new(""), &mut files)?;
    Ok(files)
}

/// Copies a file with its permissions (scripts stay executable).
fn copy_file(from: &Path, to: &Path) -> Result<(), Error> {
    fs::create_dir_all(to.parent().expect("a parent")).map_err(|e| Error::io("create a folder", to, e))?;
    fs::copy(from, to).map(|_| ()).map_err(|e| Error::io("copy a file", from, e))
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    fs::create_dir_all(path.parent().expect("a parent")).map_err(|e| Error::io("create a folder", path, e))?;
    fs::write(path, text).map_err(|e| Error::io("write", path, e))
}

/// The workspace manifest without the author's tools among its members.
fn workspace_manifest(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let key = ["members", "default-members"].into_iter().find(|k| line.starts_with(&format!("{k} = ")));
        let Some(key) = key else {
            lines.push(line.to_string());
            continue;
        };
        let members: Vec<toml::Value> = toml::from_str::<toml::Table>(line)
            .ok()
            .and_then(|t| t.get(key).and_then(|v| v.as_array()).cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.as_str() != Some("xtask"))
            .collect();
        if key == "members" {
            while lines.last().is_some_and(|l| l.starts_with('#')) {
                lines.pop();
            }
            lines.push(
                "# A student copy of the course (`cargo xtask export-student`): the grader is the\n\
                 # default member; exercise crates are members so that `cargo test -p <crate>`\n\
                 # works and rust-analyzer sees them."
                    .into(),
            );
        }
        lines.push(format!("{key} = {}", toml::Value::Array(members)));
    }
    lines.join("\n") + "\n"
}

/// Cargo's configuration without the author's `cargo xtask` alias.
fn cargo_config(text: &str) -> String {
    let authors = |l: &&str| l.starts_with("xtask =") || l.starts_with('#') && l.contains("xtask");
    let kept: Vec<&str> = text.lines().filter(|l| !authors(l)).collect();
    kept.join("\n") + "\n"
}

#[derive(Serialize)]
struct ReadmeExercise<'a> {
    id: &'a str,
    dir: &'a str,
    crate_name: &'a str,
    title: &'a str,
    topic: &'a str,
}

/// The student README: how to work, how grading works, the exercises from the catalogue.
fn readme(course: &Course) -> String {
    let exercises: Vec<ReadmeExercise> = course
        .exercises
        .iter()
        .map(|e| ReadmeExercise { id: &e.id, dir: &e.dir, crate_name: &e.crate_name, title: &e.title, topic: &e.topic })
        .collect();
    let mut env = minijinja::Environment::new();
    env.add_template("student-README.md", include_str!("../templates/student-README.md"))
        .expect("the student README template parses");
    env.get_template("student-README.md")
        .and_then(|t| {
            t.render(minijinja::context! {
                first => &exercises[0],
                exercises => &exercises,
                repo_variable => classroom::COURSE_REPO_VARIABLE,
                token_secret => classroom::COURSE_TOKEN_SECRET,
            })
        })
        .expect("the student README renders")
}

/// Drops the author's tools' crates from the copied lock file, changing no
/// version: cargo resolves from its local index (a course that was built has
/// it), else from the registry.
fn prune_lock(dir: &Path) -> Result<(), Error> {
    let lock = dir.join("Cargo.lock");
    let mut last = String::new();
    for offline in [true, false] {
        let mut cmd = Command::new(compile::cargo());
        cmd.current_dir(dir).args(["update", "--workspace", "--quiet"]);
        if offline {
            cmd.arg("--offline");
        }
        let done = process::run(cmd, &Limits::tool(Duration::from_secs(300)))
            .map_err(|e| Error::Tool { tool: "cargo".into(), why: e.to_string() })?;
        if done.exit == Exit::Code(0) {
            return Ok(());
        }
        last = done.stderr.text();
    }
    Err(Error::Tool {
        tool: "cargo".into(),
        why: format!("could not update {} for the template: {}", lock.display(), last.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_loses_only_the_authors_tools() {
        let text = "[workspace]\nresolver = \"3\"\n# Old comment.\nmembers = [\"grader\", \"xtask\", \"exercises/*\"]\n\
                    default-members = [\"grader\", \"xtask\"]\n\n[workspace.package]\nedition = \"2024\"\n";
        let out = workspace_manifest(text);
        assert!(out.contains("members = [\"grader\", \"exercises/*\"]\n"), "{out}");
        assert!(out.contains("default-members = [\"grader\"]\n"), "{out}");
        assert!(!out.contains("Old comment") && out.contains("[workspace.package]\nedition = \"2024\"\n"), "{out}");
        let config = "[alias]\n# Grade.\ngrade = \"run --package grader --\"\n# Tasks: `cargo xtask check`.\n\
                      xtask = \"run --package xtask --\"\n";
        assert_eq!(cargo_config(config), "[alias]\n# Grade.\ngrade = \"run --package grader --\"\n");
    }

    #[test]
    fn solutions_hidden_tests_audits_and_author_tools_stay_out() {
        for rel in [
            "solutions/01_first_thread/src/lib.rs",
            "grader/hidden/exercises/01_first_thread/hidden.rs",
            "grader/hidden/exercises/01_first_thread/wrong/x.rs",
            "exercises/01_first_thread/AUDIT.md",
            "xtask/Cargo.toml",
            ".ci/run",
            ".github/workflows/ci.yml",
            "ARCHITECTURE.md",
        ] {
            assert!(left_out(Path::new(rel)).is_some(), "{rel}");
        }
        for rel in
            ["exercises/01_first_thread/src/lib.rs", "grader/hidden/src/lib.rs", "grader/src/cli.rs", "course.toml"]
        {
            assert_eq!(left_out(Path::new(rel)), None, "{rel}");
        }
    }
}

//! The Gradescope autograder zip, made from this course: its scripts at the
//! root and executable, the course with its hidden tests and without builds or
//! solutions; `run_autograder` run as Gradescope runs it, on a submission and
//! on a broken install, writes a results.json each time.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use grader::catalogue::Course;
use grader::compile;
use grader::process::{self, Exit, Limits};
use serde_json::Value;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn repo() -> PathBuf {
    fs::canonicalize(REPO).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gradescope").join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The zip's entries: name, unix mode and bytes.
fn entries(zip_path: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(fs::File::open(zip_path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().to_string(), file.unix_mode().unwrap_or(0), bytes)
        })
        .collect()
}

/// The autograder made into `<tmp>/<name>/autograder.zip`, unpacked into
/// `<tmp>/<name>/autograder/source` as Gradescope does.
fn autograder(name: &str) -> (PathBuf, Vec<(String, u32, Vec<u8>)>) {
    let dir = tmp(name);
    let zip_path = dir.join("autograder.zip");
    let mut out = Vec::new();
    assert!(xtask::gradescope::run(&repo(), Some(&zip_path), &mut out).unwrap());
    assert!(String::from_utf8(out).unwrap().contains("autograder.zip"));
    let entries = entries(&zip_path);
    let root = dir.join("autograder");
    for (name, mode, bytes) in &entries {
        let path = root.join("source").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode & 0o777)).unwrap();
    }
    (root, entries)
}

/// `run_autograder` as Gradescope runs it, with the autograder's root at `root`.
fn run_autograder(root: &Path, args: &[&str]) -> Value {
    let mut cmd = Command::new(root.join("source/run_autograder"));
    cmd.current_dir(root).args(args).env("AUTOGRADER", root);
    compile::neutralize_cargo_env(&mut cmd);
    // Graded once: incremental caches would only take disk.
    cmd.env("CARGO_INCREMENTAL", "0");
    let done = process::run(cmd, &Limits::tool(Duration::from_secs(1800))).unwrap();
    assert_eq!(done.exit, Exit::Code(0), "{}", done.stderr.text());
    let text = fs::read_to_string(root.join("results/results.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("results.json is not JSON ({e}):\n{text}"))
}

#[test]
fn the_zip_holds_executable_scripts_and_the_course_with_its_hidden_tests_and_no_build() {
    let (_, entries) = autograder("contents");
    let mode = |name: &str| entries.iter().find(|e| e.0 == name).map(|e| e.1).unwrap_or_else(|| panic!("no {name}"));
    for script in ["setup.sh", "run_autograder"] {
        assert_eq!(mode(script) & 0o111, 0o111, "{script} is executable");
        let text = &entries.iter().find(|e| e.0 == script).unwrap().2;
        assert!(text.starts_with(b"#!/usr/bin/env bash\n"), "{script}");
    }
    for (name, _, _) in &entries {
        assert!(!name.split('/').any(|part| part == "target"), "a build in the zip: {name}");
        assert!(!name.starts_with("course/solutions/"), "solutions are not needed: {name}");
        assert!(name == "setup.sh" || name == "run_autograder" || name.starts_with("course/"), "{name}");
    }
    let course = Course::load(&repo()).unwrap();
    for ex in &course.exercises {
        let hidden = format!("course/grader/hidden/exercises/{}/hidden.rs", ex.dir);
        assert!(entries.iter().any(|e| e.0 == hidden), "no {hidden}");
    }
    for name in ["course/course.toml", "course/Cargo.toml", "course/Cargo.lock", "course/grader/src/main.rs"] {
        assert!(entries.iter().any(|e| e.0 == name), "no {name}");
    }
}

#[test]
fn run_autograder_grades_a_submission_and_says_what_broke_when_it_cannot() {
    let (root, _) = autograder("run");
    let course = Course::load(&repo()).unwrap();
    let ex = &course.exercises[0];

    // A repository submitted from GitHub: the exercises at its top; 01 solved.
    let solved = root.join("submission/exercises").join(&ex.dir).join("src");
    grader::reset::copy_tree(&repo().join("solutions").join(&ex.dir).join("src"), &solved).unwrap();

    // Before setup.sh has built the grader, there is nothing to grade with.
    let results = run_autograder(&root, &[]);
    assert_eq!(results["score"], 0);
    let output = results["output"].as_str().unwrap();
    assert!(output.starts_with("The autograder could not run the grader (exit status 127)"), "{output}");
    assert_eq!(results["tests"], Value::Array(Vec::new()));

    // With the grader setup.sh builds (the course's, here built once for all
    // tests), exercise 01 gets full marks from the hidden tests. The graded
    // copy lands where a learner's `cargo grade 01` puts it in the shared
    // target directory: the same package and member path, built in turn.
    let installed = root.join("source/course/target/debug/grader");
    fs::create_dir_all(installed.parent().unwrap()).unwrap();
    fs::copy(env!("CARGO_BIN_EXE_course-grader"), &installed).unwrap();
    let scratch = root.join("scratch");
    let target = repo().join("target/threadlings/target");
    let results = run_autograder(
        &root,
        &["--scratch", scratch.to_str().unwrap(), "--target-dir", target.to_str().unwrap(), "01"],
    );
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), ex.tests.len(), "{results:#}");
    for (test, spec) in tests.iter().zip(&ex.tests) {
        assert_eq!(test["name"], format!("{} {}", ex.id, spec.name));
        assert_eq!((test["status"].as_str(), test["score"].as_u64()), (Some("passed"), Some(u64::from(spec.points))));
    }
    assert_eq!(results["score"].as_u64(), Some(u64::from(ex.max_score())));
    // Only src/ was taken from the submission, into a work folder of the autograder's.
    assert!(root.join("work/exercises").join(&ex.dir).join("src/lib.rs").is_file());
}

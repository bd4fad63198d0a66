//! The course check on a one-exercise course made for the purpose: it tells a
//! recorded starter from a learner's work, and never lets a starter that passes
//! a hidden test through.

use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::Course;
use xtask::check::{self, CheckOptions};
use xtask::starters;
use xtask::variants;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const STARTER: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    let _ = (a, b);\n    todo!(\"add the numbers\")\n}\n";
const SOLUTION: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
/// An author's "starter" that gives the answer away for one of the two tests.
const LEAKY: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    if (a, b) == (2, 3) { 5 } else { todo!() }\n}\n";

/// A wrong solution: the solution with `+` turned into `-`.
const SUBTRACTS: &str = "//! Wrong: subtracts.\n//! Must fail: adds_small, adds_large\n\
    --- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n pub fn add(a: i32, b: i32) -> i32 {\n-    a + b\n+    a - b\n }\n";

/// A course with one exercise, its starter, solution, hidden tests and one wrong
/// solution, built against this repository's support crate and lock file.
fn tiny_course(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check-courses").join(name);
    // Everything but the scratch workspace is made afresh: its staged files
    // keep their times where unchanged, so a rerun rebuilds nothing.
    for entry in fs::read_dir(&root).into_iter().flatten() {
        let path = entry.unwrap().path();
        if path.file_name() != Some("target".as_ref()) {
            let _ = fs::remove_dir_all(&path).or_else(|_| fs::remove_file(&path));
        }
    }
    let repo = fs::canonicalize(REPO).unwrap();
    // A crate name of its own: courses graded at once share one target
    // directory, where a member's artifacts are named after its package and
    // its path inside the workspace, which are otherwise the same.
    let crate_name = format!("adder_{name}");
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text.replace("@CRATE@", &crate_name)).unwrap();
    };
    write(
        "course.toml",
        &format!(
            "format_version = 1\n\
             [paths]\nsupport = \"{repo}/grader/hidden\"\nlockfile = \"{repo}/Cargo.lock\"\nhidden = \"hidden\"\n\
             [dependencies]\n\
             [[exercises]]\nid = \"01\"\ndir = \"01_adder\"\ncrate = \"@CRATE@\"\ntitle = \"Adder\"\ntopic = \"sums\"\n\
             hints = [\"use +\"]\n\
             tests = [{{ name = \"adds_small\", points = 1 }}, {{ name = \"adds_large\", points = 1 }}]\n",
            repo = repo.display()
        ),
    );
    write("exercises/01_adder/Cargo.toml", "[package]\nname = \"@CRATE@\"\nversion = \"0.1.0\"\nedition = \"2024\"\n");
    write(
        "exercises/01_adder/README.md",
        &format!("# Adder\n\n{}\nRun `cargo test -p @CRATE@`.\n", "Add. ".repeat(50)),
    );
    write("exercises/01_adder/src/lib.rs", STARTER);
    write("exercises/01_adder/tests/visible.rs", "#[test]\nfn adds() {\n    assert_eq!(@CRATE@::add(1, 1), 2);\n}\n");
    write("solutions/01_adder/src/lib.rs", SOLUTION);
    write(
        "hidden/01_adder/hidden.rs",
        "#[test]\nfn adds_small() {\n    assert_eq!(@CRATE@::add(2, 3), 5);\n}\n\
         #[test]\nfn adds_large() {\n    assert_eq!(@CRATE@::add(200, 300), 500);\n}\n",
    );
    write("hidden/01_adder/wrong/subtracts.patch", SUBTRACTS);
    write(
        "hidden/01_adder/right/sums_an_array.rs",
        "//! Right: sums an array instead of adding.\npub fn add(a: i32, b: i32) -> i32 {\n    [a, b].iter().sum()\n}\n",
    );
    assert!(starters::run(&root, true, &mut Vec::new()).unwrap(), "the record is written");
    root
}

fn check(root: &Path, strict: bool) -> (Vec<String>, String) {
    check_with(root, strict, false)
}

/// With `lint`, also rustfmt on the graded copies (clippy would check every
/// dependency once more; `.ci/run` runs it on the real course).
fn check_with(root: &Path, strict: bool, lint: bool) -> (Vec<String>, String) {
    let target = Path::new(REPO).join("target/threadlings/target");
    let opts =
        CheckOptions { runs: 1, strict, target_dir: Some(target), lint, no_clippy: true, ..CheckOptions::default() };
    let mut out = Vec::new();
    let problems = check::run(root, &opts, &mut out).unwrap();
    (problems, String::from_utf8(out).unwrap())
}

#[test]
fn the_check_tells_starters_from_learner_work_and_catches_a_leaky_starter() {
    let root = tiny_course("starters");
    let (problems, out) = check(&root, true);
    assert!(problems.is_empty(), "a recorded starter that fails everything is sound:\n{out}");
    assert!(
        out.contains("starters 0/2, solutions 2/2, wrong solutions caught 1/1, right solutions full marks 1/1"),
        "{out}"
    );

    // A learner solves the exercise: not a starter any more, and not a problem.
    fs::write(root.join("exercises/01_adder/src/lib.rs"), SOLUTION).unwrap();
    let (problems, out) = check(&root, false);
    assert!(problems.is_empty(), "{out}");
    assert!(out.contains("exercises/01_adder/src/ is not the recorded starter"), "{out}");
    // ...unless the author asks for the strict check before publishing.
    let (problems, out) = check(&root, true);
    assert_eq!(problems.len(), 1, "{out}");
    assert!(problems[0].contains("differs from its recorded starter") && problems[0].contains(starters::UPDATE));

    // An author changes the starter so that it passes a hidden test, and records it.
    fs::write(root.join("exercises/01_adder/src/lib.rs"), LEAKY).unwrap();
    starters::run(&root, true, &mut Vec::new()).unwrap();
    let (problems, out) = check(&root, false);
    assert_eq!(problems, ["run 1: the starter of 01 passes hidden test 'adds_small'"], "{out}");
}

#[test]
fn a_right_solution_that_loses_points_is_named() {
    let root = tiny_course("right");
    let right = "//! Right: (not really) multiplies.\npub fn add(a: i32, b: i32) -> i32 {\n    a * b\n}\n";
    fs::write(root.join("hidden/01_adder/right/sums_an_array.rs"), right).unwrap();
    let (problems, out) = check(&root, false);
    assert_eq!(problems.len(), 2, "{out}");
    for (problem, test) in problems.iter().zip(["adds_small", "adds_large"]) {
        assert!(
            problem.contains("right/sums_an_array.rs is correct but does not pass hidden test")
                && problem.contains(test),
            "{problem}"
        );
    }
}

#[test]
fn an_unrecorded_exercise_is_named_with_the_command_that_records_it() {
    let root = tiny_course("unrecorded");
    fs::write(root.join(starters::RECORD), "[starters]\n").unwrap();
    let (problems, _) = check(&root, false);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("01_adder") && problems[0].contains(starters::UPDATE), "{problems:?}");
    fs::write(root.join(starters::RECORD), "not toml [").unwrap();
    let err = check::run(&root, &CheckOptions::default(), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("starters.toml") && err.to_string().contains(starters::UPDATE), "{err}");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn a_stale_patch_is_named_with_the_commands_that_refresh_it() {
    let root = tiny_course("stale");
    // The solution changes under the patch's context.
    fs::write(root.join("solutions/01_adder/src/lib.rs"), "pub fn add(a: i32, b: i32) -> i32 {\n    b + a\n}\n")
        .unwrap();
    let (problems, out) = check(&root, false);
    assert_eq!(
        problems,
        [
            "wrong/subtracts.patch of 01 no longer applies to solutions/01_adder/src/lib.rs: run `cargo xtask wrong edit 01 \
          subtracts`, fix the file, then `cargo xtask wrong save 01 subtracts`"
        ],
        "{out}"
    );

    // Edit writes the solution with the hunks that still apply and names the others.
    let course = Course::load(&root).unwrap();
    let said = variants::wrong(&course, "edit", "01", "subtracts", None).unwrap();
    assert!(said.contains("no longer apply") && said.contains("+    a - b"), "{said}");
    let edited = variants::edit_path(&course, &course.exercises[0], "subtracts");
    let text = fs::read_to_string(&edited).unwrap();
    assert!(text.starts_with("//! Wrong: subtracts.\n//! Must fail: adds_small, adds_large\n\npub fn"), "{text}");
    // The author redoes the mistake, badly formatted; save keeps the header.
    fs::write(&edited, text.replace("b + a", "b  -  a")).unwrap();
    variants::wrong(&course, "save", "01", "subtracts", None).unwrap();
    let patch = fs::read_to_string(root.join("hidden/01_adder/wrong/subtracts.patch")).unwrap();
    assert!(
        patch.starts_with("//! Wrong: subtracts.\n//! Must fail: adds_small, adds_large\n--- a/src/lib.rs\n"),
        "{patch}"
    );
    let (problems, out) = check_with(&root, false, true);
    assert_eq!(
        problems,
        ["run 1: 01_adder wrong/subtracts.patch: rustfmt would change src/lib.rs: run `cargo xtask wrong edit 01 \
          subtracts`, fix the file, then `cargo xtask wrong save 01 subtracts`"],
        "{out}"
    );
}

#[test]
fn a_solution_file_that_is_the_starters_is_named() {
    let root = tiny_course("layers");
    for dir in ["exercises", "solutions"] {
        fs::write(root.join(dir).join("01_adder/src/notes.rs"), "// Notes.\n").unwrap();
    }
    starters::run(&root, true, &mut Vec::new()).unwrap();
    let course = Course::load(&root).unwrap();
    let problems = check::static_problems(&course, &[]).unwrap();
    let at = root.join("solutions/01_adder/src/notes.rs");
    assert_eq!(problems, [format!("exercise 01 (01_adder): {} is the starter's file: delete it", at.display())]);
    // A learner's solved copy is not the starter: nothing to say.
    fs::write(root.join("exercises/01_adder/src/lib.rs"), SOLUTION).unwrap();
    assert_eq!(check::static_problems(&course, &[]).unwrap(), Vec::<String>::new());
}

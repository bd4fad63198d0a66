//! The student template, exported from this course into a temporary directory:
//! it holds no solution, hidden test, audit or author CI; its workflow grades
//! the student's checkout with a grader built from the private course, which
//! nothing in the student's repository changes; it resolves locked and
//! offline; and a grade of 01 in it runs the visible tests and says the hidden
//! tests run in CI.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use grader::catalogue::Course;
use grader::compile;
use grader::error::exit;
use grader::process::{self, Exit, Limits};
use serde_json::Value;
use xtask::{classroom, export};

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// A fresh export into `<tmp>/student-export/<name>`.
fn export(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("student-export").join(name);
    let _ = fs::remove_dir_all(&dir);
    let mut out = Vec::new();
    assert!(export::run(&repo(), &dir, &mut out).unwrap());
    assert!(String::from_utf8(out).unwrap().contains("no solutions, hidden tests or author CI"));
    dir
}

fn repo() -> PathBuf {
    fs::canonicalize(REPO).unwrap()
}

/// Every file under `dir`, relative to it.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// The course's target directory for graded builds, shared with the grader's
/// tests: the template's grader and its graded copies build there. No other
/// workspace builds a package named `grader` into it, and the template's
/// graded copies are members of their own (`visible/<dir>`).
fn shared_target() -> PathBuf {
    repo().join("target/threadlings/target")
}

/// Cargo in `dir` as a student runs it, without the settings of the cargo
/// running this test.
fn cargo_in(dir: &Path, args: &[&str]) -> process::Finished {
    let mut cmd = Command::new(compile::cargo());
    cmd.current_dir(dir).args(args);
    compile::neutralize_cargo_env(&mut cmd);
    cmd.env("CARGO_TARGET_DIR", shared_target());
    for var in ["GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"] {
        cmd.env_remove(var);
    }
    process::run(cmd, &Limits::tool(Duration::from_secs(1800))).unwrap()
}

#[test]
fn the_template_holds_no_solution_hidden_test_audit_or_author_ci() {
    let dir = export("contents");
    let listed = files(&dir);
    for rel in &listed {
        let path = rel.to_string_lossy();
        let name = rel.file_name().unwrap().to_string_lossy();
        assert!(!path.starts_with("solutions/"), "a solution: {path}");
        assert!(name != "hidden.rs" && !path.starts_with("grader/hidden/exercises"), "a hidden test: {path}");
        assert!(!rel.components().any(|c| c.as_os_str() == "wrong" || c.as_os_str() == "right"), "{path}");
        assert!(name != "AUDIT.md", "an audit: {path}");
        assert!(!path.starts_with("xtask/") && !path.starts_with(".ci/"), "an author tool: {path}");
        assert!(path != ".github/workflows/ci.yml", "the author's CI: {path}");
        assert!(name != "CONTRIBUTING.md" && name != "ARCHITECTURE.md", "author documentation: {path}");
    }
    // No solution's code under another name either (a learner's own copy may
    // hold solved exercises: those are theirs, and not counted).
    let answers: Vec<(PathBuf, Vec<u8>)> = files(&repo().join("solutions"))
        .into_iter()
        .map(|rel| (rel.clone(), fs::read(repo().join("solutions").join(&rel)).unwrap()))
        .filter(|(rel, answer)| fs::read(repo().join("exercises").join(rel)).ok().as_ref() != Some(answer))
        .collect();
    for rel in &listed {
        let text = fs::read(dir.join(rel)).unwrap();
        for (solution, answer) in &answers {
            assert!(&text != answer, "{} is the solution {}", rel.display(), solution.display());
        }
    }
    // What a student needs is there.
    let course = Course::load(&repo()).unwrap();
    for ex in &course.exercises {
        for file in ["Cargo.toml", "README.md", "src/lib.rs", "tests/visible.rs"] {
            let rel = Path::new("exercises").join(&ex.dir).join(file);
            assert!(listed.contains(&rel), "missing {}", rel.display());
        }
    }
    for rel in
        ["course.toml", "Cargo.lock", "grader/src/main.rs", "grader/hidden/src/lib.rs", "grader/visible/src/lib.rs"]
    {
        assert!(listed.contains(&PathBuf::from(rel)), "missing {rel}");
    }
    let readme = fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("hidden tests that are not in this repository") && readme.contains("cargo grade"));
    assert!(!readme.contains("cargo xtask check"), "the author's commands are not the student's");
    let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("\"xtask\""), "{manifest}");

    // Exported again into the same place: refused, with the path and the fix.
    let err = export::run(&repo(), &dir, &mut Vec::new()).unwrap_err();
    assert_eq!(err.exit_code(), exit::USAGE);
    let message = err.to_string();
    assert!(message.contains(&dir.display().to_string()) && message.contains("is not empty"), "{message}");
    assert_eq!(message.lines().count(), 1);
    let _ = fs::remove_dir_all(&dir);
}

/// A workflow step: its id and its `run:` script (a `run: |` block's lines
/// joined).
struct Step {
    id: String,
    run: String,
}

fn steps(text: &str) -> Vec<Step> {
    let mut found = Vec::new();
    let mut id = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if let Some(v) = trimmed.strip_prefix("id: ") {
            id = Some(v.to_string());
        } else if let (Some(run), Some(step)) = (trimmed.strip_prefix("run: "), &id) {
            let mut script = run.to_string();
            if run == "|" {
                let indent = line.len() - line.trim_start().len() + 2;
                script.clear();
                while let Some(next) = lines.next_if(|l| l.len() > indent && l[..indent].trim().is_empty()) {
                    script.push_str(&next[indent..]);
                    script.push('\n');
                }
            }
            found.push(Step { id: step.clone(), run: script });
            id = None;
        }
    }
    found
}

/// A step's script run as the runner runs it, in `ws`.
fn run_step(ws: &Path, script: &str, output: &Path) -> (Exit, String) {
    let mut cmd = Command::new("sh");
    cmd.current_dir(ws).args(["-c", script]);
    compile::neutralize_cargo_env(&mut cmd);
    cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_OUTPUT", output).env_remove("GITHUB_STEP_SUMMARY");
    // Graded once: incremental caches would only take disk.
    cmd.env("CARGO_INCREMENTAL", "0");
    let done = process::run(cmd, &Limits::tool(Duration::from_secs(1800))).unwrap();
    (done.exit, format!("{}{}", done.stdout.text(), done.stderr.text()))
}

#[test]
fn the_template_workflow_grades_the_students_src_with_the_private_course() {
    let course = Course::load(&repo()).unwrap();
    let dir = export("workflow");
    let text = fs::read_to_string(dir.join(classroom::STUDENT_WORKFLOW)).unwrap();
    assert_eq!(text, classroom::student_workflow(&course).unwrap());

    // The classroom contract, as the course's own classroom.yml keeps it.
    let ids: Vec<String> = course.exercises.iter().map(classroom::step_id).collect();
    assert_eq!(ids[0], "ex01");
    let graded = steps(&text).into_iter().filter(|s| ids.contains(&s.id)).collect::<Vec<_>>();
    assert_eq!(graded.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids);
    for (step, ex) in graded.iter().zip(&course.exercises) {
        assert!(!step.run.contains("${{"), "no expression in a run: {}", step.run);
        assert_eq!(
            step.run,
            format!(
                "course/target/debug/grader --course course --exercises student/exercises --format classroom --no-record {}",
                ex.id
            )
        );
    }
    for line in text.lines().filter(|l| l.trim_start().starts_with("run:")) {
        assert!(!line.contains("${{") && !line.contains("xtask") && !line.contains("cargo test"), "{line}");
    }
    assert!(text.contains("uses: classroom-resources/autograding-grading-reporter@v1\n"));
    assert!(text.contains(&format!("          runners: {}\n", ids.join(","))));
    for id in &ids {
        let env = format!("          {}_RESULTS: ${{{{ steps.{id}.outputs.result }}}}\n", id.to_uppercase());
        assert!(text.contains(&env), "{env}");
    }
    assert!(text.contains("if: github.actor != 'github-classroom[bot]'"));
    // The student's code into student/, the private course into course/, with
    // no credentials left behind for the graded code to find; the grader built
    // from course/ outside student/; nothing cached that a run could poison.
    for needle in [
        "          path: student\n",
        "          path: course\n",
        "          repository: ${{ vars.THREADLINGS_COURSE_REPO }}\n",
        "          token: ${{ secrets.THREADLINGS_COURSE_TOKEN }}\n",
        "          cargo build --locked --manifest-path course/Cargo.toml -p grader\n",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    assert_eq!(text.matches("persist-credentials: false").count(), 2);
    assert!(!text.contains("working-directory") && !text.contains("actions/cache"), "{text}");

    // Step ex01 as the runner runs it, in a workspace holding student/ (01
    // solved, and every file around src/ changed to cheat) and course/.
    let ws = Path::new(env!("CARGO_TARGET_TMPDIR")).join("student-export").join("workspace");
    let _ = fs::remove_dir_all(&ws);
    fs::create_dir_all(&ws).unwrap();
    fs::rename(&dir, ws.join("student")).unwrap();
    std::os::unix::fs::symlink(repo(), ws.join("course")).unwrap();
    let student = ws.join("student");
    let ex = &course.exercises[0];
    for file in files(&repo().join("solutions").join(&ex.dir)) {
        let to = student.join("exercises").join(&ex.dir).join(&file);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(repo().join("solutions").join(&ex.dir).join(&file), to).unwrap();
    }
    let catalogue = fs::read_to_string(student.join("course.toml")).unwrap();
    fs::write(student.join("course.toml"), catalogue.replace("points = ", "points = 10")).unwrap();
    fs::write(student.join("grader/src/main.rs"), "fn main() {}\n").unwrap();
    fs::create_dir_all(student.join(".cargo")).unwrap();
    fs::write(student.join(".cargo/config.toml"), "[build]\nrustc = \"/nonexistent/rustc\"\n").unwrap();
    fs::write(student.join("rust-toolchain.toml"), "[toolchain]\nchannel = \"no-such-toolchain\"\n").unwrap();
    fs::write(student.join(format!("exercises/{}/tests/visible.rs", ex.dir)), "compile_error!(\"x\");\n").unwrap();

    // The build step: from the workspace root, the course's grader.
    let output = ws.join("github_output");
    let build = steps(&text).into_iter().find(|s| s.id == "grader").expect("a build step");
    let (code, log) = run_step(&ws, &build.run, &output);
    assert_eq!(code, Exit::Code(0), "{log}");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("student-export-scratch");
    let place = format!(
        "course/target/debug/grader --scratch {} --target-dir {}",
        scratch.display(),
        shared_target().display()
    );
    let (code, log) = run_step(&ws, &graded[0].run.replacen("course/target/debug/grader", &place, 1), &output);
    assert_eq!(code, Exit::Code(0), "{log}");
    let written = fs::read_to_string(&output).unwrap();
    let result = written.lines().find_map(|l| l.strip_prefix("result=")).expect("a result output");
    let doc: Value =
        serde_json::from_slice(&base64::engine::general_purpose::STANDARD.decode(result).unwrap()).unwrap();
    let names: Vec<&str> = doc["tests"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let hidden: Vec<String> = ex.tests.iter().map(|t| format!("{} {}", ex.id, t.name)).collect();
    assert_eq!(names, hidden, "the course's hidden tests, by the course's catalogue");
    let points: u64 = doc["tests"].as_array().unwrap().iter().map(|t| t["score"].as_u64().unwrap()).sum();
    let max = u64::from(ex.max_score());
    assert_eq!((doc["status"].as_str(), points, doc["max_score"].as_u64()), (Some("pass"), max, Some(max)), "{doc:#}");
    let _ = fs::remove_dir_all(&ws);
}

/// This course's grader: the template's is the same code, and building it a
/// second time would cost `cargo test` half a minute and its dependencies' disk.
fn grader_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_course-grader"))
}

#[test]
fn the_template_resolves_locked_offline_and_a_grade_runs_the_visible_tests() {
    let dir = export("build");
    // Every package the template builds is in its lock file, as locked and
    // offline as a student's first build.
    let resolved = cargo_in(&dir, &["metadata", "--locked", "--offline", "--format-version", "1"]);
    assert_eq!(resolved.exit, Exit::Code(0), "{}", resolved.stderr.text());
    let config = fs::read_to_string(dir.join(".cargo/config.toml")).unwrap();
    assert!(config.contains("grade = \"run --package grader --\""), "the template keeps `cargo grade`:\n{config}");

    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("student-export-visible-scratch");
    let target = shared_target();
    let exe = grader_exe();
    let grade = |args: &[&str]| {
        let mut cmd = Command::new(&exe);
        cmd.env("CARGO_INCREMENTAL", "0");
        cmd.current_dir(&dir).arg("--scratch").arg(&scratch).arg("--target-dir").arg(&target).args(args);
        compile::neutralize_cargo_env(&mut cmd);
        process::run(cmd, &Limits::tool(Duration::from_secs(1800))).unwrap()
    };
    let before = files(&dir.join("exercises"));

    let done = grade(&["01"]);
    let text = done.stdout.text();
    assert!(
        text.starts_with("The hidden tests are not in this repository: they run in CI"),
        "{text}{}",
        done.stderr.text()
    );
    let visible = fs::read_to_string(dir.join("exercises/01_first_thread/tests/visible.rs")).unwrap();
    let count = xtask::layout::test_names(&visible).len();
    let line = text.lines().find(|l| l.starts_with("01 ")).expect("a line for 01");
    let tally = line.split("visible tests: ").nth(1).expect("a tally").trim();
    let passed: usize = tally.split('/').next().unwrap().parse().unwrap();
    assert_eq!(tally, format!("{passed}/{count} passed"), "{text}");
    let expected = if passed == count { exit::PASSED } else { exit::NOT_PASSED };
    assert_eq!(done.exit, Exit::Code(i32::from(expected)), "{text}{}", done.stderr.text());
    assert!(text.contains("Not your grade: the hidden tests run in CI when you push"), "{text}");
    assert_eq!(files(&dir.join("exercises")), before, "grading wrote into the template's exercises");
    assert!(!dir.join(".threadlings").exists(), "a visible run is not progress");

    // A CI format asks for a grade, which only the hidden tests give.
    let done = grade(&["--format", "classroom", "01"]);
    assert_eq!(done.exit, Exit::Code(i32::from(exit::USAGE)));
    assert!(done.stderr.text().contains("they run in CI"), "{}", done.stderr.text());
    let _ = fs::remove_dir_all(&dir);
}

//! `cargo xtask classroom`: the autograding workflow,
//! `.github/workflows/classroom.yml`, generated from the catalogue: one graded
//! step per exercise writing the classroom reporter's result, then the reporter.
//! Also the student template's workflow (`cargo xtask export-student`), which
//! grades the student's checkout with a grader built from the teacher's
//! private copy of the course.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use grader::catalogue::{Course, Exercise};
use grader::error::Error;

/// Where the workflow lives, relative to the course root.
pub const WORKFLOW: &str = ".github/workflows/classroom.yml";

/// The reporter's runner id of an exercise: `ex` and the id's letters and
/// digits (the reporter takes nothing else).
pub fn step_id(ex: &Exercise) -> String {
    let id: String = ex.id.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("ex{}", id.to_ascii_lowercase())
}

/// The workflow's name, triggers, permissions and job head, as the classroom
/// tools generate them; both workflows share it.
const JOB_HEAD: &str = "\
    name: Autograding Tests\n\
    \n\
    on:\n  push:\n  workflow_dispatch:\n  repository_dispatch:\n\
    \n\
    permissions:\n  checks: write\n  actions: read\n  contents: read\n\
    \n\
    jobs:\n  run-autograding-tests:\n    runs-on: ubuntu-latest\n    timeout-minutes: 60\n\
    \x20   if: github.actor != 'github-classroom[bot]'\n    steps:\n";

/// The workflow for `course`. Graded steps are plain shell, with no `${{ }}`
/// expression, and pass once graded (the grader exits 0 with a result written);
/// the reporter fails the job on a failing grade. A step whose grader could not
/// grade fails with a result of status `error`; later steps and the reporter
/// still run.
pub fn workflow(course: &Course) -> Result<String, Error> {
    let ids = step_ids(course)?;
    let mut y = String::from(
        "# Generated from course.toml by `cargo xtask classroom`: do not edit by hand.\n\
         # Grades every exercise with its hidden tests and reports the points to the\n\
         # classroom (classroom-resources/autograding-grading-reporter). It never runs\n\
         # the course author's checks.\n\
         ",
    );
    y.push_str(JOB_HEAD);
    y.push_str(
        "\
         \x20     - name: Checkout code\n        uses: actions/checkout@v5\n        with:\n\
         \x20         # Every exercise's own history: its submission time is its src/'s last commit.\n\
         \x20         fetch-depth: 0\n\
         \x20     - name: Cache cargo's downloads and the build\n        uses: actions/cache@v5\n        with:\n\
         \x20         path: |\n            ~/.cargo/registry\n            ~/.cargo/git\n            target\n\
         \x20         key: autograding-${{ runner.os }}-${{ hashFiles('Cargo.lock') }}\n\
         \x20         restore-keys: autograding-${{ runner.os }}-\n\
         \x20     - name: Build the grader\n        run: cargo build --locked -p grader\n",
    );
    graded_steps(&mut y, course, &ids, "!cancelled()", "target/debug/grader --format classroom --no-record");
    Ok(y)
}

/// Every exercise's step id, which must differ.
fn step_ids(course: &Course) -> Result<Vec<String>, Error> {
    let ids: Vec<String> = course.exercises.iter().map(step_id).collect();
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(Error::Catalogue {
                path: course.root.join(grader::catalogue::FILE_NAME),
                why: format!("two exercises get the step id {id}: ids must differ in their letters and digits"),
            });
        }
    }
    Ok(ids)
}

/// One plain-shell step per exercise (`<grade> <id>`, run when `condition`
/// holds), then the reporter reading every one.
fn graded_steps(y: &mut String, course: &Course, ids: &[String], condition: &str, grade: &str) {
    for (ex, id) in course.exercises.iter().zip(ids) {
        let _ = write!(
            y,
            "      - name: {}\n        id: {id}\n        if: ${{{{ {condition} }}}}\n        run: {grade} {}\n",
            yaml_string(&format!("{} {}", ex.id, ex.title)),
            shell_word(&ex.id),
        );
    }
    let _ = write!(
        y,
        "      - name: Autograding Reporter\n        if: ${{{{ {condition} }}}}\n        \
         uses: classroom-resources/autograding-grading-reporter@v1\n        env:\n"
    );
    for id in ids {
        let _ = writeln!(y, "          {}_RESULTS: ${{{{ steps.{id}.outputs.result }}}}", id.to_ascii_uppercase());
    }
    let _ = write!(y, "        with:\n          runners: {}\n", ids.join(","));
}

/// Where the student template's workflow lives, relative to its root.
pub const STUDENT_WORKFLOW: &str = WORKFLOW;
/// The repository variable naming the teacher's private course repository.
pub const COURSE_REPO_VARIABLE: &str = "THREADLINGS_COURSE_REPO";
/// The secret holding a token that may read it.
pub const COURSE_TOKEN_SECRET: &str = "THREADLINGS_COURSE_TOKEN";

/// The student template's workflow: the student's repository is checked out
/// into `student/`, the teacher's private course repository (hidden tests
/// included) into `course/`, and the grader is built from `course/` with the
/// working directory outside `student/`, so no file the student owns (a
/// `.cargo/config.toml`, `rust-toolchain.toml`, `grader/`, `course.toml`)
/// takes part. It grades `student/exercises` against the course's catalogue
/// and hidden tests. Nothing is cached: a cache the student's runs can write
/// could hand a later run a forged grader.
pub fn student_workflow(course: &Course) -> Result<String, Error> {
    let ids = step_ids(course)?;
    let (repo_var, token) = (COURSE_REPO_VARIABLE, COURSE_TOKEN_SECRET);
    let mut y = format!(
        "# Generated from course.toml by `cargo xtask export-student`: do not edit by hand.\n\
         # Grades the exercises in this repository with the course's hidden tests, which\n\
         # live in the teacher's private copy of the course: the repository variable\n\
         # {repo_var} names it, the secret {token} reads it.\n\
         # The grader is built from that copy: of this repository only the exercises'\n\
         # src/ folders are graded. The points go to the classroom reporter\n\
         # (classroom-resources/autograding-grading-reporter). Nothing is cached: a\n\
         # cache that one run can write could hand a later run a forged grader.\n\
         "
    );
    y.push_str(JOB_HEAD);
    y.push_str(&format!(
        "\
         \x20     - name: Check the course settings\n        env:\n\
         \x20         COURSE_REPO: ${{{{ vars.{repo_var} }}}}\n        run: |\n\
         \x20         if [ -z \"$COURSE_REPO\" ]; then\n\
         \x20           echo \"::error title=Autograding is not set up::the repository variable {repo_var} is empty: set it to the teacher's private course repository (owner/name), as the README says under 'For teachers'\"\n\
         \x20           exit 1\n          fi\n\
         \x20         if [ \"$COURSE_REPO\" = \"$GITHUB_REPOSITORY\" ]; then\n\
         \x20           echo \"::error title=Autograding is not set up::{repo_var} names this repository: it must name the teacher's private course repository\"\n\
         \x20           exit 1\n          fi\n\
         \x20     - name: Checkout your code\n        uses: actions/checkout@v5\n        with:\n\
         \x20         path: student\n\
         \x20         # Every exercise's own history: its submission time is its src/'s last commit.\n\
         \x20         fetch-depth: 0\n          persist-credentials: false\n\
         \x20     - name: Checkout the course (grader and hidden tests)\n        uses: actions/checkout@v5\n        with:\n\
         \x20         repository: ${{{{ vars.{repo_var} }}}}\n\
         \x20         token: ${{{{ secrets.{token} }}}}\n\
         \x20         path: course\n          persist-credentials: false\n\
         \x20     - name: Build the grader from the course\n        id: grader\n\
         \x20       # From the workspace root, outside student/: cargo and rustup read their\n\
         \x20       # configuration (.cargo/config.toml, rust-toolchain.toml) from the working\n\
         \x20       # directory up, never from the student's files.\n\
         \x20       run: |\n\
         \x20         if [ ! -d course/grader/hidden/exercises ]; then\n\
         \x20           echo \"::error title=Autograding is not set up::{repo_var} names a repository without the hidden tests (grader/hidden/exercises/): it must be the full course\"\n\
         \x20           exit 1\n          fi\n\
         \x20         cargo build --locked --manifest-path course/Cargo.toml -p grader\n"
    ));
    graded_steps(
        &mut y,
        course,
        &ids,
        "!cancelled() && steps.grader.outcome == 'success'",
        "course/target/debug/grader --course course --exercises student/exercises --format classroom --no-record",
    );
    Ok(y)
}

/// A YAML double-quoted string.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings serialize")
}

/// An exercise id as one shell word (catalogue ids are letters, digits, `_`, `-`).
fn shell_word(id: &str) -> String {
    if id.starts_with('-') { format!("-- {id}") } else { id.to_string() }
}

/// `cargo xtask classroom [--check]`: writes the workflow, or with `check`
/// only says whether the committed one is current.
pub fn run(root: &Path, check: bool, out: &mut dyn std::io::Write) -> Result<bool, Error> {
    let course = Course::load(root)?;
    let text = workflow(&course)?;
    let path: PathBuf = root.join(WORKFLOW);
    let current = std::fs::read_to_string(&path).ok();
    if current.as_deref() == Some(text.as_str()) {
        let _ = writeln!(out, "{WORKFLOW} is current");
        return Ok(true);
    }
    if check {
        let _ = writeln!(out, "{WORKFLOW} is stale: run `cargo xtask classroom` and commit it");
        return Ok(false);
    }
    std::fs::create_dir_all(path.parent().expect("a parent")).map_err(|e| Error::io("create", &path, e))?;
    std::fs::write(&path, &text).map_err(|e| Error::io("write the workflow", &path, e))?;
    let _ = writeln!(out, "wrote {WORKFLOW} ({} graded steps)", course.exercises.len());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_workflow_is_the_generated_one() {
        let root = crate::repo_root();
        let course = Course::load(&root).unwrap();
        let committed = std::fs::read_to_string(root.join(WORKFLOW)).unwrap_or_default();
        assert!(
            committed == workflow(&course).unwrap(),
            "{WORKFLOW} is stale: run `cargo xtask classroom` and commit it"
        );
    }

    #[test]
    fn graded_steps_are_plain_shell_and_the_reporter_reads_every_one() {
        let course = Course::load(&crate::repo_root()).unwrap();
        let text = workflow(&course).unwrap();
        let ids: Vec<String> = course.exercises.iter().map(step_id).collect();
        assert_eq!(ids[0], "ex01");
        for line in text.lines().filter(|l| l.trim_start().starts_with("run:")) {
            assert!(!line.contains("${{"), "no expression in a run: {line}");
            assert!(!line.contains("xtask") && !line.contains("cargo test"), "no author check: {line}");
        }
        for id in &ids {
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
            assert!(text.contains(&format!("        id: {id}\n")));
            let env = format!("{}_RESULTS: ${{{{ steps.{id}.outputs.result }}}}", id.to_uppercase());
            assert!(text.contains(&env), "{env}");
        }
        assert!(text.contains(&format!("runners: {}\n", ids.join(","))));
        assert!(text.contains("if: github.actor != 'github-classroom[bot]'"));
    }
}

//! The grader's own tests: the real binary against a fixture course of small
//! learner crates, one per way learner code goes wrong (fixtures/course).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

mod support;
use support::{REPO, contents as tree, copy_fixture, files_under, rename_crates};

const SLEEPER_MARKER: &str = "threadlings-fixture-sleeper";

/// A fresh copy of the fixture course, so grading it cannot touch the repository;
/// removed when the test ends.
struct CourseCopy(PathBuf);

impl std::ops::Deref for CourseCopy {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for CourseCopy {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn fixture_course(name: &str) -> CourseCopy {
    copy_course("course", name)
}

/// A copy of a fixture, removed when the test ends (see `support::copy_fixture`).
fn copy_course(fixture: &str, name: &str) -> CourseCopy {
    CourseCopy(copy_fixture(fixture, name))
}

/// The grader on a fixture course: a scratch directory of the course's own (tests
/// run at once, each with its course), and the course's shared target directory,
/// so the hidden tests' dependencies are built once for every fixture and the
/// real course alike.
fn scratch_of(course: &Path) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch").join(course.file_name().unwrap())
}

fn grader(course: &Path) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("grader");
    let scratch = scratch_of(course);
    let target = Path::new(REPO).join("target/threadlings/target");
    cmd.arg("--course").arg(course).arg("--scratch").arg(scratch).arg("--target-dir").arg(target);
    // The reports as a terminal or a file gets them, also when the tests run in CI.
    for var in ["GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"] {
        cmd.env_remove(var);
    }
    // The fixtures are graded a few times each: incremental caches would only take disk.
    cmd.env("CARGO_INCREMENTAL", "0");
    cmd.timeout(Duration::from_secs(900));
    cmd
}

fn json_report(course: &Path, args: &[&str]) -> (Value, i32) {
    let out = grader(course).args(["--format", "json"]).args(args).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let report = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"));
    (report, out.status.code().unwrap_or(-1))
}

fn test_result<'a>(report: &'a Value, exercise: &str, test: &str) -> &'a Value {
    let ex = report["exercises"].as_array().unwrap().iter().find(|e| e["id"] == exercise).unwrap();
    ex["tests"].as_array().unwrap().iter().find(|t| t["name"] == test).unwrap()
}

#[test]
fn every_failure_mode_gets_its_verdict_within_its_timeout() {
    let course = fixture_course("verdicts");
    let (report, code) = json_report(&course, &[]);
    assert_eq!(code, 1, "not every test passed");
    let expect = [
        ("pass", "adds", "passed"),
        ("pass", "output_matches_snapshot", "passed"),
        ("fail", "adds", "failed"),
        ("fail", "output_matches_snapshot", "failed"),
        ("broken", "adds", "not_built"),
        ("panics", "adds", "failed"),
        ("spins", "adds", "timed_out"),
        ("deadlocks", "parking_lot_locks", "timed_out"),
        ("deadlocks", "std_locks", "timed_out"),
        ("aborts", "abort", "crashed"),
        ("aborts", "stack_overflow", "crashed"),
        ("exits", "adds", "crashed"),
        ("leaves_child", "passes_but_leaves_a_sleeper", "passed"),
        ("leaves_child", "hangs_on_its_sleeper", "timed_out"),
    ];
    let timeouts = [("spins", 2), ("deadlocks", 3), ("leaves_child", 2)];
    for (exercise, test, status) in expect {
        let t = test_result(&report, exercise, test);
        assert_eq!(t["status"], status, "{exercise}/{test}: {t:#}");
        let timeout = timeouts.iter().find(|(e, _)| *e == exercise).map_or(10, |(_, s)| *s);
        let runs = t["runs"].as_u64().unwrap().max(1);
        let bound = runs * (timeout + 3) * 1000;
        assert!(t["duration_ms"].as_u64().unwrap() <= bound, "{exercise}/{test} took longer than its timeout: {t:#}");
        let full = t["score"] == t["max_score"];
        assert_eq!(full, status == "passed", "{exercise}/{test}: points only for a pass");
    }
    let message = |e, t| test_result(&report, e, t)["message"].as_str().unwrap().to_string();
    assert!(message("fail", "adds").contains("2 + 3 should be 5"));
    assert!(message("panics", "adds").contains("index out of bounds"));
    assert!(message("deadlocks", "parking_lot_locks").contains("deadlock detected"));
    assert!(message("deadlocks", "parking_lot_locks").contains("exercises/deadlocks/src/lib.rs"));
    assert!(message("aborts", "stack_overflow").contains("SIGABRT"));
    assert!(message("exits", "adds").contains("before the test finished"));
    assert!(message("spins", "adds").starts_with("run 1 of 5: did not finish within 2 s"));
    let broken = report["exercises"].as_array().unwrap().iter().find(|e| e["id"] == "broken").unwrap();
    assert!(broken["build_message"].as_str().unwrap().contains("exercises/broken/src/lib.rs:2"), "{broken:#}");
    assert_eq!(processes_of(&course, SLEEPER_MARKER), 0, "a grandchild process outlived its test");
    // Each run had a temporary directory of its own, gone with the run.
    let marker = rename_crates("fx_spins-was-here", "verdicts");
    assert!(!std::env::temp_dir().join(&marker).exists(), "a killed test's file was left in the system's /tmp");
    let left = files_under(&scratch_of(&course)).into_iter().filter(|f| f.ends_with(&marker)).collect::<Vec<_>>();
    assert!(left.is_empty(), "a killed test's file was left behind: {left:?}");

    // Points come from the catalogue; the next exercise is the first without full marks.
    assert_eq!((report["score"].as_u64(), report["max_score"].as_u64()), (Some(4), Some(20)));
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["next"], "fail");
}

#[test]
fn the_text_report_says_what_failed_and_why() {
    let course = fixture_course("text");
    let out = grader(&course).arg("--no-record").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    insta::with_settings!({ filters => vec![
        (r" in [a-z_]+\n", " in [WCHAN]\n"),
        (r"ThreadId\(\d+\)", "ThreadId([N])"),
        (r"thread '(\w+)' \(\d+\)", "thread '$1' ([TID])"),
        (r"fx_text_", "fx_"),
    ] }, {
        insta::assert_snapshot!("fixture_course_report", text);
    });
}

#[test]
fn solutions_mode_grades_the_solutions_tree() {
    let course = fixture_course("solutions");
    let (report, code) = json_report(&course, &["--solutions", "pass", "fail"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["mode"], "solutions");
    assert_eq!((report["score"].as_u64(), report["max_score"].as_u64()), (Some(6), Some(6)));
    assert!(!course.join(".threadlings").exists(), "solution runs are not learner progress");
}

#[test]
fn relative_scratch_and_target_directories_are_read_from_where_the_grader_runs() {
    let course = fixture_course("relative");
    let repo = fs::canonicalize(REPO).unwrap();
    let scratch = scratch_of(&course);
    let rel = |p: &Path| p.strip_prefix(&repo).unwrap().to_path_buf();
    let target = rel(&repo.join("target/threadlings/target"));
    // Cargo runs from `/`: a relative target directory passed on as it is
    // would be made there.
    let misplaced = Path::new("/").join(&target);
    let was_there = misplaced.exists();
    let out = cargo_bin_cmd!("grader")
        .current_dir(&repo)
        .env("CARGO_INCREMENTAL", "0")
        // One that does not build: nothing to link, no disk taken.
        .args(["--course", course.to_str().unwrap(), "--format", "json", "broken"])
        .arg("--scratch")
        .arg(rel(&scratch))
        .arg("--target-dir")
        .arg(&target)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    let broken = &report["exercises"][0];
    assert!(broken["build_message"].as_str().unwrap().contains("exercises/broken/src/lib.rs:2"), "{report:#}");
    assert!(scratch.is_dir(), "the scratch directory is where the grader ran");
    assert!(was_there || !misplaced.exists(), "{} was built under /", target.display());
}

#[test]
fn grading_changes_no_learner_file_and_appends_one_history_record_per_run() {
    let course = fixture_course("untouched");
    let history = course.join(".threadlings/history.jsonl");
    fs::create_dir_all(history.parent().unwrap()).unwrap();
    fs::write(&history, "this line is corrupt\n").unwrap();
    let before = tree(&course.join("exercises"));
    let catalogue = fs::read(course.join("course.toml")).unwrap();
    for _ in 0..2 {
        grader(&course).args(["pass", "fail", "broken"]).assert().code(1);
    }
    assert_eq!(tree(&course.join("exercises")), before, "grading wrote into exercises/");
    assert_eq!(fs::read(course.join("course.toml")).unwrap(), catalogue);
    let lines: Vec<String> = fs::read_to_string(&history).unwrap().lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], "this line is corrupt", "an unreadable line is kept, not lost");
    for line in &lines[1..] {
        let record: Value = serde_json::from_str(line).unwrap();
        assert_eq!((record["score"].as_u64(), record["max_score"].as_u64()), (Some(3), Some(8)));
    }
}

#[test]
fn a_missing_exercise_directory_is_a_verdict_with_the_fix() {
    let course = fixture_course("missing");
    fs::remove_dir_all(course.join("exercises/pass")).unwrap();
    let (report, code) = json_report(&course, &["pass", "fail"]);
    assert_eq!(code, 1);
    assert_eq!(test_result(&report, "pass", "adds")["status"], "not_built");
    let ex = &report["exercises"][0];
    assert!(ex["build_message"].as_str().unwrap().contains("git checkout"), "{ex:#}");
    assert_eq!(test_result(&report, "fail", "adds")["status"], "failed", "the other exercise is still graded");
}

#[test]
fn oversized_sources_are_that_exercises_verdict_and_the_others_are_graded() {
    let course = fixture_course("oversized");
    let big = course.join("exercises/pass/src/data.bin");
    fs::write(&big, vec![b'x'; grader::limits::SOURCE_CAP as usize + 1]).unwrap();
    let (report, code) = json_report(&course, &["pass", "fail"]);
    assert_eq!(code, 1);
    assert_eq!(test_result(&report, "pass", "adds")["status"], "not_built");
    let message = report["exercises"][0]["build_message"].as_str().unwrap();
    assert!(message.contains("more than the 8 MiB graded") && message.contains("src"), "{message}");
    assert_eq!(test_result(&report, "fail", "adds")["status"], "failed", "the other exercise is still graded");
    assert!(big.is_file(), "the learner's file stays");
}

#[test]
// Sets up the learner's own git history for the fixture.
#[allow(clippy::disallowed_methods)]
fn exercises_from_elsewhere_are_graded_read_only_with_the_courses_hidden_tests_and_their_own_git() {
    let course = fixture_course("elsewhere");
    // The learner's checkout, away from the course, with a history of its own.
    let learner = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learners").join("elsewhere");
    let _ = fs::remove_dir_all(&learner);
    support::copy_tree(&course.join("exercises"), &learner.join("exercises"));
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&learner)
            .args(["-c", "user.name=Learner", "-c", "user.email=learner@example.com"])
            .args(args)
            .env("GIT_COMMITTER_DATE", "2026-11-02T10:00:00Z")
            .env("GIT_AUTHOR_DATE", "2026-11-02T10:00:00Z")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "my work"]);
    // The course's own copy of `pass` does not build: only the learner's tree counts.
    fs::write(course.join("exercises/pass/src/lib.rs"), "this is not Rust\n").unwrap();
    let before = tree(&learner.join("exercises"));

    let dir = learner.join("exercises");
    let (report, code) = json_report(&course, &["--exercises", dir.to_str().unwrap(), "pass", "broken"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(test_result(&report, "pass", "adds")["status"], "passed", "{report:#}");
    let broken = report["exercises"].as_array().unwrap().iter().find(|e| e["id"] == "broken").unwrap();
    // Paths in messages are the learner's own, not where the grader found them.
    assert!(broken["build_message"].as_str().unwrap().contains(" exercises/broken/src/lib.rs:2"), "{broken:#}");
    assert_eq!(report["exercises"][0]["submitted_at"], "2026-11-02T10:00:00Z", "from the learner's git");
    assert_eq!(tree(&learner.join("exercises")), before, "grading wrote into the learner's tree");

    one_line_error(
        &grader(&course).args(["--exercises", dir.to_str().unwrap(), "list"]).output().unwrap(),
        2,
        "--exercises",
    );
    let nowhere = learner.join("nowhere");
    one_line_error(&grader(&course).args(["--exercises", nowhere.to_str().unwrap()]).output().unwrap(), 3, "nowhere");
    let _ = fs::remove_dir_all(&learner);
}

#[test]
fn without_hidden_tests_a_grade_runs_the_visible_tests_and_says_the_hidden_ones_run_in_ci() {
    // A student copy: neither hidden tests nor solutions.
    let course = fixture_course("visible");
    fs::remove_dir_all(course.join("hidden")).unwrap();
    fs::remove_dir_all(course.join("solutions")).unwrap();
    let repo = fs::canonicalize(REPO).unwrap();
    let catalogue = fs::read_to_string(course.join("course.toml")).unwrap();
    let with_support = format!("hidden = \"hidden\"\nvisible = \"{}/grader/visible\"\n", repo.display());
    fs::write(course.join("course.toml"), catalogue.replace("hidden = \"hidden\"\n", &with_support)).unwrap();
    let visible = |dir: &str, text: &str| {
        let path = course.join("exercises").join(dir).join("tests/visible.rs");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, support::rename_crates(text, "visible")).unwrap();
    };
    visible(
        "pass",
        "#[test]\nfn adds() {\n    let _deadline = visible::deadline(\"pass\");\n    assert_eq!(fx_pass::add(2, 3), 5);\n}\n\
         #[test]\nfn greets_briefly() {\n    assert_eq!(fx_pass::greeting(\"Ann\"), \"Hi Ann\");\n}\n",
    );
    visible("spins", "#[test]\nfn adds() {\n    assert_eq!(fx_spins::add(1, 1), 2);\n}\n");
    visible("broken", "#[test]\nfn adds() {\n    assert_eq!(fx_broken::add(1, 1), 2);\n}\n");
    let before = tree(&course.join("exercises"));

    let out = grader(&course).args(["pass", "spins", "broken", "fail"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("The hidden tests are not in this repository: they run in CI"), "{text}");
    for needle in [
        "visible tests: 1/2 passed",
        "✓ adds",
        "✗ greets_briefly",
        "failed",
        "exercises/pass/tests/visible.rs",
        "timed out",
        "does not build",
        "exercises/fail/tests/visible.rs is missing",
        "Visible tests: 1/5 passed. Not your grade: the hidden tests run in CI",
    ] {
        assert!(text.contains(needle), "no '{needle}' in:\n{text}");
    }
    assert!(!text.contains("Score:"), "no points that look like the grade:\n{text}");
    assert!(!course.join(".threadlings").exists(), "a visible run is not recorded as progress");
    assert_eq!(tree(&course.join("exercises")), before);

    let (report, code) = json_report(&course, &["pass"]);
    assert_eq!((report["mode"].as_str(), code), (Some("visible"), 1));
    let out = grader(&course).args(["--format", "gradescope", "pass"]).output().unwrap();
    one_line_error(&out, 2, "they run in CI");
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(results["output"].as_str().unwrap().contains("could not grade"), "{results:#}");
    one_line_error(&grader(&course).args(["solution", "pass"]).output().unwrap(), 2, "your teacher has them");
}

fn one_line_error(out: &std::process::Output, code: i32, needle: &str) {
    // Notices of what the grader is doing (a first build) are not errors.
    let stderr: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("First grade: "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{stderr}");
}

#[test]
fn bad_input_gets_a_one_line_error_and_a_documented_exit_code() {
    let course = fixture_course("errors");
    one_line_error(&grader(&course).arg("nope").output().unwrap(), 2, "there is no exercise 'nope'");
    one_line_error(&grader(&course).arg("--frobnicate").output().unwrap(), 2, "unexpected argument '--frobnicate'");
    one_line_error(&grader(&course).args(["hint", "pass", "9"]).output().unwrap(), 2, "has 1 hints");

    let nowhere = std::env::temp_dir().join(format!("threadlings-nowhere-{}", std::process::id()));
    fs::create_dir_all(&nowhere).unwrap();
    let out = cargo_bin_cmd!("grader").current_dir(&nowhere).env_remove("CARGO").output().unwrap();
    let _ = fs::remove_dir_all(&nowhere);
    one_line_error(&out, 2, "no course.toml");

    let out = grader(&course)
        .env("CARGO", "/nonexistent/cargo")
        .args(["--scratch", course.join("scratch").to_str().unwrap(), "pass"])
        .output()
        .unwrap();
    one_line_error(&out, 3, "install Rust");

    fs::write(course.join("course.toml"), "format_version = 1\n[[exercises]]\nid = 3\n").unwrap();
    one_line_error(&grader(&course).output().unwrap(), 2, "course.toml");
    assert!(!course.join(".threadlings").exists(), "a failed run records nothing");
}

#[test]
fn hints_and_the_list_come_from_the_catalogue() {
    let course = fixture_course("hints");
    let out = grader(&course).args(["hint", "fail"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("add, do not subtract"));
    let out = grader(&course).arg("list").output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("Fails an assertion") && list.lines().filter(|l| l.contains("not started")).count() == 9,
        "{list}"
    );
}

/// The hostile course: learner code that attacks or overwhelms the grader.
fn hostile_course() -> CourseCopy {
    let course = copy_course("hostile", "hostile");
    let dir = course.0.clone();
    // Learner-owned settings that must not change the grade, at the course root
    // and in the exercise: a runner that "passes" everything, a linker that
    // fails, flags that enable the cheat, insta told to force passes.
    let cargo_config = "[build]\nrustflags = [\"--cfg\", \"cheat\"]\n\
        [target.x86_64-unknown-linux-gnu]\nrunner = \"/bin/true\"\nlinker = \"/bin/false\"\n\
        [target.aarch64-unknown-linux-gnu]\nrunner = \"/bin/true\"\nlinker = \"/bin/false\"\n\
        [env]\nINSTA_FORCE_PASS = { value = \"1\", force = true }\n";
    let insta = "behavior:\n  force_pass: true\n  force_update: true\n";
    for base in [dir.clone(), dir.join("exercises/config"), dir.join("exercises/insta")] {
        fs::create_dir_all(base.join(".cargo")).unwrap();
        fs::write(base.join(".cargo/config.toml"), cargo_config).unwrap();
        fs::create_dir_all(base.join(".config")).unwrap();
        fs::write(base.join(".config/insta.yaml"), insta).unwrap();
        fs::write(base.join("insta.yaml"), insta).unwrap();
    }
    course
}

/// Processes whose command line holds `needle`, anywhere on the machine.
fn processes_with(needle: &str) -> usize {
    processes(needle, |_| true)
}

/// Processes whose command line holds `needle` and that run inside `course`'s
/// scratch directory, as everything its tests start does: other tests grading
/// the same fixtures at the same time are not this one's leftovers.
fn processes_of(course: &Path, needle: &str) -> usize {
    let scratch = fs::canonicalize(scratch_of(course)).unwrap();
    processes(needle, |pid| fs::read_link(pid.join("cwd")).is_ok_and(|cwd| cwd.starts_with(&scratch)))
}

fn processes(needle: &str, keep: impl Fn(&Path) -> bool) -> usize {
    pids(needle, keep).len()
}

fn pids(needle: &str, keep: impl Fn(&Path) -> bool) -> Vec<libc::pid_t> {
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            let cmdline = fs::read(e.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).replace('\0', " ").contains(needle) && keep(&e.path())
        })
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

#[test]
// The grader under test must be a raw child: the test kills it mid-grade.
#[allow(clippy::disallowed_methods)]
fn a_killed_grader_takes_its_test_processes_with_it() {
    let course = fixture_course("orphans");
    let scratch = fs::canonicalize({
        fs::create_dir_all(scratch_of(&course)).unwrap();
        scratch_of(&course)
    })
    .unwrap();
    let in_scratch = |pid: &Path| fs::read_link(pid.join("cwd")).is_ok_and(|cwd| cwd.starts_with(&scratch));
    let mut grader = std::process::Command::new(env!("CARGO_BIN_EXE_grader"));
    grader.env("CARGO_INCREMENTAL", "0").args(["--course"]).arg(&*course).arg("--scratch").arg(&scratch);
    grader.arg("--target-dir").arg(Path::new(REPO).join("target/threadlings/target")).arg("leaves_child");
    let mut grader = grader.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    // The test that waits on its sleeper is running: the grader dies mid-grade,
    // the way Ctrl-C would end it (the test's process group gets no SIGINT).
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while processes("hangs_on_its_sleeper", in_scratch) == 0 {
        assert!(std::time::Instant::now() < deadline, "the hanging test never started");
        assert!(grader.try_wait().unwrap().is_none(), "the grader ended before the test started");
        std::thread::sleep(Duration::from_millis(20));
    }
    grader.kill().unwrap();
    grader.wait().unwrap();
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(10));
        processes("hangs_on_its_sleeper", in_scratch) == 0
    });
    // The test's own sleeper is past the kernel's reach here: clear it up.
    for pid in pids(SLEEPER_MARKER, in_scratch) {
        // SAFETY: a plain kill of a process this test made.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(gone, "the test process outlived the grader that ran it");
}

#[test]
fn hostile_code_gets_a_verdict_in_bounded_time_and_changes_nothing() {
    let course = hostile_course();
    let history = course.join(".threadlings/history.jsonl");
    fs::create_dir_all(history.parent().unwrap()).unwrap();
    fs::write(&history, "{\"an earlier\": \"record\"}\n").unwrap();
    let before = tree(&course.join("exercises"));
    let (report, code) = json_report(&course, &[]);
    assert_eq!(code, 1);
    let expect = [
        ("threads", "explodes", "failed"),
        ("processes", "explodes", "failed"),
        ("escapes", "leaves_a_daemon", "passed"),
        ("flood", "floods_then_fails", "failed"),
        ("bytes", "prints_bytes_then_fails", "failed"),
        ("memory", "allocates", "crashed"),
        ("memory", "many_threads_are_fine", "passed"),
        ("fakes", "adds", "crashed"),
        ("config", "adds", "failed"),
        ("insta", "matches_snapshot", "failed"),
        ("no_tests", "adds", "passed"),
    ];
    let timeouts = [("threads", 5), ("processes", 5), ("escapes", 3), ("flood", 20)];
    for (exercise, test, status) in expect {
        let t = test_result(&report, exercise, test);
        assert_eq!(t["status"], status, "{exercise}/{test}: {t:#}");
        let timeout = timeouts.iter().find(|(e, _)| *e == exercise).map_or(10, |(_, s)| *s);
        assert!(t["duration_ms"].as_u64().unwrap() <= (timeout + 3) * 1000, "{exercise}/{test} was not bounded: {t:#}");
        assert!(t["message"].as_str().unwrap().len() <= 4100, "{exercise}/{test}: the message is capped");
    }
    let message = |e, t| test_result(&report, e, t)["message"].as_str().unwrap().to_string();
    assert!(message("memory", "allocates").contains("memory"), "{}", message("memory", "allocates"));
    assert!(message("bytes", "prints_bytes_then_fails").contains("ok"));
    assert!(message("flood", "floods_then_fails").contains("after the flood"));
    assert!(!course.join("exercises/config/BUILD_SCRIPT_RAN").exists(), "the learner's build.rs ran");

    let sandboxed = grader::sandbox::Sandbox::detect(8).has_cgroups();
    if sandboxed {
        let explosion = message("threads", "explodes");
        let made: u64 = explosion.split("after ").nth(1).and_then(|s| s.split(' ').next()).unwrap().parse().unwrap();
        assert!(made < grader::limits::TASK_CAP, "{explosion}");
        assert_eq!(processes_with("threadlings-hostile-daemon"), 0, "a daemon that left the process group survived");
    } else {
        eprintln!("no writable pids cgroup: task caps come from RLIMIT_NPROC (unprivileged) or time alone (root)");
    }
    assert_eq!(processes_with("sleep 301"), 0, "a process from the explosion survived");
    assert_eq!(tree(&course.join("exercises")), before, "grading changed the learner's tree");
    let lines: Vec<String> = fs::read_to_string(&history).unwrap().lines().map(String::from).collect();
    assert_eq!(lines.len(), 2, "one record appended: {lines:?}");
    assert_eq!(lines[0], "{\"an earlier\": \"record\"}", "the earlier history is intact");
}

/// The pass fixture's code: full marks for the `fail` exercise too.
const ADDS_AND_GREETS: &str = "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\npub fn greeting(name: &str) -> String {\n    format!(\"Hello, {name}!\\nYou are visitor number 42.\")\n}\n";

#[test]
fn watch_grades_each_save_offers_the_next_exercise_shows_hints_and_quits_cleanly() {
    let course = fixture_course("watch");
    let src = course.join("exercises/fail/src/lib.rs");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_grader"));
    cmd.env("CARGO_INCREMENTAL", "0").arg("watch").arg("fail").arg("--course").arg(&*course);
    cmd.arg("--scratch")
        .arg(scratch_of(&course))
        .arg("--target-dir")
        .arg(Path::new(REPO).join("target/threadlings/target"));
    let options = rexpect::reader::Options::new().timeout_ms(Some(300_000)).strip_ansi_escape_codes(true);
    let mut term = rexpect::spawn_with_options(cmd, options).unwrap();
    term.exp_string("Score: 0/3").unwrap();
    term.exp_string("watching exercises for saves").unwrap();

    // A save with another mistake: graded, and the failure shown.
    fs::write(&src, "pub fn add(a: u32, b: u32) -> u32 {\n    a * b\n}\n\npub fn greeting(_: &str) -> String {\n    String::new()\n}\n").unwrap();
    term.exp_string("left: 6").unwrap();
    // The right code: full marks, the solution to compare with, and what is next.
    fs::write(&src, ADDS_AND_GREETS).unwrap();
    term.exp_string("Full marks for fail Fails an assertion!").unwrap();
    term.exp_string("cargo grade solution fail").unwrap();
    term.exp_string("Press n for the next exercise: broken").unwrap();
    term.send("h").unwrap();
    term.flush().unwrap();
    term.exp_string("add, do not subtract").unwrap();
    term.send("q").unwrap();
    term.flush().unwrap();
    term.exp_string("Bye!").unwrap();
    term.exp_eof().unwrap();
    let status = format!("{:?}", term.process().wait().unwrap());
    assert!(status.starts_with("Exited(") && status.ends_with(", 0)"), "{status}");
    assert_eq!(processes_of(&course, ""), 0, "watch left a process behind");
}

#[test]
// Git builds the fixture's history, outside the code under test.
#[allow(clippy::disallowed_methods)]
fn reset_backs_up_the_learners_code_and_restores_the_starter() {
    let course = copy_course("course", "reset");
    let src = course.join("exercises/fail/src");
    let starter = fs::read(src.join("lib.rs")).unwrap();
    let mut record = grader::starters::Record::default();
    record.digests.insert("fail".into(), grader::starters::digest(&src).unwrap());
    fs::create_dir_all(course.join("grader")).unwrap();
    let course_toml = grader::catalogue::Course::load(&course).unwrap();
    record.save(&course_toml).unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .current_dir(&*course)
            .args(["-c", "user.name=learner", "-c", "user.email=learner@example.com"])
            .args(args)
            .output()
            .unwrap();
        assert!(ok.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "the course"]);
    // The learner's work, committed, and one more file not.
    fs::write(src.join("lib.rs"), ADDS_AND_GREETS).unwrap();
    git(&["commit", "-qam", "solved"]);
    fs::write(src.join("notes.rs"), "// my notes\n").unwrap();
    // ...which a grade gave full marks.
    let solved = grader::history::ExerciseRecord {
        id: "fail".into(),
        score: 3,
        max_score: 3,
        tests: Vec::new(),
        failing: Vec::new(),
    };
    let grade = grader::history::Record {
        format_version: 1,
        time: 1,
        mode: grader::model::Mode::Exercises,
        score: 3,
        max_score: 3,
        exercises: vec![solved],
    };
    grader::history::append(&course_toml.paths.history, &grade).unwrap();
    let list_line = || {
        let out = grader(&course).arg("list").output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().find(|l| l.split_whitespace().any(|w| w == "fail")).unwrap_or_default().to_string()
    };
    assert!(list_line().contains("done"), "{}", list_line());

    let out = grader(&course).args(["reset", "fail"]).output().unwrap();
    one_line_error(&out, 2, "--yes");
    assert_eq!(fs::read_to_string(src.join("lib.rs")).unwrap(), ADDS_AND_GREETS, "nothing changed without a yes");

    let out = grader(&course).args(["reset", "fail", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::read(src.join("lib.rs")).unwrap(), starter, "the starter is back");
    assert!(!src.join("notes.rs").exists(), "src/ is exactly the starter");
    let backups: Vec<PathBuf> =
        fs::read_dir(course.join(".threadlings/backup/fail")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(fs::read_to_string(backups[0].join("lib.rs")).unwrap(), ADDS_AND_GREETS);
    assert_eq!(fs::read_to_string(backups[0].join("notes.rs")).unwrap(), "// my notes\n");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(".threadlings/backup/fail/"), "{said}");
    // The list says so until the exercise is graded again.
    let line = list_line();
    assert!(line.contains("reset") && line.contains("-/3"), "{line}");

    // Twice in a row: a second backup, the first one kept.
    grader(&course).args(["reset", "fail", "--yes"]).assert().success();
    assert_eq!(fs::read_dir(course.join(".threadlings/backup/fail")).unwrap().count(), 2);
}

#[test]
// A raw child, so the test can close its end of the pipe early.
#[allow(clippy::disallowed_methods)]
fn list_and_solution_follow_the_history_and_a_closed_pipe_is_quiet() {
    let course = fixture_course("progress");
    let out = grader(&course).args(["solution", "pass"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not solved yet"));
    grader(&course).arg("pass").assert().success();
    let out = grader(&course).args(["solution", "pass"]).output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("lib.rs"));
    let list = String::from_utf8(grader(&course).arg("list").output().unwrap().stdout).unwrap();
    assert!(list.contains("pass") && list.contains("done") && list.contains(">  fail"), "{list}");

    // `cargo grade list | head -1`: the reader goes away; no panic, exit 0.
    for _ in 0..20 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_grader"))
            .args(["list", "--course"])
            .arg(&*course)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

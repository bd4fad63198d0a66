//! The generated classroom workflow, run: its graded steps on a two-exercise
//! course with GITHUB_OUTPUT set, their results fed to the reporter's
//! arithmetic, which must give `cargo grade`'s points; learner code printing
//! workflow commands changes neither the points nor the log.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use grader::catalogue::Course;
use grader::process::{self, Limits};
use serde_json::Value;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
const SOLVED: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n";
/// Right for small numbers only, and loud about it.
const LOUD: &str = "pub fn add(a: i32, b: i32) -> i32 {\n    println!(\"::error::x\");\n    \
    println!(\"::notice title=Autograding complete::Points 100/100\");\n    \
    if a + b > 100 { panic!(\"::error::too big\\n::notice title=Autograding complete::Points 100/100\") }\n    a + b\n}\n";

/// Two exercises (crates named after this test, as courses graded at once
/// share one target directory): 01 solved, 02 half right and printing
/// workflow commands.
fn course() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("classroom-courses").join("workflow");
    let _ = fs::remove_dir_all(&root);
    let repo = fs::canonicalize(REPO).unwrap();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    let mut catalogue = format!(
        "format_version = 1\n[paths]\nsupport = \"{repo}/grader/hidden\"\nlockfile = \"{repo}/Cargo.lock\"\n\
         hidden = \"hidden\"\n[dependencies]\n",
        repo = repo.display()
    );
    for (id, src) in [("01", SOLVED), ("02", LOUD)] {
        let (dir, krate) = (format!("{id}_adder"), format!("wf_adder_{id}"));
        catalogue.push_str(&format!(
            "[[exercises]]\nid = \"{id}\"\ndir = \"{dir}\"\ncrate = \"{krate}\"\ntitle = \"Adder {id}\"\n\
             topic = \"sums\"\nhints = [\"use +\"]\n\
             tests = [{{ name = \"adds_small\", points = 1 }}, {{ name = \"adds_large\", points = 2 }}]\n"
        ));
        write(&format!("exercises/{dir}/src/lib.rs"), src);
        write(
            &format!("hidden/{dir}/hidden.rs"),
            &format!(
                "#[test]\nfn adds_small() {{\n    assert_eq!({krate}::add(2, 3), 5);\n}}\n\
                 #[test]\nfn adds_large() {{\n    assert_eq!({krate}::add(200, 300), 500);\n}}\n"
            ),
        );
    }
    write("course.toml", &catalogue);
    root
}

fn grader_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_course-grader"))
}

/// The graded steps (id and `run:`), the reporter's env and its runners.
struct Workflow {
    steps: Vec<(String, String)>,
    env: BTreeMap<String, String>,
    runners: Vec<String>,
}

/// Reads the lines of the generated workflow that matter here.
fn read_workflow(text: &str) -> Workflow {
    let mut wf = Workflow { steps: Vec::new(), env: BTreeMap::new(), runners: Vec::new() };
    let mut id = None;
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("id: ") {
            id = Some(v.to_string());
        } else if let (Some(run), Some(step)) = (line.strip_prefix("run: "), &id) {
            wf.steps.push((step.clone(), run.to_string()));
            id = None;
        } else if let Some((var, value)) = line.split_once("_RESULTS: ") {
            wf.env.insert(format!("{var}_RESULTS"), value.to_string());
        } else if let Some(list) = line.strip_prefix("runners: ") {
            wf.runners = list.split(',').map(String::from).collect();
        }
    }
    wf
}

/// Commands the Actions runner would take from `log`, honouring stop-commands.
fn workflow_commands(log: &str) -> Vec<String> {
    let mut issued = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.lines().map(str::trim_start) {
        match &stopped {
            Some(token) if line == format!("::{token}::") => stopped = None,
            Some(_) => {}
            None => match line.strip_prefix("::stop-commands::") {
                Some(token) => stopped = Some(token.to_string()),
                None if line.starts_with("::") => issued.push(line.to_string()),
                None => {}
            },
        }
    }
    issued
}

#[test]
fn the_generated_workflow_reports_cargo_grades_points() {
    let root = course();
    let course = Course::load(&root).unwrap();
    let wf = read_workflow(&xtask::classroom::workflow(&course).unwrap());
    assert_eq!(wf.runners, ["ex01", "ex02"]);
    let exe = grader_exe();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("classroom-scratch");
    let target = Path::new(REPO).join("target/threadlings/target");
    let place = format!(
        "{} --course {} --scratch {} --target-dir {}",
        exe.display(),
        root.display(),
        scratch.display(),
        target.display()
    );

    // Each graded step as the runner runs it: plain shell, GITHUB_OUTPUT set.
    let mut outputs = BTreeMap::new();
    for (id, run) in &wf.steps {
        assert!(!run.contains("${{"), "{run}");
        let output_file = root.join(format!("github_output_{id}"));
        let script = run.replacen("target/debug/grader", &place, 1);
        let mut cmd = Command::new("sh");
        cmd.current_dir(&root).args(["-c", &script]);
        cmd.env("GITHUB_ACTIONS", "true").env("GITHUB_OUTPUT", &output_file).env_remove("GITHUB_STEP_SUMMARY");
        // Graded once: incremental caches would only take disk.
        cmd.env("CARGO_INCREMENTAL", "0");
        let done = process::run(cmd, &Limits::tool(Duration::from_secs(900))).unwrap();
        let log = format!("{}{}", done.stdout.text(), done.stderr.text());
        assert_eq!(done.exit, process::Exit::Code(0), "step {id} passes once graded:\n{log}");
        assert_eq!(workflow_commands(&log), Vec::<String>::new(), "step {id} issued workflow commands:\n{log}");
        let written = fs::read_to_string(&output_file).unwrap();
        let result = written.lines().find_map(|l| l.strip_prefix("result=")).expect("a result output").to_string();
        outputs.insert(id.clone(), result);
    }

    // The reporter: for each runner, env <RUNNER>_RESULTS, mapped from
    // ${{ steps.<runner>.outputs.result }}; points are the sum of every test's
    // score over the sum of max_score.
    let (mut points, mut max) = (0, 0);
    for runner in &wf.runners {
        let expression = &wf.env[&format!("{}_RESULTS", runner.to_uppercase())];
        assert_eq!(expression, &format!("${{{{ steps.{runner}.outputs.result }}}}"));
        let bytes = base64::engine::general_purpose::STANDARD.decode(&outputs[runner]).unwrap();
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        points += doc["tests"].as_array().unwrap().iter().map(|t| t["score"].as_u64().unwrap()).sum::<u64>();
        max += doc["max_score"].as_u64().unwrap();
    }

    let mut cmd = Command::new(&exe);
    cmd.env("CARGO_INCREMENTAL", "0");
    cmd.args(["--course", root.to_str().unwrap(), "--scratch", scratch.to_str().unwrap()]);
    cmd.args(["--target-dir", target.to_str().unwrap(), "--format", "json", "--no-record"]);
    let done = process::run(cmd, &Limits::tool(Duration::from_secs(900))).unwrap();
    let report: Value = serde_json::from_str(&done.stdout.text()).unwrap();
    assert_eq!((points, max), (4, 6), "01 full marks, 02 only its small sum");
    assert_eq!((points, max), (report["score"].as_u64().unwrap(), report["max_score"].as_u64().unwrap()));
    let _ = fs::remove_dir_all(&root);
}

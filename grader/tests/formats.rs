//! The CI formats (`--format classroom|junit|gradescope|classroom50|ctrf`) and
//! our own JSON report: golden files, real parsers, the classroom reporter's
//! arithmetic, and learner output that tries to issue workflow commands.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use base64::Engine;
use serde_json::Value;

mod support;
use support::{REPO, copy_fixture, rename_crates};

/// The exercises graded here: a pass, a wrong answer, a compile error, a
/// panic, and learner code that prints workflow commands.
const GRADED: [&str; 5] = ["pass", "fail", "broken", "panics", "commands"];

/// Learner code that prints workflow commands, and fails with them in its message.
const COMMANDS_SRC: &str = r#"pub fn add(a: u32, b: u32) -> u32 {
    println!("::error::x");
    eprintln!("::notice title=Autograding complete::Points 100/100");
    panic!("no sum today\n::error::x\n    ::notice title=Autograding complete::Points 100/100\n::add-mask::{}", a + b)
}
"#;
const COMMANDS_HIDDEN: &str = "#[test]\nfn adds() {\n    assert_eq!(fx_commands::add(2, 3), 5);\n}\n";
const COMMANDS_ENTRY: &str = r#"
[[exercises]]
id = "commands"
dir = "commands"
crate = "fx_commands"
title = "Prints workflow commands"
topic = "learner output that looks like a GitHub Actions command"
hints = ["print nothing"]
tests = [{ name = "adds", points = 2, visibility = "after_due_date" }]
"#;

/// The fixture course, copied once for this test binary (named `formats`, its
/// crates renamed `fx_formats_*`, so its artifacts in the shared target
/// directory are its own), with the `commands` exercise added. Tests grading it
/// at once take turns on its scratch directory.
fn course() -> &'static Path {
    static COURSE: OnceLock<PathBuf> = OnceLock::new();
    COURSE.get_or_init(|| make_course("formats", |catalogue| catalogue))
}

/// A copy of the fixture course named `name` with the `commands` exercise, its
/// catalogue (crates already renamed) passed through `edit`.
fn make_course(name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let dir = copy_fixture("course", name);
    fs::create_dir_all(dir.join("exercises/commands/src")).unwrap();
    fs::write(dir.join("exercises/commands/src/lib.rs"), COMMANDS_SRC).unwrap();
    fs::create_dir_all(dir.join("hidden/commands")).unwrap();
    fs::write(dir.join("hidden/commands/hidden.rs"), rename_crates(COMMANDS_HIDDEN, name)).unwrap();
    let catalogue = fs::read_to_string(dir.join("course.toml")).unwrap() + &rename_crates(COMMANDS_ENTRY, name);
    fs::write(dir.join("course.toml"), edit(catalogue)).unwrap();
    dir
}

/// The grader on the course, outside any GitHub Actions the tests may run in.
fn grader(format: &str) -> assert_cmd::Command {
    let mut cmd = grader_on(course(), format);
    cmd.args(GRADED);
    cmd
}

fn grader_on(course: &Path, format: &str) -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("grader");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scratch").join(course.file_name().unwrap());
    let target = Path::new(REPO).join("target/threadlings/target");
    cmd.arg("--course").arg(course).arg("--scratch").arg(scratch).arg("--target-dir").arg(target);
    cmd.args(["--no-record", "--format", format]);
    // Graded a few times each: incremental caches would only take disk.
    cmd.env("CARGO_INCREMENTAL", "0");
    for var in ["GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"] {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(900));
    cmd
}

/// stdout of a grade in `format`, and the exit code.
fn output(format: &str) -> (String, i32) {
    let out = grader(format).output().unwrap();
    (String::from_utf8(out.stdout).unwrap(), out.status.code().unwrap_or(-1))
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Durations, timestamps and thread ids vary from run to run; crate names carry
/// the copy's name.
fn golden(name: &str, text: &str) {
    insta::with_settings!({ filters => vec![
        (r#""(duration|duration_ms|start|stop)": \d+"#, "\"$1\": [N]"),
        (r#"time="[0-9.e-]+""#, "time=\"[S]\""),
        (r"ThreadId\(\d+\)", "ThreadId([N])"),
        (r"thread '(\w+)' \(\d+\)", "thread '$1' ([TID])"),
        (r"fx_formats_", "fx_"),
    ] }, {
        insta::assert_snapshot!(name, text);
    });
}

/// The `--format json` report of the same grade, the reference for every format.
fn reference() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| {
        let (text, code) = output("json");
        assert_eq!(code, 1, "{text}");
        parse_json(&text)
    })
}

fn reference_tests() -> Vec<(String, Value)> {
    let mut tests = Vec::new();
    for ex in reference()["exercises"].as_array().unwrap() {
        for t in ex["tests"].as_array().unwrap() {
            tests.push((format!("{} {}", ex["id"].as_str().unwrap(), t["name"].as_str().unwrap()), t.clone()));
        }
    }
    tests
}

#[test]
fn every_ci_format_matches_its_golden_file() {
    for format in ["junit", "gradescope", "classroom50", "ctrf"] {
        let (text, code) = output(format);
        assert_eq!(code, 1, "{format}: the exit code says not every test passed");
        golden(&format!("format_{format}"), &text);
    }
    let (line, code) = output("classroom");
    assert_eq!(code, 0, "a classroom step passes once graded");
    let doc = serde_json::to_string_pretty(&decode(&line)).unwrap();
    golden("format_classroom", &doc);
}

/// The classroom result line, decoded.
fn decode(line: &str) -> Value {
    assert_eq!(line.lines().count(), 1, "one line: {line}");
    let bytes = base64::engine::general_purpose::STANDARD.decode(line.trim_end()).expect("base64");
    parse_json(&String::from_utf8(bytes).unwrap())
}

#[test]
fn the_classroom_result_scores_like_cargo_grade_and_goes_to_github_output() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-github");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let (output_file, summary_file) = (dir.join("output"), dir.join("summary.md"));
    fs::write(&output_file, "earlier=kept\n").unwrap();
    let out = grader("classroom")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "the result goes to GITHUB_OUTPUT only");
    let written = fs::read_to_string(&output_file).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 2, "{written}");
    assert_eq!(lines[0], "earlier=kept", "appended, not overwritten");
    let line = lines[1].strip_prefix("result=").expect("the step output is named result");
    assert!(line.len() < 128 * 1024);
    let doc = decode(line);

    // The reporter's fields, and its arithmetic: the sum of every test's
    // score over the sum of max_score.
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["status"], "fail");
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), reference_tests().len(), "one entry per hidden test");
    for t in tests {
        for field in ["name", "status", "message", "test_code", "filename"] {
            assert!(t[field].is_string(), "{field}: {t:#}");
        }
        for field in ["score", "line_no", "duration"] {
            assert!(t[field].is_u64(), "{field} is a number: {t:#}");
        }
        assert!(["pass", "fail", "error"].contains(&t["status"].as_str().unwrap()));
    }
    let points: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap()).sum();
    assert_eq!(
        (points, doc["max_score"].as_u64().unwrap()),
        (reference()["score"].as_u64().unwrap(), reference()["max_score"].as_u64().unwrap()),
        "Points X/Y as the reporter counts them are cargo grade's"
    );

    let summary = fs::read_to_string(&summary_file).unwrap();
    assert!(summary.contains(&format!("{}/{} points", points, doc["max_score"])), "{summary}");
    assert!(summary.contains("fail Fails an assertion: 0/3"), "{summary}");
    assert!(summary.contains("- `adds` failed: `assertion left == right failed: 2 + 3 should be 5`"), "{summary}");
    assert!(summary.contains("- `adds` not built: `error[E0308]: mismatched types`"), "{summary}");
    let panics = tests.iter().find(|t| t["name"] == "panics adds").unwrap();
    assert_eq!(
        (panics["filename"].as_str(), panics["line_no"].as_u64()),
        (Some("exercises/panics/src/lib.rs"), Some(3))
    );
}

#[test]
fn an_infrastructure_error_still_gives_the_reporter_a_result() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("formats-error");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let output_file = dir.join("output");
    let out =
        grader("classroom").env("GITHUB_OUTPUT", &output_file).env("CARGO", "/nonexistent/cargo").output().unwrap();
    assert_eq!(out.status.code(), Some(3), "the documented exit code of an environment failure");
    let written = fs::read_to_string(&output_file).unwrap();
    let doc = decode(written.trim_end().strip_prefix("result=").unwrap());
    assert_eq!(doc["status"], "error");
    let tests = doc["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 1);
    assert_eq!((tests[0]["score"].as_u64(), tests[0]["status"].as_str()), (Some(0), Some("error")));
    assert!(tests[0]["message"].as_str().unwrap().contains("cargo"), "{doc:#}");
}

#[test]
fn junit_parses_with_a_real_parser_and_agrees_with_the_report() {
    use quick_xml::events::Event;
    let (xml, _) = output("junit");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut cases = Vec::new();
    let mut suites = 0;
    let mut current: Option<(String, bool)> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => suites += 1,
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (Event::Start(e) | Event::Empty(e)) = &ev else { unreachable!() };
                let attr =
                    |name: &str| e.try_get_attribute(name).unwrap().map(|a| a.unescape_value().unwrap().into_owned());
                match e.name().as_ref() {
                    b"testcase" => {
                        assert!(attr("classname").is_some() && attr("time").is_some());
                        let case = (attr("name").unwrap(), false);
                        if matches!(ev, Event::Empty(_)) {
                            cases.push(case);
                        } else {
                            current = Some(case);
                        }
                    }
                    b"failure" => {
                        assert!(!attr("message").unwrap().is_empty(), "a failure has a message");
                        current.as_mut().expect("a failure inside a testcase").1 = true;
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => cases.push(current.take().unwrap()),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, GRADED.len(), "a testsuite per exercise");
    let expected: Vec<(String, bool)> = reference_tests()
        .into_iter()
        .map(|(name, t)| (name.split_once(' ').unwrap().1.to_string(), t["status"] != "passed"))
        .collect();
    assert_eq!(cases, expected, "a testcase per hidden test, a failure for each that did not pass");
}

#[test]
fn every_json_format_has_its_required_fields() {
    let n = reference_tests().len();
    let score = reference()["score"].as_u64().unwrap();
    let max = reference()["max_score"].as_u64().unwrap();

    let gs = parse_json(&output("gradescope").0);
    assert_eq!(gs["score"].as_u64(), Some(score));
    let tests = gs["tests"].as_array().unwrap();
    assert_eq!(tests.len(), n);
    for t in tests {
        assert!(t["score"].is_u64() && t["max_score"].is_u64() && t["name"].is_string() && t["output"].is_string());
        assert!(["passed", "failed"].contains(&t["status"].as_str().unwrap()), "{t:#}");
        let visibility = if t["name"] == "commands adds" { "after_due_date" } else { "visible" };
        assert_eq!(t["visibility"], visibility, "from the catalogue");
    }

    let c50 = parse_json(&output("classroom50").0);
    assert_eq!(c50["schema"], "classroom50/result/v1");
    assert_eq!((c50["score"].as_u64(), c50["max-score"].as_u64()), (Some(score), Some(max)));
    let tests = c50["tests"].as_array().unwrap();
    assert_eq!(tests.len(), n);
    for t in tests {
        assert!(t["test-name"].is_string() && t["passed"].is_boolean());
        assert!(t["score"].is_u64() && t["max-score"].is_u64());
    }

    let ctrf = parse_json(&output("ctrf").0);
    let results = &ctrf["results"];
    assert_eq!(results["tool"]["name"], "threadlings");
    let summary = &results["summary"];
    for field in ["tests", "passed", "failed", "pending", "skipped", "other", "start", "stop"] {
        assert!(summary[field].is_u64(), "summary.{field}: {summary:#}");
    }
    assert!(summary["start"].as_u64() <= summary["stop"].as_u64());
    let passed = reference_tests().iter().filter(|(_, t)| t["status"] == "passed").count() as u64;
    assert_eq!((summary["tests"].as_u64(), summary["passed"].as_u64()), (Some(n as u64), Some(passed)));
    for t in results["tests"].as_array().unwrap() {
        assert!(t["name"].is_string() && t["duration"].is_u64());
        assert!(["passed", "failed", "other"].contains(&t["status"].as_str().unwrap()), "{t:#}");
    }
}

/// A minimal JSON Schema check: the keywords `report.schema.json` uses
/// (`type`, `required`, `properties`, `items`, `enum`, `const`, `minimum`).
fn violations(schema: &Value, value: &Value, at: &str, found: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else { return };
    for (keyword, rule) in schema {
        match keyword.as_str() {
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                    one => vec![one.as_str().unwrap()],
                };
                let ok = types.iter().any(|t| match *t {
                    "object" => value.is_object(),
                    "array" => value.is_array(),
                    "string" => value.is_string(),
                    "integer" => value.is_i64() || value.is_u64(),
                    "number" => value.is_number(),
                    "boolean" => value.is_boolean(),
                    "null" => value.is_null(),
                    other => panic!("the checker does not know type {other}"),
                });
                if !ok {
                    found.push(format!("{at}: not {types:?}"));
                }
            }
            "required" => {
                for field in rule.as_array().unwrap() {
                    if value.get(field.as_str().unwrap()).is_none() {
                        found.push(format!("{at}: missing {field}"));
                    }
                }
            }
            "properties" => {
                for (name, sub) in rule.as_object().unwrap() {
                    if let Some(v) = value.get(name) {
                        violations(sub, v, &format!("{at}.{name}"), found);
                    }
                }
            }
            "items" => {
                for (i, v) in value.as_array().into_iter().flatten().enumerate() {
                    violations(rule, v, &format!("{at}[{i}]"), found);
                }
            }
            "enum" if !rule.as_array().unwrap().contains(value) => found.push(format!("{at}: {value} not in {rule}")),
            "const" if rule != value => found.push(format!("{at}: {value} is not {rule}")),
            "minimum" if value.as_f64().is_some_and(|v| v < rule.as_f64().unwrap()) => {
                found.push(format!("{at}: {value} < {rule}"))
            }
            "$schema" | "$id" | "title" | "description" | "enum" | "const" | "minimum" => {}
            other => panic!("the checker does not know keyword {other}"),
        }
    }
}

#[test]
fn the_json_report_validates_against_its_published_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
    let schema = parse_json(&fs::read_to_string(path).unwrap());
    let report = reference();
    let mut found = Vec::new();
    violations(&schema, report, "report", &mut found);
    assert!(found.is_empty(), "{found:#?}");
    // Every field the grader writes is described, so the schema cannot fall behind.
    let described = |s: &Value| s["properties"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let optional = |s: &Value| {
        let required: Vec<&Value> = s["required"].as_array().unwrap().iter().collect();
        described(s).into_iter().filter(|k| !required.contains(&&Value::from(k.as_str()))).collect::<Vec<_>>()
    };
    let written = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let ex_schema = &schema["properties"]["exercises"]["items"];
    let test_schema = &ex_schema["properties"]["tests"]["items"];
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(described(&schema)), sorted(written(report)));
    // Submission times are there only when git knows them (not in this course).
    assert_eq!(sorted(optional(ex_schema)), ["late", "submitted_at"]);
    let ex_required: Vec<String> =
        described(ex_schema).into_iter().filter(|k| !optional(ex_schema).contains(k)).collect();
    assert_eq!(sorted(ex_required), sorted(written(&report["exercises"][0])));
    assert_eq!(sorted(described(test_schema)), sorted(written(&report["exercises"][0]["tests"][0])));
    // And the check rejects what breaks the contract.
    let mut broken = report.clone();
    broken["exercises"][0]["tests"][0].as_object_mut().unwrap().remove("status");
    broken["format_version"] = 2.into();
    let mut found = Vec::new();
    violations(&schema, &broken, "report", &mut found);
    assert_eq!(found.len(), 2, "{found:#?}");
}

/// Lines as the Actions runner reads them: `::name ...::value` is a command,
/// unless commands were stopped with `::stop-commands::<token>` and not yet
/// resumed with `::<token>::`. Returns the commands issued.
fn workflow_commands(log: &str) -> Vec<String> {
    let mut issued = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.lines().map(str::trim_start) {
        if let Some(token) = &stopped {
            if line == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = line.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_string());
        } else if line.starts_with("::") {
            issued.push(line.to_string());
        }
    }
    issued
}

#[test]
fn learner_output_issues_no_workflow_command_and_changes_no_points() {
    let out = grader("text").env("GITHUB_ACTIONS", "true").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("::error::x") && stdout.contains("::notice title=Autograding complete"), "{stdout}");
    assert_eq!(workflow_commands(&stdout), Vec::<String>::new(), "{stdout}");
    assert_eq!(workflow_commands(&stderr), Vec::<String>::new(), "{stderr}");
    let token = stdout.lines().next().unwrap().strip_prefix("::stop-commands::").expect("fenced from the first line");
    assert!(token.len() >= 32 && !COMMANDS_SRC.contains(token));
    // Without Actions, no fence; the learner's lines are the same report lines.
    let (plain, _) = output("text");
    let fenced: Vec<&str> = stdout.lines().filter(|l| !l.contains(token)).collect();
    assert_eq!(fenced, plain.lines().collect::<Vec<_>>());
    // A second run fences with another token.
    let again = grader("text").env("GITHUB_ACTIONS", "true").output().unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains(token), "a fresh token per run");

    // The points: the commands exercise scores nothing, as its test failed,
    // and the classroom result counts what cargo grade counts.
    let commands = reference()["exercises"].as_array().unwrap().iter().find(|e| e["id"] == "commands").unwrap();
    assert_eq!((commands["score"].as_u64(), commands["max_score"].as_u64()), (Some(0), Some(2)));
    let doc = decode(&output("classroom").0);
    let points: u64 = doc["tests"].as_array().unwrap().iter().map(|t| t["score"].as_u64().unwrap()).sum();
    assert_eq!(points, reference()["score"].as_u64().unwrap());
}

#[test]
// Git builds the fixture's history, outside the code under test.
#[allow(clippy::disallowed_methods)]
fn submission_times_come_from_each_exercises_own_history_and_due_dates_mark_late_work() {
    let due = |catalogue: String, id: &str, date: &str| {
        let line = format!("id = \"{id}\"\n");
        catalogue.replace(&line, &format!("{line}due = \"{date}\"\n"))
    };
    let course = make_course("formatsgit", |catalogue| {
        due(due(catalogue, "pass", "2026-01-01T00:00:00Z"), "fail", "2030-01-01T00:00:00Z")
    });
    let git = |date: &str, args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(&course)
            .args(["-c", "user.name=learner", "-c", "user.email=learner@example.com"])
            .args(args)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git("2025-06-01T12:00:00Z", &["init", "-q"]);
    git("2025-06-01T12:00:00Z", &["add", "-A"]);
    git("2025-06-01T12:00:00Z", &["commit", "-qm", "the course"]);
    let lib = course.join("exercises/pass/src/lib.rs");
    fs::write(&lib, fs::read_to_string(&lib).unwrap() + "// done\n").unwrap();
    git("2026-02-01T12:00:00Z", &["commit", "-qam", "pass, after its due date"]);
    // A later push elsewhere moves neither exercise's time.
    fs::write(course.join("notes.md"), "notes\n").unwrap();
    git("2026-03-01T12:00:00Z", &["add", "notes.md"]);
    git("2026-03-01T12:00:00Z", &["commit", "-qm", "notes"]);

    let json = |course: &Path| {
        let out = grader_on(course, "json").args(["pass", "fail"]).output().unwrap();
        parse_json(&String::from_utf8(out.stdout).unwrap())
    };
    let report = json(&course);
    let ex = |id: &str| report["exercises"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap().clone();
    assert_eq!(
        (ex("pass")["submitted_at"].as_str(), ex("pass")["late"].as_bool()),
        (Some("2026-02-01T12:00:00Z"), Some(true))
    );
    assert_eq!(
        (ex("fail")["submitted_at"].as_str(), ex("fail")["late"].as_bool()),
        (Some("2025-06-01T12:00:00Z"), Some(false))
    );
    let times = |r: &Value| {
        r["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["submitted_at"].clone(), e["late"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(times(&json(&course)), times(&report), "a regrade keeps the times");

    let xml = String::from_utf8(grader_on(&course, "junit").args(["pass"]).output().unwrap().stdout).unwrap();
    assert!(
        xml.contains("timestamp=\"2026-02-01T12:00:00Z\"") && xml.contains("<property name=\"late\" value=\"true\"/>"),
        "{xml}"
    );
    let gs = parse_json(
        &String::from_utf8(grader_on(&course, "gradescope").args(["pass"]).output().unwrap().stdout).unwrap(),
    );
    assert_eq!(gs["tests"][0]["extra_data"]["submitted_at"], "2026-02-01T12:00:00Z");
    assert_eq!(gs["tests"][0]["extra_data"]["late"], true);
    let _ = fs::remove_dir_all(&course);
}

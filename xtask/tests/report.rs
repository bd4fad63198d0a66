//! `cargo xtask report` on a three-exercise course made for the test, with
//! histories and JSON reports written here with fixed times: golden files of the
//! Markdown, JSON and CSV, and the properties the HTML pages promise.

use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::Course;
use xtask::report;

const COURSE: &str = r#"
format_version = 1
[dependencies]

[[exercises]]
id = "01"
dir = "01_spawn"
crate = "spawn"
title = "Spawn"
topic = "threads"
hints = ["one", "two", "three"]
[[exercises.tests]]
name = "runs"
points = 2
[[exercises.tests]]
name = "joins"
points = 1

[[exercises]]
id = "02"
dir = "02_share"
crate = "share"
title = "Share, safely"
topic = "threads"
hints = ["one"]
[[exercises.tests]]
name = "counts"
points = 3

[[exercises]]
id = "03"
dir = "03_lock"
crate = "lock"
title = "Lock | order"
topic = "locks <and> ordering"
hints = ["one"]
[[exercises.tests]]
name = "no_deadlock"
points = 4
"#;

/// 2026-03-01 09:00 UTC.
const T0: u64 = 1_772_355_600;

fn course() -> Course {
    Course::parse(Path::new("/course"), COURSE).unwrap()
}

/// Keeps a copy of a test's pages in `$THREADLINGS_REPORT_SAMPLES/<name>/`, for
/// `.ci/run` to render in a browser.
fn keep_samples(name: &str, out: &Path) {
    let Some(samples) = std::env::var_os("THREADLINGS_REPORT_SAMPLES") else { return };
    let dir = Path::new(&samples).join(name);
    fs::create_dir_all(&dir).unwrap();
    for entry in fs::read_dir(out).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threadlings-report-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A test's name, status and first message line.
type Test<'a> = (&'a str, &'a str, &'a str);

/// A grade line: `(id, score, max, tests)` per exercise.
fn grade(time: u64, exercises: &[(&str, u32, u32, &[Test])]) -> String {
    let exercises: Vec<serde_json::Value> = exercises
        .iter()
        .map(|(id, score, max, tests)| {
            let failing: Vec<_> =
                tests.iter().filter(|t| t.1 != "passed").map(|t| serde_json::json!([t.0, t.2])).collect();
            serde_json::json!({
                "id": id, "score": score, "max_score": max,
                "tests": tests.iter().map(|t| serde_json::json!([t.0, t.1])).collect::<Vec<_>>(),
                "failing": failing,
            })
        })
        .collect();
    let score: u32 = exercises.iter().map(|e| e["score"].as_u64().unwrap() as u32).sum();
    let max: u32 = exercises.iter().map(|e| e["max_score"].as_u64().unwrap() as u32).sum();
    serde_json::json!({"format_version": 1, "time": time, "mode": "exercises", "score": score, "max_score": max, "exercises": exercises})
        .to_string()
}

fn hint(time: u64, id: &str, n: u32) -> String {
    format!(r#"{{"format_version":1,"time":{time},"kind":"hint","exercise":"{id}","hint":{n}}}"#)
}

/// Several attempts at 01 with two hints and a pass after 1h 30m; 02 started; a
/// grade of an exercise since renamed; a torn line; a line from before failing
/// tests were kept.
fn learner_history() -> String {
    let lines = [
        grade(T0, &[("01", 0, 3, &[("runs", "failed", "assertion failed: ran"), ("joins", "timed_out", "timed out after 10s")])]),
        hint(T0 + 600, "01", 1),
        hint(T0 + 900, "1", 2),
        grade(T0 + 1800, &[("01", 2, 3, &[("runs", "passed", ""), ("joins", "failed", "left: 1 | right: 2")])]),
        r#"{"format_version":1,"time":17723"#.to_string(),
        grade(T0 + 5400, &[("01", 3, 3, &[("runs", "passed", ""), ("joins", "passed", "")])]),
        // Written before failing tests were kept: no `failing`.
        r#"{"format_version":1,"time":1772362800,"mode":"exercises","score":1,"max_score":3,"exercises":[{"id":"02","score":1,"max_score":3,"tests":[["counts","crashed"]]}]}"#.to_string(),
        grade(T0 + 9000, &[("00", 1, 1, &[("old", "passed", "")])]),
    ];
    lines.join("\n") + "\n"
}

#[test]
fn learner_report() {
    let dir = scratch("learner");
    let history = dir.join("history.jsonl");
    fs::write(&history, learner_history()).unwrap();
    let out = dir.join("out");
    let files = report::learner(&course(), &history, &out).unwrap();
    let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["index.html", "report.md", "report.json"]);
    keep_samples("learner", &out);

    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    insta::assert_snapshot!("learner_md", markdown);

    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["format_version"], 1);
    let first = &json["exercises"][0];
    assert_eq!(
        (first["status"].as_str(), first["attempts"].as_u64(), first["hints"].as_u64()),
        (Some("done"), Some(3), Some(2))
    );
    assert_eq!(first["time_to_full_marks_secs"], 5400);
    assert_eq!(json["damaged_lines"], 1);
    assert_eq!(json["unknown_exercises"][0]["id"], "00");
    let summary = pretty(serde_json::json!({
            "totals": [json["exercises_done"], json["exercises_total"], json["points"], json["max_points"], json["grades"], json["hints"]],
            "timeline": json["timeline"],
            "topics": json["topics"],
            "failing_02": json["exercises"][1]["failing"],
    }));
    insta::assert_snapshot!("learner_json_summary", summary);

    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert_page_promises(&html);
    assert!(html.contains("Lock | order") && html.contains("locks &lt;and&gt; ordering"), "escaped text");
    assert!(html.contains("1 damaged line in the history"));
    assert!(html.contains("<th scope=\"row\">00</th>"), "the renamed exercise is shown");

    // The same history gives the same bytes.
    let again = dir.join("again");
    report::learner(&course(), &history, &again).unwrap();
    for name in &names {
        assert_eq!(fs::read(out.join(name)).unwrap(), fs::read(again.join(name)).unwrap(), "{name}");
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_history_says_how_to_make_one() {
    let dir = scratch("missing");
    let err = report::learner(&course(), &dir.join("history.jsonl"), &dir.join("out")).unwrap_err();
    assert!(err.to_string().contains("`cargo grade`"), "{err}");
    assert!(!err.to_string().contains('\n'));
    assert_eq!(err.exit_code(), 2);
    fs::remove_dir_all(&dir).unwrap();
}

/// A `cargo grade --format json` report with 01 passed and 03 failing.
fn json_report() -> String {
    serde_json::json!({
        "format_version": 1, "mode": "exercises", "score": 3, "max_score": 7, "next": "03",
        "exercises": [
            {"id": "01", "dir": "01_spawn", "title": "Spawn", "score": 3, "max_score": 3, "build_message": "",
             "submitted_at": "2026-03-02T09:00:00+00:00", "late": true,
             "tests": [
                {"name": "runs", "status": "passed", "score": 2, "max_score": 2, "repeat": 1, "runs": 1, "duration_ms": 3, "message": ""},
                {"name": "joins", "status": "passed", "score": 1, "max_score": 1, "repeat": 1, "runs": 1, "duration_ms": 3, "message": ""}]},
            {"id": "03", "dir": "03_lock", "title": "Lock | order", "score": 0, "max_score": 4, "build_message": "",
             "tests": [
                {"name": "no_deadlock", "status": "timed_out", "score": 0, "max_score": 4, "repeat": 1, "runs": 1, "duration_ms": 10000,
                 "message": "timed out after 10s\nthread 1: futex wait"}]}
        ]
    })
    .to_string()
}

fn class_folder(dir: &Path) {
    // ada: a history, passes 01 then stalls on 03 for four runs; one damaged line.
    fs::create_dir_all(dir.join("ada")).unwrap();
    let stuck = |t| grade(t, &[("03", 0, 4, &[("no_deadlock", "timed_out", "timed out after 10s")])]);
    let ada = [
        grade(T0, &[("01", 3, 3, &[("runs", "passed", ""), ("joins", "passed", "")])]),
        "{not json".to_string(),
        stuck(T0 + 600),
        stuck(T0 + 1200),
        stuck(T0 + 1800),
        stuck(T0 + 2400),
    ];
    fs::write(dir.join("ada/history.jsonl"), ada.join("\n") + "\n").unwrap();
    // bob: a JSON report only.
    fs::write(dir.join("bob.json"), json_report()).unwrap();
    // cy: a history and a JSON report.
    fs::create_dir_all(dir.join("cy")).unwrap();
    let cy = [
        grade(T0, &[("01", 1, 3, &[("runs", "failed", "assertion failed: ran"), ("joins", "passed", "")])]),
        grade(T0 + 7200, &[("01", 3, 3, &[("runs", "passed", ""), ("joins", "passed", "")])]),
        grade(T0 + 7300, &[("02", 3, 3, &[("counts", "passed", "")])]),
    ];
    fs::write(dir.join("cy/history.jsonl"), cy.join("\n") + "\n").unwrap();
    fs::write(dir.join("cy.json"), json_report()).unwrap();
    // dee: a report that does not parse.
    fs::write(dir.join("dee.json"), "{\"format_version\": 1, \"score\": ").unwrap();
}

#[test]
fn class_report() {
    let dir = scratch("class");
    let class = dir.join("class");
    class_folder(&class);
    let out = dir.join("out");
    let (files, problems) = report::class(&course(), &class, &out).unwrap();
    let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["class.html", "class.csv", "class-moodle.csv", "class.json"]);
    keep_samples("class", &out);
    assert_eq!(problems.iter().map(|p| p.entry.as_str()).collect::<Vec<_>>(), ["dee.json"]);

    let canvas = fs::read_to_string(out.join("class.csv")).unwrap();
    insta::assert_snapshot!("class_canvas_csv", canvas);
    let mut reader = csv::Reader::from_reader(canvas.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "Student",
            "ID",
            "SIS User ID",
            "SIS Login ID",
            "Section",
            "Spawn (01)",
            "Share, safely (02)",
            "Lock | order (03)"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows[0].iter().collect::<Vec<_>>(), ["Points Possible", "", "", "", "", "3", "3", "4"]);
    assert_eq!(rows.iter().skip(1).map(|r| r[0].to_string()).collect::<Vec<_>>(), ["ada", "bob", "cy"]);
    let moodle = fs::read_to_string(out.join("class-moodle.csv")).unwrap();
    insta::assert_snapshot!("class_moodle_csv", moodle);

    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("class.json")).unwrap()).unwrap();
    assert_eq!(json["format_version"], 1);
    // Late flags come with the reports that carry submission times and due dates.
    let bob = json["learners"].as_array().unwrap().iter().find(|l| l["name"] == "bob").unwrap();
    assert_eq!(
        (&bob["cells"][0]["late"], &bob["cells"][0]["submitted_at"]),
        (&serde_json::json!(true), &serde_json::json!("2026-03-02T09:00:00+00:00"))
    );
    assert_eq!(bob["cells"][2]["late"], serde_json::Value::Null, "no submission time, no late flag");
    assert!(fs::read_to_string(out.join("class.html")).unwrap().contains("3 ✓ (late)"));
    let summary = pretty(serde_json::json!({
            "learners": json["learners"].as_array().unwrap().iter().map(|l| serde_json::json!([
                l["name"], l["source"], l["points"], l["exercises_done"], l["damaged_lines"], l["stalled"]
            ])).collect::<Vec<_>>(),
            "exercises": json["exercises"].as_array().unwrap().iter().map(|e| serde_json::json!([
                e["id"], e["done"], e["started"], e["not_started"], e["median_attempts"], e["median_time_to_full_marks_text"]
            ])).collect::<Vec<_>>(),
            "hard_tests": json["hard_tests"],
            "stalled": json["stalled"],
            "distribution": json["distribution"],
            "problems": json["problems"],
    }));
    insta::assert_snapshot!("class_json_summary", summary);

    let html = fs::read_to_string(out.join("class.html")).unwrap();
    assert_page_promises(&html);
    assert!(html.contains("<code>dee.json</code>"), "the unreadable entry is named");
    assert!(html.contains("1 damaged history line skipped"));

    fs::remove_dir_all(&dir).unwrap();
}

/// Self-contained, accessible, printable: no script or remote resource, table
/// headers with scope, captions, and each chart named for screen readers.
fn assert_page_promises(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<html lang=\"en\">"));
    let lower = html.to_lowercase();
    for banned in ["<script", "http://", "https://", "<link", "@import", "url("] {
        let outside_svg_ns = lower.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!outside_svg_ns.contains(banned), "the page has {banned}");
    }
    assert!(!html.contains("<th>"), "every table header has a scope");
    assert_eq!(html.matches("<table>").count(), html.matches("<caption>").count(), "every table has a caption");
    assert!(html.matches("<svg").count() >= 1);
    assert_eq!(html.matches("<svg role=\"img\" aria-labelledby=").count(), html.matches("<svg").count());
    assert_eq!(html.matches("<title id=").count(), html.matches("<svg").count());
    assert_eq!(html.matches("<desc id=").count(), html.matches("<svg").count());
    assert!(html.contains("@media print"));
}

fn pretty(value: serde_json::Value) -> String {
    serde_json::to_string_pretty(&value).unwrap()
}

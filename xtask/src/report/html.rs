//! The HTML pages, from minijinja templates under `xtask/templates/`: one
//! self-contained file each (inline CSS and SVG, no script, no network).

use minijinja::{Environment, Value, context};

use super::chart;
use super::class::ClassReport;
use super::model::LearnerReport;
use super::time;

const CSS: &str = include_str!("../../templates/report.css");

pub(super) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.add_template("learner.html", include_str!("../../templates/learner.html")).expect("a valid template");
    env.add_template("class.html", include_str!("../../templates/class.html")).expect("a valid template");
    env.add_template("learner.md", include_str!("../../templates/learner.md")).expect("a valid template");
    // Markdown table cells: a `|` would end the cell, a newline the row, and
    // `<`, `&` could start HTML.
    env.add_filter("md", |text: String| {
        text.replace('&', "&amp;").replace('<', "&lt;").replace('|', "\\|").replace(['\n', '\r'], " ")
    });
    env
}

pub fn learner(report: &LearnerReport) -> String {
    let desc = format!(
        "Points after each of {} grading runs, from {} to {} of {}.",
        report.timeline.len(),
        report.timeline.first().map_or(0, |p| p.points),
        report.timeline.last().map_or(0, |p| p.points),
        report.max_points
    );
    let chart = chart::points_over_time("points-over-time", &report.timeline, report.max_points, &desc);
    let timeline: Vec<Value> =
        report.timeline.iter().map(|p| context! { time => time::date_time(p.time), points => p.points }).collect();
    environment()
        .get_template("learner.html")
        .and_then(|t| {
            t.render(context! {
                r => report,
                css => Value::from_safe_string(CSS.into()),
                chart => Value::from_safe_string(chart),
                timeline => timeline,
            })
        })
        .expect("the learner page renders")
}

pub fn class(report: &ClassReport) -> String {
    let bars: Vec<(String, u32)> = report.distribution.iter().map(|b| (b.range.clone(), b.learners)).collect();
    let desc = bars.iter().map(|(range, n)| format!("{range}: {n}")).collect::<Vec<_>>().join("; ");
    let chart = chart::bars(
        "distribution",
        "Learners by share of the points",
        &bars,
        &format!("Learners by share of the course's points. {desc}."),
    );
    environment()
        .get_template("class.html")
        .and_then(|t| {
            t.render(context! {
                r => report,
                css => Value::from_safe_string(CSS.into()),
                chart => Value::from_safe_string(chart),
            })
        })
        .expect("the class page renders")
}

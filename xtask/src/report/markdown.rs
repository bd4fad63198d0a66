//! `report.md`: the learner's report as Markdown, fit for a README or a
//! pull-request comment.

use minijinja::context;

use super::html::environment;
use super::model::LearnerReport;

pub fn learner(report: &LearnerReport) -> String {
    environment()
        .get_template("learner.md")
        .and_then(|t| t.render(context! { r => report }))
        .expect("the learner Markdown renders")
}

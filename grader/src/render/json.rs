use crate::model::Report;

/// The report as one pretty JSON document (schema in the README).
pub fn json(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("reports serialize");
    out.push('\n');
    out
}

//! `report.json` and `class.json`: the report models as they are, with a
//! `format_version`; the schema is the model's documented fields.

use serde::Serialize;

pub fn render<T: Serialize>(report: &T) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("reports serialize");
    text.push('\n');
    text
}

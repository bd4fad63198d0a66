//! JUnit XML: a `testsuite` per exercise, a `testcase` per hidden test.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{headline, seconds, why};
use crate::model::{Report, Status};

pub fn junit(report: &Report) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut w, report).expect("writing to memory succeeds");
    let mut out = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    out.push('\n');
    out
}

fn write(w: &mut Writer<Vec<u8>>, report: &Report) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let count = |f: &dyn Fn(Status) -> bool| {
        report.exercises.iter().flat_map(|e| &e.tests).filter(|t| f(t.status)).count().to_string()
    };
    let total_ms: u64 = report.exercises.iter().flat_map(|e| &e.tests).map(|t| t.duration_ms).sum();
    w.create_element("testsuites")
        .with_attribute(("name", "threadlings"))
        .with_attribute(("tests", count(&|_| true).as_str()))
        .with_attribute(("failures", count(&|s| !matches!(s, Status::Passed | Status::NotRun)).as_str()))
        .with_attribute(("errors", count(&|s| s == Status::NotRun).as_str()))
        .with_attribute(("time", seconds(total_ms).to_string().as_str()))
        .write_inner_content(|w| {
            for ex in &report.exercises {
                let failures = ex.tests.iter().filter(|t| !matches!(t.status, Status::Passed | Status::NotRun)).count();
                let errors = ex.tests.iter().filter(|t| t.status == Status::NotRun).count();
                let ms: u64 = ex.tests.iter().map(|t| t.duration_ms).sum();
                let mut suite = w
                    .create_element("testsuite")
                    .with_attribute(("name", format!("{} {}", ex.id, xml_safe(&ex.title)).as_str()))
                    .with_attribute(("tests", ex.tests.len().to_string().as_str()))
                    .with_attribute(("failures", failures.to_string().as_str()))
                    .with_attribute(("errors", errors.to_string().as_str()))
                    .with_attribute(("skipped", "0"))
                    .with_attribute(("time", seconds(ms).to_string().as_str()));
                if let Some(at) = &ex.submitted_at {
                    suite = suite.with_attribute(("timestamp", at.as_str()));
                }
                suite.write_inner_content(|w| {
                    let properties: Vec<(&str, String)> = [
                        ex.submitted_at.clone().map(|at| ("submitted_at", at)),
                        ex.late.map(|late| ("late", late.to_string())),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if !properties.is_empty() {
                        w.create_element("properties").write_inner_content(|w| {
                            for (name, value) in &properties {
                                w.create_element("property")
                                    .with_attribute(("name", *name))
                                    .with_attribute(("value", value.as_str()))
                                    .write_empty()?;
                            }
                            Ok(())
                        })?;
                    }
                    for t in &ex.tests {
                        let case = w
                            .create_element("testcase")
                            .with_attribute(("name", t.name.as_str()))
                            .with_attribute(("classname", ex.dir.as_str()))
                            .with_attribute(("time", seconds(t.duration_ms).to_string().as_str()));
                        if t.status == Status::Passed {
                            case.write_empty()?;
                            continue;
                        }
                        let message = xml_safe(&why(ex, t));
                        case.write_inner_content(|w| {
                            // JUnit's split: a failure is the code's, an error the harness's.
                            let kind = if t.status == Status::NotRun { "error" } else { "failure" };
                            w.create_element(kind)
                                .with_attribute(("message", xml_safe(&headline(ex, t)).as_str()))
                                .with_attribute(("type", serde_json::to_value(t.status)?.as_str().unwrap_or("")))
                                .write_text_content(BytesText::new(&message))?;
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

/// `text` with the characters XML 1.0 cannot hold (most control characters)
/// replaced; the writer escapes the rest.
fn xml_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_replacement_characters() {
        assert_eq!(xml_safe("a\x1b[31mb\0\n"), "a\u{fffd}[31mb\u{fffd}\n");
    }
}

//! Charts as inline SVG (plotters' SVG backend): black on white, no colour
//! carries meaning, each with a `<title>` and `<desc>` for screen readers
//! (the pages also give each chart's numbers as a table).

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::model::TimelinePoint;
use super::time;

const INK: RGBColor = RGBColor(0, 0, 0);
const GREY: RGBColor = RGBColor(120, 120, 120);

/// A line of points after each grading run, against time.
pub fn points_over_time(id: &str, timeline: &[TimelinePoint], max: u32, desc: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 260)).into_drawing_area();
        root.fill(&WHITE).expect("drawing into a string");
        let first = timeline.first().map_or(0, |p| p.time);
        let last = timeline.last().map_or(0, |p| p.time).max(first + 60);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(first..last, 0..max.max(1))
            .expect("drawing into a string");
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(220, 220, 220))
            .axis_style(INK)
            .x_labels(6)
            .y_labels(6)
            .label_style(("sans-serif", 14))
            .x_label_formatter(&|t| time::short(*t))
            .y_desc("points")
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .expect("drawing into a string");
        let points: Vec<(u64, u32)> = timeline.iter().map(|p| (p.time, p.points)).collect();
        chart.draw_series(LineSeries::new(points.clone(), INK.stroke_width(2))).expect("drawing into a string");
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, INK.filled()))).expect("drawing into a string");
        root.present().expect("drawing into a string");
    }
    accessible(svg, id, "Points over time", desc)
}

/// Vertical bars, one per labelled count.
pub fn bars(id: &str, title: &str, bars: &[(String, u32)], desc: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 240)).into_drawing_area();
        root.fill(&WHITE).expect("drawing into a string");
        let top = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d((0..bars.len() as u32).into_segmented(), 0..top)
            .expect("drawing into a string");
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(220, 220, 220))
            .axis_style(INK)
            .y_labels(top.min(6) as usize + 1)
            .label_style(("sans-serif", 14))
            .x_labels(bars.len())
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => bars.get(*i as usize).map_or(String::new(), |b| b.0.clone()),
                _ => String::new(),
            })
            .y_desc("learners")
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .expect("drawing into a string");
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, n))| {
                let i = i as u32;
                let mut bar =
                    Rectangle::new([(SegmentValue::Exact(i), 0), (SegmentValue::Exact(i + 1), *n)], GREY.filled());
                bar.set_margin(0, 0, 8, 8);
                bar
            }))
            .expect("drawing into a string");
        root.present().expect("drawing into a string");
    }
    accessible(svg, id, title, desc)
}

/// Names the chart for assistive technology: `role="img"`, a `<title>` and a `<desc>`.
fn accessible(svg: String, id: &str, title: &str, desc: &str) -> String {
    let svg = svg.trim_start_matches(|c| c != '<').to_string();
    let Some(open) = svg.find("<svg") else { return svg };
    let Some(end) = svg[open..].find('>').map(|e| open + e + 1) else { return svg };
    let tag = svg[open..end].replacen(
        "<svg",
        &format!(r#"<svg role="img" aria-labelledby="{id}-title {id}-desc" class="chart""#),
        1,
    );
    format!(
        "{tag}<title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>{}",
        xml(title),
        xml(desc),
        &svg[end..]
    )
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

//! `sdkata report --format html`: the report as one self-contained page.
//!
//! Everything is inline: styles, and the charts as SVG drawn here from the
//! report model. No script, no font, no request leaves the page, so it opens
//! offline, prints, and can be attached to a study log as one file.

use std::fmt::Write;

use super::{HEADERS, LessonRow, Report, cells, footer};
use crate::memory;

/// How far ahead the retrievability chart looks, in days.
const HORIZON_DAYS: u32 = 90;

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2.2rem; }
.sub { color: #57606a; margin-top: 0; }
.ready { font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid #d0d7de; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.done td:first-child { color: #1a7f37; font-weight: 600; }
td.due { color: #cf222e; }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: #1b1f24; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg .grid { stroke: #d0d7de; stroke-width: 1; }
svg .line90 { stroke: #cf222e; stroke-dasharray: 4 3; }
svg .bar { fill: #0969da; }
svg .rest { fill: #eaeef2; }
svg .curve { fill: none; stroke-width: 1.6; }
ul.footer { padding-left: 1.2rem; }
.legend { font-size: 0.85rem; color: #424a53; }
";

/// The curves' colours, one per track in course order (repeating).
const PALETTE: [&str; 8] = [
    "#0969da", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#bf3989", "#1b7c83", "#57606a",
];

/// Text for HTML: `&`, `<`, `>` and quotes escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The whole page.
pub fn page(r: &Report) -> String {
    let mut out = String::new();
    let title = format!("sdkata report, {}", r.date);
    // Writing to a String cannot fail; `write!` results are ignored below.
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
         <p class=\"sub\">{} of {} lessons done</p>\n",
        escape(&title),
        escape(&title),
        r.lessons_done,
        r.lessons_total
    );
    let lines = footer(r);
    let _ = writeln!(out, "<p class=\"ready\">{}</p>", escape(&r.readiness.line));

    out.push_str("<h2>Topics</h2>\n");
    out.push_str(&topics_table(r));
    out.push_str("<h2>Progress per track</h2>\n");
    out.push_str(&progress_chart(r));
    out.push_str("<h2>Retrievability over the next 90 days</h2>\n");
    out.push_str(&retrievability_chart(r));
    out.push_str("<h2>Checks to green</h2>\n");
    out.push_str(&checks_chart(r));
    out.push_str("<ul class=\"footer\">\n");
    for line in &lines {
        let _ = writeln!(out, "<li>{}</li>", escape(line));
    }
    out.push_str("</ul>\n</body>\n</html>\n");
    out
}

fn topics_table(r: &Report) -> String {
    let mut out = String::from("<table>\n<thead><tr>");
    for h in HEADERS {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for t in &r.topics {
        let class = if t.ready { " class=\"done\"" } else { "" };
        let _ = write!(out, "<tr{class}>");
        let due = t.retrievability.is_some_and(|x| x < memory::DUE_BELOW);
        for (i, cell) in cells(t).iter().enumerate() {
            let class = match i {
                5 if due => " class=\"n due\"",
                1..=5 => " class=\"n\"",
                _ => "",
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Horizontal bars, one per row: a label, the bar, and a value.
fn bars(rows: &[(String, f64, String)], max: f64) -> String {
    const LABEL: f64 = 320.0;
    const WIDTH: f64 = 420.0;
    const ROW: f64 = 22.0;
    let height = ROW * rows.len().max(1) as f64 + 8.0;
    let mut out = format!(
        "<svg viewBox=\"0 0 {} {height}\" role=\"img\">\n",
        LABEL + WIDTH + 160.0
    );
    if rows.is_empty() {
        out.push_str("<text x=\"0\" y=\"18\">nothing yet</text>\n");
    }
    for (i, (label, value, shown)) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let w = if max > 0.0 { WIDTH * value / max } else { 0.0 };
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{}</text>\
             <rect class=\"rest\" x=\"{LABEL}\" y=\"{y:.0}\" width=\"{WIDTH}\" height=\"16\"/>\
             <rect class=\"bar\" x=\"{LABEL}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"16\"/>\
             <text x=\"{:.0}\" y=\"{:.0}\">{}</text>",
            LABEL - 8.0,
            y + 13.0,
            escape(label),
            LABEL + WIDTH + 8.0,
            y + 13.0,
            escape(shown)
        );
    }
    out.push_str("</svg>\n");
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn progress_chart(r: &Report) -> String {
    let rows: Vec<(String, f64, String)> = r
        .tracks
        .iter()
        .map(|t| {
            let share = if t.total == 0 {
                0.0
            } else {
                t.done as f64 / t.total as f64
            };
            (t.title.clone(), share, format!("{}/{}", t.done, t.total))
        })
        .collect();
    bars(&rows, 1.0)
}

fn checks_chart(r: &Report) -> String {
    let rows: Vec<(String, f64, String)> = r
        .lessons
        .iter()
        .filter_map(|l| {
            let pass = l.first_pass?;
            Some((
                l.name.clone(),
                f64::from(pass.checks),
                format!(
                    "{} check{}, {} hint{}",
                    pass.checks,
                    plural(pass.checks as usize),
                    pass.hints,
                    plural(pass.hints)
                ),
            ))
        })
        .collect();
    let max = rows.iter().map(|(_, v, _)| *v).fold(1.0, f64::max);
    bars(&rows, max)
}

/// One curve per lesson with a memory card: R over the next days, with the
/// line below which a lesson is due.
fn retrievability_chart(r: &Report) -> String {
    const LEFT: f64 = 40.0;
    const TOP: f64 = 10.0;
    const W: f64 = 640.0;
    const H: f64 = 260.0;
    let x = |day: f64| LEFT + W * day / f64::from(HORIZON_DAYS);
    let y = |rv: f64| TOP + H * (1.0 - rv);
    let mut out = format!(
        "<svg viewBox=\"0 0 {} {}\" role=\"img\">\n",
        LEFT + W + 150.0,
        TOP + H + 30.0
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{tick}</text>",
            LEFT + W,
            y(tick),
            y(tick),
            LEFT - 6.0,
            y(tick) + 4.0
        );
    }
    for day in (0..=HORIZON_DAYS).step_by(15) {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">+{day}d</text>",
            x(f64::from(day)),
            TOP + H + 18.0
        );
    }
    let _ = writeln!(
        out,
        "<line class=\"line90\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
         <text x=\"{}\" y=\"{:.1}\">due below {}</text>",
        LEFT + W,
        y(memory::DUE_BELOW),
        y(memory::DUE_BELOW),
        LEFT + W + 6.0,
        y(memory::DUE_BELOW) + 4.0,
        memory::DUE_BELOW
    );
    let tracks: Vec<&str> = r.tracks.iter().map(|t| t.id.as_str()).collect();
    let curves: Vec<&LessonRow> = r
        .lessons
        .iter()
        .filter(|l| l.stability_days.is_some())
        .collect();
    if curves.is_empty() {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\">no lesson passed yet</text>",
            LEFT + 10.0,
            TOP + 20.0
        );
    }
    for l in curves {
        let (Some(s), Some(last)) = (l.stability_days, l.last_review) else {
            continue;
        };
        let since = r.now.saturating_sub(last) as f64 / 86_400.0;
        let points: Vec<String> = (0..=HORIZON_DAYS)
            .map(|d| {
                let rv = memory::retrievability(since + f64::from(d), s);
                format!("{:.1},{:.1}", x(f64::from(d)), y(rv))
            })
            .collect();
        let colour = tracks
            .iter()
            .position(|t| *t == l.track)
            .map_or(PALETTE[7], |i| PALETTE[i % PALETTE.len()]);
        let _ = writeln!(
            out,
            "<polyline class=\"curve\" stroke=\"{colour}\" points=\"{}\"><title>{}</title></polyline>",
            points.join(" "),
            escape(&l.name)
        );
    }
    out.push_str("</svg>\n");
    out.push_str("<p class=\"legend\">");
    for (i, t) in r.tracks.iter().enumerate() {
        let _ = write!(
            out,
            "<span style=\"color: {}\">■</span> {} ",
            PALETTE[i % PALETTE.len()],
            escape(&t.title)
        );
    }
    out.push_str("</p>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::Course;
    use crate::state::{Checked, State};

    const DAY: u64 = 86_400;

    #[test]
    fn a_page_is_self_contained_and_shows_the_evidence() {
        let course: Course = super::super::tests::course();
        let mut st = State::default();
        st.record_check("cache", &Checked::stages(&["get"], None, 1), 0);
        let page = page(&super::super::build(&course, &st, DAY));
        for outside in [
            "<script", "src=", "href=", "http:", "https:", "@import", "url(",
        ] {
            assert!(
                !page.contains(outside),
                "the page loads nothing: found {outside:?}"
            );
        }
        assert_eq!(page.matches("<polyline").count(), 1, "one curve: cache's");
        assert!(page.contains("<title>cache</title>"), "curves are named");
        assert!(page.contains("1 check, 0 hints"), "the checks chart");
        assert!(page.contains("<td>Caching</td>"), "the topics table");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}

//! The flight recorder as a picture: a sequence diagram of a failing run.
//!
//! One lifeline per node, time flowing down, one row per event: a message
//! is an arrow from its send to its delivery labelled with its payload, a
//! lost message ends in a red cross, a crashed node's lifeline is dashed red
//! until it restarts, and harness notes (elections, partitions, heals) run
//! across the page. The page is self-contained HTML with inline SVG: open it
//! in any browser, offline.

use std::fmt::{Debug, Write};

use super::{Event, EventKind, NodeId};

const LANE: f64 = 150.0;
const ROW: f64 = 22.0;
const TOP: f64 = 60.0;
const LEFT: f64 = 90.0;
/// Longest payload label, in characters.
const LABEL: usize = 34;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn short(text: &str) -> String {
    if text.chars().count() <= LABEL {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(LABEL - 1).collect();
        format!("{cut}…")
    }
}

/// The node a harness note such as `crash 2` or `restart 2` is about.
fn fault_node(note: &str, verb: &str) -> Option<NodeId> {
    note.strip_prefix(verb)?.trim().parse().ok()
}

/// The page for `events` on `nodes` nodes; `title` heads it.
pub(super) fn page<M: Debug>(title: &str, nodes: usize, events: &[Event<M>]) -> String {
    let x = |node: NodeId| LEFT + LANE * node as f64 + LANE / 2.0;
    let y = |row: usize| TOP + ROW * row as f64;
    let width = LEFT + LANE * nodes as f64 + 40.0;
    let height = y(events.len()) + 30.0;
    let mut svg = String::new();
    // Writing to a String cannot fail; `write!` results are ignored below.
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         font-family=\"monospace\" font-size=\"11\">\n<defs><marker id=\"head\" viewBox=\"0 0 10 10\" \
         refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#0969da\"/></marker></defs>"
    );

    // Lifelines: solid while up, dashed red from a crash to its restart.
    let mut down_since: Vec<Option<usize>> = vec![None; nodes];
    let mut segments: Vec<(NodeId, usize, usize, bool)> = Vec::new();
    let mut up_since = vec![0_usize; nodes];
    for (row, event) in events.iter().enumerate() {
        if let EventKind::Note(note) = &event.kind {
            if let Some(n) = fault_node(note, "crash").filter(|&n| n < nodes) {
                segments.push((n, up_since[n], row, true));
                down_since[n] = Some(row);
            } else if let Some(n) = fault_node(note, "restart").filter(|&n| n < nodes) {
                segments.push((n, down_since[n].take().unwrap_or(0), row, false));
                up_since[n] = row;
            }
        }
    }
    for n in 0..nodes {
        match down_since[n] {
            Some(row) => segments.push((n, row, events.len(), false)),
            None => segments.push((n, up_since[n], events.len(), true)),
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"13\">node {n}</text>",
            x(n),
            TOP - 24.0
        );
    }
    for (n, from, to, up) in segments {
        let style = if up {
            "stroke=\"#8c959f\""
        } else {
            "stroke=\"#cf222e\" stroke-dasharray=\"4 3\""
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{0:.0}\" x2=\"{0:.0}\" y1=\"{1:.0}\" y2=\"{2:.0}\" {style}/>",
            x(n),
            y(from) - ROW / 2.0,
            y(to)
        );
    }

    // Each delivery is matched with the earliest unmatched send of the same
    // message on the same link, so an arrow spans the time it was in flight.
    let mut sent: Vec<(usize, NodeId, NodeId, String, bool)> = Vec::new();
    for (row, event) in events.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<text x=\"8\" y=\"{:.0}\" fill=\"#57606a\">t {}</text>",
            y(row) + 4.0,
            event.tick
        );
        match &event.kind {
            EventKind::Send { from, to, msg } => {
                sent.push((row, *from, *to, format!("{msg:?}"), false));
            }
            EventKind::Deliver { from, to, msg } => {
                let text = format!("{msg:?}");
                let start = sent
                    .iter_mut()
                    .find(|(_, f, t, m, done)| !done && f == from && t == to && *m == text)
                    .map(|s| {
                        s.4 = true;
                        s.0
                    });
                let y0 = start.map_or(TOP - 12.0, y);
                let _ = writeln!(
                    svg,
                    "<line x1=\"{:.0}\" y1=\"{y0:.0}\" x2=\"{:.0}\" y2=\"{:.0}\" stroke=\"#0969da\" \
                     marker-end=\"url(#head)\"><title>{}</title></line>\
                     <text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\" fill=\"#0a3069\">{}</text>",
                    x(*from),
                    x(*to),
                    y(row),
                    escape(&text),
                    (x(*from) + x(*to)) / 2.0,
                    (y0 + y(row)) / 2.0 - 3.0,
                    escape(&short(&text))
                );
            }
            EventKind::Drop { from, to, why } => {
                let (x0, x1) = (x(*from), x(*to));
                let mid = x0 + (x1 - x0) * 0.6;
                let yr = y(row);
                let _ = writeln!(
                    svg,
                    "<line x1=\"{x0:.0}\" y1=\"{yr:.0}\" x2=\"{mid:.0}\" y2=\"{yr:.0}\" stroke=\"#cf222e\" \
                     stroke-dasharray=\"3 2\"/><path d=\"M{:.0},{:.0} l8,8 m0,-8 l-8,8\" stroke=\"#cf222e\" \
                     stroke-width=\"2\"/><text x=\"{mid:.0}\" y=\"{:.0}\" fill=\"#cf222e\">lost ({})</text>",
                    mid - 4.0,
                    yr - 4.0,
                    yr - 6.0,
                    escape(&format!("{why:?}"))
                );
            }
            EventKind::Note(note) => {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{LEFT}\" y=\"{:.0}\" width=\"{:.0}\" height=\"{:.0}\" fill=\"#fff8c5\"/>\
                     <text x=\"{:.0}\" y=\"{:.0}\" fill=\"#633c01\">{}</text>",
                    y(row) - ROW / 2.0 + 2.0,
                    LANE * nodes as f64,
                    ROW - 4.0,
                    LEFT + 6.0,
                    y(row) + 4.0,
                    escape(note)
                );
            }
        }
    }
    // Sends still in flight when the recording ends.
    for (row, from, to, text, done) in &sent {
        if !done {
            let _ = writeln!(
                svg,
                "<line x1=\"{:.0}\" y1=\"{:.0}\" x2=\"{:.0}\" y2=\"{height:.0}\" stroke=\"#0969da\" \
                 stroke-dasharray=\"2 3\" opacity=\"0.6\"><title>in flight: {}</title></line>",
                x(*from),
                y(*row),
                x(*to),
                escape(text)
            );
        }
    }
    svg.push_str("</svg>\n");

    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{0}</title>\n\
         <style>body {{ font: 14px system-ui, sans-serif; margin: 1.5rem; }} \
         p {{ color: #57606a; max-width: 50rem; }}</style>\n</head>\n<body>\n<h1>{0}</h1>\n\
         <p>The last {1} events of the run, time flowing down: arrows are messages from \
         send to delivery, red crosses lost messages, dashed red lifelines crashed \
         nodes, yellow rows the harness's notes. Hover an arrow for its whole payload.</p>\n\
         {svg}</body>\n</html>\n",
        escape(title),
        events.len()
    )
}

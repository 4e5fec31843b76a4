//! The lesson table of `sdkata list` (and of the list view in `watch`).

use crate::app::App;
use crate::course::Lesson;
use crate::style::{bold, dim, green, yellow};

/// Which lessons to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    All,
    Done,
    Pending,
}

impl Filter {
    pub fn keeps(self, done: bool) -> bool {
        match self {
            Filter::All => true,
            Filter::Done => done,
            Filter::Pending => !done,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Done,
    Current,
    Pending,
}

/// The lessons that pass `filter` (and `track`, if given), in course order.
pub fn lessons<'a>(app: &'a App, track: Option<&str>, filter: Filter) -> Vec<(&'a Lesson, Status)> {
    let current = app.current().map(|l| l.name.as_str());
    app.course
        .lessons
        .iter()
        .filter(|l| track.is_none_or(|t| l.track == t))
        .map(|l| {
            let status = if app.state().is_done(&l.name) {
                Status::Done
            } else if Some(l.name.as_str()) == current {
                Status::Current
            } else {
                Status::Pending
            };
            (l, status)
        })
        .filter(|(_, s)| filter.keeps(*s == Status::Done))
        .collect()
}

/// Table rows, the header first; every row has the same visible layout.
pub fn table(rows: &[(&Lesson, Status)]) -> Vec<String> {
    let name_w = rows
        .iter()
        .map(|(l, _)| l.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let track_w = rows
        .iter()
        .map(|(l, _)| l.track.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = vec![bold(format!(
        "{:>3}  {:<name_w$}  {:<track_w$}  {:<7}  {}",
        "#", "name", "track", "status", "title"
    ))];
    for (l, status) in rows {
        let label = match status {
            Status::Done => green(format!("{:<7}", "done")),
            Status::Current => yellow(format!("{:<7}", "current")),
            Status::Pending => dim(format!("{:<7}", "pending")),
        };
        out.push(format!(
            "{:>3}  {:<name_w$}  {:<track_w$}  {label}  {}",
            l.index + 1,
            l.name,
            l.track,
            l.title
        ));
    }
    out
}

//! A frame from a session: what the screen shows, built from state alone.

use crate::app::App;
use crate::list;
use crate::render;
use crate::style::{bold, dim, green, red, yellow};

use super::screen::Frame;
use super::session::{Message, Running, Session, View};

const KEYS: &str = "n next · h hint · l list · r re-run · c check all · e note · q quit";

pub fn frame(session: &Session, app: &App) -> Frame {
    let lesson = session.lesson();
    let stage = match &session.report {
        Some(r) if r.build_error.is_some() => "does not compile".to_owned(),
        Some(r) => match r.current_stage() {
            Some(s) => render::stage_label(s, r.stages.len()),
            None => green(format!("all {} stages pass", r.stages.len())),
        },
        None => "not checked yet".to_owned(),
    };
    let status = match (session.running, session.restarted) {
        (Some(Running::One(_)), true) => yellow("  checking… (saved again: checking the new code)"),
        (Some(_), _) => yellow("  checking…"),
        (None, _) => String::new(),
    };
    let header = vec![
        format!(
            "{}  {}",
            render::lesson_header(&app.course, lesson),
            render::progress_bar(session.done.len(), session.lessons.len(), 20)
        ),
        format!("{stage}{status}"),
    ];
    let mut header = header;
    if let Some(clock) = session.exam {
        let left = clock.left_secs();
        let line = format!(
            "exam · {:02}:{:02} left · hints and notes closed · q hands in",
            left / 60,
            left % 60
        );
        header.insert(0, if left <= 60 { red(line) } else { yellow(line) });
    }
    let message = session.message.as_ref().map(|m| match m {
        Message::Info(t) => dim(t),
        Message::Good(t) => green(t),
        Message::Warning(t) => yellow(t),
    });
    let (body, scroll, keys) = match session.view {
        View::Lesson => (lesson_body(session, app), session.scroll, dim(KEYS)),
        View::Note => (
            note_body(session),
            session.scroll,
            dim("↑/↓ scroll · esc back"),
        ),
        View::All => (all_body(session), session.scroll, dim("esc back · q back")),
        View::List { filter, selected } => {
            let rows = list::lessons(app, None, filter);
            let mut body = list::table(&rows);
            if let Some(line) = body.get_mut(selected + 1) {
                *line = format!("\x1b[7m{}\x1b[27m", crate::style::strip(line));
            }
            (
                body,
                (selected + 1).saturating_sub(10),
                "↑/↓ move · enter open · d done · p pending · a all · esc back".to_owned(),
            )
        }
    };
    Frame {
        header,
        body,
        scroll,
        keys,
        message,
    }
}

fn lesson_body(session: &Session, app: &App) -> Vec<String> {
    let lesson = session.lesson();
    let mut body = Vec::new();
    let hints = session.hints();
    let total_hints = hints.len();
    for (i, hint) in hints.iter().enumerate().take(session.hint_level()) {
        body.push(yellow(format!("Hint {}/{total_hints}: {hint}", i + 1)));
    }
    if session.hint_level() > 0 {
        body.push(String::new());
    }
    match &session.report {
        None => body.push(dim("Checking your code…")),
        Some(r) if r.done() => {
            body.push(green(bold(format!(
                "✓ {} passes every stage. Well done!",
                lesson.name
            ))));
            body.push(String::new());
            body.extend(render::report_lines(r));
            body.push(String::new());
            match session.next_pending() {
                Some(next) if next.name != lesson.name => body.push(format!(
                    "Press {} for the next lesson: {} — {}",
                    bold("n"),
                    bold(&next.name),
                    next.title
                )),
                _ => body.extend(app.course.final_message.lines().map(str::to_owned)),
            }
        }
        Some(r) => {
            body.extend(render::report_lines(r));
            body.push(String::new());
            body.push(dim(format!(
                "Edit exercises/{}/src/lib.rs and save; stuck? press h.",
                lesson.rel_dir
            )));
        }
    }
    body
}

fn note_body(session: &Session) -> Vec<String> {
    match std::fs::read_to_string(session.lesson().note_path()) {
        Ok(text) => crate::note::render(&text)
            .lines()
            .map(str::to_owned)
            .collect(),
        Err(e) => vec![yellow(format!("cannot read the concept note: {e}"))],
    }
}

fn all_body(session: &Session) -> Vec<String> {
    let Some(reports) = &session.all else {
        return vec![dim("Checking every lesson…")];
    };
    let passed = reports.iter().filter(|r| r.done()).count();
    let mut body: Vec<String> = reports
        .iter()
        .map(|r| {
            let mark = if r.done() { green("✓") } else { dim("·") };
            format!("{mark} {:<24} {}", r.lesson, render::status_line(r))
        })
        .collect();
    body.push(String::new());
    body.push(format!("{passed} of {} lessons pass", reports.len()));
    body
}

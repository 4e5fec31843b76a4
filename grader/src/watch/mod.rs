//! `sdkata watch`: check the current lesson on every save.
//!
//! Threads and channels, no async: one thread reads keys, the file watcher
//! calls back from its own, a worker runs checks; all of them send [`Event`]s
//! to this loop, which owns the session and is the only one to draw. A save
//! that arrives while a check runs marks the session dirty, and the check runs
//! again as soon as the first one ends, so nothing saved is ever skipped.

mod files;
mod screen;
mod terminal;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::App;
use crate::check::{self, Report, Side, Until};
use crate::commands::{Verdict, header, options};
use crate::course::{Course, Lesson};
use crate::list::{self, Filter};
use crate::render;
use crate::style::{bold, dim, green, yellow};

/// How long a burst of file events must be quiet before a check starts:
/// editors save in several steps (write temp, rename, touch).
const DEBOUNCE: Duration = Duration::from_millis(40);

const KEYS: &str = "n next · h hint · l list · r re-run · c check all · e note · q quit";
const NO_TERMINAL: &str = "\
watch needs an interactive terminal. To check a lesson once, use `sdkata run`,
or `sdkata verify` for all of them.";

/// Everything the loop reacts to.
pub enum Event {
    Files(Vec<PathBuf>),
    Key(KeyEvent),
    Resize,
    Checked(Result<Report, String>),
    CheckedAll(Result<Vec<Report>, String>),
    WatchError(String),
}

/// Work for the checker thread.
enum Job {
    One(Lesson),
    All(Vec<Lesson>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Lesson,
    List { filter: Filter, selected: usize },
    Note,
    All,
}

struct Session {
    app: App,
    lesson: Lesson,
    view: View,
    report: Option<Report>,
    /// Results of `c` (check all), shown in the All view.
    all: Option<Vec<Report>>,
    running: bool,
    /// A save arrived while a check was running.
    dirty: bool,
    scroll: usize,
    max_scroll: usize,
    message: Option<String>,
    jobs: Sender<Job>,
}

pub fn run(poll: bool) -> Result<Verdict> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(NO_TERMINAL);
    }
    let app = App::open()?;
    // One watcher per course: two would both rebuild on every save.
    let lock = app.store().lock_file("watch.lock")?;
    if lock.try_lock().is_err() {
        bail!(
            "another `sdkata watch` is already running for this course; use that one, or quit it first"
        );
    }
    let Some(lesson) = app.current().cloned() else {
        println!("{}", app.course.final_message);
        return Ok(Verdict::Pass);
    };

    let (tx, rx) = mpsc::channel();
    let (_watcher, notice) = files::watch(&app.course, poll, tx.clone())?;
    let jobs = spawn_checker(app.course.clone(), tx.clone());
    let _terminal = terminal::Guard::enter().context("cannot set up the terminal")?;
    terminal::spawn_reader(tx);

    let first_visit = app.state().lessons.is_empty();
    let mut session = Session {
        app,
        lesson,
        view: View::Lesson,
        report: None,
        all: None,
        running: false,
        dirty: false,
        scroll: 0,
        max_scroll: 0,
        message: notice,
        jobs,
    };
    if first_visit {
        session.message = Some(session.app.course.welcome_message.replace('\n', " "));
    }
    session.start_check();
    session.event_loop(&rx)
}

/// The worker that runs checks one at a time, in order of request.
fn spawn_checker(course: Course, events: Sender<Event>) -> Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::spawn(move || {
        for job in rx {
            let event = match job {
                Job::One(lesson) => Event::Checked(
                    check::check(
                        &course,
                        &lesson,
                        options(Side::Exercise, Until::FirstFailure),
                    )
                    .map_err(|e| format!("{e:#}")),
                ),
                Job::All(lessons) => {
                    let refs: Vec<&Lesson> = lessons.iter().collect();
                    Event::CheckedAll(
                        check::check_all(
                            &course,
                            &refs,
                            options(Side::Exercise, Until::FirstFailure),
                            &|_| {},
                        )
                        .map_err(|e| format!("{e:#}")),
                    )
                }
            };
            if events.send(event).is_err() {
                return;
            }
        }
    });
    tx
}

impl Session {
    fn event_loop(&mut self, rx: &Receiver<Event>) -> Result<Verdict> {
        let mut changed: BTreeSet<String> = BTreeSet::new();
        let mut quiet_at: Option<Instant> = None;
        self.draw()?;
        loop {
            let event = match quiet_at {
                Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                    Ok(e) => Some(e),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return Ok(Verdict::Pass),
                },
                None => match rx.recv() {
                    Ok(e) => Some(e),
                    Err(_) => return Ok(Verdict::Pass),
                },
            };
            match event {
                // The burst is over: act on it.
                None => {
                    quiet_at = None;
                    self.files_saved(std::mem::take(&mut changed))?;
                }
                Some(Event::Files(paths)) => {
                    let lessons = paths
                        .iter()
                        .filter(|p| files::is_source(p))
                        .filter_map(|p| self.app.course.lesson_at(p))
                        .map(|l| l.name.clone());
                    changed.extend(lessons);
                    if !changed.is_empty() {
                        quiet_at = Some(Instant::now() + DEBOUNCE);
                    }
                    continue; // nothing to redraw yet
                }
                Some(Event::Key(key)) => {
                    if !self.key(key)? {
                        return Ok(Verdict::Pass);
                    }
                }
                Some(Event::Resize) => {}
                Some(Event::Checked(result)) => self.checked(result)?,
                Some(Event::CheckedAll(result)) => self.checked_all(result)?,
                Some(Event::WatchError(e)) => {
                    self.message = Some(yellow(format!(
                        "file watching trouble: {e}. If saves go unnoticed, restart with `sdkata watch --poll`."
                    )));
                }
            }
            self.draw()?;
        }
    }

    /// Saves settled: switch to the lesson edited (if it is another one) and check.
    fn files_saved(&mut self, lessons: BTreeSet<String>) -> Result<()> {
        if lessons.is_empty() {
            return Ok(());
        }
        if !lessons.contains(&self.lesson.name) {
            let name = lessons.first().expect("not empty").clone();
            self.switch_to(&name)?;
        }
        if self.running {
            self.dirty = true;
        } else {
            self.start_check();
        }
        self.draw()
    }

    fn switch_to(&mut self, name: &str) -> Result<()> {
        if let Some(lesson) = self
            .app
            .course
            .lessons
            .iter()
            .find(|l| l.name == name)
            .cloned()
        {
            self.app.set_current(&lesson.name)?;
            self.lesson = lesson;
            self.report = None;
            self.scroll = 0;
            self.view = View::Lesson;
            // A check of the previous lesson may be running: its result is stale.
            if self.running {
                self.dirty = true;
            }
        }
        Ok(())
    }

    fn start_check(&mut self) {
        self.running = true;
        self.dirty = false;
        let _ = self.jobs.send(Job::One(self.lesson.clone()));
    }

    fn checked(&mut self, result: Result<Report, String>) -> Result<()> {
        self.running = false;
        match result {
            Ok(report) if report.lesson == self.lesson.name => {
                if self.app.record(&report)? {
                    self.message = Some(green(format!("{} is done!", self.lesson.name)));
                }
                self.report = Some(report);
                self.scroll = 0;
            }
            // A check of the lesson we just left: not worth showing.
            Ok(_) => self.dirty = true,
            Err(e) => {
                self.message = Some(yellow(format!("cannot check {}: {e}", self.lesson.name)))
            }
        }
        // Code changed during the check: the verdict shown is for an older
        // save, and the header says "checking…" until the latest one is in.
        if self.dirty {
            self.start_check();
        }
        Ok(())
    }

    fn checked_all(&mut self, result: Result<Vec<Report>, String>) -> Result<()> {
        self.running = false;
        match result {
            Ok(reports) => {
                self.app.record_all(&reports)?;
                if let Some(r) = reports.iter().find(|r| r.lesson == self.lesson.name) {
                    self.report = Some(r.clone());
                }
                self.all = Some(reports);
            }
            Err(e) => self.message = Some(yellow(format!("check all failed: {e}"))),
        }
        if self.dirty {
            self.start_check();
        }
        Ok(())
    }

    /// Handles a key; false means quit.
    fn key(&mut self, key: KeyEvent) -> Result<bool> {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            return Ok(false);
        }
        self.message = None;
        match (self.view, key.code) {
            (View::List { filter, selected }, code) => self.list_key(filter, selected, code)?,
            (View::Note | View::All, KeyCode::Esc | KeyCode::Char('q' | 'e')) => {
                self.view = View::Lesson
            }
            (_, KeyCode::Char('q') | KeyCode::Esc) => return Ok(false),
            (_, KeyCode::Down | KeyCode::Char('j')) => {
                self.scroll = (self.scroll + 1).min(self.max_scroll)
            }
            (_, KeyCode::Up | KeyCode::Char('k')) => self.scroll = self.scroll.saturating_sub(1),
            (_, KeyCode::PageDown | KeyCode::Char(' ')) => {
                self.scroll = (self.scroll + 20).min(self.max_scroll)
            }
            (_, KeyCode::PageUp) => self.scroll = self.scroll.saturating_sub(20),
            (_, KeyCode::Char('n')) => match self.app.next_pending(&self.lesson).cloned() {
                Some(next) if next.name != self.lesson.name => {
                    self.switch_to(&next.name)?;
                    if !self.running {
                        self.start_check();
                    }
                }
                _ if self.app.all_done() => self.message = Some(green("Every lesson is done.")),
                _ => self.message = Some("No other lesson is pending.".to_owned()),
            },
            (_, KeyCode::Char('h')) => {
                let level = self.app.reveal_hint(&self.lesson)?;
                self.view = View::Lesson;
                if level == self.lesson.hints.len() {
                    self.message = Some(dim("That was the last hint. `e` opens the concept note."));
                }
            }
            (_, KeyCode::Char('l')) => {
                self.view = View::List {
                    filter: Filter::All,
                    selected: self.lesson.index,
                };
            }
            (_, KeyCode::Char('r')) => {
                self.view = View::Lesson;
                if self.running {
                    self.dirty = true;
                } else {
                    self.start_check();
                }
            }
            (_, KeyCode::Char('c')) if !self.running => {
                self.view = View::All;
                self.all = None;
                self.running = true;
                let _ = self.jobs.send(Job::All(self.app.course.lessons.clone()));
            }
            (_, KeyCode::Char('e')) => {
                self.view = View::Note;
                self.scroll = 0;
            }
            _ => {}
        }
        Ok(true)
    }

    fn list_key(&mut self, filter: Filter, selected: usize, code: KeyCode) -> Result<()> {
        let rows = list::lessons(&self.app, None, filter);
        let count = rows.len();
        let mut selected = selected.min(count.saturating_sub(1));
        let mut filter = filter;
        match code {
            KeyCode::Esc | KeyCode::Char('q' | 'l') => {
                self.view = View::Lesson;
                return Ok(());
            }
            KeyCode::Down | KeyCode::Char('j') => {
                selected = (selected + 1).min(count.saturating_sub(1))
            }
            KeyCode::Up | KeyCode::Char('k') => selected = selected.saturating_sub(1),
            KeyCode::PageDown => selected = (selected + 10).min(count.saturating_sub(1)),
            KeyCode::PageUp => selected = selected.saturating_sub(10),
            KeyCode::Char('d') => (filter, selected) = (Filter::Done, 0),
            KeyCode::Char('p') => (filter, selected) = (Filter::Pending, 0),
            KeyCode::Char('a') => (filter, selected) = (Filter::All, 0),
            KeyCode::Enter => {
                if let Some((lesson, _)) = rows.get(selected) {
                    let name = lesson.name.clone();
                    self.switch_to(&name)?;
                    if !self.running {
                        self.start_check();
                    }
                }
                return Ok(());
            }
            _ => {}
        }
        self.view = View::List { filter, selected };
        Ok(())
    }

    fn draw(&mut self) -> Result<()> {
        let done = self.app.done_count();
        let total = self.app.course.lessons.len();
        let stage = match &self.report {
            Some(r) if r.build_error.is_some() => "does not compile".to_owned(),
            Some(r) => match r.current_stage() {
                Some(s) => render::stage_label(s, r.stages.len()),
                None => green(format!("all {} stages pass", r.stages.len())),
            },
            None => "not checked yet".to_owned(),
        };
        let status = match (self.running, self.dirty) {
            (true, true) => yellow("  checking… (saved again: will re-check)"),
            (true, false) => yellow("  checking…"),
            (false, _) => String::new(),
        };
        let header = vec![
            format!(
                "{}  {}",
                header(&self.app, &self.lesson),
                render::progress_bar(done, total, 20)
            ),
            format!("{stage}{status}"),
        ];
        let (body, keys) = match self.view {
            View::Lesson => (self.lesson_body(), KEYS.to_owned()),
            View::Note => (self.note_body(), "↑/↓ scroll · esc back".to_owned()),
            View::All => (self.all_body(), "esc back · q back".to_owned()),
            View::List { filter, selected } => {
                let rows = list::lessons(&self.app, None, filter);
                let mut body = list::table(&rows);
                if let Some(line) = body.get_mut(selected + 1) {
                    *line = format!("\x1b[7m{}\x1b[27m", crate::style::strip(line));
                }
                let scroll = (selected + 1).saturating_sub(10);
                let frame = screen::Frame {
                    header,
                    body,
                    scroll,
                    keys: "↑/↓ move · enter open · d done · p pending · a all · esc back"
                        .to_owned(),
                    message: self.message.clone(),
                };
                screen::draw(&frame)?;
                return Ok(());
            }
        };
        let frame = screen::Frame {
            header,
            body,
            scroll: self.scroll,
            keys: dim(keys),
            message: self.message.clone(),
        };
        self.max_scroll = screen::draw(&frame)?;
        Ok(())
    }

    fn lesson_body(&self) -> Vec<String> {
        let mut body = Vec::new();
        let progress = self.app.state().progress(&self.lesson.name);
        let total_hints = self.lesson.hints.len();
        for (i, hint) in self
            .lesson
            .hints
            .iter()
            .enumerate()
            .take(progress.hint_level)
        {
            body.push(yellow(format!("Hint {}/{total_hints}: {hint}", i + 1)));
        }
        if progress.hint_level > 0 {
            body.push(String::new());
        }
        match &self.report {
            None => body.push(dim("Checking your code…")),
            Some(r) if r.passed() => {
                body.push(green(bold(format!(
                    "✓ {} passes every stage. Well done!",
                    self.lesson.name
                ))));
                body.push(String::new());
                body.extend(render::report_lines(r));
                body.push(String::new());
                match self.app.next_pending(&self.lesson) {
                    Some(next) if next.name != self.lesson.name => body.push(format!(
                        "Press {} for the next lesson: {} — {}",
                        bold("n"),
                        bold(&next.name),
                        next.title
                    )),
                    _ => body.extend(self.app.course.final_message.lines().map(str::to_owned)),
                }
            }
            Some(r) => {
                body.extend(render::report_lines(r));
                body.push(String::new());
                body.push(dim(format!(
                    "Edit exercises/{}/src/lib.rs and save; stuck? press h.",
                    self.lesson.rel_dir
                )));
            }
        }
        body
    }

    fn note_body(&self) -> Vec<String> {
        match std::fs::read_to_string(self.lesson.note_path()) {
            Ok(text) => crate::note::render(&text)
                .lines()
                .map(str::to_owned)
                .collect(),
            Err(e) => vec![yellow(format!("cannot read the concept note: {e}"))],
        }
    }

    fn all_body(&self) -> Vec<String> {
        let Some(reports) = &self.all else {
            return vec![dim("Checking every lesson…")];
        };
        let passed = reports.iter().filter(|r| r.passed()).count();
        let mut body: Vec<String> = reports
            .iter()
            .map(|r| {
                let mark = if r.passed() { green("✓") } else { dim("·") };
                format!("{mark} {:<24} {}", r.lesson, render::status_line(r))
            })
            .collect();
        body.push(String::new());
        body.push(format!("{passed} of {} lessons pass", reports.len()));
        body
    }
}

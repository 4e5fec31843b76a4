//! `sdkata watch`: check the current lesson on every save.
//!
//! Threads and channels, no async. The file watcher, the key reader, the
//! checker and the signal handler send [`Input`]s to one loop; the loop turns
//! file events into debounced, content-checked saves, hands every event to
//! the pure [`session::Session`], and carries out the effects it returns
//! (start or cancel a check, record progress, draw once).

mod files;
mod screen;
mod session;
mod terminal;
mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::Verdict;
use crate::app::App;
use crate::check::{self, Options, Side, Until};
use crate::children::Cancel;
use crate::course::{Course, Lesson};
use crate::shipped;
use session::{Effect, Event, Exit, Session, View};

/// How long a burst of file events must be quiet before a check starts:
/// editors save in several steps (write temp, rename, touch).
const DEBOUNCE: Duration = Duration::from_millis(25);

/// How often an exam's countdown is redrawn (and its hard stop checked).
const TICK: Duration = Duration::from_millis(250);

const NO_TERMINAL: &str = "\
watch needs an interactive terminal. To check a lesson once, use `sdkata run`,
or `sdkata verify` for all of them.";

/// What reaches the loop.
pub enum Input {
    /// Paths the OS (or the poller) says were touched.
    Files(Vec<PathBuf>),
    Event(Event),
}

pub fn run(poll: bool) -> Result<Verdict> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(NO_TERMINAL);
    }
    let mut app = App::open()?;
    // One watcher per course: two would both rebuild on every save.
    let lock = app.store().lock_file("watch.lock")?;
    if lock.try_lock().is_err() {
        bail!(
            "another `sdkata watch` is already running for this course; use that one, or quit it first"
        );
    }
    let Some(current) = app.current().map(|l| l.index) else {
        println!("{}", app.course.final_message);
        return Ok(Verdict::Pass);
    };

    let (tx, rx) = mpsc::channel();
    let tick_tx = tx.clone();
    let signal_tx = tx.clone();
    let _signals = crate::signals::route_to(move |sig| {
        let _ = signal_tx.send(Input::Event(Event::Signal(sig)));
    });
    let (_watcher, notice) = files::watch(&app.course, poll, tx.clone())?;
    let checker = Checker::spawn(app.course.clone(), tx.clone());
    let _terminal = terminal::Guard::enter().context("cannot set up the terminal")?;
    terminal::spawn_reader(tx);

    let state = app.state();
    let done = app
        .course
        .lessons
        .iter()
        .filter(|l| state.is_done(&l.name))
        .map(|l| l.name.clone())
        .collect();
    let hints = state
        .lessons
        .iter()
        .flat_map(|(name, p)| {
            let stages = p.stage_hint_levels.iter();
            std::iter::once((session::hint_key(name, None), p.hint_level))
                .chain(stages.map(|(stage, &level)| (session::hint_key(name, Some(stage)), level)))
        })
        .collect();
    let first_visit = state.lessons.is_empty();
    let mut session = Session::new(app.course.lessons.clone(), done, hints, current);
    if let Some(exam) = crate::exam::scratch::marker(&app.course.root)? {
        session.exam = Some(session::ExamClock {
            deadline_ms: exam.deadline_ms,
            now_ms: crate::exam::now_ms(),
        });
        let tick_tx = tick_tx.clone();
        std::thread::spawn(move || {
            while tick_tx
                .send(Input::Event(Event::Tick(crate::exam::now_ms())))
                .is_ok()
            {
                std::thread::sleep(TICK);
            }
        });
    }
    session.message = if first_visit {
        Some(session::Message::Info(
            app.course.welcome_message.trim().replace('\n', " "),
        ))
    } else {
        notice.map(session::Message::Warning)
    };
    let mut contents = Contents::of(&app.course);
    let effects = session.start();
    if let Some(exit) = apply(effects, &mut session, &mut app, &checker)? {
        return Ok(verdict(exit));
    }
    let exit = event_loop(&rx, &mut session, &mut app, &checker, &mut contents)?;
    Ok(verdict(exit))
}

fn verdict(exit: Exit) -> Verdict {
    match exit {
        Exit::Quit | Exit::TimeUp => Verdict::Pass,
        Exit::Signal(sig) => Verdict::Interrupted(sig),
    }
}

fn event_loop(
    rx: &Receiver<Input>,
    session: &mut Session,
    app: &mut App,
    checker: &Checker,
    contents: &mut Contents,
) -> Result<Exit> {
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut quiet_at: Option<Instant> = None;
    loop {
        let input = match quiet_at {
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(input) => Some(input),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => bail!("every event source of watch stopped"),
            },
            None => Some(rx.recv().context("every event source of watch stopped")?),
        };
        let event = match input {
            // The burst is over: the lessons whose content really changed.
            None => {
                quiet_at = None;
                let saved = contents.changed(&app.course, std::mem::take(&mut touched));
                if saved.is_empty() {
                    continue;
                }
                Event::Saved(saved)
            }
            Some(Input::Files(paths)) => {
                // A directory made again (src/ after `rm -rf`) counts too:
                // files written into it before its watch exists send nothing.
                touched.extend(
                    paths
                        .iter()
                        .filter(|p| files::is_source(p) || p.is_dir())
                        .filter_map(|p| app.course.lesson_at(p))
                        .map(|l| l.name.clone()),
                );
                if !touched.is_empty() {
                    quiet_at = Some(Instant::now() + DEBOUNCE);
                }
                continue;
            }
            Some(Input::Event(event)) => event,
        };
        let effects = session.on(event);
        if let Some(exit) = apply(effects, session, app, checker)? {
            return Ok(exit);
        }
    }
}

/// Carries out a session's effects; `Some` when watch must end.
fn apply(
    effects: Vec<Effect>,
    session: &mut Session,
    app: &mut App,
    checker: &Checker,
) -> Result<Option<Exit>> {
    let mut redraw = false;
    // Progress is written (with an fsync) after the frame is drawn, so the
    // verdict is on screen without waiting for the disk.
    let mut records = Vec::new();
    for effect in effects {
        match effect {
            Effect::Check { job, lesson } => {
                let lesson = app.course.lesson(&lesson)?.clone();
                checker.start(job, Work::One(Box::new(lesson)));
            }
            Effect::CheckAll { job } => checker.start(job, Work::All(app.course.lessons.clone())),
            Effect::Cancel => checker.cancel(),
            Effect::Record(report) => records.push(vec![*report]),
            Effect::RecordAll(reports) => records.push(reports),
            Effect::SetCurrent(name) => app.set_current(&name)?,
            Effect::RevealHint(name) => {
                let lesson = app.course.lesson(&name)?.clone();
                app.reveal_hint(&lesson)?;
            }
            Effect::Redraw => redraw = true,
            Effect::Quit(exit) => return Ok(Some(exit)),
        }
    }
    if redraw {
        session.max_scroll = screen::draw(&view::frame(session, app))?;
    }
    for reports in &records {
        app.record_all(reports)?;
    }
    // The list shows progress as recorded: draw it again once it is.
    if redraw && !records.is_empty() && matches!(session.view, View::List { .. }) {
        session.max_scroll = screen::draw(&view::frame(session, app))?;
    }
    Ok(None)
}

/// What each lesson's files held when last seen: a save counts only if it
/// changed content, however the watcher reported it (the poller reports
/// writes as new modification times; an editor may rewrite a file
/// unchanged; a check's own reads must never trigger the next check).
struct Contents(BTreeMap<String, BTreeMap<String, String>>);

impl Contents {
    fn of(course: &Course) -> Self {
        Contents(
            course
                .lessons
                .iter()
                .map(|l| (l.name.clone(), sources(l)))
                .collect(),
        )
    }

    /// Which of `lessons` changed since last seen (and remembers them now).
    fn changed(&mut self, course: &Course, lessons: BTreeSet<String>) -> BTreeSet<String> {
        lessons
            .into_iter()
            .filter(|name| {
                let Some(lesson) = course.lessons.iter().find(|l| &l.name == name) else {
                    return false;
                };
                let now = sources(lesson);
                self.0.insert(name.clone(), now.clone()).as_ref() != Some(&now)
            })
            .collect()
    }
}

/// The blob ids of a lesson's sources, the concept note aside.
fn sources(lesson: &Lesson) -> BTreeMap<String, String> {
    let mut files = shipped::files_of(&lesson.exercise_dir).unwrap_or_default();
    files.retain(|rel, _| rel != "README.md");
    files
}

/// What the checker thread is asked for.
enum Work {
    One(Box<Lesson>),
    All(Vec<Lesson>),
}

/// A job for the checker: its number, what to check, and how to stop it.
type Job = (u64, Work, Cancel);

/// At most one job waiting, and the signal that one is there.
type Slot = Arc<(Mutex<Option<Job>>, Condvar)>;

/// The thread that runs checks, one at a time. It holds at most one job in
/// waiting: a newer request replaces one that has not started.
struct Checker {
    slot: Slot,
    running: Arc<Mutex<Cancel>>,
}

impl Checker {
    fn spawn(course: Course, events: Sender<Input>) -> Self {
        let slot: Slot = Arc::default();
        let running = Arc::new(Mutex::new(Cancel::new()));
        let shared = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name("checker".to_owned())
            .spawn(move || {
                loop {
                    let (job, work, cancel) = {
                        let (lock, ready) = &*shared;
                        let mut slot = lock.lock().unwrap_or_else(|e| e.into_inner());
                        loop {
                            if let Some(job) = slot.take() {
                                break job;
                            }
                            slot = ready.wait(slot).unwrap_or_else(|e| e.into_inner());
                        }
                    };
                    let event = run_job(&course, job, work, cancel);
                    if events.send(Input::Event(event)).is_err() {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            eprintln!("cannot start the checker thread: {e}");
        }
        Checker { slot, running }
    }

    fn start(&self, job: u64, work: Work) {
        let cancel = Cancel::new();
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = cancel.clone();
        let (lock, ready) = &*self.slot;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = Some((job, work, cancel));
        ready.notify_one();
    }

    fn cancel(&self) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .cancel();
    }
}

/// Runs one job; a panic in the checker becomes an error on screen, and the
/// thread carries on with the next save.
fn run_job(course: &Course, job: u64, work: Work, cancel: Cancel) -> Event {
    let opts = check::Options {
        cancel,
        ..Options::one(Side::Exercise, Until::FirstFailure)
    };
    let caught = catch_unwind(AssertUnwindSafe(|| match &work {
        Work::One(lesson) => Ok(check::check(course, lesson, &opts).map_err(|e| format!("{e:#}"))),
        Work::All(lessons) => {
            let refs: Vec<&Lesson> = lessons.iter().collect();
            Err(check::check_all(course, &refs, &opts, &|_| {}).map_err(|e| format!("{e:#}")))
        }
    }));
    let panicked = |p: Box<dyn std::any::Any + Send>| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        format!(
            "the checker failed inside sdkata ({what}); this is a bug in sdkata, please report it. Save again to retry."
        )
    };
    match (caught, work) {
        (Ok(Ok(result)), _) => Event::Checked { job, result },
        (Ok(Err(result)), _) => Event::CheckedAll { job, result },
        (Err(p), Work::One(_)) => Event::Checked {
            job,
            result: Err(panicked(p)),
        },
        (Err(p), Work::All(_)) => Event::CheckedAll {
            job,
            result: Err(panicked(p)),
        },
    }
}

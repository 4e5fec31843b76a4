//! What watch does, as a pure state machine: [`Session::on`] takes an
//! [`Event`] and returns the [`Effect`]s to carry out. No terminal, no files,
//! no threads: the loop in `mod.rs` owns those and applies the effects, and
//! these rules are unit-tested on their own.
//!
//! Checks are numbered. A save (or `r`, `n`, `c`) while a check runs cancels
//! it and starts a new one, as bacon does: the verdict on screen is always
//! for the latest code, and a hung check never delays the next save. A result
//! that arrives for a cancelled check is ignored by its number.

use std::collections::{BTreeMap, BTreeSet};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::check::Report;
use crate::course::Lesson;
use crate::list::Filter;

/// Everything the loop reports.
#[derive(Debug)]
pub enum Event {
    /// Sources of these lessons changed content (debounced by the loop).
    Saved(BTreeSet<String>),
    Key(KeyEvent),
    Resize,
    Checked {
        job: u64,
        result: Result<Report, String>,
    },
    CheckedAll {
        job: u64,
        result: Result<Vec<Report>, String>,
    },
    WatchError(String),
    /// SIGINT, SIGTERM or SIGHUP.
    Signal(i32),
    /// The time now, in unix milliseconds: sent every so often in an exam,
    /// for the countdown and the hard stop.
    Tick(u64),
}

/// What the loop must do.
#[derive(Debug, Clone)]
pub enum Effect {
    Check {
        job: u64,
        lesson: String,
    },
    CheckAll {
        job: u64,
    },
    /// Kill the running check's processes; its result will be ignored.
    Cancel,
    /// Store a check's result in the progress file.
    Record(Box<Report>),
    RecordAll(Vec<Report>),
    SetCurrent(String),
    RevealHint(String),
    Redraw,
    Quit(Exit),
}

/// How watch ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `q`, Esc or Ctrl-C.
    Quit,
    Signal(i32),
    /// An exam's time box ran out.
    TimeUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Lesson,
    List { filter: Filter, selected: usize },
    Note,
    All,
}

/// A check under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Running {
    One(u64),
    All(u64),
}

pub struct Session {
    pub lessons: Vec<Lesson>,
    /// Lessons done, as the progress file says.
    pub done: BTreeSet<String>,
    /// Hints revealed, by `hint_key`: per lesson, and per stage for stages
    /// with hints of their own.
    pub hints: BTreeMap<String, usize>,
    /// Index into `lessons`.
    pub current: usize,
    pub view: View,
    pub report: Option<Report>,
    /// Results of `c` (check all), shown in the All view.
    pub all: Option<Vec<Report>>,
    pub running: Option<Running>,
    /// A check was cancelled for a newer one (shown in the header).
    pub restarted: bool,
    pub scroll: usize,
    /// Set by the view after drawing: how far the body can scroll.
    pub max_scroll: usize,
    pub message: Option<Message>,
    /// In an exam: when it ends and the last tick, in unix milliseconds.
    /// Hints and notes are closed while it runs.
    pub exam: Option<ExamClock>,
    next_job: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExamClock {
    pub deadline_ms: u64,
    pub now_ms: u64,
}

impl ExamClock {
    /// Time left, in whole seconds rounded up.
    pub fn left_secs(&self) -> u64 {
        self.deadline_ms.saturating_sub(self.now_ms).div_ceil(1000)
    }
}

/// What watch says when a key asks for help an exam does not give.
pub const CLOSED_IN_EXAM: &str = "Hints and notes are closed during an exam.";

/// Where `Session::hints` counts the hints revealed on `stage` of `lesson`
/// (`None`: the lesson's general hints).
pub fn hint_key(lesson: &str, stage: Option<&str>) -> String {
    match stage {
        Some(stage) => format!("{lesson}/{stage}"),
        None => lesson.to_owned(),
    }
}

/// A line under the key bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Info(String),
    Good(String),
    Warning(String),
}

impl Session {
    pub fn new(
        lessons: Vec<Lesson>,
        done: BTreeSet<String>,
        hints: BTreeMap<String, usize>,
        current: usize,
    ) -> Self {
        Session {
            lessons,
            done,
            hints,
            current,
            view: View::Lesson,
            report: None,
            all: None,
            running: None,
            restarted: false,
            scroll: 0,
            max_scroll: 0,
            message: None,
            exam: None,
            next_job: 0,
        }
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lessons[self.current]
    }

    /// The stage whose own hints apply: the one the last check stopped at.
    fn hint_stage(&self) -> Option<&str> {
        let stage = self
            .report
            .as_ref()
            .filter(|r| r.lesson == self.lesson().name)
            .and_then(|r| r.current_stage())
            .map(|s| s.stage.module());
        self.lesson().hint_stage(stage)
    }

    /// The hints for where the learner stands, in the order they are revealed.
    pub fn hints(&self) -> Vec<&str> {
        self.lesson().hints_at(self.hint_stage())
    }

    pub fn hint_level(&self) -> usize {
        self.hints.get(&self.hint_key()).copied().unwrap_or(0)
    }

    fn hint_key(&self) -> String {
        hint_key(&self.lesson().name, self.hint_stage())
    }

    /// The first check, when watch starts.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut fx = self.check();
        fx.push(Effect::Redraw);
        fx
    }

    pub fn on(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = match event {
            Event::Saved(lessons) => self.saved(&lessons),
            Event::Key(key) => self.key(key),
            Event::Resize => Vec::new(),
            Event::Checked { job, result } => self.checked(job, result),
            Event::CheckedAll { job, result } => self.checked_all(job, result),
            Event::WatchError(e) => {
                self.message = Some(Message::Warning(format!(
                    "file watching trouble: {e}. If saves go unnoticed, restart with `sdkata watch --poll`."
                )));
                Vec::new()
            }
            Event::Signal(signal) => {
                return vec![Effect::Cancel, Effect::Quit(Exit::Signal(signal))];
            }
            Event::Tick(now_ms) => match &mut self.exam {
                Some(clock) => {
                    clock.now_ms = now_ms;
                    if now_ms >= clock.deadline_ms {
                        return vec![Effect::Cancel, Effect::Quit(Exit::TimeUp)];
                    }
                    Vec::new()
                }
                None => Vec::new(),
            },
        };
        if !fx.iter().any(|e| matches!(e, Effect::Quit(_))) {
            fx.push(Effect::Redraw);
        }
        fx
    }

    /// Starts a check of the current lesson, cancelling any running one.
    fn check(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.running.is_some() {
            fx.push(Effect::Cancel);
            self.restarted = true;
        } else {
            self.restarted = false;
        }
        self.next_job += 1;
        self.running = Some(Running::One(self.next_job));
        fx.push(Effect::Check {
            job: self.next_job,
            lesson: self.lesson().name.clone(),
        });
        fx
    }

    fn saved(&mut self, lessons: &BTreeSet<String>) -> Vec<Effect> {
        let mut fx = Vec::new();
        if !lessons.contains(&self.lesson().name)
            && let Some(first) = lessons.first()
        {
            fx.extend(self.switch_to(first));
        }
        if lessons.is_empty() {
            return fx;
        }
        fx.extend(self.check());
        fx
    }

    /// Makes `name` the current lesson (no check).
    fn switch_to(&mut self, name: &str) -> Vec<Effect> {
        let Some(i) = self.lessons.iter().position(|l| l.name == name) else {
            return Vec::new();
        };
        self.current = i;
        self.report = None;
        self.scroll = 0;
        self.view = View::Lesson;
        vec![Effect::SetCurrent(name.to_owned())]
    }

    fn checked(&mut self, job: u64, result: Result<Report, String>) -> Vec<Effect> {
        if self.running != Some(Running::One(job)) {
            return Vec::new(); // cancelled for a newer check
        }
        self.running = None;
        self.restarted = false;
        match result {
            Ok(report) => {
                if report.done() && self.done.insert(report.lesson.clone()) {
                    self.message = Some(Message::Good(format!("{} is done!", report.lesson)));
                }
                self.report = Some(report.clone());
                self.scroll = 0;
                vec![Effect::Record(Box::new(report))]
            }
            Err(e) => {
                self.message = Some(Message::Warning(format!(
                    "cannot check {}: {e}",
                    self.lesson().name
                )));
                Vec::new()
            }
        }
    }

    fn checked_all(&mut self, job: u64, result: Result<Vec<Report>, String>) -> Vec<Effect> {
        if self.running != Some(Running::All(job)) {
            return Vec::new();
        }
        self.running = None;
        self.restarted = false;
        match result {
            Ok(reports) => {
                for r in &reports {
                    if r.done() {
                        self.done.insert(r.lesson.clone());
                    } else {
                        self.done.remove(&r.lesson);
                    }
                }
                if let Some(r) = reports.iter().find(|r| r.lesson == self.lesson().name) {
                    self.report = Some(r.clone());
                }
                self.all = Some(reports.clone());
                vec![Effect::RecordAll(reports)]
            }
            Err(e) => {
                self.message = Some(Message::Warning(format!("check all failed: {e}")));
                Vec::new()
            }
        }
    }

    /// The next lesson not done after the current one, wrapping round.
    pub fn next_pending(&self) -> Option<&Lesson> {
        let n = self.lessons.len();
        (1..=n)
            .map(|k| &self.lessons[(self.current + k) % n])
            .find(|l| !self.done.contains(&l.name))
    }

    /// The lessons the list view shows for `filter`.
    pub fn list_rows(&self, filter: Filter) -> Vec<&Lesson> {
        self.lessons
            .iter()
            .filter(|l| filter.keeps(self.done.contains(&l.name)))
            .collect()
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return vec![Effect::Cancel, Effect::Quit(Exit::Quit)];
        }
        self.message = None;
        if self.exam.is_some() && matches!(key.code, KeyCode::Char('h' | 'e')) {
            self.message = Some(Message::Warning(CLOSED_IN_EXAM.to_owned()));
            return Vec::new();
        }
        match (self.view, key.code) {
            (View::List { filter, selected }, code) => self.list_key(filter, selected, code),
            (View::Note | View::All, KeyCode::Esc | KeyCode::Char('q' | 'e')) => {
                self.view = View::Lesson;
                Vec::new()
            }
            (_, KeyCode::Char('q') | KeyCode::Esc) => {
                vec![Effect::Cancel, Effect::Quit(Exit::Quit)]
            }
            (_, KeyCode::Down | KeyCode::Char('j')) => {
                self.scroll = (self.scroll + 1).min(self.max_scroll);
                Vec::new()
            }
            (_, KeyCode::Up | KeyCode::Char('k')) => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            (_, KeyCode::PageDown | KeyCode::Char(' ')) => {
                self.scroll = (self.scroll + 20).min(self.max_scroll);
                Vec::new()
            }
            (_, KeyCode::PageUp) => {
                self.scroll = self.scroll.saturating_sub(20);
                Vec::new()
            }
            (_, KeyCode::Char('n')) => match self.next_pending().map(|l| l.name.clone()) {
                Some(next) if next != self.lesson().name => {
                    let mut fx = self.switch_to(&next);
                    fx.extend(self.check());
                    fx
                }
                _ => {
                    self.message = Some(if self.done.len() == self.lessons.len() {
                        Message::Good("Every lesson is done.".to_owned())
                    } else {
                        Message::Info("No other lesson is pending.".to_owned())
                    });
                    Vec::new()
                }
            },
            (_, KeyCode::Char('h')) => {
                let name = self.lesson().name.clone();
                let total = self.hints().len();
                let level = self.hints.entry(self.hint_key()).or_default();
                *level = (*level + 1).min(total);
                if *level == total {
                    self.message = Some(Message::Info(
                        "That was the last hint. `e` opens the concept note.".to_owned(),
                    ));
                }
                self.view = View::Lesson;
                vec![Effect::RevealHint(name)]
            }
            (_, KeyCode::Char('l')) => {
                self.view = View::List {
                    filter: Filter::All,
                    selected: self.current,
                };
                Vec::new()
            }
            (_, KeyCode::Char('r')) => {
                self.view = View::Lesson;
                self.check()
            }
            (_, KeyCode::Char('c')) => {
                let mut fx = Vec::new();
                if self.running.is_some() {
                    fx.push(Effect::Cancel);
                }
                self.next_job += 1;
                self.running = Some(Running::All(self.next_job));
                self.view = View::All;
                self.all = None;
                fx.push(Effect::CheckAll { job: self.next_job });
                fx
            }
            (_, KeyCode::Char('e')) => {
                self.view = View::Note;
                self.scroll = 0;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn list_key(&mut self, filter: Filter, selected: usize, code: KeyCode) -> Vec<Effect> {
        let count = self.list_rows(filter).len();
        let last = count.saturating_sub(1);
        let mut selected = selected.min(last);
        let mut filter = filter;
        match code {
            KeyCode::Esc | KeyCode::Char('q' | 'l') => {
                self.view = View::Lesson;
                return Vec::new();
            }
            KeyCode::Down | KeyCode::Char('j') => selected = (selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => selected = selected.saturating_sub(1),
            KeyCode::PageDown => selected = (selected + 10).min(last),
            KeyCode::PageUp => selected = selected.saturating_sub(10),
            KeyCode::Char('d') => (filter, selected) = (Filter::Done, 0),
            KeyCode::Char('p') => (filter, selected) = (Filter::Pending, 0),
            KeyCode::Char('a') => (filter, selected) = (Filter::All, 0),
            KeyCode::Enter => {
                let Some(name) = self.list_rows(filter).get(selected).map(|l| l.name.clone())
                else {
                    return Vec::new();
                };
                let mut fx = self.switch_to(&name);
                fx.extend(self.check());
                return fx;
            }
            _ => {}
        }
        self.view = View::List { filter, selected };
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossterm::event::{KeyEvent, KeyModifiers};

    use super::*;
    use crate::check::{Outcome, Stage, StageReport};

    fn lesson(index: usize, name: &str) -> Lesson {
        Lesson {
            index,
            name: name.to_owned(),
            track: "t".to_owned(),
            title: name.to_uppercase(),
            difficulty: 1,
            hints: vec!["one".to_owned(), "two".to_owned()],
            stage_hints: Default::default(),
            timeout: Duration::from_secs(1),
            loom: false,
            topics: Vec::new(),
            exercise_dir: format!("/x/{name}").into(),
            solution_dir: format!("/s/{name}").into(),
            rel_dir: format!("t/{name}"),
            dir_line: 1,
        }
    }

    fn session() -> Session {
        let lessons = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(i, n)| lesson(i, n))
            .collect();
        Session::new(lessons, BTreeSet::new(), BTreeMap::new(), 0)
    }

    fn report(lesson: &str, pass: bool) -> Report {
        Report {
            lesson: lesson.to_owned(),
            unavailable: None,
            build_error: None,
            warnings: 0,
            stages: vec![StageReport {
                stage: Stage {
                    number: 1,
                    title: "one".to_owned(),
                    file: "1_one".to_owned(),
                    loom: false,
                },
                outcome: if pass {
                    Outcome::Passed { tests: 1 }
                } else {
                    Outcome::NotRun
                },
                elapsed: Duration::ZERO,
            }],
            changed_tests: Vec::new(),
        }
    }

    fn key(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn saved(names: &[&str]) -> Event {
        Event::Saved(names.iter().map(|n| (*n).to_owned()).collect())
    }

    /// The jobs started by `fx`.
    fn checks(fx: &[Effect]) -> Vec<(u64, String)> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Check { job, lesson } => Some((*job, lesson.clone())),
                _ => None,
            })
            .collect()
    }

    fn cancels(fx: &[Effect]) -> usize {
        fx.iter().filter(|e| matches!(e, Effect::Cancel)).count()
    }

    #[test]
    fn start_checks_the_current_lesson_and_draws() {
        let mut s = session();
        let fx = s.start();
        assert_eq!(checks(&fx), [(1, "a".to_owned())]);
        assert_eq!(cancels(&fx), 0);
        assert!(matches!(fx.last(), Some(Effect::Redraw)));
        assert_eq!(s.running, Some(Running::One(1)));
    }

    #[test]
    fn a_save_while_idle_checks_once() {
        let mut s = session();
        s.start();
        s.on(Event::Checked {
            job: 1,
            result: Ok(report("a", false)),
        });
        let fx = s.on(saved(&["a"]));
        assert_eq!(checks(&fx), [(2, "a".to_owned())]);
        assert_eq!(cancels(&fx), 0, "nothing to cancel");
        assert!(!s.restarted);
    }

    #[test]
    fn a_save_during_a_check_cancels_it_and_the_old_result_is_ignored() {
        let mut s = session();
        s.start();
        let fx = s.on(saved(&["a"]));
        assert_eq!(cancels(&fx), 1);
        assert_eq!(checks(&fx), [(2, "a".to_owned())]);
        assert!(s.restarted, "the header says the new code is being checked");
        // The cancelled job still reports: ignored, nothing recorded.
        let fx = s.on(Event::Checked {
            job: 1,
            result: Ok(report("a", true)),
        });
        assert!(!fx.iter().any(|e| matches!(e, Effect::Record(_))));
        assert!(s.report.is_none());
        assert_eq!(s.running, Some(Running::One(2)));
        // The newer one counts.
        let fx = s.on(Event::Checked {
            job: 2,
            result: Ok(report("a", true)),
        });
        assert!(fx.iter().any(|e| matches!(e, Effect::Record(_))));
        assert_eq!(s.running, None);
        assert!(s.done.contains("a"));
        assert_eq!(s.message, Some(Message::Good("a is done!".to_owned())));
    }

    #[test]
    fn a_save_in_another_lesson_switches_to_it() {
        let mut s = session();
        s.start();
        s.on(Event::Checked {
            job: 1,
            result: Ok(report("a", false)),
        });
        let fx = s.on(saved(&["c"]));
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::SetCurrent(n) if n == "c"))
        );
        assert_eq!(checks(&fx), [(2, "c".to_owned())]);
        assert_eq!(s.lesson().name, "c");
        assert!(s.report.is_none(), "the old lesson's report is not shown");
        // Saves in several lessons, the current among them: it stays.
        let fx = s.on(saved(&["a", "c"]));
        assert_eq!(checks(&fx), [(3, "c".to_owned())]);
    }

    #[test]
    fn an_empty_save_does_nothing() {
        let mut s = session();
        let fx = s.on(saved(&[]));
        assert!(checks(&fx).is_empty());
    }

    #[test]
    fn a_failed_check_shows_the_error_and_recovers() {
        let mut s = session();
        s.start();
        let fx = s.on(Event::Checked {
            job: 1,
            result: Err("the checker failed inside sdkata".to_owned()),
        });
        assert!(matches!(&s.message, Some(Message::Warning(m)) if m.contains("checker failed")));
        assert_eq!(s.running, None);
        assert!(!fx.iter().any(|e| matches!(e, Effect::Quit(_))));
        assert_eq!(
            checks(&s.on(saved(&["a"]))).len(),
            1,
            "the next save checks again"
        );
    }

    #[test]
    fn a_pass_against_changed_tests_is_not_done() {
        let mut s = session();
        s.start();
        let mut r = report("a", true);
        r.changed_tests = vec!["tests/1_one.rs".to_owned()];
        s.on(Event::Checked {
            job: 1,
            result: Ok(r),
        });
        assert!(!s.done.contains("a"));
        assert_eq!(s.message, None);
    }

    #[test]
    fn quitting_cancels_the_running_check() {
        for event in [
            key('q'),
            Event::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        ] {
            let mut s = session();
            s.start();
            let fx = s.on(event);
            assert_eq!(cancels(&fx), 1);
            assert!(matches!(fx.last(), Some(Effect::Quit(Exit::Quit))));
        }
        let mut s = session();
        let fx = s.on(Event::Signal(15));
        assert!(matches!(
            fx.as_slice(),
            [Effect::Cancel, Effect::Quit(Exit::Signal(15))]
        ));
    }

    #[test]
    fn next_skips_done_lessons_and_wraps() {
        let mut s = session();
        s.done.insert("b".to_owned());
        let fx = s.on(key('n'));
        assert_eq!(s.lesson().name, "c");
        assert_eq!(checks(&fx), [(1, "c".to_owned())]);
        s.on(key('n'));
        assert_eq!(s.lesson().name, "a", "wraps round past the done b");
        s.done.extend(["c".to_owned()]);
        s.on(key('n'));
        assert_eq!(
            s.message,
            Some(Message::Info("No other lesson is pending.".to_owned()))
        );
        s.done.insert("a".to_owned());
        s.on(key('n'));
        assert_eq!(
            s.message,
            Some(Message::Good("Every lesson is done.".to_owned()))
        );
    }

    #[test]
    fn hints_are_revealed_one_at_a_time_up_to_the_last() {
        let mut s = session();
        let fx = s.on(key('h'));
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::RevealHint(n) if n == "a"))
        );
        assert_eq!(s.hint_level(), 1);
        s.on(key('h'));
        s.on(key('h'));
        assert_eq!(s.hint_level(), 2, "no more than there are");
        assert!(matches!(&s.message, Some(Message::Info(m)) if m.contains("last hint")));
    }

    #[test]
    fn a_stage_with_hints_of_its_own_counts_them_apart() {
        let mut s = session();
        s.lessons[0].stage_hints = BTreeMap::from([("one".to_owned(), vec!["own".to_owned()])]);
        s.start();
        assert_eq!(s.hints(), ["one", "two"], "no stage known while checking");
        s.on(key('h'));
        s.on(Event::Checked {
            job: 1,
            result: Ok(report("a", false)),
        });
        assert_eq!(s.hints(), ["own", "one", "two"], "stage `one` failed");
        assert_eq!(s.hint_level(), 0, "the stage's count starts afresh");
        s.on(key('h'));
        assert_eq!(s.hint_level(), 1);
        assert_eq!(s.hints.get("a"), Some(&1), "the lesson's count is kept");
        assert_eq!(s.hints.get("a/one"), Some(&1));
    }

    #[test]
    fn rerun_restarts_and_check_all_replaces_a_running_check() {
        let mut s = session();
        s.start();
        let fx = s.on(key('r'));
        assert_eq!((cancels(&fx), checks(&fx).len()), (1, 1));
        let fx = s.on(key('c'));
        assert_eq!(cancels(&fx), 1);
        assert!(fx.iter().any(|e| matches!(e, Effect::CheckAll { job: 3 })));
        assert_eq!(s.view, View::All);
        let fx = s.on(Event::CheckedAll {
            job: 3,
            result: Ok(vec![report("a", true), report("b", false)]),
        });
        assert!(
            fx.iter()
                .any(|e| matches!(e, Effect::RecordAll(r) if r.len() == 2))
        );
        assert!(s.done.contains("a") && !s.done.contains("b"));
        assert!(s.all.is_some());
        assert_eq!(s.report.as_ref().map(|r| r.lesson.as_str()), Some("a"));
    }

    #[test]
    fn views_open_and_close() {
        let mut s = session();
        s.on(key('e'));
        assert_eq!(s.view, View::Note);
        s.on(key('q'));
        assert_eq!(
            s.view,
            View::Lesson,
            "q in the note goes back, it does not quit"
        );
        s.on(key('l'));
        assert_eq!(
            s.view,
            View::List {
                filter: Filter::All,
                selected: 0
            }
        );
        s.on(key('j'));
        s.on(key('j'));
        s.on(key('j'));
        assert_eq!(
            s.view,
            View::List {
                filter: Filter::All,
                selected: 2
            },
            "stops at the last row"
        );
        s.on(key('p'));
        assert_eq!(
            s.view,
            View::List {
                filter: Filter::Pending,
                selected: 0
            }
        );
        s.on(key('j'));
        let fx = s.on(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        )));
        assert_eq!(s.lesson().name, "b");
        assert_eq!(checks(&fx), [(1, "b".to_owned())]);
        assert_eq!(s.view, View::Lesson);
    }

    #[test]
    fn scrolling_is_bounded_by_what_the_view_can_show() {
        let mut s = session();
        s.max_scroll = 3;
        for _ in 0..5 {
            s.on(key('j'));
        }
        assert_eq!(s.scroll, 3);
        s.on(Event::Key(KeyEvent::new(
            KeyCode::PageUp,
            KeyModifiers::NONE,
        )));
        assert_eq!(s.scroll, 0);
    }

    #[test]
    fn every_event_but_quitting_redraws() {
        let mut s = session();
        for event in [Event::Resize, Event::WatchError("x".to_owned()), key('x')] {
            assert!(matches!(s.on(event).last(), Some(Effect::Redraw)));
        }
        assert!(s.message.is_none(), "a key clears the message");
    }
}

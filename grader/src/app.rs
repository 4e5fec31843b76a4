//! The course and the learner's progress together. `App` is the only writer
//! of progress, so every rule about what "current" and "done" mean is here.

use anyhow::Result;

use crate::check::{Outcome, Report};
use crate::clock::Clock;
use crate::course::{Course, Lesson};
use crate::state::{Checked, State, Store};

pub struct App {
    pub course: Course,
    store: Store,
    state: State,
    clock: Clock,
}

/// What progress records of a check: where it stopped (the first stage that
/// did not pass) and, against the shipped tests only, each stage that ran.
fn checked(report: &Report) -> Checked {
    let ran = if report.changed_tests.is_empty() {
        report
            .stages
            .iter()
            .filter(|s| !matches!(s.outcome, Outcome::NotRun))
            .map(|s| (s.stage.module().to_owned(), s.outcome.passed()))
            .collect()
    } else {
        Vec::new()
    };
    Checked {
        done: report.done(),
        stopped_at: report.current_stage().map(|s| s.stage.module().to_owned()),
        ran,
        stages: report.stages.len(),
    }
}

impl App {
    /// Finds the course from the current directory and reads progress.
    pub fn open() -> Result<Self> {
        let course = Course::discover()?;
        let store = Store::new(&course.root);
        let state = store.load()?;
        Ok(Self {
            course,
            store,
            state,
            clock: Clock::from_env()?,
        })
    }

    /// Now, by the grader's clock (`SDKATA_NOW` can fix it).
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The lesson named by the user, or the current one.
    pub fn lesson_or_current(&self, query: Option<&str>) -> Result<&Lesson> {
        match query {
            Some(q) => self.course.lesson(q),
            None => self.current().ok_or_else(|| {
                anyhow::anyhow!("every lesson is done; name one, e.g. `sdkata run structs`")
            }),
        }
    }

    /// The lesson the learner is on: the one they moved to last, else the
    /// first one not done. `None` when every lesson is done.
    pub fn current(&self) -> Option<&Lesson> {
        self.state
            .current
            .as_deref()
            .and_then(|name| self.course.lessons.iter().find(|l| l.name == name))
            .or_else(|| self.first_pending())
    }

    pub fn first_pending(&self) -> Option<&Lesson> {
        self.course
            .lessons
            .iter()
            .find(|l| !self.state.is_done(&l.name))
    }

    /// The next lesson not done after `after`, wrapping round to the start.
    pub fn next_pending(&self, after: &Lesson) -> Option<&Lesson> {
        let lessons = &self.course.lessons;
        (1..=lessons.len())
            .map(|k| &lessons[(after.index + k) % lessons.len()])
            .find(|l| !self.state.is_done(&l.name))
    }

    pub fn done_count(&self) -> usize {
        self.course
            .lessons
            .iter()
            .filter(|l| self.state.is_done(&l.name))
            .count()
    }

    /// Records a check; returns true when it made the lesson done just now.
    pub fn record(&mut self, report: &Report) -> Result<bool> {
        let was_done = self.state.is_done(&report.lesson);
        let passed = report.done();
        let (check, now) = (checked(report), self.now());
        let (state, ()) = self
            .store
            .update(|s| s.record_check(&report.lesson, &check, now))?;
        self.state = state;
        Ok(passed && !was_done)
    }

    /// Records several checks in one write.
    pub fn record_all(&mut self, reports: &[Report]) -> Result<()> {
        let now = self.now();
        let (state, ()) = self.store.update(|s| {
            for r in reports {
                s.record_check(&r.lesson, &checked(r), now);
            }
        })?;
        self.state = state;
        Ok(())
    }

    pub fn set_current(&mut self, lesson: &str) -> Result<()> {
        let (state, ()) = self.store.update(|s| s.current = Some(lesson.to_owned()))?;
        self.state = state;
        Ok(())
    }

    /// The stage the last check of `lesson` stopped at.
    pub fn stage_of(&self, lesson: &Lesson) -> Option<&str> {
        self.state.lessons.get(&lesson.name)?.stage.as_deref()
    }

    /// Reveals one more of the hints for where the learner stands in
    /// `lesson` (up to all of them) and returns how many are now revealed.
    pub fn reveal_hint(&mut self, lesson: &Lesson) -> Result<usize> {
        let stage = lesson.hint_stage(self.stage_of(lesson)).map(str::to_owned);
        let total = lesson.hints_at(stage.as_deref()).len();
        let (state, level) = self.store.update(|s| {
            let p = s.lessons.entry(lesson.name.clone()).or_default();
            let level = p.hint_level_mut(stage.as_deref());
            *level = (*level + 1).min(total);
            *level
        })?;
        self.state = state;
        Ok(level)
    }

    /// Forgets that a lesson was done (after `reset`) and starts a new
    /// attempt; the evidence of earlier ones is kept.
    pub fn mark_pending(&mut self, lesson: &str) -> Result<()> {
        let (state, ()) = self.store.update(|s| {
            if let Some(p) = s.lessons.get_mut(lesson) {
                p.done = false;
                p.done_at = None;
                p.attempt_base = p.checks;
            }
        })?;
        self.state = state;
        Ok(())
    }
}

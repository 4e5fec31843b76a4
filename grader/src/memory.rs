//! Memory: one spaced-repetition card per lesson, FSRS-4.5 with its default
//! weights (no optimiser), graded from the evidence in the progress file.
//!
//! Retrievability, the chance the learner could still do the lesson `t`
//! days after its last review with stability `S` days, is FSRS's power
//! curve R(t, S) = (1 + 19/81 · t/S)^-0.5. It is 0.9 exactly at t = S, so a
//! card is *due* (R < 0.9) from `S` days after its last review.
//!
//! The update, from the FSRS-4.5 paper's formulas with weights `W`:
//! - first review with grade G: S = W[G-1]; D = W4 − (G−3)·W5, in [1, 10];
//! - later, after t days at retrievability R:
//!   D' = W7·D0(Good) + (1 − W7)·(D − W6·(G−3)), in [1, 10];
//!   recalled (G ≥ Hard): S' = S·(1 + e^W8·(11 − D')·S^−W9·(e^(W10·(1−R)) − 1)·h·e),
//!   h = W15 for Hard, e = W16 for Easy (1 otherwise);
//!   forgotten (Again): S' = min(S, W11·D'^−W12·((S+1)^W13 − 1)·e^(W14·(1−R))).
//!
//! Grades from evidence (`grade`): a pass on the first check with no hint is
//! Easy; a pass after any hint, or after more than `HARD_CHECKS_PER_STAGE`
//! checks per stage, is Hard; any other pass is Good. Again is for a failed
//! exam, which this grader does not record yet.

use crate::state::{ExamResult, Pass, Progress, parse_rfc3339};

/// FSRS-4.5's default weights.
const W: [f64; 17] = [
    0.4872, 1.4003, 3.7145, 13.8206, 5.1618, 1.2298, 0.8975, 0.031, 1.6474, 0.1367, 1.0461, 2.1072,
    0.0793, 0.3246, 1.587, 0.2272, 2.8755,
];
/// The curve's constants: R(S, S) = (1 + FACTOR)^DECAY = 0.9.
const FACTOR: f64 = 19.0 / 81.0;
const DECAY: f64 = -0.5;
/// A card is due when its retrievability drops below this.
pub const DUE_BELOW: f64 = 0.9;
/// More checks than this per stage to pass a lesson makes the pass Hard.
pub const HARD_CHECKS_PER_STAGE: u32 = 2;
const DAY: f64 = 86_400.0;

/// How well a review went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Grade {
    fn g(self) -> f64 {
        f64::from(self as u8)
    }
}

/// R(t, S): the chance of recall `t` days after a review, at stability `s` days.
pub fn retrievability(t_days: f64, s_days: f64) -> f64 {
    (1.0 + FACTOR * t_days.max(0.0) / s_days).powf(DECAY)
}

/// The grade a pass earns (see the module comment).
pub fn grade(pass: &Pass) -> Grade {
    let stages = u32::try_from(pass.stages.max(1)).unwrap_or(u32::MAX);
    if pass.checks <= 1 && pass.hints == 0 {
        Grade::Easy
    } else if pass.hints > 0 || pass.checks > HARD_CHECKS_PER_STAGE.saturating_mul(stages) {
        Grade::Hard
    } else {
        Grade::Good
    }
}

/// A lesson's memory after its reviews.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Card {
    /// Days until retrievability falls to 0.9.
    pub stability: f64,
    /// 1 (easy) to 10 (hard).
    pub difficulty: f64,
    /// Unix seconds.
    pub last_review: u64,
}

fn initial_difficulty(grade: Grade) -> f64 {
    (W[4] - (grade.g() - 3.0) * W[5]).clamp(1.0, 10.0)
}

impl Card {
    /// The card after its first review.
    pub fn new(grade: Grade, at: u64) -> Self {
        Self {
            stability: W[grade as usize - 1],
            difficulty: initial_difficulty(grade),
            last_review: at,
        }
    }

    /// The card after another review at `at`.
    pub fn review(&self, grade: Grade, at: u64) -> Self {
        let r = self.retrievability(at);
        let d = self.difficulty - W[6] * (grade.g() - 3.0);
        let d = (W[7] * initial_difficulty(Grade::Good) + (1.0 - W[7]) * d).clamp(1.0, 10.0);
        let s = self.stability;
        let stability = if grade == Grade::Again {
            let forgot =
                W[11] * d.powf(-W[12]) * ((s + 1.0).powf(W[13]) - 1.0) * (W[14] * (1.0 - r)).exp();
            forgot.min(s)
        } else {
            let bonus = match grade {
                Grade::Hard => W[15],
                Grade::Easy => W[16],
                _ => 1.0,
            };
            s * (1.0
                + W[8].exp()
                    * (11.0 - d)
                    * s.powf(-W[9])
                    * ((W[10] * (1.0 - r)).exp() - 1.0)
                    * bonus)
        };
        Self {
            stability,
            difficulty: d,
            last_review: self.last_review.max(at),
        }
    }

    /// Days from the last review to `now`.
    fn elapsed_days(&self, now: u64) -> f64 {
        now.saturating_sub(self.last_review) as f64 / DAY
    }

    pub fn retrievability(&self, now: u64) -> f64 {
        retrievability(self.elapsed_days(now), self.stability)
    }

    /// When retrievability reaches 0.9: `stability` days after the last
    /// review (the curve is 0.9 exactly at t = S).
    pub fn due_at(&self) -> u64 {
        self.last_review + (self.stability * DAY).round() as u64
    }

    /// Due at `now`: retrievability is below 0.9. Decided on the time rather
    /// than on the float, so R = 0.9 exactly is never due by a rounding error.
    pub fn is_due(&self, now: u64) -> bool {
        now > self.due_at()
    }
}

/// The card of a lesson: its passes, each a review, in order. A lesson
/// done before evidence was recorded counts as one Good review when it
/// went done; a lesson never passed has no card.
///
/// Exams are reviews too, in time order with the passes: a failed exam is
/// `Again`, a passed one is graded like a pass with the exam's checks.
pub fn card(progress: &Progress) -> Option<Card> {
    let mut reviews: Vec<(u64, Grade)> = progress.passes.iter().map(|p| (p.at, grade(p))).collect();
    if reviews.is_empty() && progress.done {
        let at = progress.done_at.as_deref().and_then(parse_rfc3339)?;
        reviews.push((at, Grade::Good));
    }
    reviews.extend(progress.exams.iter().map(|e| (e.at, exam_grade(e))));
    // Stable: a pass and an exam at the same second keep that order.
    reviews.sort_by_key(|(at, _)| *at);
    let mut reviews = reviews.into_iter();
    let (at, first) = reviews.next()?;
    let mut card = Card::new(first, at);
    for (at, g) in reviews {
        card = card.review(g, at);
    }
    Some(card)
}

/// An exam result as a review: failed is `Again`; passed is graded like a
/// pass (no hints can be seen in an exam).
pub fn exam_grade(result: &ExamResult) -> Grade {
    if !result.passed {
        return Grade::Again;
    }
    grade(&Pass {
        at: result.at,
        checks: result.checks,
        hints: 0,
        stages: result.stages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: u64 = 86_400;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_curve_is_one_now_and_nine_tenths_at_t_equals_s() {
        assert!(close(retrievability(0.0, 3.0), 1.0));
        // (1 + 19/81)^-0.5 = (100/81)^-0.5 = 9/10.
        for s in [0.4872, 3.7145, 10.0, 365.0] {
            assert!(close(retrievability(s, s), 0.9), "S = {s}");
        }
        // t = 9S: (1 + 171/81)^-0.5 = (252/81)^-0.5 = 9/sqrt(252).
        assert!(close(retrievability(90.0, 10.0), 9.0 / 252f64.sqrt()));
        // t = 81S/19: (1 + 1)^-0.5.
        assert!(close(retrievability(81.0 / 19.0 * 2.0, 2.0), 0.5f64.sqrt()));
    }

    #[test]
    fn a_first_review_uses_the_default_initial_stabilities() {
        let days = |g| Card::new(g, 0).stability;
        assert_eq!(
            [
                days(Grade::Again),
                days(Grade::Hard),
                days(Grade::Good),
                days(Grade::Easy)
            ],
            [0.4872, 1.4003, 3.7145, 13.8206]
        );
        let good = Card::new(Grade::Good, 10 * D);
        assert!(close(good.difficulty, 5.1618));
        assert!(close(Card::new(Grade::Easy, 0).difficulty, 5.1618 - 1.2298));
        // Due 3.7145 days after the review: not at that second, just after.
        assert_eq!(good.due_at(), 10 * D + 320_933);
        assert!(!good.is_due(good.due_at()) && good.is_due(good.due_at() + 1));
        assert!((good.retrievability(good.due_at()) - 0.9).abs() < 1e-6);
    }

    #[test]
    fn a_recall_on_the_due_day_grows_stability_by_the_formula() {
        // Good review of a Good card exactly S days later (R = 0.9):
        // D' = 0.031·5.1618 + 0.969·5.1618 = 5.1618;
        // S' = S·(1 + e^1.6474·(11 − 5.1618)·S^−0.1367·(e^(1.0461·0.1) − 1)).
        let c = Card::new(Grade::Good, 0);
        let later = c.review(Grade::Good, c.due_at());
        let s = 3.7145f64;
        let want =
            s * (1.0 + 1.6474f64.exp() * 5.8382 * s.powf(-0.1367) * (0.10461f64.exp() - 1.0));
        assert!(
            (later.stability - want).abs() < 1e-3,
            "{} vs {want}",
            later.stability
        );
        assert!(
            (later.stability - 14.095).abs() < 0.001,
            "{}",
            later.stability
        );
        assert!(close(later.difficulty, 5.1618));
        // Hard grows it less, Easy more, Again shrinks it.
        let hard = c.review(Grade::Hard, c.due_at()).stability;
        let easy = c.review(Grade::Easy, c.due_at()).stability;
        let again = c.review(Grade::Again, c.due_at()).stability;
        assert!(again < s && s < hard && hard < later.stability && later.stability < easy);
    }

    #[test]
    fn evidence_grades_passes() {
        let pass = |checks, hints, stages| Pass {
            at: 0,
            checks,
            hints,
            stages,
        };
        assert_eq!(grade(&pass(1, 0, 3)), Grade::Easy);
        assert_eq!(grade(&pass(1, 1, 3)), Grade::Hard, "a hint makes it hard");
        assert_eq!(grade(&pass(6, 0, 3)), Grade::Good, "two checks a stage");
        assert_eq!(grade(&pass(7, 0, 3)), Grade::Hard, "more is hard");
        assert_eq!(grade(&pass(3, 0, 1)), Grade::Hard);
    }

    #[test]
    fn a_card_folds_the_passes_and_old_files_count_as_good() {
        let mut p = Progress::default();
        assert_eq!(card(&p), None);
        p.done = true;
        p.done_at = Some("1970-01-02T00:00:00Z".into());
        assert_eq!(card(&p), Some(Card::new(Grade::Good, D)));
        p.passes = vec![
            Pass {
                at: 0,
                checks: 1,
                hints: 0,
                stages: 2,
            },
            Pass {
                at: 20 * D,
                checks: 2,
                hints: 0,
                stages: 2,
            },
        ];
        let c = card(&p).unwrap();
        assert_eq!(c, Card::new(Grade::Easy, 0).review(Grade::Good, 20 * D));
        assert_eq!(c.last_review, 20 * D);
    }
}

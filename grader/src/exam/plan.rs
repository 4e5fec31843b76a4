//! Which lessons an exam examines: the ones memory says are slipping.

use crate::course::{Course, Lesson};
use crate::memory;
use crate::state::State;

/// Up to `n` lessons of `topic` (every topic when `None`), most in need of
/// review first: due lessons by retrievability (lowest first), then the
/// other passed lessons the same way, then lessons started but never passed
/// (most failures first), then lessons never started, in course order.
pub fn choose<'a>(
    course: &'a Course,
    state: &State,
    topic: Option<&str>,
    n: usize,
    now: u64,
) -> Vec<&'a Lesson> {
    let mut ranked: Vec<((u8, u64, usize), &Lesson)> = course
        .lessons
        .iter()
        .filter(|l| topic.is_none_or(|t| l.topics.iter().any(|lt| lt == t)))
        .map(|l| {
            let p = state.lessons.get(&l.name).cloned().unwrap_or_default();
            // Retrievability as an integer key: lower sorts first.
            let rank = match memory::card(&p) {
                Some(card) => {
                    let r = (card.retrievability(now) * 1e6) as u64;
                    (u8::from(!card.is_due(now)), r, l.index)
                }
                None if p.checks > 0 => {
                    let failed: u32 = p.stages.values().map(|s| s.failed).sum();
                    (2, u64::from(u32::MAX - failed), l.index)
                }
                None => (3, 0, l.index),
            };
            (rank, l)
        })
        .collect();
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().take(n).map(|(_, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Checked;

    const DAY: u64 = 86_400;

    #[test]
    fn due_first_then_weak_then_started_then_new() {
        let course = crate::report::tests::course();
        let names: Vec<&str> = course.lessons.iter().map(|l| l.name.as_str()).collect();
        assert!(names.len() >= 3, "{names:?}");
        let (a, b, c) = (names[0], names[1], names[2]);
        let mut st = State::default();
        let pick = |st: &State, now| -> Vec<String> {
            choose(&course, st, None, 3, now)
                .iter()
                .map(|l| l.name.clone())
                .collect()
        };
        assert_eq!(pick(&st, 0), [a, b, c], "nothing known: course order");
        st.record_check(c, &Checked::stages(&[], Some("x"), 1), 0);
        assert_eq!(pick(&st, 0)[0], c, "a started lesson before new ones");
        st.record_check(b, &Checked::stages(&["get"], None, 1), 0);
        assert_eq!(pick(&st, DAY)[0], b, "a passed lesson before a started one");
        // Long after: b is due and comes first.
        assert_eq!(pick(&st, 400 * DAY)[0], b);
        let only = choose(&course, &st, Some("no-such-topic"), 3, 0);
        assert!(only.is_empty(), "a topic filters the lessons");
    }
}

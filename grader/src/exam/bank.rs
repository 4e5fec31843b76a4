//! Trade-off questions: a lesson's `questions.toml`.
//!
//! ```toml
//! [[question]]
//! scenario = "100 concurrent misses for one hot key right after a deploy. What keeps the database from seeing 100 queries?"
//! choices = ["A longer TTL", "Single-flight", "Write-through", "A bigger cache"]
//! answer = 2          # 1-based
//! why = "Single-flight collapses concurrent misses into one load; ..."
//! ```
//!
//! `dev check` validates every bank; the exam draws questions from the banks
//! of the lessons it examines, in a seeded order with the choices shuffled,
//! so remembering "the answer was b" does not help.

use std::path::Path;

use anyhow::{Context, Result};
use kit::rng::Rng;
use serde::Deserialize;

use crate::course::Lesson;

/// The bank's file name in a lesson's exercise directory.
pub const FILE: &str = "questions.toml";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bank {
    question: Vec<Question>,
}

/// One multiple-choice question.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub scenario: String,
    pub choices: Vec<String>,
    /// The right choice, counted from 1.
    pub answer: usize,
    pub why: String,
}

/// A lesson's questions; none if it has no bank.
pub fn load(lesson: &Lesson) -> Result<Vec<Question>> {
    let path = lesson.exercise_dir.join(FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    parse(&path)
}

fn parse(path: &Path) -> Result<Vec<Question>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bank: Bank = toml::from_str(&text)
        .with_context(|| format!("{} is not a question bank", path.display()))?;
    Ok(bank.question)
}

/// What is wrong with a lesson's bank, one problem per line; empty when it
/// has none or it is sound. `dev check` reports these.
pub fn problems(lesson: &Lesson) -> Vec<String> {
    let path = lesson.exercise_dir.join(FILE);
    if !path.is_file() {
        return Vec::new();
    }
    let questions = match parse(&path) {
        Ok(q) => q,
        Err(e) => return vec![format!("{e:#}")],
    };
    let mut out = Vec::new();
    if !(3..=5).contains(&questions.len()) {
        out.push(format!(
            "{FILE} has {} questions; a bank has 3 to 5",
            questions.len()
        ));
    }
    for (i, q) in questions.iter().enumerate() {
        let at = format!("{FILE} question {}", i + 1);
        let len = q.scenario.chars().count();
        if !(40..=400).contains(&len) || !q.scenario.trim_end().ends_with('?') {
            out.push(format!(
                "{at}: the scenario is 40-400 characters and ends with a question mark"
            ));
        }
        if !(3..=4).contains(&q.choices.len()) {
            out.push(format!("{at}: has {} choices; use 3 or 4", q.choices.len()));
        }
        let mut seen = q.choices.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != q.choices.len() {
            out.push(format!("{at}: two choices are the same"));
        }
        if q.choices
            .iter()
            .any(|c| c.trim().is_empty() || c.chars().count() >= 160)
        {
            out.push(format!("{at}: every choice has text, under 160 characters"));
        }
        if q.answer == 0 || q.answer > q.choices.len() {
            out.push(format!(
                "{at}: answer = {} is not one of its {} choices (counted from 1)",
                q.answer,
                q.choices.len()
            ));
        }
        if !(20..=300).contains(&q.why.chars().count()) {
            out.push(format!("{at}: the why is 20-300 characters"));
        }
    }
    out
}

/// A question as asked: its choices in a shuffled order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub lesson: String,
    pub scenario: String,
    pub choices: Vec<String>,
    /// Index into `choices` of the right one.
    pub answer: usize,
    pub why: String,
}

/// Up to `n` questions from `banks` (lesson name, its questions), in an
/// order drawn from `seed`, taking from each lesson in turn so one lesson
/// does not fill the round.
pub fn draw(banks: &[(String, Vec<Question>)], n: usize, seed: u64) -> Vec<Asked> {
    let mut rng = Rng::new(seed).stream("tradeoffs");
    let mut pools: Vec<(String, Vec<Question>)> = banks
        .iter()
        .filter(|(_, q)| !q.is_empty())
        .map(|(name, q)| {
            let mut q = q.clone();
            rng.shuffle(&mut q);
            (name.clone(), q)
        })
        .collect();
    let mut out = Vec::new();
    while out.len() < n && pools.iter().any(|(_, q)| !q.is_empty()) {
        for (name, pool) in &mut pools {
            if out.len() == n {
                break;
            }
            let Some(q) = pool.pop() else { continue };
            let mut order: Vec<usize> = (0..q.choices.len()).collect();
            rng.shuffle(&mut order);
            out.push(Asked {
                lesson: name.clone(),
                scenario: q.scenario,
                answer: order
                    .iter()
                    .position(|&i| i + 1 == q.answer)
                    .expect("a validated answer is one of the choices"),
                choices: order.iter().map(|&i| q.choices[i].clone()).collect(),
                why: q.why,
            });
        }
    }
    out
}

/// The choice a reply names: a letter (`b`, `B`, `b)`) or a number from 1.
pub fn choice(reply: &str, choices: usize) -> Option<usize> {
    let reply = reply.trim().trim_end_matches([')', '.']);
    let index = match reply.chars().next()? {
        c @ 'a'..='z' if reply.len() == 1 => c as usize - 'a' as usize,
        c @ 'A'..='Z' if reply.len() == 1 => c as usize - 'A' as usize,
        _ => reply.parse::<usize>().ok()?.checked_sub(1)?,
    };
    (index < choices).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(tag: &str, answer: usize) -> Question {
        Question {
            scenario: format!("{tag}?"),
            choices: vec![
                format!("{tag} one"),
                format!("{tag} two"),
                format!("{tag} three"),
            ],
            answer,
            why: "because".into(),
        }
    }

    #[test]
    fn draws_follow_the_seed_take_turns_and_keep_the_right_answer() {
        let banks = vec![
            ("cache".to_owned(), vec![q("c1", 1), q("c2", 2), q("c3", 3)]),
            ("raft".to_owned(), vec![q("r1", 3)]),
        ];
        let a = draw(&banks, 3, 9);
        assert_eq!(a, draw(&banks, 3, 9));
        let lessons: Vec<&str> = a.iter().map(|q| q.lesson.as_str()).collect();
        assert_eq!(lessons, ["cache", "raft", "cache"], "lessons take turns");
        for asked in &a {
            let tag = asked.scenario.trim_end_matches('?');
            let right = match tag {
                "c1" => "one",
                "c2" => "two",
                "c3" | "r1" => "three",
                _ => unreachable!(),
            };
            assert_eq!(asked.choices[asked.answer], format!("{tag} {right}"));
        }
        assert_eq!(draw(&banks, 10, 9).len(), 4, "no more than the banks hold");
        let orders: std::collections::BTreeSet<Vec<String>> = (0..20)
            .map(|s| draw(&banks, 1, s)[0].choices.clone())
            .collect();
        assert!(orders.len() > 1, "choices are shuffled");
    }

    #[test]
    fn replies_name_a_choice() {
        assert_eq!(choice("b", 4), Some(1));
        assert_eq!(choice(" C) ", 4), Some(2));
        assert_eq!(choice("1", 4), Some(0));
        assert_eq!(choice("e", 4), None);
        assert_eq!(choice("0", 4), None);
        assert_eq!(choice("maybe", 4), None);
        assert_eq!(choice("", 4), None);
    }
}

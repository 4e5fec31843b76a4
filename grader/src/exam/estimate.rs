//! The estimation round: back-of-envelope questions with random numbers.
//!
//! The answers come from the `scaling` lesson's reference estimator, the
//! same functions the lesson teaches, so the round and the lesson can never
//! disagree. Parameters are drawn from a seeded generator within realistic
//! ranges, so every exam asks different numbers; an answer within ±25 % of
//! the exact value is right, as an interviewer would accept it.

use kit::rng::Rng;
use scaling::{ByteUnit, Redundancy};

/// How far an answer may be from the exact value and still count.
pub const TOLERANCE: f64 = 0.25;

/// One question and its exact answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub text: String,
    /// What the answer is measured in, shown after the prompt.
    pub unit: &'static str,
    pub answer: f64,
    /// The arithmetic, shown after the learner answered.
    pub working: String,
}

/// `n` questions from `seed`, one of each kind in turn.
pub fn questions(seed: u64, n: usize) -> Vec<Question> {
    let mut rng = Rng::new(seed).stream("estimation");
    (0..n).map(|i| question(&mut rng, i % KINDS)).collect()
}

const KINDS: usize = 5;

fn pick(rng: &mut Rng, choices: &[u64]) -> u64 {
    choices[rng.below(choices.len() as u64) as usize]
}

fn question(rng: &mut Rng, kind: usize) -> Question {
    let millions = pick(rng, &[5, 10, 20, 50, 100, 200, 500]);
    let users = millions * 1_000_000;
    match kind {
        0 => {
            let per_user = pick(rng, &[5, 10, 20, 50, 100]);
            let qps = scaling::average_qps(users, per_user).expect("the ranges cannot overflow");
            Question {
                text: format!(
                    "{millions} M daily active users make {per_user} requests each a day. \
                     Average requests per second?"
                ),
                unit: "requests/s",
                answer: qps as f64,
                working: format!("{millions} M × {per_user} / 86,400 s ≈ {qps} requests/s"),
            }
        }
        1 => {
            let per_user = pick(rng, &[10, 20, 50]);
            let peak = pick(rng, &[200, 300, 500]) as u32;
            let qps = scaling::peak_qps(users, per_user, peak).expect("the ranges cannot overflow");
            Question {
                text: format!(
                    "{millions} M daily active users, {per_user} requests each a day, and the \
                     busiest second carries {}× the average. Peak requests per second?",
                    peak / 100
                ),
                unit: "requests/s",
                answer: qps as f64,
                working: format!(
                    "{millions} M × {per_user} / 86,400 × {} ≈ {qps} requests/s",
                    peak / 100
                ),
            }
        }
        2 => {
            let writes_millions = pick(rng, &[1, 10, 50, 100]);
            let kb = pick(rng, &[1, 2, 10, 100]);
            let years = pick(rng, &[1, 3, 5, 10]) as u32;
            let bytes = scaling::storage_bytes(writes_millions * 1_000_000, kb * 1_000, years, 3)
                .expect("the ranges cannot overflow");
            let tb = bytes as f64 / ByteUnit::Terabyte.bytes() as f64;
            Question {
                text: format!(
                    "{writes_millions} M new items a day of {kb} kB each, kept {years} years, \
                     3 copies of everything. Storage in TB?"
                ),
                unit: "TB",
                answer: tb,
                working: format!("{writes_millions} M × {kb} kB × 365 × {years} × 3 = {tb:.1} TB"),
            }
        }
        3 => {
            let qps = pick(rng, &[1_000, 5_000, 20_000, 100_000]);
            let kb = pick(rng, &[10, 50, 100, 500]);
            let bits = scaling::bandwidth_bits_per_second(qps, kb * 1_000)
                .expect("the ranges cannot overflow");
            let gbps = bits as f64 / 1e9;
            Question {
                text: format!(
                    "{qps} responses per second of {kb} kB each. Outgoing bandwidth in Gbit/s?"
                ),
                unit: "Gbit/s",
                answer: gbps,
                working: format!("{qps} × {kb} kB × 8 bits = {gbps:.2} Gbit/s"),
            }
        }
        _ => {
            let peak = pick(rng, &[10_000, 50_000, 120_000, 400_000]);
            let per_server = pick(rng, &[1_000, 2_000, 5_000]);
            let utilisation = pick(rng, &[50, 60, 70]) as u32;
            let n = scaling::servers_needed(peak, per_server, utilisation, Redundancy::NPlus1)
                .expect("the ranges are valid");
            Question {
                text: format!(
                    "A peak of {peak} requests/s, {per_server} requests/s per server at full \
                     load, servers kept at {utilisation} % utilisation, N + 1 redundancy. \
                     Servers needed?"
                ),
                unit: "servers",
                answer: n as f64,
                working: format!("⌈{peak} / ({per_server} × {utilisation} %)⌉ + 1 = {n} servers"),
            }
        }
    }
}

/// A number as people type it: `12000`, `12,000`, `12k`, `3.5M`, `2e6`,
/// `1.2 B`. Units after the number are ignored.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim().replace([',', '_'], "");
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))
        .unwrap_or(text.len());
    let (number, rest) = text.split_at(end);
    let value: f64 = number.parse().ok()?;
    // A multiplier is a word of its own right after the number ("12k",
    // "3.5 M requests"); anything longer is a unit ("40 TB", "2 Gbit/s").
    let scale = match rest.split_whitespace().next().unwrap_or("") {
        "k" | "K" => 1e3,
        "m" | "M" => 1e6,
        "b" | "B" | "bn" => 1e9,
        _ => 1.0,
    };
    Some(value * scale).filter(|v| v.is_finite())
}

/// Whether `given` is within [`TOLERANCE`] of `exact`.
pub fn accepted(given: f64, exact: f64) -> bool {
    (given - exact).abs() <= TOLERANCE * exact.abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_follow_the_seed_and_vary_with_it() {
        let a = questions(7, 5);
        assert_eq!(a, questions(7, 5), "the same seed asks the same questions");
        assert_ne!(a, questions(8, 5), "another seed asks other numbers");
        let units: Vec<&str> = a.iter().map(|q| q.unit).collect();
        assert_eq!(
            units,
            ["requests/s", "requests/s", "TB", "Gbit/s", "servers"]
        );
        assert!(a.iter().all(|q| q.answer > 0.0));
    }

    #[test]
    fn answers_are_the_estimators() {
        // 100 M × 10 / 86,400 = 11,574.07..., rounded up.
        assert_eq!(scaling::average_qps(100_000_000, 10).unwrap(), 11_575);
        for q in questions(3, 10) {
            assert!(accepted(q.answer, q.answer));
            assert!(accepted(q.answer * 1.24, q.answer));
            assert!(accepted(q.answer * 0.76, q.answer));
            assert!(!accepted(q.answer * 1.3, q.answer), "{}", q.text);
            assert!(!accepted(q.answer * 0.7, q.answer), "{}", q.text);
        }
    }

    #[test]
    fn numbers_parse_as_people_type_them() {
        assert_eq!(parse("12000"), Some(12_000.0));
        assert_eq!(parse("12,000 requests/s"), Some(12_000.0));
        assert_eq!(parse("12k"), Some(12_000.0));
        assert_eq!(parse("3.5M"), Some(3_500_000.0));
        assert_eq!(parse("2e6"), Some(2_000_000.0));
        assert_eq!(parse("1.2 B"), Some(1_200_000_000.0));
        assert_eq!(parse("40 TB"), Some(40.0), "a unit is not a multiplier");
        assert_eq!(parse("1.5 Gbit/s"), Some(1.5));
        assert_eq!(parse("12k requests/s"), Some(12_000.0));
        assert_eq!(parse("lots"), None);
        assert_eq!(parse(""), None);
    }
}

//! `sdkata exam`: a timed drill that never touches the learner's work.
//!
//! 1. **Coding.** Fresh copies of the stubs of the lessons most in need of
//!    review ([`plan`]) go into a scratch course ([`scratch`]); `sdkata
//!    watch` runs there with a countdown and a hard stop, hints and notes
//!    closed, and every simulated scenario on one fresh seed, so an answer
//!    memorised from earlier runs does not carry over. At the end each
//!    lesson is checked once more, on that seed.
//! 2. **Estimation.** Five back-of-envelope questions with random numbers
//!    ([`estimate`]); within ±25 % is right.
//! 3. **Trade-offs.** Multiple-choice scenarios from the examined lessons'
//!    question banks ([`bank`]), each answer followed by its why.
//!
//! The rounds' scores go into the progress file, and each examined lesson's
//! result is a review of its memory card. The scratch course is removed at
//! the end; an exam interrupted half-way leaves a record that the next
//! `sdkata exam` cleans up.

pub mod bank;
pub mod estimate;
pub mod plan;
pub mod scratch;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::Verdict;
use crate::app::App;
use crate::course::{Course, TOPICS};
use crate::state::{Exam, ExamResult, Score, State, Store, rfc3339, write_atomically};
use crate::style::{bold, dim, green, red};

/// What the scratch course says instead of hints and notes.
pub const NO_HINTS: &str = "No hints, notes or solutions during an exam.";

/// The record of the exam in progress, in the course's state directory.
const ACTIVE: &str = "exam.toml";

/// Estimation questions per exam.
const ESTIMATES: usize = 5;
/// Trade-off questions per exam, at most.
const TRADEOFFS: usize = 5;
/// How long after the hard stop a watch that has not quit is stopped.
const GRACE: Duration = Duration::from_secs(5);

const NO_TERMINAL: &str = "\
an exam needs an interactive terminal: it runs watch, then asks its questions.";

/// The options of `sdkata exam`.
#[derive(Debug, Clone)]
pub struct Options {
    pub topic: Option<String>,
    pub minutes: f64,
    pub lessons: usize,
    pub seed: Option<u64>,
}

/// The exam in progress, as `.sdkata/exam.toml` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Active {
    dir: PathBuf,
    started: u64,
    deadline_ms: u64,
    seed: u64,
    lessons: Vec<String>,
}

/// The wall clock in unix milliseconds: an exam's time box is real time.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Refuses help while an exam runs: in its scratch course always, and in
/// the course itself while an exam process holds the exam lock.
pub fn refuse_help(course: &Course, what: &str) -> Result<()> {
    if scratch::marker(&course.root)?.is_some() {
        bail!("{what} are closed during an exam. {NO_HINTS}");
    }
    let store = Store::new(&course.root);
    if store.dir().join(ACTIVE).is_file() {
        let lock = store.lock_file("exam.lock")?;
        if lock.try_lock().is_err() {
            bail!("{what} are closed while an exam runs (`sdkata exam` in another terminal).");
        }
    }
    Ok(())
}

pub fn run(opts: &Options) -> Result<Verdict> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(NO_TERMINAL);
    }
    if !(opts.minutes > 0.0 && opts.minutes <= 600.0) {
        bail!(
            "--minutes {} is not a time box: use more than 0 and at most 600",
            opts.minutes
        );
    }
    if opts.lessons == 0 {
        bail!("--lessons 0 examines nothing: use 1 or more");
    }
    let mut app = App::open()?;
    if scratch::marker(&app.course.root)?.is_some() {
        bail!("this is an exam's workspace; start an exam from the course itself");
    }
    if let Some(topic) = &opts.topic
        && !app.course.lessons.iter().any(|l| l.topics.contains(topic))
    {
        let known: Vec<&str> = TOPICS.iter().map(|(id, _)| *id).collect();
        bail!(
            "no lesson has the topic {topic:?}; topics: {}",
            known.join(", ")
        );
    }
    let lock = app.store().lock_file("exam.lock")?;
    if lock.try_lock().is_err() {
        bail!("another `sdkata exam` is running for this course; finish that one first");
    }
    clean_up_interrupted(app.store())?;

    let now = app.now();
    let chosen = plan::choose(
        &app.course,
        app.state(),
        opts.topic.as_deref(),
        opts.lessons,
        now,
    );
    if chosen.is_empty() {
        bail!("no lesson to examine");
    }
    // The scratch course lists them in course order, as info.toml must.
    let mut chosen = chosen;
    chosen.sort_by_key(|l| l.index);
    let names: Vec<String> = chosen.iter().map(|l| l.name.clone()).collect();
    let seed = opts
        .seed
        .unwrap_or_else(|| now_ms() ^ u64::from(std::process::id()) << 20);
    let limit_ms = (opts.minutes * 60_000.0).round() as u64;
    let deadline_ms = now_ms() + limit_ms;
    let dir = app
        .store()
        .dir()
        .join("exams")
        .join(rfc3339(now).replace(':', ""));
    let active = Active {
        dir: dir.clone(),
        started: now,
        deadline_ms,
        seed,
        lessons: names.clone(),
    };
    write_atomically(
        &app.store().dir().join(ACTIVE),
        toml::to_string(&active)?.as_bytes(),
    )?;
    scratch::create(&app.course, &chosen, &dir, scratch::Marker { deadline_ms })?;

    println!(
        "{} {} lesson{} ({}), {} minutes. Hints, notes and solutions are closed until it ends.",
        bold("Exam:"),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        opts.minutes
    );
    println!(
        "{}",
        dim(format!(
            "Your code goes in {}",
            dir.join("exercises").display()
        ))
    );
    println!("{}", dim("Press enter to start the clock."));
    let mut input = std::io::stdin().lock();
    read_line(&mut input)?;

    // The clock starts when the learner is ready.
    let deadline_ms = now_ms() + limit_ms;
    scratch::write_marker(&dir, scratch::Marker { deadline_ms })?;
    let timed_out = coding_round(&dir, seed, deadline_ms)?;
    if timed_out {
        println!(
            "\n{}",
            red(bold("Time is up: the code is graded as it is now."))
        );
    }
    let results = grade(&dir, &names, seed)?;
    let coding = Score {
        right: results.iter().filter(|(_, r)| r.passed).count() as u32,
        asked: results.len() as u32,
    };
    let estimation = estimation_round(&mut input, seed)?;
    let banks = chosen
        .iter()
        .map(|l| Ok((l.name.clone(), bank::load(l)?)))
        .collect::<Result<Vec<_>>>()?;
    let tradeoffs = tradeoff_round(&mut input, &banks, seed)?;

    let ended = app.now();
    let exam = Exam {
        started: now,
        ended,
        limit_secs: limit_ms.div_ceil(1000),
        seed,
        topic: opts.topic.clone(),
        timed_out,
        lessons: names.clone(),
        coding,
        estimation,
        tradeoffs,
    };
    record(&mut app, &exam, &results)?;
    scratch::remove(&dir)?;
    std::fs::remove_file(app.store().dir().join(ACTIVE))
        .context("cannot remove the finished exam's record")?;

    println!();
    println!("{}", bold("Exam over."));
    for (name, r) in &results {
        let mark = if r.passed { green("✓") } else { red("✗") };
        println!("  {mark} {name}: {}/{} stages", r.stages_passed, r.stages);
    }
    println!(
        "  coding {}/{} · estimation {}/{} · trade-offs {}/{}",
        coding.right,
        coding.asked,
        estimation.right,
        estimation.asked,
        tradeoffs.right,
        tradeoffs.asked
    );
    println!(
        "{}",
        dim(format!(
            "seed {seed}: `sdkata exam --seed {seed}` asks the same again. `sdkata report` shows the history."
        ))
    );
    Ok(if coding.right == coding.asked {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

/// An exam that did not finish (a crash, a closed terminal) left its record
/// and maybe its workspace: both go, and it is not counted.
fn clean_up_interrupted(store: &Store) -> Result<()> {
    let path = store.dir().join(ACTIVE);
    if !path.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let active: Active = toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} records an unfinished exam but is damaged: {e}\n\
             Nothing was changed. Remove it (and the workspace under .sdkata/exams/, if any) \
             to start a new exam; your lessons and progress are not in it.",
            path.display()
        )
    })?;
    if active.dir.exists() {
        scratch::remove(&active.dir)?;
    }
    std::fs::remove_file(&path)?;
    println!(
        "{}",
        dim(format!(
            "An exam started {} did not finish; its workspace is removed and it does not count.",
            rfc3339(active.started)
        ))
    );
    Ok(())
}

/// Runs watch in the scratch course until the learner hands in or the time
/// is up; true when it was the time.
fn coding_round(dir: &Path, seed: u64, deadline_ms: u64) -> Result<bool> {
    let exe = std::env::current_exe().context("cannot find the sdkata binary")?;
    let mut watch = Command::new(&exe)
        .arg("watch")
        .current_dir(dir)
        .env("SDKATA_SEED", seed.to_string())
        .spawn()
        .context("cannot start watch for the exam")?;
    loop {
        if let Some(status) = watch.try_wait()? {
            if !status.success() {
                println!("{}", red(format!("watch ended with {status}")));
            }
            break;
        }
        if now_ms() > deadline_ms + GRACE.as_millis() as u64 {
            // Watch stops itself at the deadline; this is the backstop.
            let _ = watch.kill();
            let _ = watch.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(now_ms() >= deadline_ms)
}

/// Checks each examined lesson once more on the exam's seed.
fn grade(dir: &Path, names: &[String], seed: u64) -> Result<Vec<(String, ExamResult)>> {
    let exe = std::env::current_exe().context("cannot find the sdkata binary")?;
    let course = Course::load(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = Vec::new();
    for name in names {
        println!("\n{}", bold(format!("Grading {name} (seed {seed})…")));
        let status = Command::new(&exe)
            .args(["run", name])
            .current_dir(dir)
            .env("SDKATA_SEED", seed.to_string())
            .status()
            .context("cannot run the grading check")?;
        let state = Store::new(dir).load()?;
        let progress = state.lessons.get(name).cloned().unwrap_or_default();
        let lesson = course.lesson(name)?;
        let stages = crate::check::stages(lesson)?.len();
        let passed = status.success();
        let stages_passed = if passed {
            stages
        } else {
            progress
                .stages
                .values()
                .filter(|s| s.green_at.is_some())
                .count()
                .min(stages)
        };
        out.push((
            name.clone(),
            ExamResult {
                at: 0,
                passed,
                checks: progress
                    .passes
                    .first()
                    .map_or(progress.checks, |p| p.checks),
                stages_passed,
                stages,
            },
        ));
    }
    Ok(out)
}

fn read_line(input: &mut impl BufRead) -> Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("cannot read the answer")?;
    Ok(line.trim().to_owned())
}

fn prompt(text: &str) -> Result<()> {
    print!("{text}");
    std::io::stdout()
        .flush()
        .context("cannot write the question")
}

fn estimation_round(input: &mut impl BufRead, seed: u64) -> Result<Score> {
    println!(
        "\n{} {ESTIMATES} back-of-envelope questions; within ±25 % counts. \
         Numbers like 12000, 12k, 3.5M or 2e6.",
        bold("Estimation:")
    );
    let mut score = Score::default();
    for (i, q) in estimate::questions(seed, ESTIMATES).iter().enumerate() {
        println!("\n{}. {}", i + 1, q.text);
        let given = loop {
            prompt(&format!("   answer ({}): ", q.unit))?;
            let line = read_line(input)?;
            match estimate::parse(&line) {
                Some(v) => break Some(v),
                None if line.is_empty() => break None,
                None => println!("   {}", dim("a number, please (empty skips)")),
            }
        };
        score.asked += 1;
        let right = given.is_some_and(|g| estimate::accepted(g, q.answer));
        if right {
            score.right += 1;
        }
        let mark = if right { green("right") } else { red("off") };
        println!("   {mark}: {}", q.working);
    }
    Ok(score)
}

fn tradeoff_round(
    input: &mut impl BufRead,
    banks: &[(String, Vec<bank::Question>)],
    seed: u64,
) -> Result<Score> {
    let questions = bank::draw(banks, TRADEOFFS, seed);
    let mut score = Score::default();
    if questions.is_empty() {
        println!(
            "\n{}",
            dim("Trade-offs: these lessons have no question bank yet.")
        );
        return Ok(score);
    }
    println!("\n{} pick the best answer (a letter).", bold("Trade-offs:"));
    for (i, q) in questions.iter().enumerate() {
        println!(
            "\n{}. {} {}",
            i + 1,
            q.scenario,
            dim(format!("({})", q.lesson))
        );
        for (k, choice) in q.choices.iter().enumerate() {
            println!("   {}) {choice}", (b'a' + k as u8) as char);
        }
        let pick = loop {
            prompt("   your choice: ")?;
            let line = read_line(input)?;
            match bank::choice(&line, q.choices.len()) {
                Some(k) => break Some(k),
                None if line.is_empty() => break None,
                None => println!("   {}", dim("a letter, please (empty skips)")),
            }
        };
        score.asked += 1;
        let right = pick == Some(q.answer);
        if right {
            score.right += 1;
        }
        let answer = (b'a' + q.answer as u8) as char;
        let mark = if right {
            green("right")
        } else {
            red(format!("the answer is {answer}"))
        };
        println!("   {mark}: {}", q.why);
    }
    Ok(score)
}

/// Adds the exam to the progress file and each lesson's result to its card.
fn record(app: &mut App, exam: &Exam, results: &[(String, ExamResult)]) -> Result<()> {
    let ended = exam.ended;
    app.store().update(|state: &mut State| {
        for (name, result) in results {
            let mut result = *result;
            result.at = ended;
            state
                .lessons
                .entry(name.clone())
                .or_default()
                .exams
                .push(result);
        }
        state.exams.push(exam.clone());
    })?;
    Ok(())
}

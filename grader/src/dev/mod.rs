//! `sdkata dev`: the maintainers' checks of the course itself.

mod form;

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use toml::Table;

use crate::Verdict;
use crate::check::{self, Options, Outcome, Side, Until};
use crate::course::{self, Course, Lesson, TOPICS};
use crate::render;
use crate::shipped::Shipped;
use crate::style::{bold, green, red};

/// Checks everything a course must be, reporting every problem found;
/// `static_only` skips building and running the lessons.
pub fn check(static_only: bool) -> Result<Verdict> {
    let course = Course::discover()?;
    let mut problems: Vec<String> = Vec::new();

    problems.extend(layout_problems(&course));
    for lesson in &course.lessons {
        problems.extend(lesson_problems(lesson));
        problems.extend(topic_problems(lesson));
    }
    match (Shipped::load(&course), Shipped::of_course(&course)) {
        (Ok(saved), Ok(now)) if saved == now => {}
        (Ok(saved), Ok(now)) => {
            let stale: Vec<&str> = now
                .lessons
                .keys()
                .chain(saved.lessons.keys())
                .filter(|n| saved.lessons.get(*n) != now.lessons.get(*n))
                .map(String::as_str)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            problems.push(format!(
                "shipped.toml is out of date for: {} (run `sdkata dev fingerprint`)",
                stale.join(", ")
            ));
        }
        (Err(e), _) | (_, Err(e)) => problems.push(format!("{e:#}")),
    }

    if !static_only {
        problems.extend(run_problems(&course)?);
    }

    if problems.is_empty() {
        println!(
            "{} {} lessons: layout, manifests, form, fingerprints{}",
            green("ok"),
            course.lessons.len(),
            if static_only {
                ""
            } else {
                ", every stub fails every stage, every solution passes"
            }
        );
        Ok(Verdict::Pass)
    } else {
        println!("{}", bold(red(format!("{} problems:", problems.len()))));
        for p in &problems {
            println!("- {p}");
        }
        Ok(Verdict::Fail)
    }
}

/// Builds and runs every lesson whose crates exist (the rest are reported
/// as layout problems): each stub fails every stage, each solution passes.
fn run_problems(course: &Course) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let runnable: Vec<&Lesson> = course
        .lessons
        .iter()
        .filter(|l| {
            l.exercise_dir.join("Cargo.toml").is_file()
                && l.solution_dir.join("Cargo.toml").is_file()
        })
        .collect();
    eprintln!("checking {} stubs fail every stage...", runnable.len());
    let stubs = check::check_all(
        course,
        &runnable,
        &Options::many(Side::Exercise, Until::End),
        &|_| {},
    )?;
    for r in &stubs {
        if let Some(e) = &r.build_error {
            problems.push(format!(
                "exercise {} does not compile as shipped:\n{}",
                r.lesson,
                indent(e)
            ));
        }
        for s in &r.stages {
            let label = render::stage_label(s, r.stages.len());
            match &s.outcome {
                Outcome::Failed { .. } | Outcome::Crashed { .. } => {}
                Outcome::Passed { .. } => problems.push(format!(
                    "exercise {}: {label} passes against the stub; every stage must fail until the learner writes code",
                    r.lesson
                )),
                Outcome::TimedOut { .. } => problems.push(format!(
                    "exercise {}: {label} hangs against the stub; it should fail fast",
                    r.lesson
                )),
                Outcome::NotBuilt { why } => {
                    problems.push(format!("exercise {}: {label}: {why}", r.lesson));
                }
                Outcome::NotRun => {}
            }
        }
    }
    eprintln!("checking {} solutions pass every stage...", runnable.len());
    let solutions = check::check_all(
        course,
        &runnable,
        &Options::many(Side::Solution, Until::End),
        &|_| {},
    )?;
    for r in &solutions {
        if !r.passed() {
            let detail = render::report_lines(r)
                .into_iter()
                .take(40)
                .collect::<Vec<_>>()
                .join("\n");
            problems.push(format!("solution {} fails:\n{}", r.lesson, indent(&detail)));
        }
    }
    Ok(problems)
}

/// Rewrites shipped.toml from the lessons as they are on disk.
pub fn fingerprint() -> Result<Verdict> {
    let course = Course::discover()?;
    let text = Shipped::of_course(&course)?.to_toml()?;
    crate::state::write_atomically(&Shipped::path(&course), text.as_bytes())?;
    println!(
        "wrote {} ({} lessons)",
        Shipped::path(&course).display(),
        course.lessons.len()
    );
    Ok(Verdict::Pass)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Topics that are not in the known list, or listed twice. A lesson with
/// none is fine: it shows under "no topic" in the report.
fn topic_problems(lesson: &Lesson) -> Vec<String> {
    let known = || TOPICS.iter().map(|(id, _)| *id);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for t in &lesson.topics {
        if !seen.insert(t) {
            problems.push(format!("{}: topic {t:?} is listed twice", lesson.name));
        } else if !known().any(|k| k == t) {
            let close = course::closest_names(t, known());
            let hint = match close.as_slice() {
                [] => String::new(),
                some => format!(" (did you mean {}?)", some.join(", ")),
            };
            problems.push(format!(
                "{}: topic {t:?} is not a known topic{hint}; topics are: {}",
                lesson.name,
                known().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    problems
}

/// Lesson directories on disk that info.toml does not know, and the reverse.
fn layout_problems(course: &Course) -> Vec<String> {
    let mut problems = Vec::new();
    let known: BTreeSet<&str> = course.lessons.iter().map(|l| l.rel_dir.as_str()).collect();
    for side in ["exercises", "solutions"] {
        for dir in lesson_dirs(&course.root.join(side)) {
            if !known.contains(dir.as_str()) {
                problems.push(format!(
                    "{side}/{dir} is not a lesson in info.toml (add it, or remove the directory)"
                ));
            }
        }
    }
    problems
}

/// `track/lesson` for every two-level directory (numbered like `01_x`) under `base`.
fn lesson_dirs(base: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let numbered = |p: &Path| {
        p.is_dir()
            && p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()))
    };
    for track in read_dir_sorted(base).into_iter().filter(|p| numbered(p)) {
        for lesson in read_dir_sorted(&track).into_iter().filter(|p| numbered(p)) {
            let name = |p: &Path| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            };
            out.push(format!("{}/{}", name(&track), name(&lesson)));
        }
    }
    out
}

fn read_dir_sorted(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Files, notes and manifests of one lesson.
fn lesson_problems(lesson: &Lesson) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &lesson.name;
    let ex = &lesson.exercise_dir;
    let sol = &lesson.solution_dir;
    for (what, path) in [
        ("exercise manifest", ex.join("Cargo.toml")),
        ("stub", ex.join("src/lib.rs")),
        ("solution manifest", sol.join("Cargo.toml")),
        ("solution", sol.join("src/lib.rs")),
    ] {
        if !path.is_file() {
            problems.push(format!("{name}: the {what} {} is missing", path.display()));
        }
    }
    let note_ok = std::fs::read_to_string(lesson.note_path()).is_ok_and(|t| !t.trim().is_empty());
    if !note_ok {
        problems.push(format!(
            "{name}: the concept note {} is missing or empty",
            lesson.note_path().display()
        ));
    }
    if sol.join("tests").exists() {
        problems.push(format!(
            "{name}: solutions/{}/tests exists; tests live only in exercises/ and solution manifests point at them",
            lesson.rel_dir
        ));
    }
    let stems: BTreeSet<String> = match check::stages(lesson) {
        Ok(stages) if stages.is_empty() => {
            problems.push(format!("{name}: tests/ has no stage files"));
            BTreeSet::new()
        }
        Ok(stages) => {
            let loom_files = stages.iter().filter(|s| s.file.ends_with("loom")).count();
            if lesson.loom && loom_files != 1 {
                problems.push(format!(
                    "{name}: info.toml says loom = true, so tests/ needs exactly one N_loom.rs stage (found {loom_files})"
                ));
            }
            if !lesson.loom && loom_files > 0 {
                problems.push(format!(
                    "{name}: tests/ has a loom stage but info.toml does not say loom = true"
                ));
            }
            spec_problems(lesson, &stages, &mut problems);
            let modules: Vec<&str> = stages.iter().map(check::Stage::module).collect();
            problems.extend(form::problems(lesson, &modules));
            stages.iter().map(|s| s.target().to_owned()).collect()
        }
        Err(e) => {
            problems.push(format!("{name}: {e:#}"));
            BTreeSet::new()
        }
    };
    if let Err(e) = compare_manifests(lesson, &stems, &mut problems) {
        problems.push(format!("{name}: {e:#}"));
    }
    problems
}

/// `tests/spec.rs` declares exactly the stage files, in order.
fn spec_problems(lesson: &Lesson, stages: &[check::Stage], problems: &mut Vec<String>) {
    let path = lesson.exercise_dir.join("tests").join("spec.rs");
    let want = check::spec_source(lesson, stages);
    match std::fs::read_to_string(&path) {
        Ok(text) if text == want => {}
        Ok(_) => problems.push(format!(
            "{}: {} must declare exactly the stage modules (in rustfmt's order); it should read:\n{}",
            lesson.name,
            path.display(),
            indent(&want)
        )),
        Err(e) => problems.push(format!(
            "{}: cannot read {}: {e}; every lesson has one, reading:\n{}",
            lesson.name,
            path.display(),
            indent(&want)
        )),
    }
}

/// The solution's manifest must be the exercise's plus `path`s for the tests.
fn compare_manifests(
    lesson: &Lesson,
    stems: &BTreeSet<String>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let read = |dir: &Path| -> Result<Table> {
        let path = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))
    };
    let (mut ex, mut sol) = (read(&lesson.exercise_dir)?, read(&lesson.solution_dir)?);
    let name = &lesson.name;
    let package_name = ex
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str());
    if package_name != Some(name.as_str()) {
        problems.push(format!(
            "{name}: the exercise package is named {package_name:?}; it must be the lesson name"
        ));
    }
    let tests = |t: &mut Table| -> Vec<Table> {
        t.remove("test")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| v.as_table().cloned())
            .collect()
    };
    let (ex_tests, sol_tests) = (tests(&mut ex), tests(&mut sol));
    if ex != sol {
        problems.push(format!(
            "{name}: the solution's Cargo.toml differs from the exercise's beyond its [[test]] entries"
        ));
    }
    let autotests = ex
        .get("package")
        .and_then(|p| p.get("autotests"))
        .and_then(|a| a.as_bool());
    if autotests != Some(false) {
        problems.push(format!(
            "{name}: the exercise's [package] needs `autotests = false`: the stages are modules of tests/spec.rs, not test targets of their own"
        ));
    }
    let mut declared = BTreeSet::new();
    for t in &sol_tests {
        let test = t.get("name").and_then(|n| n.as_str()).unwrap_or("?");
        declared.insert(test.to_owned());
        let want = format!("../../../exercises/{}/tests/{test}.rs", lesson.rel_dir);
        let exercise_path = format!("tests/{test}.rs");
        if let Some(e) = ex_tests.iter().find(|e| e.get("name") == t.get("name"))
            && e.get("path")
                .is_some_and(|p| p.as_str() != Some(exercise_path.as_str()))
        {
            problems.push(format!(
                "{name}: exercise [[test]] {test:?} must have path = {exercise_path:?}"
            ));
        }
        if t.get("path").and_then(|p| p.as_str()) != Some(want.as_str()) {
            problems.push(format!(
                "{name}: solution [[test]] {test:?} must have path = {want:?}"
            ));
        }
        // Keys the exercise gives this test (required-features...) must match.
        let mut without_path = t.clone();
        without_path.remove("path");
        if let Some(e) = ex_tests.iter().find(|e| e.get("name") == t.get("name")) {
            let mut e = e.clone();
            e.remove("path");
            if e != without_path {
                problems.push(format!(
                    "{name}: [[test]] {test:?} has different settings in the solution"
                ));
            }
        } else if without_path.len() > 1 {
            problems.push(format!(
                "{name}: solution [[test]] {test:?} has settings the exercise does not"
            ));
        }
    }
    let in_exercise: BTreeSet<String> = ex_tests
        .iter()
        .filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_owned))
        .collect();
    if &in_exercise != stems {
        problems.push(format!(
            "{name}: the exercise's [[test]] entries ({}) must name exactly the test targets ({})",
            in_exercise.into_iter().collect::<Vec<_>>().join(", "),
            stems.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if &declared != stems {
        problems.push(format!(
            "{name}: the solution's [[test]] entries ({}) must name exactly the test targets ({}): `spec` and the loom stage, if any",
            declared.into_iter().collect::<Vec<_>>().join(", "),
            stems.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}

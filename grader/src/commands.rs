//! One function per subcommand. Each returns whether the lessons it looked
//! at passed; errors (bad usage, broken files) are `Err`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::Verdict;
use crate::app::App;
use crate::check::{self, Options, Side, Until};
use crate::course::{Course, Lesson};
use crate::list::{self, Filter};
use crate::render;
use crate::report;
use crate::shipped::{self, Shipped};
use crate::state::{now_rfc3339, write_atomically};
use crate::style::{self, bold, dim, green, red, yellow};

pub fn list(track: Option<&str>, filter: Filter) -> Result<Verdict> {
    let app = App::open()?;
    check_track(&app, track)?;
    let rows = list::lessons(&app, track, filter);
    for line in list::table(&rows) {
        println!("{line}");
    }
    let total = app.course.lessons.len();
    println!(
        "\n{} of {total} lessons done{}",
        app.done_count(),
        app.current()
            .map(|l| format!("; current: {}", bold(&l.name)))
            .unwrap_or_default()
    );
    let missing = app.course.missing_exercises();
    for problem in &missing {
        eprintln!("{}", style::on_stderr(|| red(format!("error: {problem}"))));
    }
    Ok(if missing.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

pub fn hint(name: Option<&str>, all: bool) -> Result<Verdict> {
    let mut app = App::open()?;
    crate::exam::refuse_help(&app.course, "Hints")?;
    let lesson = app.lesson_or_current(name)?.clone();
    let stage = lesson.hint_stage(app.stage_of(&lesson)).map(str::to_owned);
    let hints = lesson.hints_at(stage.as_deref());
    let total = hints.len();
    let level = if all {
        total
    } else {
        app.reveal_hint(&lesson)?
    };
    let place = match &stage {
        Some(stage) => format!("{} (stage {stage})", lesson.name),
        None => lesson.name.clone(),
    };
    for (i, hint) in hints.iter().enumerate().take(level) {
        let text = format!("Hint {}/{total} for {place}: {hint}", i + 1);
        println!("{}\n", if i + 1 == level { text } else { dim(text) });
    }
    if level < total {
        println!("{}", dim("Run the same command again for a stronger hint."));
    }
    Ok(Verdict::Pass)
}

pub fn run(name: Option<&str>) -> Result<Verdict> {
    let mut app = App::open()?;
    let lesson = app.lesson_or_current(name)?.clone();
    println!("{}", render::lesson_header(&app.course, &lesson));
    warn_changed_tests(&app, &lesson);
    let report = check::check(
        &app.course,
        &lesson,
        &Options::one(Side::Exercise, Until::FirstFailure),
    )?;
    for line in render::report_lines(&report) {
        println!("{line}");
    }
    let newly_done = app.record(&report)?;
    println!("\n{} {}", bold(&lesson.name), render::status_line(&report));
    if !report.passed() {
        println!("{}", dim(format!("Stuck? `sdkata hint {}`", lesson.name)));
        return Ok(Verdict::Fail);
    }
    if newly_done {
        println!("{}", green("Marked done."));
    }
    match app.next_pending(&lesson) {
        Some(next) => println!("Next: {} ({})", bold(&next.name), next.title),
        None => println!("\n{}", app.course.final_message),
    }
    Ok(Verdict::Pass)
}

fn warn_changed_tests(app: &App, lesson: &Lesson) {
    let Ok(shipped) = Shipped::load(&app.course) else {
        return;
    };
    if let Ok(changed) = shipped.changed_tests(lesson)
        && !changed.is_empty()
    {
        println!(
            "{}",
            yellow(format!(
                "note: these test files differ from the shipped ones: {}",
                changed.join(", ")
            ))
        );
    }
}

pub fn verify(track: Option<&str>) -> Result<Verdict> {
    let mut app = App::open()?;
    check_track(&app, track)?;
    let lessons: Vec<&Lesson> = app
        .course
        .lessons
        .iter()
        .filter(|l| track.is_none_or(|t| l.track == t))
        .collect();
    let total = lessons.len();
    let started = std::time::Instant::now();
    let progress = std::sync::atomic::AtomicUsize::new(0);
    let show_progress = std::io::stderr().is_terminal();
    let reports = check::check_all(
        &app.course,
        &lessons,
        &Options::many(Side::Exercise, Until::FirstFailure),
        &|_| {
            let n = progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if show_progress {
                eprint!("\rchecked {n}/{total}");
            }
        },
    )?;
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let shipped = Shipped::load(&app.course).ok();
    let name_w = lessons.iter().map(|l| l.name.len()).max().unwrap_or(4);
    let mut changed_tests = Vec::new();
    for (lesson, report) in lessons.iter().zip(&reports) {
        let mark = if report.passed() {
            green("✓")
        } else {
            red("✗")
        };
        println!(
            "{mark} {:<name_w$}  {}  {}",
            lesson.name,
            render::status_line(report),
            dim(render::secs(report.elapsed()))
        );
        if let Some(why) = &report.unavailable {
            println!("  {why}");
        }
        if let Some(changed) = shipped.as_ref().and_then(|s| s.changed_tests(lesson).ok())
            && !changed.is_empty()
        {
            changed_tests.push(format!("{} ({})", lesson.name, changed.join(", ")));
        }
    }
    let passed = reports.iter().filter(|r| r.passed()).count();
    app.record_all(&reports)?;
    println!(
        "\n{passed} of {total} lessons pass ({} failing) in {}",
        total - passed,
        render::secs(started.elapsed())
    );
    if shipped.is_none() {
        println!(
            "{}",
            yellow("note: shipped.toml is missing, so changed tests cannot be spotted")
        );
    }
    for c in &changed_tests {
        println!(
            "{}",
            yellow(format!("tests differ from the shipped ones: {c}"))
        );
    }
    Ok(if passed == total {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

pub fn reset(name: &str, yes: bool) -> Result<Verdict> {
    let mut app = App::open()?;
    let lesson = app.course.lesson(name)?.clone();
    // Read everything needed from git before touching a file.
    let shipped = Shipped::load(&app.course)?.contents(&app.course, &lesson)?;
    if !yes
        && !confirm(&format!(
            "Reset {} to its stub? Your current files are backed up first.",
            lesson.name
        ))?
    {
        println!("Nothing changed.");
        return Ok(Verdict::Pass);
    }
    let backup = backup(&app, &lesson)?;
    let keep: std::collections::BTreeSet<&str> = shipped.iter().map(|(p, _)| p.as_str()).collect();
    for rel in shipped::paths_of(&lesson.exercise_dir)? {
        let name = rel.to_str().map(|_| shipped::slashed(&rel));
        if name.is_none_or(|n| !keep.contains(n.as_str())) {
            std::fs::remove_file(lesson.exercise_dir.join(&rel))
                .with_context(|| format!("cannot remove {}", rel.display()))?;
        }
    }
    for (rel, bytes) in &shipped {
        let path = lesson.exercise_dir.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_atomically(&path, bytes)?;
    }
    app.mark_pending(&lesson.name)?;
    println!(
        "{} is back to its stub. Your files were saved in {}",
        bold(&lesson.name),
        backup.display()
    );
    Ok(Verdict::Pass)
}

/// Copies the lesson's files to `.sdkata/backups/<name>/<timestamp>/`.
fn backup(app: &App, lesson: &Lesson) -> Result<std::path::PathBuf> {
    let stamp = now_rfc3339().replace([':', '-'], "");
    let base = app.store().dir().join("backups").join(&lesson.name);
    let mut dir = base.join(&stamp);
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = base.join(format!("{stamp}-{n}"));
    }
    for rel in shipped::paths_of(&lesson.exercise_dir)? {
        let to = dir.join(&rel);
        std::fs::create_dir_all(to.parent().expect("backup files have a parent"))?;
        std::fs::copy(lesson.exercise_dir.join(&rel), &to)
            .with_context(|| format!("cannot back up {} to {}", rel.display(), to.display()))?;
    }
    Ok(dir)
}

pub fn solution(name: &str, force: bool) -> Result<Verdict> {
    let app = App::open()?;
    crate::exam::refuse_help(&app.course, "Solutions")?;
    let lesson = app.course.lesson(name)?;
    if !force
        && !app.state().is_done(&lesson.name)
        && !confirm(&format!(
            "{} is not done yet. Reading the solution now spoils the exercise. Show it anyway?",
            lesson.name
        ))?
    {
        return Ok(Verdict::Pass);
    }
    let src = lesson.solution_dir.join("src");
    println!(
        "Reference solution: {}",
        bold(rel(&app.course.root, &src).display())
    );
    let theirs = shipped::files_of(&src)?;
    let mine = shipped::files_of(&lesson.exercise_dir.join("src")).unwrap_or_default();
    for file in theirs.keys() {
        if mine.get(file) == theirs.get(file) {
            continue;
        }
        let ours =
            std::fs::read_to_string(lesson.exercise_dir.join("src").join(file)).unwrap_or_default();
        let reference = std::fs::read_to_string(src.join(file))?;
        let diff = similar::TextDiff::from_lines(&ours, &reference);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(
                &format!("yours/src/{file}"),
                &format!("solution/src/{file}"),
            )
            .to_string();
        for line in text.lines() {
            let painted = if line.starts_with('+') {
                green(line)
            } else if line.starts_with('-') {
                red(line)
            } else if line.starts_with("@@") {
                dim(line)
            } else {
                line.to_owned()
            };
            println!("{painted}");
        }
    }
    Ok(Verdict::Pass)
}

pub fn explain(name: Option<&str>) -> Result<Verdict> {
    let app = App::open()?;
    crate::exam::refuse_help(&app.course, "Notes")?;
    let lesson = app.lesson_or_current(name)?;
    let path = lesson.note_path();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the concept note {}", path.display()))?;
    let rendered = crate::note::render(&text);
    page(&rendered)?;
    Ok(Verdict::Pass)
}

pub fn report(format: report::Format) -> Result<Verdict> {
    let app = App::open()?;
    let report = report::build(&app.course, app.state(), app.now());
    match format {
        report::Format::Table => {
            for line in report::table(&report) {
                println!("{line}");
            }
        }
        report::Format::Md => print!("{}", report::markdown(&report)),
        report::Format::Json => println!("{}", report::json(&report)),
        report::Format::Html => print!("{}", report::html::page(&report)),
    }
    Ok(Verdict::Pass)
}

pub fn handbook(out: Option<PathBuf>, open: bool) -> Result<Verdict> {
    let course = Course::discover()?;
    let book = crate::handbook::build(&course)?;
    let path = match out {
        Some(path) if path.is_relative() => std::env::current_dir()?.join(path),
        Some(path) => path,
        None => course.root.join(".sdkata").join("handbook.html"),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_atomically(&path, book.as_bytes())
        .with_context(|| format!("cannot write the handbook to {}", path.display()))?;
    println!(
        "wrote {} ({} notes, {} KB)",
        path.display(),
        course.lessons.len(),
        book.len().div_ceil(1024)
    );
    if open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(e) = std::process::Command::new(opener).arg(&path).spawn() {
            println!("could not start {opener} ({e}): open the file in a browser");
        }
    }
    Ok(Verdict::Pass)
}

/// Shows long text through the user's pager on a terminal.
fn page(text: &str) -> Result<()> {
    if std::io::stdout().is_terminal() {
        let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -R".to_owned());
        let mut parts = pager.split_whitespace();
        if let Some(program) = parts.next() {
            let child = std::process::Command::new(program)
                .args(parts)
                .stdin(std::process::Stdio::piped())
                .spawn();
            if let Ok(mut child) = child {
                if let Some(mut stdin) = child.stdin.take() {
                    // A pager quit early closes the pipe: not an error.
                    let _ = stdin.write_all(text.as_bytes());
                }
                child.wait()?;
                return Ok(());
            }
        }
    }
    print!("{text}");
    Ok(())
}

/// Asks a yes/no question on a terminal; refuses without one.
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "{question}\nNo terminal to ask on: pass --yes (reset) or --force (solution) to go ahead."
        );
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// An error naming the tracks when `track` is not one of them.
fn check_track(app: &App, track: Option<&str>) -> Result<()> {
    if let Some(t) = track
        && app.course.track(t).is_none()
    {
        let ids: Vec<&str> = app.course.tracks.iter().map(|t| t.id.as_str()).collect();
        bail!("no track is called {t:?}; tracks: {}", ids.join(", "));
    }
    Ok(())
}

pub fn rel<'a>(root: &Path, path: &'a Path) -> &'a Path {
    path.strip_prefix(root).unwrap_or(path)
}

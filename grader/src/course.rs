//! The course: `info.toml`, validated, with every lesson's directories resolved.
//!
//! Everything else in the grader asks this module where things are. Parsing
//! collects every problem it finds (with the line it is on) rather than
//! stopping at the first, so a maintainer fixes a broken file in one go.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// The course file's name, at the repository root.
pub const INFO_FILE: &str = "info.toml";
/// The only `format_version` this grader understands.
pub const FORMAT_VERSION: u32 = 1;
/// Per-stage timeout when a lesson does not set `timeout_secs`.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

const NOT_FOUND: &str = "\
Run sdkata from inside the sdkata repository (the directory that holds info.toml,
or any directory below it), for example: cd ~/sdkata && sdkata";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoFile {
    format_version: Spanned<u32>,
    welcome_message: String,
    final_message: String,
    #[serde(default)]
    tracks: Vec<TrackSpec>,
    #[serde(default)]
    lessons: Vec<LessonSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackSpec {
    id: Spanned<String>,
    title: String,
    dir: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonSpec {
    name: Spanned<String>,
    track: Spanned<String>,
    dir: Spanned<String>,
    title: Spanned<String>,
    difficulty: Spanned<u8>,
    hints: Spanned<Vec<String>>,
    /// Hints of a stage's own, by stage module name: shown before `hints`
    /// while the learner is on that stage.
    #[serde(default)]
    stage_hints: Option<Spanned<BTreeMap<String, Vec<String>>>>,
    timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    loom: bool,
    /// Interview topics (ids from `TOPICS`); optional, `dev check` names
    /// unknown ones.
    #[serde(default)]
    topics: Vec<String>,
}

/// The interview topics a lesson can be mapped to, in report order: id and
/// the label `report` shows.
pub const TOPICS: &[(&str, &str)] = &[
    ("caching", "Caching"),
    ("sharding", "Sharding"),
    ("replication", "Replication"),
    ("consistency", "Consistency and CAP"),
    ("queues", "Queues and events"),
    ("load_balancing", "Load balancing and proxies"),
    ("indexes", "Indexes"),
    ("failover", "Failover"),
    ("api_design", "API design"),
    ("ids_hashing", "IDs and hashing"),
    ("consensus", "Consensus"),
    ("concurrency", "Concurrency"),
    ("patterns", "Design patterns"),
    ("estimation", "Estimation"),
    ("case_studies", "Case studies"),
    // Not an interview topic of its own, but the first track's lessons are
    // about Rust itself and would skew "patterns" if counted there alone.
    ("rust_idioms", "Rust idioms"),
];

/// A group of lessons, shown together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    pub id: String,
    pub title: String,
    pub dir: String,
}

/// One lesson, with its directories resolved against the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    /// Position in course order, from 0.
    pub index: usize,
    pub name: String,
    pub track: String,
    pub title: String,
    pub difficulty: u8,
    pub hints: Vec<String>,
    /// Hints of a stage's own, by stage module name (`election`).
    pub stage_hints: BTreeMap<String, Vec<String>>,
    /// Per-stage time limit.
    pub timeout: Duration,
    /// Whether the lesson has a loom stage, built with `--features loom`.
    pub loom: bool,
    /// Interview topic ids, as info.toml gives them (maybe none).
    pub topics: Vec<String>,
    /// `exercises/<track dir>/<lesson dir>`: the learner's crate.
    pub exercise_dir: PathBuf,
    /// `solutions/<track dir>/<lesson dir>`: the reference solution.
    pub solution_dir: PathBuf,
    /// `<track dir>/<lesson dir>`, for messages.
    pub rel_dir: String,
    /// The line of info.toml that names the lesson's `dir`.
    pub dir_line: usize,
}

impl Lesson {
    /// The concept note.
    pub fn note_path(&self) -> PathBuf {
        self.exercise_dir.join("README.md")
    }

    /// The stage whose own hints apply when the learner is on `stage`.
    pub fn hint_stage<'a>(&self, stage: Option<&'a str>) -> Option<&'a str> {
        stage.filter(|s| self.stage_hints.contains_key(*s))
    }

    /// The hints for a learner on `stage`, in the order they are revealed:
    /// the stage's own, then the lesson's.
    pub fn hints_at(&self, stage: Option<&str>) -> Vec<&str> {
        let own = self.hint_stage(stage).map(|s| &self.stage_hints[s]);
        own.into_iter()
            .flatten()
            .chain(&self.hints)
            .map(String::as_str)
            .collect()
    }
}

/// The whole course.
#[derive(Debug, Clone)]
pub struct Course {
    pub root: PathBuf,
    pub welcome_message: String,
    pub final_message: String,
    pub tracks: Vec<Track>,
    pub lessons: Vec<Lesson>,
}

/// Everything wrong with an `info.toml`, each problem on its own line.
#[derive(Debug)]
pub struct CourseError {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

impl fmt::Display for CourseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} is not a valid course file:", self.path.display())?;
        for p in &self.problems {
            writeln!(f, "  - {p}")?;
        }
        write!(
            f,
            "Fix the file (or `git checkout {INFO_FILE}` to get the shipped one back)."
        )
    }
}

impl std::error::Error for CourseError {}

/// Walks up from `start` to the first directory holding `info.toml`.
pub fn find_root(start: &Path) -> anyhow::Result<PathBuf> {
    for dir in start.ancestors() {
        if dir.join(INFO_FILE).is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    anyhow::bail!(
        "no {INFO_FILE} in {} or any directory above it.\n{NOT_FOUND}",
        start.display()
    )
}

impl Course {
    /// Why `lesson` cannot be checked when `dir`, one of its crates, has no
    /// manifest: names the info.toml line that points there.
    pub fn missing_crate(&self, lesson: &Lesson, dir: &Path) -> String {
        let shown = dir.strip_prefix(&self.root).unwrap_or(dir);
        format!(
            "lesson {} has no crate at {} (is the directory missing? {INFO_FILE} line {} sets its dir)",
            lesson.name,
            shown.display(),
            lesson.dir_line
        )
    }

    /// The problems of lessons whose exercise crate is missing.
    pub fn missing_exercises(&self) -> Vec<String> {
        self.lessons
            .iter()
            .filter(|l| !l.exercise_dir.join("Cargo.toml").is_file())
            .map(|l| self.missing_crate(l, &l.exercise_dir))
            .collect()
    }

    /// Finds the repository from the current directory and loads its course.
    pub fn discover() -> anyhow::Result<Self> {
        let cwd = std::env::current_dir()
            .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
        let root = find_root(&cwd)?;
        Ok(Self::load(&root)?)
    }

    /// Loads and validates `root/info.toml`.
    pub fn load(root: &Path) -> Result<Self, CourseError> {
        let path = root.join(INFO_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| CourseError {
            path: path.clone(),
            problems: vec![format!("cannot read it: {e}")],
        })?;
        // A CRLF checkout reads like the LF one, and messages quote clean lines.
        let text = text.replace("\r\n", "\n");
        Self::parse(root, &text).map_err(|problems| CourseError { path, problems })
    }

    /// Parses and validates the text of an `info.toml` for the course at `root`.
    pub fn parse(root: &Path, text: &str) -> Result<Self, Vec<String>> {
        let info: InfoFile = toml::from_str(text).map_err(|e| vec![describe_toml_error(&e)])?;
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);
        let mut problems = Vec::new();

        if *info.format_version.get_ref() != FORMAT_VERSION {
            problems.push(format!(
                "line {}: format_version {} is not supported by this sdkata (it reads version {FORMAT_VERSION}); update sdkata with `cargo install --path grader`",
                line(info.format_version.span()),
                info.format_version.get_ref()
            ));
        }

        let mut tracks = Vec::new();
        let mut track_ids = HashSet::new();
        let mut track_dirs = HashSet::new();
        for t in info.tracks {
            let (id, dir) = (t.id.get_ref(), t.dir.get_ref());
            if !is_name(id) {
                problems.push(format!(
                    "line {}: track id {id:?} must be snake_case ([a-z][a-z0-9_]*)",
                    line(t.id.span())
                ));
            }
            if !track_ids.insert(id.clone()) {
                problems.push(format!(
                    "line {}: track id {id:?} is declared twice",
                    line(t.id.span())
                ));
            }
            if !is_dir_name(dir) {
                problems.push(format!(
                    "line {}: track dir {dir:?} must be a single directory name like \"01_idioms\"",
                    line(t.dir.span())
                ));
            } else if !track_dirs.insert(dir.clone()) {
                problems.push(format!(
                    "line {}: track dir {dir:?} is used twice",
                    line(t.dir.span())
                ));
            }
            tracks.push(Track {
                id: id.clone(),
                title: t.title,
                dir: dir.clone(),
            });
        }

        let mut lessons = Vec::new();
        let mut names = HashSet::new();
        let mut dirs = HashSet::new();
        for (index, l) in info.lessons.into_iter().enumerate() {
            let name = l.name.get_ref();
            let at = line(l.name.span());
            if !is_name(name) {
                problems.push(format!(
                    "line {at}: lesson name {name:?} must be snake_case ([a-z][a-z0-9_]*), it is typed on the command line"
                ));
            }
            if !names.insert(name.clone()) {
                problems.push(format!("line {at}: lesson name {name:?} is used twice"));
            }
            let track = tracks.iter().find(|t| &t.id == l.track.get_ref());
            if track.is_none() {
                problems.push(format!(
                    "line {}: lesson {name:?} names track {:?}, which is not declared in [[tracks]]",
                    line(l.track.span()),
                    l.track.get_ref()
                ));
            }
            let dir = l.dir.get_ref();
            if !is_dir_name(dir) {
                problems.push(format!(
                    "line {}: lesson dir {dir:?} must be a single directory name like \"01_structs\"",
                    line(l.dir.span())
                ));
            }
            let rel_dir = format!("{}/{dir}", track.map_or("?", |t| t.dir.as_str()));
            if !dirs.insert(rel_dir.clone()) {
                problems.push(format!(
                    "line {}: lesson dir {rel_dir:?} is used by two lessons",
                    line(l.dir.span())
                ));
            }
            if l.title.get_ref().trim().is_empty() {
                problems.push(format!(
                    "line {}: lesson {name:?} has an empty title",
                    line(l.title.span())
                ));
            }
            let difficulty = *l.difficulty.get_ref();
            if !(1..=5).contains(&difficulty) {
                problems.push(format!(
                    "line {}: lesson {name:?} has difficulty {difficulty}; use 1 (easiest) to 5",
                    line(l.difficulty.span())
                ));
            }
            let hints = l.hints.get_ref();
            if hints.is_empty() || hints.iter().any(|h| h.trim().is_empty()) {
                problems.push(format!(
                    "line {}: lesson {name:?} needs at least one hint, and no empty ones",
                    line(l.hints.span())
                ));
            }
            let stage_hints = l.stage_hints.map_or_else(BTreeMap::new, |h| {
                let at = line(h.span());
                let h = h.into_inner();
                for (stage, list) in &h {
                    if !is_name(stage) {
                        problems.push(format!(
                            "line {at}: lesson {name:?}: stage_hints key {stage:?} must be a stage's module name, like \"election\""
                        ));
                    }
                    if list.is_empty() || list.iter().any(|h| h.trim().is_empty()) {
                        problems.push(format!(
                            "line {at}: lesson {name:?}: stage_hints.{stage} needs at least one hint, and no empty ones"
                        ));
                    }
                }
                h
            });
            let timeout_secs = match &l.timeout_secs {
                Some(t) if !(1..=3600).contains(t.get_ref()) => {
                    problems.push(format!(
                        "line {}: lesson {name:?} has timeout_secs {}; use 1 to 3600",
                        line(t.span()),
                        t.get_ref()
                    ));
                    DEFAULT_TIMEOUT_SECS
                }
                Some(t) => *t.get_ref(),
                None => DEFAULT_TIMEOUT_SECS,
            };
            lessons.push(Lesson {
                index,
                name: name.clone(),
                track: l.track.get_ref().clone(),
                title: l.title.get_ref().trim().to_owned(),
                difficulty,
                hints: hints.clone(),
                stage_hints,
                timeout: Duration::from_secs(timeout_secs),
                loom: l.loom,
                topics: l.topics,
                exercise_dir: root.join("exercises").join(&rel_dir),
                solution_dir: root.join("solutions").join(&rel_dir),
                rel_dir,
                dir_line: line(l.dir.span()),
            });
        }

        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Course {
            root: root.to_path_buf(),
            welcome_message: info.welcome_message.trim().to_owned(),
            final_message: info.final_message.trim().to_owned(),
            tracks,
            lessons,
        })
    }

    /// The learner's workspace.
    pub fn exercises_dir(&self) -> PathBuf {
        self.root.join("exercises")
    }

    /// The track a lesson belongs to.
    pub fn track(&self, id: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.id == id)
    }

    /// Resolves a name typed by the user: an exact name, else a unique prefix.
    pub fn lesson(&self, query: &str) -> anyhow::Result<&Lesson> {
        if let Some(l) = self.lessons.iter().find(|l| l.name == query) {
            return Ok(l);
        }
        let prefixed: Vec<&Lesson> = self
            .lessons
            .iter()
            .filter(|l| l.name.starts_with(query))
            .collect();
        match prefixed.as_slice() {
            [one] => Ok(one),
            [] => {
                let close = closest_names(query, self.lessons.iter().map(|l| l.name.as_str()));
                if close.is_empty() {
                    anyhow::bail!("no lesson is called {query:?}; `sdkata list` shows them all")
                }
                anyhow::bail!(
                    "no lesson is called {query:?}. Did you mean: {}?",
                    close.join(", ")
                )
            }
            many => anyhow::bail!(
                "{query:?} could be any of: {}; type more of the name",
                many.iter()
                    .map(|l| l.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The lesson whose exercise directory contains `path`, if any.
    pub fn lesson_at(&self, path: &Path) -> Option<&Lesson> {
        self.lessons
            .iter()
            .find(|l| path.starts_with(&l.exercise_dir))
    }
}

/// A toml error, phrased with its line and column.
fn describe_toml_error(e: &toml::de::Error) -> String {
    // toml's message already says "at line L, column C" and quotes the line.
    e.to_string()
        .trim_end()
        .replace("TOML parse error", "syntax error")
}

/// 1-based line number of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_dir_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Up to five names within a small edit distance of `query`, closest first.
pub fn closest_names<'a>(query: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(usize, &str)> = names
        .filter_map(|n| {
            // Optimal string alignment: a swap of two letters is one typo.
            let d = strsim::osa_distance(query, n);
            let close = d <= 2 + query.len() / 4 || n.contains(query);
            close.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
format_version = 1
welcome_message = "hi"
final_message = "bye"

[[tracks]]
id = "basics"
title = "Basics"
dir = "01_basics"

[[lessons]]
name = "structs"
track = "basics"
dir = "01_structs"
title = "Structs"
difficulty = 1
hints = ["one", "two"]

[[lessons]]
name = "strategy"
track = "basics"
dir = "02_strategy"
title = "Strategy"
difficulty = 2
hints = ["one"]
timeout_secs = 5
loom = true
"#;

    fn parse(text: &str) -> Result<Course, Vec<String>> {
        Course::parse(Path::new("/repo"), text)
    }

    #[test]
    fn a_good_course_resolves_paths_and_defaults() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.lessons.len(), 2);
        let s = &c.lessons[0];
        assert_eq!(
            s.exercise_dir,
            Path::new("/repo/exercises/01_basics/01_structs")
        );
        assert_eq!(
            s.solution_dir,
            Path::new("/repo/solutions/01_basics/01_structs")
        );
        assert_eq!(s.timeout, Duration::from_secs(DEFAULT_TIMEOUT_SECS));
        assert!(!s.loom);
        assert_eq!(c.lessons[1].timeout, Duration::from_secs(5));
        assert!(c.lessons[1].loom);
        assert_eq!(c.lessons[1].index, 1);
        assert_eq!(c.welcome_message, "hi");
    }

    #[test]
    fn unknown_keys_name_their_line() {
        let text = GOOD.replace("difficulty = 2", "difficulty = 2\ncolour = \"red\"");
        let err = parse(&text).unwrap_err().join("\n");
        assert!(err.contains("colour"), "{err}");
        assert!(err.contains("line 25"), "{err}");
    }

    #[test]
    fn every_semantic_problem_is_reported_with_its_line() {
        let text = GOOD
            .replace("difficulty = 1", "difficulty = 9")
            .replace("name = \"strategy\"", "name = \"structs\"")
            .replace(
                "track = \"basics\"\ndir = \"02",
                "track = \"nope\"\ndir = \"02",
            )
            .replace("hints = [\"one\"]", "hints = []")
            .replace("timeout_secs = 5", "timeout_secs = 0");
        let problems = parse(&text).unwrap_err();
        let all = problems.join("\n");
        for expected in [
            "line 16: lesson \"structs\" has difficulty 9",
            "line 20: lesson name \"structs\" is used twice",
            "line 21: lesson \"structs\" names track \"nope\"",
            "line 25: lesson \"structs\" needs at least one hint",
            "line 26: lesson \"structs\" has timeout_secs 0",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
        }
    }

    #[test]
    fn bad_names_and_dirs_are_rejected() {
        let text = GOOD
            .replace("name = \"structs\"", "name = \"Structs\"")
            .replace("dir = \"02_strategy\"", "dir = \"../x\"");
        let all = parse(&text).unwrap_err().join("\n");
        assert!(all.contains("\"Structs\" must be snake_case"), "{all}");
        assert!(
            all.contains("\"../x\" must be a single directory name"),
            "{all}"
        );
    }

    #[test]
    fn syntax_errors_and_future_versions() {
        let all = parse("format_version = \n").unwrap_err().join("\n");
        assert!(all.contains("line 1"), "{all}");
        let all = parse(&GOOD.replace("format_version = 1", "format_version = 2"))
            .unwrap_err()
            .join("\n");
        assert!(all.contains("format_version 2 is not supported"), "{all}");
    }

    #[test]
    fn names_resolve_exactly_then_by_unique_prefix() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.lesson("structs").unwrap().name, "structs");
        assert_eq!(c.lesson("stra").unwrap().name, "strategy");
        let ambiguous = c.lesson("st").unwrap_err().to_string();
        assert!(ambiguous.contains("structs, strategy"), "{ambiguous}");
        let typo = c.lesson("strucs").unwrap_err().to_string();
        assert!(typo.contains("Did you mean: structs"), "{typo}");
        let far = c.lesson("raft").unwrap_err().to_string();
        assert!(far.contains("sdkata list"), "{far}");
    }

    #[test]
    fn a_swapped_pair_of_letters_is_one_typo() {
        assert_eq!(
            closest_names("rfat", ["raft", "saga"].into_iter()),
            ["raft"]
        );
        assert!(closest_names("zzzzzz", ["raft"].into_iter()).is_empty());
    }

    #[test]
    fn lesson_at_maps_files_to_lessons() {
        let c = parse(GOOD).unwrap();
        let file = Path::new("/repo/exercises/01_basics/02_strategy/src/lib.rs");
        assert_eq!(c.lesson_at(file).unwrap().name, "strategy");
        assert!(c.lesson_at(Path::new("/repo/README.md")).is_none());
    }
}

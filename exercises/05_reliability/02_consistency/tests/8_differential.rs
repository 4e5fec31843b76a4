//! Stage 8: differential testing. A few hundred generated key-value
//! histories (a correct store, a store with stale reads, and replicated
//! stores with stale follower reads, asynchronous-replication loss and
//! split brain) must get the same linearizability verdict as an
//! independent checker, with a longest good prefix as long as its. And the
//! checkers here are your own: `src/` must not use the course's.

use std::path::{Path, PathBuf};

use consistency::*;

use crate::common::{self, BUGS, decided};

const BUDGET: u64 = 2_000_000;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_checkers_are_your_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(
        !files.is_empty(),
        "no sources found under {}",
        src.display()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            !squeezed.contains("kit::history"),
            "{} uses kit::history: the lesson is to write the checkers, and the tests compare \
             yours against kit's, so calling kit's would compare it with itself",
            file.display()
        );
        // `use kit::{..., history, ...}` (or `history::...`) imports it too.
        let mut rest = squeezed.as_str();
        while let Some(at) = rest.find("kit::{") {
            let group = &rest[at..];
            let group = &group[..group.find(';').unwrap_or(group.len())];
            assert!(
                !group.contains("history"),
                "{} imports history from kit: {group}",
                file.display()
            );
            rest = &rest[at + 1..];
        }
    }
}

#[test]
fn linearizability_agrees_on_generated_histories() {
    let mut seen = [0usize; 2];
    for seed in 0..320 {
        let h = match seed % 6 {
            0 => common::oracle_kv(seed, 150, 3, 5, 0.0),
            1 => common::oracle_kv(seed, 150, 3, 5, 0.04),
            n => common::replicated(seed, BUGS[(n - 2) as usize], 100, 3, 5),
        };
        let (expected, oracle_prefix) = common::oracle_linearizable_kv(&h, BUDGET);
        let expected = expected.expect("the oracle decides these histories");
        seen[usize::from(expected)] += 1;
        let checked = check_linearizable(&KvMap, &h, BUDGET);
        assert_eq!(
            decided(&checked.verdict),
            Some(expected),
            "seed {seed} ({} operations): got {}, the independent checker says {}",
            h.len(),
            match &checked.verdict {
                Verdict::Violation(cex) => cex.to_string(),
                other => format!("{other:?}"),
            },
            if expected {
                "linearizable"
            } else {
                "not linearizable"
            }
        );
        if let Verdict::Violation(cex) = &checked.verdict {
            let definite = cex
                .prefix
                .iter()
                .filter(|id| !h.ops()[id.index()].is_indefinite())
                .count();
            assert_eq!(
                definite, oracle_prefix,
                "seed {seed}: the longest good prefix has {oracle_prefix} definite operations \
                 by the independent checker, {definite} here:\n{cex}"
            );
        }
    }
    assert!(
        seen.iter().all(|&n| n > 60),
        "both verdicts appear often: {seen:?}"
    );
}

//! Reading what a libtest binary printed.

/// One failing test and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    pub name: String,
    pub output: String,
}

/// What a finished test binary reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The final `test result:` line was seen.
    pub complete: bool,
    pub passed: usize,
    pub failed: usize,
    /// Names of the tests that reported a result (`ok`, `FAILED`, `ignored`).
    pub finished: Vec<String>,
    /// Names of the tests that reported `ok`.
    pub ok: Vec<String>,
    pub failures: Vec<TestFailure>,
}

/// Parses libtest's default (pretty) output.
pub fn parse(stdout: &str) -> Summary {
    let mut summary = Summary::default();
    for line in stdout.lines() {
        // Output a test writes straight to the pipe (not captured) can land
        // on the same line, before libtest's verdict: read from the last
        // `test ` on the line. Test names have no spaces.
        let verdict = line.rfind("test ").map_or(line, |at| &line[at..]);
        if let Some(rest) = verdict.strip_prefix("test ")
            && let Some((name, result)) = rest.rsplit_once(" ... ")
            && (matches!(result, "ok" | "FAILED" | "ignored") || result.starts_with("ignored,"))
        {
            // `#[should_panic]` tests report as `name - should panic`.
            let name = name.strip_suffix(" - should panic").unwrap_or(name);
            summary.finished.push(name.to_owned());
            if result == "ok" {
                summary.ok.push(name.to_owned());
            }
        }
        if let Some(result) = verdict.strip_prefix("test result: ") {
            summary.complete = true;
            summary.passed = count(result, "passed");
            summary.failed = count(result, "failed");
        }
    }
    summary.failures = failures(stdout);
    summary
}

/// The number before `label` in a `test result:` line.
fn count(result: &str, label: &str) -> usize {
    result
        .split([';', '.'])
        .find_map(|part| part.trim().strip_suffix(label)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The `---- name stdout ----` sections of the first `failures:` block.
fn failures(stdout: &str) -> Vec<TestFailure> {
    let Some(start) = stdout.find("\nfailures:\n") else {
        return Vec::new();
    };
    let block = &stdout[start + "\nfailures:\n".len()..];
    // The block ends where libtest lists the failing names again.
    let block = block
        .find("\nfailures:\n")
        .map_or(block, |end| &block[..end]);
    let mut out: Vec<TestFailure> = Vec::new();
    for line in block.lines() {
        if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            out.push(TestFailure {
                name: name.to_owned(),
                output: String::new(),
            });
        } else if let Some(current) = out.last_mut() {
            if line.starts_with("note: run with `RUST_BACKTRACE=1`") {
                continue;
            }
            current.output.push_str(line);
            current.output.push('\n');
        }
    }
    for f in &mut out {
        f.output = f.output.trim().to_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = "
running 3 tests
test a ... ok
test b ... FAILED
test c ... ignored, slow
test d - should panic ... ok

failures:

---- b stdout ----

thread 'b' panicked at tests/1_basics.rs:5:5:
assertion `left == right` failed: the raise rounds half away from zero
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    b

test result: FAILED. 2 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn verdicts_after_raw_output_on_the_same_line_count() {
        let s = parse(
            "running 2 tests\nxxxxtest a ... ok\nxxtest b ... FAILED\nxxxtest result: FAILED. 1 passed; 1 failed; 0 ignored\n",
        );
        assert_eq!(s.ok, ["a"]);
        assert_eq!(s.finished, ["a", "b"]);
        assert!(s.complete);
        assert_eq!((s.passed, s.failed), (1, 1));
    }

    #[test]
    fn failing_run() {
        let s = parse(FAILED);
        assert!(s.complete);
        assert_eq!((s.passed, s.failed), (2, 1));
        assert_eq!(s.finished, ["a", "b", "c", "d"]);
        assert_eq!(s.ok, ["a", "d"]);
        assert_eq!(s.failures.len(), 1);
        assert_eq!(s.failures[0].name, "b");
        assert!(
            s.failures[0]
                .output
                .starts_with("thread 'b' panicked at tests/1_basics.rs:5:5:")
        );
        assert!(
            s.failures[0].output.ends_with(" right: 2"),
            "{:?}",
            s.failures[0].output
        );
    }

    #[test]
    fn passing_and_truncated_runs() {
        let s = parse(
            "running 1 test\ntest x ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n",
        );
        assert!(s.complete);
        assert_eq!((s.passed, s.failed), (1, 0));
        assert!(s.failures.is_empty());
        let s = parse("running 2 tests\ntest x ... ok\n");
        assert!(!s.complete);
        assert_eq!(s.finished, ["x"]);
    }
}

// Given: the task kinds a worker knows, built in so that a test can watch them run.

//! The task kinds. Each reads its JSON payload and answers a JSON result, or
//! an error (the worker then reports the task failed). Files are named by a
//! plain file name inside the worker's `--data-dir`, never by a path.
//!
//! | kind      | payload                                        | does                                                                                               | result                 |
//! |-----------|------------------------------------------------|----------------------------------------------------------------------------------------------------|------------------------|
//! | `count`   | `{"file": "counts"}`                           | appends the line `ID\n` to the file (`O_APPEND`: one line per execution, whoever runs it)          | `{"counted": ID}`      |
//! | `overlap` | `{"file": "o", "peers": 2, "wait_ms": 5000}`   | appends `start ID\n`, waits (real time, at most `wait_ms`) until the file holds `peers` start lines, appends `end ID\n` | `{"peers_seen": K}`    |
//! | `hold`    | `{"gate": "g"}`                                | waits until the file `g` exists                                                                    | `{"released": true}`   |
//! | `compute` | `{"n": N}`                                     | counts the Collatz steps from `N` down to 1                                                        | `{"steps": S}`         |
//!
//! Any other kind, or a payload that does not fit, is an error
//! (`unknown task kind `x``, `bad payload: ...`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How often a waiting kind looks at its file again (real time).
const LOOK_AGAIN: Duration = Duration::from_millis(2);

/// Runs task `id` of `kind` on `payload`, with files in `dir`.
pub async fn execute(id: u64, kind: &str, payload: &Value, dir: &Path) -> Result<Value, String> {
    match kind {
        "count" => {
            let file = file_in(dir, payload, "file")?;
            append(&file, &format!("{id}\n"))?;
            Ok(json!({ "counted": id }))
        }
        "overlap" => {
            let file = file_in(dir, payload, "file")?;
            let peers = number(payload, "peers")?;
            let wait = Duration::from_millis(number(payload, "wait_ms")?);
            append(&file, &format!("start {id}\n"))?;
            let started = Instant::now();
            let seen = loop {
                let seen = starts(&file)?;
                if seen >= peers || started.elapsed() >= wait {
                    break seen;
                }
                tokio::time::sleep(LOOK_AGAIN).await;
            };
            append(&file, &format!("end {id}\n"))?;
            Ok(json!({ "peers_seen": seen }))
        }
        "hold" => {
            let gate = file_in(dir, payload, "gate")?;
            while !gate.exists() {
                tokio::time::sleep(LOOK_AGAIN).await;
            }
            Ok(json!({ "released": true }))
        }
        "compute" => Ok(json!({ "steps": collatz_steps(number(payload, "n")?) })),
        other => Err(format!("unknown task kind `{other}`")),
    }
}

/// The Collatz steps from `n` to 1 (0 for 0 and 1): the `compute` kind's
/// answer, which a test recomputes sequentially.
pub fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n > 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

fn number(payload: &Value, field: &str) -> Result<u64, String> {
    payload[field]
        .as_u64()
        .ok_or_else(|| format!("bad payload: `{field}` must be a whole number"))
}

fn file_in(dir: &Path, payload: &Value, field: &str) -> Result<PathBuf, String> {
    let name = payload[field]
        .as_str()
        .ok_or_else(|| format!("bad payload: `{field}` must be a file name"))?;
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(format!("bad payload: `{field}` must be a plain file name"));
    }
    Ok(dir.join(name))
}

fn append(file: &Path, line: &str) -> Result<(), String> {
    // One write of one short line with O_APPEND: lines from several
    // processes never interleave.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| format!("{}: {e}", file.display()))
}

fn starts(file: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(text.lines().filter(|l| l.starts_with("start ")).count() as u64)
}

//! The one `Range` form the service honours: a single `bytes=` range.

/// What a `Range` header asks of a body of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranged {
    /// No usable range: serve the whole body, 200.
    Whole,
    /// Bytes `start..=end` (inclusive, as `Content-Range` writes them), 206.
    Part { start: u64, end: u64 },
    /// A well-formed range that selects no byte of the body: 416.
    Unsatisfiable,
}

/// Interprets `header` for a body of `size` bytes (`size` ≥ 1).
///
/// - `bytes=A-B`: bytes A to B inclusive; B past the end is cut to the last
///   byte; A at or past the end is unsatisfiable.
/// - `bytes=A-`: from A to the end.
/// - `bytes=-N`: the last N bytes (all of them if N ≥ size); N = 0 is
///   unsatisfiable.
/// - Anything else (another unit, several ranges, B < A, anything but
///   decimal digits where a number goes, `+3` included) is
///   ignored, as RFC 9110 allows: the whole body.
pub fn parse(header: &str, size: u64) -> Ranged {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ranged::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => Ranged::Whole,
        (true, false) => match number(last) {
            None => Ranged::Whole,
            Some(0) => Ranged::Unsatisfiable,
            Some(n) => Ranged::Part {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        (false, open) => {
            let Some(start) = number(first) else {
                return Ranged::Whole;
            };
            let end = if open {
                u64::MAX
            } else {
                match number(last) {
                    Some(end) if end >= start => end,
                    _ => return Ranged::Whole,
                }
            };
            if start >= size {
                Ranged::Unsatisfiable
            } else {
                Ranged::Part {
                    start,
                    end: end.min(size - 1),
                }
            }
        }
    }
}

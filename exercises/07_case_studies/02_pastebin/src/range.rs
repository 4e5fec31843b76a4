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
    todo!("strip `bytes=`, split at '-', and sort out the three forms")
}

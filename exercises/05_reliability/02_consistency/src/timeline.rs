//! The ASCII timeline of a slice of a history, as counterexamples draw it.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::{ClientId, History, OpId, Spec};

/// Draws the operations `ops` of `history`, one line per client, so that a
/// reader sees which operations overlapped:
///
/// ```text
/// client 0  |--write(1)--|         |--write(2)--?
/// client 1                 |==read->0==|
/// ```
///
/// - One line for each client with an operation in `ops`, in increasing
///   client order: `client `, the id left-aligned and padded to the widest
///   id drawn, two spaces, then the bars. No trailing spaces; lines end with
///   `\n`. No operations: the empty string.
/// - Each operation is a bar from its invocation's column to its
///   completion's column: `|` at the start, then filler around its label
///   ([`Spec::describe`] with its return value), at least one filler
///   character on each side, then the end mark: `|` if it completed `Ok`,
///   `x` if it failed, `?` if it is indefinite. An operation that never
///   completed ends in the rightmost column of the drawing. The filler is
///   `-`, or `=` for `focus`.
/// - Columns are shared by all lines and keep real time: if A completed
///   before B was invoked, A's end column is left of B's start column; if
///   their intervals overlap, so do their columns. Two bars of one client
///   never touch (at least one space between them).
pub fn timeline<S: Spec>(
    spec: &S,
    history: &History<S::Op, S::Ret>,
    ops: &[OpId],
    focus: Option<OpId>,
) -> String {
    // TODO: give each event time of the drawn operations a column, in time
    // order, far enough right for the labels; then one row per client.
    todo!("draw the operations as bars on one line per client")
}

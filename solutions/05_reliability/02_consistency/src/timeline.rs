//! The ASCII timeline of a slice of a history, as counterexamples draw it.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::search::end;
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
    struct Bar {
        client: ClientId,
        start: u64,
        end: u64,
        label: Vec<char>,
        fill: char,
        mark: char,
    }
    let bars: Vec<Bar> = ops
        .iter()
        .filter_map(|&id| history.get(id))
        .map(|op| Bar {
            client: op.client(),
            start: op.invoked(),
            end: end(op),
            label: spec.describe(op.op(), op.ret()).chars().collect(),
            fill: if Some(op.id()) == focus { '=' } else { '-' },
            mark: if op.is_fail() {
                'x'
            } else if op.is_indefinite() {
                '?'
            } else {
                '|'
            },
        })
        .collect();

    // Each event time gets the next column, pushed right until every bar
    // ending there has room for its label and two fillers a side.
    let mut times: Vec<u64> = bars.iter().flat_map(|b| [b.start, b.end]).collect();
    times.sort_unstable();
    times.dedup();
    let mut column: HashMap<u64, usize> = HashMap::new();
    let mut width = 0;
    for (k, &t) in times.iter().enumerate() {
        let mut x = if k == 0 { 0 } else { width + 1 };
        // `--| |--`, not `--||--`, between a client's consecutive bars.
        let touching = k > 0
            && bars.iter().any(|b| {
                b.start == t
                    && bars
                        .iter()
                        .any(|e| e.client == b.client && e.end == times[k - 1])
            });
        if touching {
            x += 1;
        }
        for b in bars.iter().filter(|b| b.end == t) {
            x = x.max(column[&b.start] + b.label.len() + 5);
        }
        column.insert(t, x);
        width = x;
    }

    let clients: BTreeSet<ClientId> = bars.iter().map(|b| b.client).collect();
    let name_width = clients
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for &client in &clients {
        let mut row = vec![' '; width + 1];
        for b in bars.iter().filter(|b| b.client == client) {
            let (a, z) = (column[&b.start], column[&b.end]);
            row[a] = '|';
            row[z] = b.mark;
            for cell in &mut row[a + 1..z] {
                *cell = b.fill;
            }
            let from = a + 1 + (z - a - 1 - b.label.len()) / 2;
            row[from..from + b.label.len()].copy_from_slice(&b.label);
        }
        let row: String = row.into_iter().collect();
        let _ = writeln!(out, "client {client:<name_width$}  {}", row.trim_end());
    }
    out
}

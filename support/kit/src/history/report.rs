//! Violation reports, and the ASCII timeline drawn in them.

use std::collections::{BTreeSet, HashMap};
use std::fmt::{self, Write as _};

use super::{ClientId, History, Model, OpId, Operation};

/// An operation as a report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRef {
    /// Its handle in the history.
    pub id: OpId,
    /// Its client.
    pub client: ClientId,
    /// [`Model::describe`] of it: the operation and, if it completed `Ok`,
    /// its return value.
    pub label: String,
}

impl fmt::Display for OpRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client {}'s {} ({})", self.client, self.label, self.id)
    }
}

pub(super) fn op_ref<M: Model>(model: &M, op: &Operation<M::Op, M::Ret>) -> OpRef {
    OpRef {
        id: op.id(),
        client: op.client(),
        label: model.describe(op.op(), op.ret()),
    }
}

/// Why a search could not place `op` after the longest legal prefix, which
/// left the model in `state`.
pub(super) fn stuck_note<M: Model>(
    model: &M,
    state: &M::State,
    op: &Operation<M::Op, M::Ret>,
) -> String {
    let (_, expected) = model.step(state, op.op());
    if op.ret().is_some_and(|observed| *observed != expected) {
        format!(
            "after the longest legal prefix the model, in state {state:?}, answers {}",
            model.describe(op.op(), Some(&expected))
        )
    } else {
        "it fits after the longest legal prefix, but every order that places it there \
         leaves a later operation with no legal place"
            .to_string()
    }
}

/// Why a history broke a rule. `Display` gives the whole story, so a test
/// can `panic!("{report}")`.
///
/// The timeline has one row per client involved, each operation drawn from
/// its invocation to its completion: `|--write(1)--|` completed `Ok`,
/// `|--write(1)--?` indefinite (completed `Unknown`, or still running at the
/// end of the history: then it reaches the right edge), `|--write(1)--x`
/// failed, and `|==read->0==|` is the operation the report is about.
/// Columns are events in time order, squeezed: only the relative order of
/// the drawn events is kept. For the search-based rules the slice is the
/// operations (of the same partition) whose recorded interval overlaps the
/// stuck one, plus the last few that completed before it was invoked.
#[derive(Debug, Clone)]
pub struct Report {
    /// The rule broken: `linearizability`, `sequential-consistency`,
    /// `read-your-writes`, `monotonic-reads` or `monotonic-writes`.
    pub rule: &'static str,
    /// The partition ([`Model::partition`]) the violation is in.
    pub key: Option<String>,
    /// The operation the violation is about: for the searches, the first one
    /// that cannot be placed after the longest legal prefix; for the session
    /// rules, the offending read.
    pub op: Option<OpRef>,
    /// What is wrong with it, in a sentence.
    pub why: String,
    /// For the searches: the longest legal prefix found, in order.
    pub prefix: Vec<OpRef>,
    /// For the searches: the model state (`Debug`) at the end of `prefix`.
    pub state: Option<String>,
    /// The timeline of the offending slice, one line per client.
    pub timeline: String,
}

/// How many operations of a long prefix the report prints.
const PREFIX_SHOWN: usize = 8;
/// How many operations completed before the stuck one a slice includes.
const CONTEXT_BEFORE: usize = 4;
/// Longer labels are cut, so that one huge value cannot hide the timeline.
const MAX_LABEL: usize = 40;

impl Report {
    pub(super) fn new(
        rule: &'static str,
        key: Option<String>,
        op: Option<OpRef>,
        why: String,
    ) -> Self {
        Self {
            rule,
            key,
            op,
            why,
            prefix: Vec::new(),
            state: None,
            timeline: String::new(),
        }
    }

    pub(super) fn with_prefix(mut self, prefix: Vec<OpRef>, state: String) -> Self {
        self.prefix = prefix;
        self.state = Some(state);
        self
    }

    pub(super) fn with_timeline<M: Model>(
        mut self,
        model: &M,
        history: &History<M::Op, M::Ret>,
        slice: &[usize],
        focus: Option<usize>,
    ) -> Self {
        self.timeline = timeline(model, history, slice, focus);
        self
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violated", self.rule)?;
        if let Some(key) = &self.key {
            write!(f, " (key {key})")?;
        }
        if let Some(op) = &self.op {
            write!(f, " at {op}")?;
        }
        writeln!(f)?;
        writeln!(f, "  why: {}", self.why)?;
        if let Some(state) = &self.state {
            let n = self.prefix.len();
            write!(
                f,
                "  longest legal prefix: {n} operation{}",
                if n == 1 { "" } else { "s" }
            )?;
            if n > PREFIX_SHOWN {
                write!(f, ", the last {PREFIX_SHOWN}")?;
            }
            writeln!(f)?;
            for op in &self.prefix[n.saturating_sub(PREFIX_SHOWN)..] {
                writeln!(f, "    {op}")?;
            }
            writeln!(f, "  model state after it: {state}")?;
        }
        if !self.timeline.is_empty() {
            writeln!(
                f,
                "  timeline (|--op--| invocation to completion, --? indefinite, --x failed, \
                 ==op== the operation above):"
            )?;
            for line in self.timeline.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

/// The end of an operation on the timeline: its completion, or the end of
/// the history if it never completed.
fn end<Op, Ret>(op: &Operation<Op, Ret>) -> u64 {
    op.completed().unwrap_or(u64::MAX)
}

/// The operations of `members` (history indices) worth drawing around
/// `focus`: those whose recorded interval overlaps it, plus the last few
/// that completed before it was invoked.
pub(super) fn slice_around<Op, Ret>(
    history: &History<Op, Ret>,
    members: &[usize],
    focus: usize,
) -> Vec<usize> {
    let ops = history.ops();
    let f = &ops[focus];
    let mut slice: BTreeSet<usize> = members
        .iter()
        .copied()
        .filter(|&i| ops[i].invoked() < end(f) && end(&ops[i]) > f.invoked())
        .collect();
    let mut before: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| end(&ops[i]) < f.invoked())
        .collect();
    before.sort_by_key(|&i| end(&ops[i]));
    slice.extend(before.iter().rev().take(CONTEXT_BEFORE));
    slice.insert(focus);
    slice.into_iter().collect()
}

/// Draws `slice` (history indices), one row per client; `focus` is drawn
/// with `=`.
pub(super) fn timeline<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
    slice: &[usize],
    focus: Option<usize>,
) -> String {
    struct Bar {
        client: ClientId,
        start: u64,
        end: u64,
        label: Vec<char>,
        fill: char,
        last: char,
    }
    let bars: Vec<Bar> = slice
        .iter()
        .map(|&i| {
            let op = &history.ops()[i];
            let mut label: Vec<char> = model.describe(op.op(), op.ret()).chars().collect();
            if label.len() > MAX_LABEL {
                label.truncate(MAX_LABEL - 3);
                label.extend("...".chars());
            }
            Bar {
                client: op.client(),
                start: op.invoked(),
                end: end(op),
                label,
                fill: if Some(i) == focus { '=' } else { '-' },
                last: if op.is_fail() {
                    'x'
                } else if op.is_indefinite() {
                    '?'
                } else {
                    '|'
                },
            }
        })
        .collect();

    // Columns: each event position gets the next column, pushed right until
    // every bar ending there has room for its label and two dashes a side.
    let mut positions: Vec<u64> = bars.iter().flat_map(|b| [b.start, b.end]).collect();
    positions.sort_unstable();
    positions.dedup();
    let mut column: HashMap<u64, usize> = HashMap::new();
    let mut width = 0;
    for (k, &p) in positions.iter().enumerate() {
        // A space between a client's consecutive bars: `--| |--`, not `--||--`.
        let touching = k > 0
            && bars.iter().any(|b| {
                b.start == p
                    && bars
                        .iter()
                        .any(|e| e.end == positions[k - 1] && e.client == b.client)
            });
        let mut x = match k {
            0 => 0,
            _ if touching => width + 2,
            _ => width + 1,
        };
        for b in bars.iter().filter(|b| b.end == p) {
            x = x.max(column[&b.start] + b.label.len() + 5);
        }
        column.insert(p, x);
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
            row[z] = b.last;
            let inner = z - a - 1;
            for cell in &mut row[a + 1..z] {
                *cell = b.fill;
            }
            let from = a + 1 + (inner - b.label.len()) / 2;
            row[from..from + b.label.len()].copy_from_slice(&b.label);
        }
        let row: String = row.into_iter().collect();
        let _ = writeln!(out, "client {client:<name_width$}  {}", row.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Register, RegisterOp, RegisterRet};
    use super::*;

    #[test]
    fn timeline_draws_each_kind_of_bar() {
        let mut h = History::new();
        let w = h.invoke(0, RegisterOp::Write(1));
        h.ok(w, RegisterRet::Done);
        let r = h.invoke(1, RegisterOp::Read);
        let f = h.invoke(0, RegisterOp::Write(2));
        h.ok(r, RegisterRet::Value(0));
        h.fail(f);
        let u = h.invoke(2, RegisterOp::Write(3));
        h.unknown(u);
        h.invoke(0, RegisterOp::Write(4)); // never completes
        let model = Register::new(0);
        let text = timeline(&model, &h, &[0, 1, 2, 3, 4], Some(1));
        let expected = [
            "client 0  |--write(1)--| |--write(2)--x              |--write(4)--?",
            "client 1                |==read->0==|",
            "client 2                               |--write(3)--?",
        ];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
    }

    #[test]
    fn slices_keep_overlapping_ops_and_a_few_before() {
        let mut h = History::new();
        for v in 1..=6 {
            let w = h.invoke(0, RegisterOp::Write(v));
            h.ok(w, RegisterRet::Done);
        }
        let open = h.invoke(2, RegisterOp::Write(9));
        let r = h.invoke(1, RegisterOp::Read);
        h.ok(r, RegisterRet::Value(0));
        let after = h.invoke(1, RegisterOp::Read);
        h.ok(after, RegisterRet::Value(9));
        let all: Vec<usize> = (0..h.len()).collect();
        let slice = slice_around(&h, &all, r.index());
        assert_eq!(slice, [2, 3, 4, 5, open.index(), r.index()]);
    }

    #[test]
    fn a_clients_back_to_back_bars_are_kept_apart() {
        // Events 0..4: write(1) invoked and completed, then at once the same
        // client's write(2). Columns: 0, then 0 + len("write(1)") + 5 = 13
        // for its end, 13 + 2 = 15 (one blank) for the next start, and
        // 15 + 8 + 5 = 28.
        let mut h = History::new();
        let a = h.invoke(0, RegisterOp::Write(1));
        h.ok(a, RegisterRet::Done);
        let b = h.invoke(0, RegisterOp::Write(2));
        h.ok(b, RegisterRet::Done);
        let text = timeline(&Register::new(0), &h, &[0, 1], None);
        assert_eq!(text, "client 0  |--write(1)--| |--write(2)--|\n");
    }

    #[test]
    fn a_bar_stretched_by_another_centres_its_label_leaning_left() {
        // write(22) (9 characters) runs inside write(1): its end goes to
        // column 1 + 9 + 5 = 15 and write(1)'s to 16. write(1) has 15 cells
        // inside for 8 characters: 3 dashes before, 4 after.
        let mut h = History::new();
        let outer = h.invoke(0, RegisterOp::Write(1));
        let inner = h.invoke(1, RegisterOp::Write(22));
        h.ok(inner, RegisterRet::Done);
        h.ok(outer, RegisterRet::Done);
        let text = timeline(&Register::new(0), &h, &[0, 1], None);
        let expected = ["client 0  |---write(1)----|", "client 1   |--write(22)--|"];
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "\n{text}");
    }

    #[test]
    fn labels_up_to_the_limit_are_whole_and_longer_ones_end_in_dots() {
        // `write("` + n x's + `")` is n + 9 characters.
        let bar = |n: usize| {
            let mut h = History::new();
            let w = h.invoke(0, RegisterOp::Write("x".repeat(n)));
            h.ok(w, RegisterRet::Done);
            timeline(&Register::new(String::new()), &h, &[0], None)
        };
        let whole = format!("client 0  |--write(\"{}\")--|\n", "x".repeat(31));
        assert_eq!(bar(31), whole, "a {MAX_LABEL}-character label is kept");
        // 41 characters: the first 37 and `...`.
        let cut = format!("client 0  |--write(\"{}...--|\n", "x".repeat(30));
        assert_eq!(bar(32), cut);
        assert_eq!(bar(90), cut);
    }

    #[test]
    fn a_long_prefix_shows_its_last_eight() {
        let mut h = History::new();
        for v in 1..=9 {
            let w = h.invoke(0, RegisterOp::Write(v));
            h.ok(w, RegisterRet::Done);
        }
        let r = h.invoke(1, RegisterOp::Read);
        h.ok(r, RegisterRet::Value(0));
        let model = Register::new(0);
        let refs: Vec<OpRef> = h.ops().iter().map(|o| op_ref(&model, o)).collect();
        let shown = |n: usize| {
            Report::new("linearizability", None, Some(refs[9].clone()), "w".into())
                .with_prefix(refs[..n].to_vec(), n.to_string())
                .to_string()
        };
        let lines = |first: usize, n: usize| -> String {
            (first..=n)
                .map(|v| format!("    client 0's write({v}) (#{})\n", v - 1))
                .collect()
        };
        let head = "linearizability violated at client 1's read->0 (#9)\n  why: w\n";
        assert_eq!(
            shown(9),
            format!(
                "{head}  longest legal prefix: 9 operations, the last 8\n{}  model state after it: 9\n",
                lines(2, 9)
            )
        );
        assert_eq!(
            shown(8),
            format!(
                "{head}  longest legal prefix: 8 operations\n{}  model state after it: 8\n",
                lines(1, 8)
            )
        );
        assert_eq!(
            shown(1),
            format!(
                "{head}  longest legal prefix: 1 operation\n{}  model state after it: 1\n",
                lines(1, 1)
            )
        );
    }

    #[test]
    fn long_labels_are_cut() {
        let mut h = History::new();
        let w = h.invoke(0, RegisterOp::Write("x".repeat(100)));
        h.ok(w, RegisterRet::Done);
        let text = timeline(&Register::new(String::new()), &h, &[0], None);
        assert!(text.contains("...--|"), "{text}");
        assert!(text.len() < 70, "{text}");
    }
}

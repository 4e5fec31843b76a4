//! What the linearizability and sequential searches share: a bitset of
//! placed operations, the memo of visited (placed set, state) pairs, and the
//! split of a history into partitions.

use std::collections::HashMap;
use std::hash::Hash;

use super::{History, Model};

/// A fixed-size set of operation indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Bits(Box<[u64]>);

impl Bits {
    pub(super) fn new(n: usize) -> Self {
        Self(vec![0; n.div_ceil(64)].into_boxed_slice())
    }

    pub(super) fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub(super) fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    pub(super) fn get(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn is_subset(&self, of: &Bits) -> bool {
        self.0.iter().zip(of.0.iter()).all(|(a, b)| a & !b == 0)
    }

    fn masked(&self, mask: &Bits, keep: bool) -> Bits {
        let words = self.0.iter().zip(mask.0.iter());
        Bits(
            words
                .map(|(w, m)| if keep { w & m } else { w & !m })
                .collect(),
        )
    }
}

/// The memo of Lowe's search: every (placed set, state) pair already
/// explored without success, so the search never explores one twice.
///
/// One refinement for indefinite operations: placing one is optional, so a
/// node that placed *more* indefinite operations than an explored node with
/// the same definite set and state has no continuation that node lacked (the
/// extra ones could have stayed unplaced). Such nodes are pruned too;
/// without it every open timed-out write would double the search.
pub(super) struct Memo<S> {
    indefinite: Bits,
    seen: HashMap<(Bits, S), Vec<Bits>>,
}

impl<S: Clone + Eq + Hash> Memo<S> {
    /// A memo for a search whose indefinite operations are `indefinite`.
    pub(super) fn new(indefinite: Bits) -> Self {
        Self {
            indefinite,
            seen: HashMap::new(),
        }
    }

    /// Records a visit to (`placed`, `state`); `false` if an earlier visit
    /// already covered it, so it need not be explored.
    pub(super) fn insert(&mut self, placed: &Bits, state: &S) -> bool {
        let definite = placed.masked(&self.indefinite, false);
        let optional = placed.masked(&self.indefinite, true);
        let visits = self.seen.entry((definite, state.clone())).or_default();
        if visits.iter().any(|seen| seen.is_subset(&optional)) {
            return false;
        }
        // Visits that placed a superset are covered by this one from now on.
        visits.retain(|seen| !optional.is_subset(seen));
        visits.push(optional);
        true
    }
}

/// The history's operations grouped by [`Model::partition`], in order of
/// each partition's first operation; within one, in invocation order.
pub(super) fn partitions<M: Model>(
    model: &M,
    history: &History<M::Op, M::Ret>,
) -> Vec<(Option<String>, Vec<usize>)> {
    let mut groups: Vec<(Option<String>, Vec<usize>)> = Vec::new();
    let mut index: HashMap<Option<String>, usize> = HashMap::new();
    for (i, op) in history.ops().iter().enumerate() {
        let key = model.partition(op.op());
        let g = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i);
    }
    groups
}

/// The deepest point a failed search reached: the longest prefix it could
/// place (history indices, in order), the state after it, and the
/// operation it could not place next.
pub(super) struct Deepest<S> {
    pub(super) prefix: Vec<usize>,
    pub(super) state: S,
    pub(super) stuck: usize,
    /// How many of `prefix` are definite: deeper means more of them, then
    /// fewer optional ones (a prefix that needs no timed-out write is the
    /// clearer explanation).
    pub(super) definite: usize,
}

impl<S> Deepest<S> {
    /// Whether a dead end with `definite` definite operations among
    /// `placed` is a better explanation than `best`.
    pub(super) fn improves(best: &Option<Self>, definite: usize, placed: usize) -> bool {
        best.as_ref().is_none_or(|d| {
            (definite, d.prefix.len() - d.definite) > (d.definite, placed - definite)
        })
    }
}

/// How a search ended.
pub(super) enum Search<S> {
    Found,
    Stuck(Deepest<S>),
    OutOfSteps,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_set_clear_and_subsets() {
        let mut a = Bits::new(130);
        a.set(0);
        a.set(129);
        assert!(a.get(129) && a.get(0) && !a.get(64));
        let mut b = a.clone();
        b.set(64);
        assert!(a.is_subset(&b) && !b.is_subset(&a));
        b.clear(64);
        assert_eq!(a, b);
    }

    #[test]
    fn memo_prunes_revisits_and_extra_optional_ops() {
        let mut mask = Bits::new(3);
        mask.set(2); // op 2 is indefinite
        let mut memo = Memo::new(mask);
        let mut placed = Bits::new(3);
        placed.set(0);
        assert!(memo.insert(&placed, &"s"));
        assert!(!memo.insert(&placed, &"s"), "the same node twice");
        assert!(memo.insert(&placed, &"t"), "another state is another node");
        let mut more = placed.clone();
        more.set(2);
        assert!(
            !memo.insert(&more, &"s"),
            "placing an optional op too adds nothing"
        );
        assert!(memo.insert(&more, &"u"));
        let mut fewer = Bits::new(3);
        fewer.set(0);
        assert!(
            memo.insert(&fewer, &"u"),
            "fewer optional ops placed is a new node"
        );
        let mut other = Bits::new(3);
        other.set(1);
        assert!(memo.insert(&other, &"s"), "another definite set");
    }

    #[test]
    fn the_deepest_dead_end_has_more_definite_ops_then_fewer_optional_ones() {
        // The best so far: 3 placed, of which 1 definite and 2 optional.
        let best = Some(Deepest {
            prefix: vec![0, 1, 2],
            state: (),
            stuck: 3,
            definite: 1,
        });
        assert!(
            Deepest::improves(&None::<Deepest<()>>, 0, 0),
            "anything beats nothing"
        );
        assert!(Deepest::improves(&best, 2, 2), "more definite wins");
        assert!(
            Deepest::improves(&best, 2, 5),
            "more definite wins whatever the optional"
        );
        assert!(!Deepest::improves(&best, 0, 0), "fewer definite loses");
        assert!(
            Deepest::improves(&best, 1, 2),
            "as many definite, fewer optional, wins"
        );
        assert!(
            !Deepest::improves(&best, 1, 3),
            "a tie keeps the first found"
        );
        assert!(
            !Deepest::improves(&best, 1, 4),
            "as many definite, more optional, loses"
        );
    }
}

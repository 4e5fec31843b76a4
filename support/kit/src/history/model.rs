//! Sequential specifications: what an object does when its operations run
//! one at a time. The checkers search for an order of the recorded
//! operations that this specification explains.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;

/// The sequential specification of an object.
///
/// `step` is deterministic: one state and one operation give one next state
/// and one return value. A definite `Ok(ret)` is legal where `step` returns
/// exactly `ret`; an indefinite operation, whose return value nobody saw, is
/// legal anywhere and moves the state as `step` says. States are memoised by
/// the searches, hence `Eq + Hash`: keep them small.
///
/// ```
/// use kit::history::{History, Model, check_linearizable};
///
/// /// A counter whose `incr` returns the new value.
/// struct Counter;
/// impl Model for Counter {
///     type State = u64;
///     type Op = ();
///     type Ret = u64;
///     fn init(&self) -> u64 { 0 }
///     fn step(&self, n: &u64, _: &()) -> (u64, u64) { (n + 1, n + 1) }
/// }
///
/// // Two concurrent increments that both return 1: one update was lost.
/// let mut h = History::new();
/// let a = h.invoke(0, ());
/// let b = h.invoke(1, ());
/// h.ok(a, 1);
/// h.ok(b, 1);
/// assert!(!check_linearizable(&Counter, &h, 1_000).is_ok());
/// ```
pub trait Model {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// An operation, with its arguments.
    type Op: Debug;
    /// What an operation returns.
    type Ret: PartialEq + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies `op` to `state`: the next state and what `op` returns.
    fn step(&self, state: &Self::State, op: &Self::Op) -> (Self::State, Self::Ret);

    /// The independent part of the object `op` touches, for objects that are
    /// a product of independent ones (a map is one register per key). Ops
    /// with different partitions never affect each other, and
    /// [`check_linearizable`](super::check_linearizable) checks each
    /// partition's sub-history alone: sound because linearizability is local
    /// (Herlihy and Wing), and exponentially faster. The default puts every
    /// operation in one partition. The string names the partition in reports.
    fn partition(&self, _op: &Self::Op) -> Option<String> {
        None
    }

    /// A short label for `op` and, if known, its return value, for reports
    /// and timelines: `read->1`, `put(x,2)`. The default uses `Debug`.
    fn describe(&self, op: &Self::Op, ret: Option<&Self::Ret>) -> String {
        match ret {
            Some(ret) => format!("{op:?}->{ret:?}"),
            None => format!("{op:?}"),
        }
    }
}

/// What an operation did to one register, for the session checkers, which
/// reason about which write each read saw rather than about a model state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access<K, V> {
    /// It read `value` from `key`.
    Read {
        /// The register.
        key: K,
        /// The value read.
        value: V,
    },
    /// It wrote `value` to `key` (perhaps: for an indefinite write).
    Write {
        /// The register.
        key: K,
        /// The value written.
        value: V,
    },
    /// It read `read` from `key` and replaced it with `wrote` (a successful
    /// compare-and-set).
    Update {
        /// The register.
        key: K,
        /// The value it saw.
        read: V,
        /// The value it wrote.
        wrote: V,
    },
    /// Nothing the session checkers can use (a failed compare-and-set
    /// reveals no value; an indefinite read returned nothing).
    Other,
}

/// A [`Model`] made of registers, each read and written whole: what
/// [`check_session`](super::check_session) needs to map each read to the
/// write it saw.
pub trait Registers: Model {
    /// Names a register (`()` for a single one).
    type Key: Clone + Eq + Hash + Debug;
    /// What a register holds.
    type Value: Clone + Eq + Hash + Debug;

    /// The value `key` holds before any write.
    fn initial(&self, key: &Self::Key) -> Self::Value;

    /// What `op` did, given its return value if it completed `Ok` (`None`
    /// for an indefinite operation).
    fn access(&self, op: &Self::Op, ret: Option<&Self::Ret>) -> Access<Self::Key, Self::Value>;
}

/// A single register with read, write and compare-and-set. A read/write
/// register is the same model used without `Cas`.
#[derive(Debug, Clone)]
pub struct Register<V> {
    init: V,
}

impl<V> Register<V> {
    /// A register holding `init` before any write.
    pub fn new(init: V) -> Self {
        Self { init }
    }
}

/// An operation on a [`Register`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegisterOp<V> {
    /// Returns the value.
    Read,
    /// Replaces the value; returns [`RegisterRet::Done`].
    Write(V),
    /// If the value is `expect`, replaces it with `new`; returns
    /// [`RegisterRet::Swapped`] saying whether it did. A cas that returns
    /// `false` completed `Ok`: it ran and changed nothing.
    Cas {
        /// The value it must find.
        expect: V,
        /// The value it then writes.
        new: V,
    },
}

/// What a [`RegisterOp`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RegisterRet<V> {
    /// A read's value.
    Value(V),
    /// A write's acknowledgement.
    Done,
    /// Whether a cas swapped.
    Swapped(bool),
}

impl<V: Clone + Eq + Hash + Debug> Model for Register<V> {
    type State = V;
    type Op = RegisterOp<V>;
    type Ret = RegisterRet<V>;

    fn init(&self) -> V {
        self.init.clone()
    }

    fn step(&self, value: &V, op: &RegisterOp<V>) -> (V, RegisterRet<V>) {
        match op {
            RegisterOp::Read => (value.clone(), RegisterRet::Value(value.clone())),
            RegisterOp::Write(v) => (v.clone(), RegisterRet::Done),
            RegisterOp::Cas { expect, new } if expect == value => {
                (new.clone(), RegisterRet::Swapped(true))
            }
            RegisterOp::Cas { .. } => (value.clone(), RegisterRet::Swapped(false)),
        }
    }

    fn describe(&self, op: &RegisterOp<V>, ret: Option<&RegisterRet<V>>) -> String {
        let op = match op {
            RegisterOp::Read => "read".to_string(),
            RegisterOp::Write(v) => format!("write({v:?})"),
            RegisterOp::Cas { expect, new } => format!("cas({expect:?},{new:?})"),
        };
        match ret {
            Some(RegisterRet::Value(v)) => format!("{op}->{v:?}"),
            Some(RegisterRet::Swapped(b)) => format!("{op}->{b}"),
            Some(RegisterRet::Done) | None => op,
        }
    }
}

impl<V: Clone + Eq + Hash + Debug> Registers for Register<V> {
    type Key = ();
    type Value = V;

    fn initial(&self, _: &()) -> V {
        self.init.clone()
    }

    fn access(&self, op: &RegisterOp<V>, ret: Option<&RegisterRet<V>>) -> Access<(), V> {
        match (op, ret) {
            (RegisterOp::Read, Some(RegisterRet::Value(v))) => Access::Read {
                key: (),
                value: v.clone(),
            },
            (RegisterOp::Write(v), _) | (RegisterOp::Cas { new: v, .. }, None) => Access::Write {
                key: (),
                value: v.clone(),
            },
            (RegisterOp::Cas { expect, new }, Some(RegisterRet::Swapped(true))) => Access::Update {
                key: (),
                read: expect.clone(),
                wrote: new.clone(),
            },
            _ => Access::Other,
        }
    }
}

/// A key-value map with get, put and delete: one independent register per
/// key, so [`Model::partition`] splits its histories by key.
#[derive(Debug, Clone)]
pub struct KvMap<K, V> {
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> KvMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self { types: PhantomData }
    }
}

impl<K, V> Default for KvMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// An operation on a [`KvMap`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KvOp<K, V> {
    /// Returns the key's value, or `None`.
    Get(K),
    /// Sets the key's value.
    Put(K, V),
    /// Removes the key.
    Delete(K),
}

impl<K, V> KvOp<K, V> {
    /// The key the operation touches.
    pub fn key(&self) -> &K {
        match self {
            KvOp::Get(k) | KvOp::Put(k, _) | KvOp::Delete(k) => k,
        }
    }
}

/// What a [`KvOp`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KvRet<V> {
    /// A get's value (`None`: absent).
    Value(Option<V>),
    /// A put's or delete's acknowledgement.
    Done,
}

impl<K, V> Model for KvMap<K, V>
where
    K: Clone + Ord + Hash + Debug,
    V: Clone + Eq + Hash + Debug,
{
    // Per partition the map holds one key, so cloning it is cheap.
    type State = BTreeMap<K, V>;
    type Op = KvOp<K, V>;
    type Ret = KvRet<V>;

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    fn step(&self, map: &Self::State, op: &KvOp<K, V>) -> (Self::State, KvRet<V>) {
        match op {
            KvOp::Get(k) => (map.clone(), KvRet::Value(map.get(k).cloned())),
            KvOp::Put(k, v) => {
                let mut next = map.clone();
                next.insert(k.clone(), v.clone());
                (next, KvRet::Done)
            }
            KvOp::Delete(k) => {
                let mut next = map.clone();
                next.remove(k);
                (next, KvRet::Done)
            }
        }
    }

    fn partition(&self, op: &KvOp<K, V>) -> Option<String> {
        Some(format!("{:?}", op.key()))
    }

    fn describe(&self, op: &KvOp<K, V>, ret: Option<&KvRet<V>>) -> String {
        let op = match op {
            KvOp::Get(k) => format!("get({k:?})"),
            KvOp::Put(k, v) => format!("put({k:?},{v:?})"),
            KvOp::Delete(k) => format!("delete({k:?})"),
        };
        match ret {
            Some(KvRet::Value(Some(v))) => format!("{op}->{v:?}"),
            Some(KvRet::Value(None)) => format!("{op}->none"),
            Some(KvRet::Done) | None => op,
        }
    }
}

impl<K, V> Registers for KvMap<K, V>
where
    K: Clone + Ord + Hash + Debug,
    V: Clone + Eq + Hash + Debug,
{
    type Key = K;
    /// `None` is the absent value, so a delete writes the initial value
    /// again: the session checkers cannot map reads of `None` to one write,
    /// and answer `Unknown` for histories with deletes.
    type Value = Option<V>;

    fn initial(&self, _: &K) -> Option<V> {
        None
    }

    fn access(&self, op: &KvOp<K, V>, ret: Option<&KvRet<V>>) -> Access<K, Option<V>> {
        match (op, ret) {
            (KvOp::Get(k), Some(KvRet::Value(v))) => Access::Read {
                key: k.clone(),
                value: v.clone(),
            },
            (KvOp::Put(k, v), _) => Access::Write {
                key: k.clone(),
                value: Some(v.clone()),
            },
            (KvOp::Delete(k), _) => Access::Write {
                key: k.clone(),
                value: None,
            },
            _ => Access::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_steps_and_labels() {
        let r = Register::new(0);
        assert_eq!(r.step(&3, &RegisterOp::Read), (3, RegisterRet::Value(3)));
        assert_eq!(r.step(&3, &RegisterOp::Write(4)), (4, RegisterRet::Done));
        let cas = RegisterOp::Cas { expect: 3, new: 5 };
        assert_eq!(r.step(&3, &cas), (5, RegisterRet::Swapped(true)));
        assert_eq!(r.step(&4, &cas), (4, RegisterRet::Swapped(false)));
        assert_eq!(
            r.describe(&RegisterOp::Read, Some(&RegisterRet::Value(1))),
            "read->1"
        );
        assert_eq!(
            r.describe(&RegisterOp::Write(1), Some(&RegisterRet::Done)),
            "write(1)"
        );
        assert_eq!(
            r.describe(&cas, Some(&RegisterRet::Swapped(false))),
            "cas(3,5)->false"
        );
        assert_eq!(r.partition(&RegisterOp::Read), None);
    }

    #[test]
    fn kv_steps_partitions_and_labels() {
        let m: KvMap<&str, u8> = KvMap::new();
        let (s, _) = m.step(&m.init(), &KvOp::Put("x", 1));
        assert_eq!(m.step(&s, &KvOp::Get("x")).1, KvRet::Value(Some(1)));
        assert_eq!(m.step(&s, &KvOp::Get("y")).1, KvRet::Value(None));
        let (s, _) = m.step(&s, &KvOp::Delete("x"));
        assert!(s.is_empty());
        assert_eq!(m.partition(&KvOp::Get("x")), Some("\"x\"".into()));
        assert_eq!(
            m.describe(&KvOp::Get("x"), Some(&KvRet::Value(None))),
            "get(\"x\")->none"
        );
        assert_eq!(
            m.access(&KvOp::Get("x"), Some(&KvRet::Value(Some(3)))),
            Access::Read {
                key: "x",
                value: Some(3)
            }
        );
        assert_eq!(
            m.access(&KvOp::Get("x"), None),
            Access::Other,
            "a read that never returned read nothing"
        );
        assert_eq!(
            m.access(&KvOp::Put("x", 4), None),
            Access::Write {
                key: "x",
                value: Some(4)
            }
        );
        assert_eq!(
            m.access(&KvOp::Delete("x"), None),
            Access::Write {
                key: "x",
                value: None
            }
        );
    }

    #[test]
    fn register_accesses() {
        let r = Register::new(0);
        let cas = RegisterOp::Cas { expect: 1, new: 2 };
        assert_eq!(
            r.access(&cas, Some(&RegisterRet::Swapped(true))),
            Access::Update {
                key: (),
                read: 1,
                wrote: 2
            }
        );
        assert_eq!(r.access(&cas, None), Access::Write { key: (), value: 2 });
        assert_eq!(
            r.access(&cas, Some(&RegisterRet::Swapped(false))),
            Access::Other
        );
        assert_eq!(r.access(&RegisterOp::Read, None), Access::Other);
    }
}

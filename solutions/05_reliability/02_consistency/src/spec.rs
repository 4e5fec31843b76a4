//! Sequential specifications: what an object does when its operations run
//! one at a time, and which return values are legal.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

/// The sequential specification of an object: from a state, an operation and
/// the return value a client saw, the next state, or `None` if that return
/// value is illegal there.
///
/// Specifications are deterministic: one state and one operation allow at
/// most one next state. The checkers memoise states, hence `Eq + Hash`: keep
/// them small.
pub trait Spec {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// An operation, with its arguments.
    type Op: Debug;
    /// What an operation returns.
    type Ret: PartialEq + Debug;
    /// Names the independent part of the object an operation touches (see
    /// [`Spec::key`]).
    type Key: Clone + Eq + Hash + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies `op` to `state`. `ret` is what the client saw: `Some(r)` for
    /// an operation that completed `Ok(r)`, `None` for an indefinite one,
    /// whose return value nobody saw. Returns the next state, or `None` if
    /// the operation cannot return `ret` in `state` (an illegal step).
    /// `ret: None` is never illegal.
    fn step(
        &self,
        state: &Self::State,
        op: &Self::Op,
        ret: Option<&Self::Ret>,
    ) -> Option<Self::State>;

    /// The independent part of the object `op` touches: operations with
    /// different keys never affect each other's results, so a checker may
    /// check each key's operations alone. One object of one part (a
    /// register) gives every operation the same key.
    fn key(&self, op: &Self::Op) -> Self::Key;

    /// A short label of `op` and, if known, its return value, for
    /// counterexamples and timelines. Each specification documents its
    /// labels.
    fn describe(&self, op: &Self::Op, ret: Option<&Self::Ret>) -> String;
}

/// What a [`Register`] or a [`CasRegister`] operation returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterRet {
    /// A read's value.
    Value(u64),
    /// A write's acknowledgement.
    Done,
    /// Whether a compare-and-set swapped.
    Swapped(bool),
}

/// An operation on a [`Register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// Returns [`RegisterRet::Value`] of the current value.
    Read,
    /// Replaces the value; returns [`RegisterRet::Done`].
    Write(u64),
}

/// A read/write register of a `u64`.
///
/// - `Read` returns `Value(v)` of the current value `v` and leaves it.
/// - `Write(v)` returns `Done` and makes the value `v`.
/// - Any other return value is illegal. The state is the value; every
///   operation has the key `()`.
/// - Labels: `read`, `read->3` (returned 3), `write(3)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Register {
    /// The value before any write.
    pub init: u64,
}

impl Spec for Register {
    type State = u64;
    type Op = RegisterOp;
    type Ret = RegisterRet;
    type Key = ();

    fn init(&self) -> u64 {
        self.init
    }

    fn step(&self, state: &u64, op: &RegisterOp, ret: Option<&RegisterRet>) -> Option<u64> {
        match (op, ret) {
            (RegisterOp::Read, None) => Some(*state),
            (RegisterOp::Read, Some(RegisterRet::Value(v))) => (v == state).then_some(*state),
            (RegisterOp::Write(v), None | Some(RegisterRet::Done)) => Some(*v),
            _ => None,
        }
    }

    fn key(&self, _: &RegisterOp) {}

    fn describe(&self, op: &RegisterOp, ret: Option<&RegisterRet>) -> String {
        match op {
            RegisterOp::Read => with_ret("read".to_string(), ret),
            RegisterOp::Write(v) => format!("write({v})"),
        }
    }
}

/// An operation on a [`CasRegister`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CasOp {
    /// Returns [`RegisterRet::Value`] of the current value.
    Read,
    /// Replaces the value; returns [`RegisterRet::Done`].
    Write(u64),
    /// If the value is `expect`, replaces it with `new`; returns
    /// [`RegisterRet::Swapped`] saying whether it did.
    Cas {
        /// The value it must find.
        expect: u64,
        /// The value it then writes.
        new: u64,
    },
}

/// A register of a `u64` with compare-and-set, the primitive behind
/// optimistic concurrency (etcd transactions, DynamoDB conditional writes).
///
/// - `Read` and `Write` as in [`Register`].
/// - `Cas { expect, new }` in state `expect` makes the value `new` and
///   returns `Swapped(true)`; in any other state it changes nothing and
///   returns `Swapped(false)` (a cas that returned `false` completed `Ok`:
///   it ran). An indefinite cas (`ret: None`) does whichever the state says.
/// - Any other return value is illegal. Every operation has the key `()`.
/// - Labels: `read`, `read->3`, `write(3)`, `cas(1,2)`, `cas(1,2)->true`,
///   `cas(1,2)->false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CasRegister {
    /// The value before any write.
    pub init: u64,
}

impl Spec for CasRegister {
    type State = u64;
    type Op = CasOp;
    type Ret = RegisterRet;
    type Key = ();

    fn init(&self) -> u64 {
        self.init
    }

    fn step(&self, state: &u64, op: &CasOp, ret: Option<&RegisterRet>) -> Option<u64> {
        match *op {
            CasOp::Read => Register { init: self.init }.step(state, &RegisterOp::Read, ret),
            CasOp::Write(v) => Register { init: self.init }.step(state, &RegisterOp::Write(v), ret),
            CasOp::Cas { expect, new } => {
                let swaps = *state == expect;
                match ret {
                    None => Some(if swaps { new } else { *state }),
                    Some(RegisterRet::Swapped(true)) => swaps.then_some(new),
                    Some(RegisterRet::Swapped(false)) => (!swaps).then_some(*state),
                    Some(_) => None,
                }
            }
        }
    }

    fn key(&self, _: &CasOp) {}

    fn describe(&self, op: &CasOp, ret: Option<&RegisterRet>) -> String {
        match *op {
            CasOp::Read => with_ret("read".to_string(), ret),
            CasOp::Write(v) => format!("write({v})"),
            CasOp::Cas { expect, new } => with_ret(format!("cas({expect},{new})"), ret),
        }
    }
}

fn with_ret(label: String, ret: Option<&RegisterRet>) -> String {
    match ret {
        Some(RegisterRet::Value(v)) => format!("{label}->{v}"),
        Some(RegisterRet::Swapped(b)) => format!("{label}->{b}"),
        Some(RegisterRet::Done) | None => label,
    }
}

/// An operation on a [`KvMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvOp {
    /// Returns [`KvRet::Value`] of the key's value, `None` if absent.
    Get(u64),
    /// Sets the key's value; returns [`KvRet::Done`].
    Put(u64, u64),
    /// Removes the key; returns [`KvRet::Done`].
    Delete(u64),
}

impl KvOp {
    /// The key the operation touches.
    pub fn key(&self) -> u64 {
        match *self {
            KvOp::Get(k) | KvOp::Put(k, _) | KvOp::Delete(k) => k,
        }
    }
}

/// What a [`KvOp`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KvRet {
    /// A get's value (`None`: absent).
    Value(Option<u64>),
    /// A put's or delete's acknowledgement.
    Done,
}

/// A map from `u64` keys to `u64` values, empty at first: one independent
/// register per key.
///
/// - `Get(k)` returns `Value(Some(v))` if `k` holds `v`, `Value(None)` if
///   `k` is absent, and changes nothing.
/// - `Put(k, v)` returns `Done` and makes `k` hold `v`; `Delete(k)` returns
///   `Done` and removes `k`.
/// - Any other return value is illegal. The state is the map's contents;
///   an operation's key is the map key it touches.
/// - Labels: `get(1)`, `get(1)->5`, `get(1)->none`, `put(1,5)`, `delete(1)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvMap;

impl Spec for KvMap {
    type State = BTreeMap<u64, u64>;
    type Op = KvOp;
    type Ret = KvRet;
    type Key = u64;

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    fn step(&self, state: &Self::State, op: &KvOp, ret: Option<&KvRet>) -> Option<Self::State> {
        match (*op, ret) {
            (KvOp::Get(_), None) => Some(state.clone()),
            (KvOp::Get(k), Some(KvRet::Value(v))) => {
                (state.get(&k) == v.as_ref()).then(|| state.clone())
            }
            (KvOp::Put(k, v), None | Some(KvRet::Done)) => {
                let mut next = state.clone();
                next.insert(k, v);
                Some(next)
            }
            (KvOp::Delete(k), None | Some(KvRet::Done)) => {
                let mut next = state.clone();
                next.remove(&k);
                Some(next)
            }
            _ => None,
        }
    }

    fn key(&self, op: &KvOp) -> u64 {
        op.key()
    }

    fn describe(&self, op: &KvOp, ret: Option<&KvRet>) -> String {
        match (*op, ret) {
            (KvOp::Get(k), Some(KvRet::Value(Some(v)))) => format!("get({k})->{v}"),
            (KvOp::Get(k), Some(KvRet::Value(None))) => format!("get({k})->none"),
            (KvOp::Get(k), _) => format!("get({k})"),
            (KvOp::Put(k, v), _) => format!("put({k},{v})"),
            (KvOp::Delete(k), _) => format!("delete({k})"),
        }
    }
}

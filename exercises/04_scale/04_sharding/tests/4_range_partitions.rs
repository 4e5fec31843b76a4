//! Stage 4: range partitioning. Half-open key ranges, a store that starts as
//! one shard and splits a shard at its median key once it holds more than
//! `max_keys`, and scans and lookups that agree with one sorted map.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use proptest::prelude::*;
use sharding::{KeyRange, RangeStore};

use crate::common::CountingShard;

/// A store of counting shards numbered in creation order, and a counter of
/// how many shards `make` has built.
fn store(max_keys: usize) -> (RangeStore<CountingShard>, Rc<Cell<usize>>) {
    let made = Rc::new(Cell::new(0));
    let counter = Rc::clone(&made);
    let store = RangeStore::new(max_keys, move || {
        let id = counter.get();
        counter.set(id + 1);
        CountingShard::new(id)
    });
    (store, made)
}

fn ranges(store: &RangeStore<CountingShard>) -> Vec<KeyRange> {
    store.shards().map(|(range, _)| range.clone()).collect()
}

fn shard_keys(store: &RangeStore<CountingShard>) -> Vec<Vec<String>> {
    store
        .shards()
        .map(|(_, s)| s.data.keys().cloned().collect())
        .collect()
}

/// The ranges tile the key space, every shard holds only keys of its own
/// range, and none holds more than `max`.
fn check_layout(store: &RangeStore<CountingShard>, max: usize) -> Result<(), String> {
    let ranges = ranges(store);
    if ranges.first().map(|r| r.start.as_str()) != Some("") {
        return Err(format!("the first range must start at \"\": {ranges:?}"));
    }
    if ranges.last().map(|r| r.end.is_none()) != Some(true) {
        return Err(format!("the last range must have no end: {ranges:?}"));
    }
    for pair in ranges.windows(2) {
        if pair[0].end.as_deref() != Some(pair[1].start.as_str()) || pair[0].is_empty() {
            return Err(format!(
                "ranges must be non-empty and each end where the next starts: {ranges:?}"
            ));
        }
    }
    for (range, shard) in store.shards() {
        if shard.data.len() > max {
            return Err(format!(
                "shard {range:?} holds {} keys, more than {max}",
                shard.data.len()
            ));
        }
        if let Some(key) = shard.data.keys().find(|k| !range.contains(k)) {
            return Err(format!("shard {range:?} holds {key:?}, outside its range"));
        }
    }
    Ok(())
}

#[test]
fn key_ranges_are_half_open() {
    let r = KeyRange::new("b", "d");
    assert_eq!(
        r,
        KeyRange {
            start: "b".into(),
            end: Some("d".into())
        }
    );
    assert!(r.contains("b"), "the start is in the range");
    assert!(r.contains("c") && r.contains("czzz"));
    assert!(!r.contains("d"), "the end is not in the range");
    assert!(!r.contains("a") && !r.contains("e"));
    let tail = KeyRange::starting_at("m");
    assert_eq!(
        tail,
        KeyRange {
            start: "m".into(),
            end: None
        }
    );
    assert!(tail.contains("m") && tail.contains("zzzz") && !tail.contains("l"));
    let all = KeyRange::all();
    assert_eq!(
        all,
        KeyRange {
            start: String::new(),
            end: None
        }
    );
    assert!(all.contains("") && all.contains("anything"));
}

#[test]
fn empty_ranges() {
    assert!(KeyRange::new("b", "b").is_empty(), "[b, b) holds nothing");
    assert!(KeyRange::new("c", "b").is_empty(), "[c, b) holds nothing");
    assert!(!KeyRange::new("b", "c").is_empty());
    assert!(
        !KeyRange::new("b", "b\0").is_empty(),
        "[b, b\\0) holds \"b\""
    );
    assert!(!KeyRange::starting_at("zzz").is_empty() && !KeyRange::all().is_empty());
    assert!(!KeyRange::new("b", "b").contains("b"));
}

#[test]
fn overlapping_ranges() {
    let r = |a: &str, b: &str| KeyRange::new(a, b);
    assert!(r("a", "m").overlaps(&r("l", "z")));
    assert!(r("l", "z").overlaps(&r("a", "m")));
    assert!(
        r("a", "z").overlaps(&r("c", "d")),
        "a range overlaps one inside it"
    );
    assert!(
        !r("a", "m").overlaps(&r("m", "z")),
        "[a, m) and [m, z) share no key"
    );
    assert!(!r("m", "z").overlaps(&r("a", "m")));
    assert!(!r("a", "c").overlaps(&r("x", "z")));
    assert!(r("a", "m").overlaps(&KeyRange::starting_at("b")));
    assert!(!r("a", "m").overlaps(&KeyRange::starting_at("m")));
    assert!(KeyRange::starting_at("q").overlaps(&KeyRange::starting_at("a")));
    assert!(KeyRange::all().overlaps(&r("a", "b")));
    assert!(
        !r("c", "c").overlaps(&KeyRange::all()),
        "an empty range overlaps nothing"
    );
    assert!(!KeyRange::all().overlaps(&r("d", "c")));
    assert!(!r("c", "c").overlaps(&r("c", "c")));
}

#[test]
fn a_new_store_is_one_shard_covering_every_key() {
    let (mut store, made) = store(4);
    assert_eq!(made.get(), 1, "new() makes the first shard");
    assert_eq!(store.shard_count(), 1);
    assert_eq!(ranges(&store), [KeyRange::all()]);
    assert_eq!(store.shard_for(""), 0);
    assert_eq!(store.shard_for("zzz"), 0);
    assert_eq!(store.get("nothing"), None);
    assert_eq!(store.scan(&KeyRange::all()), Vec::new());
}

#[test]
#[should_panic(expected = "a shard must hold at least one key")]
fn a_store_of_empty_shards_panics() {
    let _ = store(0);
}

#[test]
fn a_shard_splits_at_its_median_when_it_grows_past_the_limit() {
    let (mut store, made) = store(4);
    for (i, key) in ["k0", "k1", "k2", "k3"].iter().enumerate() {
        store.put(key, i as u64);
    }
    assert_eq!(store.shard_count(), 1, "4 keys fit in a shard of at most 4");
    store.put("k4", 4);
    assert_eq!(made.get(), 2, "a split makes one new shard");
    // 5 keys k0..k4: the median is k[5/2] = k2.
    assert_eq!(
        ranges(&store),
        [KeyRange::new("", "k2"), KeyRange::starting_at("k2")],
        "a shard of 5 keys splits at k[5/2] = k2: [\"\", k2) and [k2, ∞)"
    );
    assert_eq!(
        shard_keys(&store),
        [vec!["k0", "k1"], vec!["k2", "k3", "k4"]],
        "the lower shard keeps the keys below the median, the new one takes the rest"
    );
    for (i, key) in ["k0", "k1", "k2", "k3", "k4"].iter().enumerate() {
        assert_eq!(store.get(key), Some(i as u64));
    }
    assert_eq!(store.shard_for("k1zz"), 0);
    assert_eq!(
        store.shard_for("k2"),
        1,
        "a key equal to a range's start belongs to that range"
    );
}

#[test]
fn an_even_count_splits_at_the_upper_median() {
    let (mut store, _) = store(5);
    for key in ["f", "a", "e", "b", "d", "c"] {
        store.put(key, 0);
    }
    // 6 keys a..f: the median is k[6/2] = d.
    assert_eq!(
        ranges(&store),
        [KeyRange::new("", "d"), KeyRange::starting_at("d")]
    );
    assert_eq!(
        shard_keys(&store),
        [vec!["a", "b", "c"], vec!["d", "e", "f"]]
    );
}

#[test]
fn a_middle_shard_splits_inside_its_own_range() {
    let (mut store, _) = store(3);
    for key in ["a", "b", "c", "d"] {
        store.put(key, 0);
    }
    // [ , c) {a, b}   [c, ∞) {c, d}
    for key in ["b1", "b2"] {
        store.put(key, 0);
    }
    // [ , c) had {a, b, b1, b2}: median k[2] = b1.
    assert_eq!(
        ranges(&store),
        [
            KeyRange::new("", "b1"),
            KeyRange::new("b1", "c"),
            KeyRange::starting_at("c")
        ],
        "the new shard takes [median, old end); the old one keeps [old start, median)"
    );
    assert_eq!(
        shard_keys(&store),
        [vec!["a", "b"], vec!["b1", "b2"], vec!["c", "d"]]
    );
}

#[test]
fn overwriting_a_key_does_not_grow_its_shard() {
    let (mut store, _) = store(2);
    store.put("a", 1);
    store.put("b", 2);
    store.put("a", 3);
    store.put("b", 4);
    assert_eq!(
        store.shard_count(),
        1,
        "two keys, however often written, fit in a shard of 2"
    );
    assert_eq!(store.get("a"), Some(3));
}

#[test]
fn a_scan_returns_the_range_in_key_order_across_shards() {
    let (mut store, _) = store(4);
    let keys: Vec<String> = (0..40).map(|i| format!("key:{i:03}")).collect();
    for (i, key) in keys.iter().enumerate().rev() {
        store.put(key, i as u64);
    }
    assert!(store.shard_count() > 5);
    let got = store.scan(&KeyRange::new("key:005", "key:031"));
    let expected: Vec<(String, u64)> = (5..31).map(|i| (format!("key:{i:03}"), i as u64)).collect();
    assert_eq!(
        got, expected,
        "[key:005, key:031) in key order, end excluded"
    );
    assert_eq!(store.scan(&KeyRange::new("key:031", "key:005")), Vec::new());
    assert_eq!(store.scan(&KeyRange::starting_at("key:038")).len(), 2);
    assert_eq!(store.scan(&KeyRange::all()).len(), 40);
}

#[test]
fn sequential_keys_all_land_on_the_last_shard() {
    // The hot spot of range partitioning: with increasing keys (timestamps,
    // auto-increment ids) every write goes to the last range, and each split
    // leaves behind a half-full shard that never receives another write.
    let (mut store, _) = store(10);
    for t in 0..1_000 {
        let key = format!("ts:{t:06}");
        assert_eq!(
            store.shard_for(&key),
            store.shard_count() - 1,
            "an increasing key belongs to the last range"
        );
        store.put(&key, t);
    }
    let sizes: Vec<usize> = store.shards().map(|(_, s)| s.data.len()).collect();
    let (last, full) = sizes.split_last().unwrap();
    assert!(
        full.iter().all(|&n| n == 5),
        "every split of 11 sequential keys leaves 11/2 = 5 behind: {sizes:?}"
    );
    assert!(*last <= 10);
    check_layout(&store, 10).unwrap();
}

#[derive(Debug, Clone)]
enum Op {
    Put(String, u64),
    Get(String),
    Scan(String, Option<String>),
}

fn key() -> impl Strategy<Value = String> {
    "[a-d]{0,3}"
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Put(k, v)),
        1 => key().prop_map(Op::Get),
        1 => (key(), proptest::option::of(key())).prop_map(|(s, e)| Op::Scan(s, e)),
    ]
}

proptest! {
    // A fixed seed, and no failure files beside the shipped tests.
    #![proptest_config(ProptestConfig {
        cases: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(106),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn behaves_like_one_sorted_map(max in 1usize..6, ops in proptest::collection::vec(op(), 1..120)) {
        let (mut store, _) = store(max);
        let mut model: BTreeMap<String, u64> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Put(k, v) => {
                    store.put(&k, v);
                    model.insert(k, v);
                    if let Err(problem) = check_layout(&store, max) {
                        prop_assert!(false, "{}", problem);
                    }
                }
                Op::Get(k) => prop_assert_eq!(store.get(&k), model.get(&k).copied(), "get({:?})", k),
                Op::Scan(start, end) => {
                    let range = KeyRange { start, end };
                    let expected: Vec<(String, u64)> = model
                        .iter()
                        .filter(|(k, _)| {
                            range.start.as_str() <= k.as_str()
                                && range.end.as_deref().is_none_or(|e| k.as_str() < e)
                        })
                        .map(|(k, v)| (k.clone(), *v))
                        .collect();
                    prop_assert_eq!(store.scan(&range), expected, "scan({:?})", range);
                }
            }
        }
    }
}

//! The lesson's protobuf codec (`Item::encode_proto` / `Item::decode_proto`
//! over `api_design::wire`) against prost's wire functions
//! (`prost::encoding::{uint64, string, sint64, int32}`, no derive) on the
//! same 1 000 seeded items; both write into a reused `Vec<u8>`'s worth of
//! bytes and decode into an `Item`.
//!
//! - `proto_encode`: encode all 1 000 items.
//! - `proto_decode`: decode all 1 000 encodings.

use std::hint::black_box;

use api_design::Item;
use criterion::{Criterion, criterion_group, criterion_main};
use kit::rng::Rng;
use prost::encoding::{self as pb, DecodeContext};

fn items() -> Vec<Item> {
    let mut rng = Rng::new(42);
    (0..1_000)
        .map(|i| Item {
            id: rng.range(1..1 << 40),
            name: format!("item number {i}"),
            owner: rng.range(1..100_000),
            price_cents: rng.range(0..2_000_000) as i64 - 1_000_000,
            stock: rng.below(10_000) as i32,
            version: 0,
        })
        .collect()
}

fn prost_encode(item: &Item, buf: &mut Vec<u8>) {
    if item.id != 0 {
        pb::uint64::encode(1, &item.id, buf);
    }
    if !item.name.is_empty() {
        pb::string::encode(2, &item.name, buf);
    }
    if item.owner != 0 {
        pb::uint64::encode(3, &item.owner, buf);
    }
    if item.price_cents != 0 {
        pb::sint64::encode(4, &item.price_cents, buf);
    }
    if item.stock != 0 {
        pb::int32::encode(5, &item.stock, buf);
    }
}

fn prost_decode(mut buf: &[u8]) -> Item {
    let mut item = Item::default();
    let ctx = DecodeContext::default();
    while !buf.is_empty() {
        let (tag, wt) = pb::decode_key(&mut buf).expect("valid key");
        let r = match tag {
            1 => pb::uint64::merge(wt, &mut item.id, &mut buf, ctx.clone()),
            2 => pb::string::merge(wt, &mut item.name, &mut buf, ctx.clone()),
            3 => pb::uint64::merge(wt, &mut item.owner, &mut buf, ctx.clone()),
            4 => pb::sint64::merge(wt, &mut item.price_cents, &mut buf, ctx.clone()),
            5 => pb::int32::merge(wt, &mut item.stock, &mut buf, ctx.clone()),
            _ => pb::skip_field(wt, tag, &mut buf, ctx.clone()),
        };
        r.expect("valid field");
    }
    item
}

fn encode(c: &mut Criterion) {
    let items = items();
    let mut group = c.benchmark_group("proto_encode");
    group.bench_function("sdkata_wire", |b| {
        b.iter(|| {
            let mut total = 0;
            for item in &items {
                total += black_box(item.encode_proto()).len();
            }
            total
        })
    });
    group.bench_function("prost_encoding", |b| {
        b.iter(|| {
            let mut total = 0;
            for item in &items {
                let mut buf = Vec::with_capacity(16 + item.name.len());
                prost_encode(item, &mut buf);
                total += black_box(buf).len();
            }
            total
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let encoded: Vec<Vec<u8>> = items().iter().map(Item::encode_proto).collect();
    let mut group = c.benchmark_group("proto_decode");
    group.bench_function("sdkata_wire", |b| {
        b.iter(|| {
            for bytes in &encoded {
                black_box(Item::decode_proto(black_box(bytes)).expect("valid"));
            }
        })
    });
    group.bench_function("prost_encoding", |b| {
        b.iter(|| {
            for bytes in &encoded {
                black_box(prost_decode(black_box(bytes)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);

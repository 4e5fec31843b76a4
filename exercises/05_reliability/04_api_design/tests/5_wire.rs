//! Stage 5: the protobuf wire format by hand, checked against the encoding
//! guide's examples and against prost's own wire functions as the oracle.

use api_design::Item;
use api_design::wire::{
    Value, WireError, WireType, decode_field, decode_key, decode_varint, encode_field, encode_key,
    encode_varint, unzigzag32, unzigzag64, varint_len, zigzag32, zigzag64,
};
use kit::rng::Rng;
use prost::encoding::{self as pb, DecodeContext};

use crate::common::random_item;

fn varint(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    encode_varint(v, &mut out);
    out
}

#[test]
fn the_encoding_guides_examples() {
    // https://protobuf.dev/programming-guides/encoding/
    assert_eq!(varint(1), [0x01]);
    assert_eq!(
        varint(150),
        [0x96, 0x01],
        "150 is 96 01: low seven bits first, high bit = more"
    );
    assert_eq!(varint(0), [0x00], "zero still takes one byte");
    assert_eq!(varint(u64::MAX).len(), 10, "a u64 takes at most 10 bytes");
    let mut out = Vec::new();
    encode_field(1, Value::Varint(150), &mut out);
    assert_eq!(
        out,
        [0x08, 0x96, 0x01],
        "field 1 = 150: key (1 << 3 | 0) = 08, then 96 01"
    );
    let mut out = Vec::new();
    encode_field(2, Value::Len(b"testing"), &mut out);
    assert_eq!(
        out,
        [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67],
        "field 2 = \"testing\": key (2 << 3 | 2) = 12, length 07, the bytes"
    );
    let mut inner = Vec::new();
    encode_field(1, Value::Varint(150), &mut inner);
    let mut out = Vec::new();
    encode_field(3, Value::Len(&inner), &mut out);
    assert_eq!(
        out,
        [0x1a, 0x03, 0x08, 0x96, 0x01],
        "a nested message is length-delimited: 1a 03 08 96 01"
    );
    for (v, z) in [
        (0i64, 0u64),
        (-1, 1),
        (1, 2),
        (-2, 3),
        (0x7fff_ffff, 0xffff_fffe),
        (-0x8000_0000, 0xffff_ffff),
    ] {
        assert_eq!(zigzag64(v), z, "zigzag({v}) per the guide's table");
        assert_eq!(zigzag32(v as i32), z as u32);
    }
    let mut out = Vec::new();
    encode_field(1, Value::I32(1), &mut out);
    encode_field(2, Value::I64(1), &mut out);
    assert_eq!(
        out,
        [0x0d, 1, 0, 0, 0, 0x11, 1, 0, 0, 0, 0, 0, 0, 0],
        "wire types 5 and 1 are four and eight little-endian bytes"
    );
}

#[test]
fn varints_and_zigzag_match_prost() {
    let mut rng = Rng::new(11);
    for _ in 0..2000 {
        let v = rng.next_u64() >> rng.below(64);
        let mut theirs = Vec::new();
        pb::encode_varint(v, &mut theirs);
        assert_eq!(varint(v), theirs, "varint of {v} differs from prost");
        assert_eq!(varint_len(v), pb::encoded_len_varint(v), "varint_len({v})");
        let mut buf = theirs.as_slice();
        assert_eq!(decode_varint(&mut buf), Ok(v));
        assert!(
            buf.is_empty(),
            "decode_varint must consume exactly the varint"
        );

        let s64 = v as i64;
        let mut theirs = Vec::new();
        pb::sint64::encode(1, &s64, &mut theirs);
        let mut ours = Vec::new();
        encode_field(1, Value::Varint(zigzag64(s64)), &mut ours);
        assert_eq!(ours, theirs, "sint64 {s64} must zigzag as prost does");
        assert_eq!(unzigzag64(zigzag64(s64)), s64);
        let s32 = v as i32;
        let mut theirs = Vec::new();
        pb::sint32::encode(1, &s32, &mut theirs);
        let mut ours = Vec::new();
        encode_field(1, Value::Varint(u64::from(zigzag32(s32))), &mut ours);
        assert_eq!(ours, theirs, "sint32 {s32}");
        assert_eq!(unzigzag32(zigzag32(s32)), s32);
    }
}

#[test]
fn keys_and_field_limits() {
    let mut out = Vec::new();
    encode_key(536_870_911, WireType::I32, &mut out);
    let mut theirs = Vec::new();
    pb::encode_key(536_870_911, pb::WireType::ThirtyTwoBit, &mut theirs);
    assert_eq!(
        out, theirs,
        "the largest field number, 2^29 - 1, as prost writes it"
    );
    assert_eq!(
        decode_key(&mut out.as_slice()),
        Ok((536_870_911, WireType::I32))
    );
    assert_eq!(
        decode_key(&mut [0x03u8].as_slice()),
        Err(WireError::BadWireType(3)),
        "groups (3, 4) are refused"
    );
    assert_eq!(
        decode_key(&mut [0x0eu8].as_slice()),
        Err(WireError::BadWireType(6))
    );
    assert_eq!(
        decode_key(&mut [0x00u8].as_slice()),
        Err(WireError::BadFieldNumber(0)),
        "field 0 does not exist"
    );
    let mut big = Vec::new();
    encode_varint((1u64 << 29) << 3, &mut big);
    assert_eq!(
        decode_key(&mut big.as_slice()),
        Err(WireError::BadFieldNumber(1 << 29))
    );
}

#[test]
#[should_panic(expected = "outside 1..=2^29-1")]
fn encoding_field_zero_panics() {
    encode_key(0, WireType::Varint, &mut Vec::new());
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let truncated: [&[u8]; 6] = [
        &[],
        &[0x96],
        &[0x08],
        &[0x12, 0x07, b't'],
        &[0x0d, 1, 2],
        &[0x11, 1, 2, 3, 4, 5, 6, 7],
    ];
    for bytes in truncated {
        let mut buf = bytes;
        assert_eq!(
            decode_field(&mut buf),
            Err(WireError::Truncated),
            "{bytes:02x?} ends early"
        );
    }
    let eleven = [0xffu8; 10]
        .iter()
        .copied()
        .chain([0x01])
        .collect::<Vec<_>>();
    assert_eq!(
        decode_varint(&mut eleven.as_slice()),
        Err(WireError::BadVarint),
        "more than 10 bytes"
    );
    let overflow = [0xffu8; 9]
        .iter()
        .copied()
        .chain([0x02])
        .collect::<Vec<_>>();
    assert_eq!(
        decode_varint(&mut overflow.as_slice()),
        Err(WireError::BadVarint),
        "a 10th byte above 01 does not fit in 64 bits"
    );
    let max = [0xffu8; 9]
        .iter()
        .copied()
        .chain([0x01])
        .collect::<Vec<_>>();
    assert_eq!(decode_varint(&mut max.as_slice()), Ok(u64::MAX));
    assert_eq!(
        Item::decode_proto(&[0x12, 0x02, 0xff, 0xfe]),
        Err(WireError::InvalidUtf8 { field: 2 })
    );
    assert_eq!(
        Item::decode_proto(&[0x0a, 0x01, 0x00]),
        Err(WireError::WrongWireType { field: 1 }),
        "field 1 is a varint; a length-delimited field 1 is an error, not a guess"
    );
}

fn prost_encode(item: &Item) -> Vec<u8> {
    let mut buf = Vec::new();
    if item.id != 0 {
        pb::uint64::encode(1, &item.id, &mut buf);
    }
    if !item.name.is_empty() {
        pb::string::encode(2, &item.name, &mut buf);
    }
    if item.owner != 0 {
        pb::uint64::encode(3, &item.owner, &mut buf);
    }
    if item.price_cents != 0 {
        pb::sint64::encode(4, &item.price_cents, &mut buf);
    }
    if item.stock != 0 {
        pb::int32::encode(5, &item.stock, &mut buf);
    }
    buf
}

fn prost_decode(mut buf: &[u8]) -> Item {
    let mut item = Item::default();
    let ctx = DecodeContext::default();
    while !buf.is_empty() {
        let (tag, wt) = pb::decode_key(&mut buf).expect("prost reads the key");
        let r = match tag {
            1 => pb::uint64::merge(wt, &mut item.id, &mut buf, ctx.clone()),
            2 => pb::string::merge(wt, &mut item.name, &mut buf, ctx.clone()),
            3 => pb::uint64::merge(wt, &mut item.owner, &mut buf, ctx.clone()),
            4 => pb::sint64::merge(wt, &mut item.price_cents, &mut buf, ctx.clone()),
            5 => pb::int32::merge(wt, &mut item.stock, &mut buf, ctx.clone()),
            _ => pb::skip_field(wt, tag, &mut buf, ctx.clone()),
        };
        r.expect("prost decodes the field");
    }
    item
}

#[test]
fn items_encode_byte_for_byte_as_prost_does() {
    let mut rng = Rng::new(5);
    for _ in 0..500 {
        let item = random_item(&mut rng);
        let ours = item.encode_proto();
        assert_eq!(
            ours,
            prost_encode(&item),
            "{item:?}: fields in number order, defaults left out, \
            price as sint64 (zigzag), stock as int32 (sign-extended)"
        );
        assert_eq!(
            Item::decode_proto(&ours).as_ref(),
            Ok(&item),
            "decode(encode(item)) == item"
        );
        assert_eq!(
            prost_decode(&ours),
            item,
            "prost reads our bytes back as the same item"
        );
    }
    let negative = Item {
        stock: -1,
        ..Item::default()
    };
    assert_eq!(
        negative.encode_proto().len(),
        11,
        "int32 -1 is sign-extended: key + 10 bytes"
    );
    let credit = Item {
        price_cents: -1,
        ..Item::default()
    };
    assert_eq!(
        credit.encode_proto(),
        [0x20, 0x01],
        "sint64 -1 zigzags to 1: two bytes, not eleven"
    );
    assert!(
        Item::default().encode_proto().is_empty(),
        "an all-default message is zero bytes"
    );
}

/// A "version 2" writer adds fields of every wire type that this reader
/// has never heard of; the old reader must skip them and keep going.
#[test]
fn an_old_reader_skips_a_newer_writers_fields() {
    let mut rng = Rng::new(9);
    for _ in 0..200 {
        let item = random_item(&mut rng);
        let mut fields: Vec<(u32, Vec<u8>)> = Vec::new();
        let mut known = item.encode_proto();
        while !known.is_empty() {
            let before = known.len();
            let mut rest = known.as_slice();
            decode_field(&mut rest).expect("our own field");
            let len = before - rest.len();
            fields.push((0, known[..len].to_vec()));
            known.drain(..len);
        }
        let mut nested = Vec::new();
        encode_field(1, Value::Len(b"inner"), &mut nested);
        for (field, value) in [
            (6, Value::Varint(rng.next_u64())),
            (7, Value::I64(rng.next_u64())),
            (8, Value::Len(&nested)),
            (9, Value::I32(rng.next_u32())),
            (536_870_911, Value::Len(b"")),
        ] {
            let mut bytes = Vec::new();
            encode_field(field, value, &mut bytes);
            let at = rng.below(fields.len() as u64 + 1) as usize;
            fields.insert(at, (field, bytes));
        }
        let message: Vec<u8> = fields.into_iter().flat_map(|(_, b)| b).collect();
        assert_eq!(
            prost_decode(&message),
            item,
            "the oracle skips the unknown fields"
        );
        assert_eq!(
            Item::decode_proto(&message),
            Ok(item.clone()),
            "unknown fields (6, 7, 8, 9, 2^29-1; \
            wire types 0, 1, 2, 5) must be skipped: an old reader that rejects them breaks on every \
            schema addition"
        );
    }
}

#[test]
fn a_repeated_field_takes_its_last_value() {
    let mut bytes = Item {
        id: 1,
        name: "a".into(),
        ..Item::default()
    }
    .encode_proto();
    bytes.extend(
        Item {
            id: 2,
            name: "b".into(),
            ..Item::default()
        }
        .encode_proto(),
    );
    let item = Item::decode_proto(&bytes).expect("valid");
    assert_eq!(
        (item.id, item.name.as_str()),
        (2, "b"),
        "last one wins, as prost merges scalars"
    );
    assert_eq!(prost_decode(&bytes), item);
    let mut big_stock = Vec::new();
    encode_field(5, Value::Varint(0x1_0000_0005), &mut big_stock);
    assert_eq!(
        Item::decode_proto(&big_stock).map(|i| i.stock),
        Ok(5),
        "int32 keeps the low 32 bits"
    );
}

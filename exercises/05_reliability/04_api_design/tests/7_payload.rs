//! Stage 7: counted comparisons: bytes on the wire for JSON and protobuf,
//! and the bytes an HTTP revalidation saves.

use api_design::{Item, ItemsApi, Method, Request};
use kit::rng::Rng;

use crate::common::{body, get, post};

fn lamp() -> Item {
    Item {
        id: 1234,
        name: "Blue lamp".into(),
        owner: 42,
        price_cents: -250,
        stock: 17,
        version: 3,
    }
}

#[test]
fn json_escapes_exactly_what_it_must() {
    let item = Item {
        id: 1,
        name: "a\"b\\c\nd\u{1}é€".into(),
        owner: 2,
        price_cents: 3,
        stock: -4,
        version: 9,
    };
    assert_eq!(
        item.to_json(),
        "{\"id\":1,\"name\":\"a\\\"b\\\\c\\u000ad\\u0001é€\",\"owner\":2,\"price_cents\":3,\"stock\":-4}",
        "quote and backslash escaped, control characters as \\u00XX, the rest as it is; no version"
    );
}

#[test]
fn one_item_in_counted_bytes() {
    let item = lamp();
    assert_eq!(item.to_json().len(), 71, "{}", item.to_json());
    // Key + value per field: 1 + 2 (id 1234) + 1 + 1 + 9 (name, length 9)
    // + 1 + 1 (owner 42) + 1 + 2 (zigzag(-250) = 499) + 1 + 1 (stock 17) = 21 bytes.
    assert_eq!(
        item.encode_proto().len(),
        21,
        "protobuf: keys of one byte, varints, no field names"
    );
}

#[test]
fn protobuf_is_at_most_half_of_json_over_seeded_items() {
    for seed in 1..=5 {
        let mut rng = Rng::new(seed);
        let (mut json, mut proto) = (0usize, 0usize);
        for _ in 0..200 {
            let name_len = rng.below(20) as usize;
            let item = Item {
                id: rng.range(1..1_000_000),
                name: "x".repeat(name_len),
                owner: rng.range(1..10_000),
                price_cents: rng.range(0..200_000) as i64 - 100_000,
                stock: rng.below(1_000) as i32,
                version: 1,
            };
            json += item.to_json().len();
            proto += item.encode_proto().len();
        }
        let ratio = proto as f64 / json as f64;
        assert!(
            ratio <= 0.5,
            "seed {seed}: protobuf/JSON = {proto}/{json} = {ratio:.2}, expected <= 0.5: \
            field names and decimal digits are what JSON pays for"
        );
    }
}

#[test]
fn a_revalidated_get_costs_no_body_bytes() {
    let mut api = ItemsApi::new();
    post(&mut api, &body("Blue lamp", 42, -250, 17));
    let full = get(&mut api, "/items/1");
    let tag = full
        .header("ETag")
        .expect("a cacheable GET carries an ETag")
        .to_owned();
    let mut body_bytes = 0;
    for _ in 0..10 {
        let r =
            api.handle(&Request::new(Method::Get, "/items/1").with_header("If-None-Match", &tag));
        assert_eq!(
            r.status, 304,
            "a cache revalidating an unchanged item gets 304"
        );
        body_bytes += r.body.len();
    }
    assert_eq!(
        body_bytes,
        0,
        "ten revalidations move zero body bytes (a full GET is {} bytes)",
        full.body.len()
    );
    let other =
        api.handle(&Request::new(Method::Get, "/items/1").with_header("If-None-Match", "\"nope\""));
    assert_eq!(
        (other.status, other.body),
        (200, full.body),
        "a non-matching validator gets the full item"
    );
}

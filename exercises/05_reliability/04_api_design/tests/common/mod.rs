//! What the stages share: request helpers, a reader for list pages, a
//! backend that counts its calls, and seeded items.

#![allow(dead_code)] // each stage uses part of it

use std::cell::RefCell;

use api_design::{Backend, Item, ItemsApi, Method, Request, Response, User};
use kit::rng::Rng;

/// A `POST /items` body.
pub fn body(name: &str, owner: u64, price_cents: i64, stock: i32) -> String {
    format!("name={name}&owner={owner}&price_cents={price_cents}&stock={stock}")
}

pub fn get(api: &mut ItemsApi, path: &str) -> Response {
    api.handle(&Request::new(Method::Get, path))
}

pub fn post(api: &mut ItemsApi, body: &str) -> Response {
    api.handle(&Request::new(Method::Post, "/items").with_body(body))
}

pub fn put(api: &mut ItemsApi, path: &str, body: &str) -> Response {
    api.handle(&Request::new(Method::Put, path).with_body(body))
}

pub fn delete(api: &mut ItemsApi, path: &str) -> Response {
    api.handle(&Request::new(Method::Delete, path))
}

/// Creates `n` items named `item-1`, `item-2`, ... (ids 1..=n on a fresh API).
pub fn seed(api: &mut ItemsApi, n: u64) {
    for i in 1..=n {
        let r = post(api, &body(&format!("item-{i}"), i % 3, 100 * i as i64, 1));
        assert_eq!(r.status, 201, "creating item {i} must answer 201 Created");
    }
}

/// The ids in a list page, in order (every `{"id":N` of the body).
pub fn page_ids(r: &Response) -> Vec<u64> {
    let text = r.body_str();
    text.match_indices("{\"id\":")
        .map(|(at, pat)| {
            let digits: String = text[at + pat.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().expect("an id after {\"id\":")
        })
        .collect()
}

/// The page's next cursor: `Some` for `"next_cursor":"C"`, `None` for null.
pub fn next_cursor(r: &Response) -> Option<String> {
    let text = r.body_str();
    let (_, tail) = text
        .rsplit_once("\"next_cursor\":")
        .unwrap_or_else(|| panic!("a list page ends with \"next_cursor\": got {text}"));
    if tail == "null}" {
        return None;
    }
    let cursor = tail
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("next_cursor is a string or null: got {tail}"));
    Some(cursor.to_owned())
}

/// A backend that records every call and the ids it was given.
#[derive(Default)]
pub struct CountingBackend {
    pub items: Vec<Item>,
    pub users: Vec<User>,
    pub item_calls: RefCell<Vec<Vec<u64>>>,
    pub user_calls: RefCell<Vec<Vec<u64>>>,
}

impl CountingBackend {
    /// `n` items (ids 1..=n) whose owners cycle through `owners` users
    /// (ids 100, 101, ...), and those users.
    pub fn new(n: u64, owners: u64) -> Self {
        let items = (1..=n)
            .map(|id| Item {
                id,
                name: format!("item-{id}"),
                owner: 100 + id % owners,
                price_cents: id as i64 * 10,
                stock: id as i32,
                version: 1,
            })
            .collect();
        let users = (0..owners)
            .map(|k| User {
                id: 100 + k,
                name: format!("user-{k}"),
                email: format!("u{k}@example.com"),
            })
            .collect();
        Self {
            items,
            users,
            ..Self::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.item_calls.borrow().len() + self.user_calls.borrow().len()
    }
}

impl Backend for CountingBackend {
    fn items(&self, ids: &[u64]) -> Vec<Item> {
        self.item_calls.borrow_mut().push(ids.to_vec());
        self.items
            .iter()
            .filter(|i| ids.contains(&i.id))
            .cloned()
            .collect()
    }
    fn users(&self, ids: &[u64]) -> Vec<User> {
        self.user_calls.borrow_mut().push(ids.to_vec());
        self.users
            .iter()
            .filter(|u| ids.contains(&u.id))
            .cloned()
            .collect()
    }
}

/// A seeded item with every field varied, including negative prices and
/// stocks, names with non-ASCII text, and defaults (0, "") now and then.
pub fn random_item(rng: &mut Rng) -> Item {
    let pick = |rng: &mut Rng, v: u64| if rng.chance(0.1) { 0 } else { v };
    let len = rng.below(24) as usize;
    let name: String = (0..len)
        .map(|_| {
            *rng.choose(&['a', 'Z', ' ', 'é', '7', '"', '\n', '€'])
                .expect("non-empty")
        })
        .collect();
    let bits = rng.below(64) as u32;
    let (id, owner, price, stock, negative) = (
        rng.next_u64() >> bits,
        rng.below(1 << 20),
        rng.next_u64() >> bits,
        u64::from(rng.next_u32()),
        rng.chance(0.5),
    );
    let price = pick(rng, price) as i64;
    Item {
        id: pick(rng, id),
        name,
        owner: pick(rng, owner),
        price_cents: if negative {
            price.wrapping_neg()
        } else {
            price
        },
        stock: pick(rng, stock) as u32 as i32,
        version: 0,
    }
}

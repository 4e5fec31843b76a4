//! Stage 3: cursor pagination that stays stable while items come and go.

use api_design::{ItemsApi, MAX_LIMIT};

use crate::common::{body, delete, get, next_cursor, page_ids, post, seed};

fn page(api: &mut ItemsApi, limit: usize, cursor: Option<&str>) -> (Vec<u64>, Option<String>) {
    let path = match cursor {
        None => format!("/items?limit={limit}"),
        Some(c) => format!("/items?limit={limit}&cursor={c}"),
    };
    let r = get(api, &path);
    assert_eq!(r.status, 200, "GET {path} must be 200");
    (page_ids(&r), next_cursor(&r))
}

#[test]
fn pages_are_newest_first_and_end_with_null() {
    let mut api = ItemsApi::new();
    let r = get(&mut api, "/items");
    assert_eq!(
        r.body_str(),
        r#"{"items":[],"next_cursor":null}"#,
        "an empty list, exactly"
    );
    seed(&mut api, 5);
    let (ids, c1) = page(&mut api, 2, None);
    assert_eq!(ids, [5, 4], "newest first");
    let c1 = c1.expect("more items remain: a cursor");
    assert!(
        !c1.is_empty()
            && c1
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "a cursor is made of [A-Za-z0-9_-] so it needs no escaping in a URL, got {c1:?}"
    );
    let (ids, c2) = page(&mut api, 2, Some(&c1));
    assert_eq!(ids, [3, 2]);
    let (ids, c3) = page(&mut api, 2, c2.as_deref());
    assert_eq!(ids, [1]);
    assert_eq!(c3, None, "the last page says next_cursor: null");
    let (ids, c) = page(&mut api, 5, None);
    assert_eq!(
        (ids, c),
        (vec![5, 4, 3, 2, 1], None),
        "a page that holds exactly the rest has no next cursor"
    );
}

#[test]
fn the_page_body_is_the_items_json() {
    let mut api = ItemsApi::new();
    seed(&mut api, 2);
    let r = get(&mut api, "/items?limit=1");
    let item2 = get(&mut api, "/items/2").body_str();
    let c = next_cursor(&r).expect("a cursor");
    assert_eq!(
        r.body_str(),
        format!(r#"{{"items":[{item2}],"next_cursor":"{c}"}}"#)
    );
    let item1 = get(&mut api, "/items/1").body_str();
    assert_eq!(
        get(&mut api, "/items").body_str(),
        format!(r#"{{"items":[{item2},{item1}],"next_cursor":null}}"#),
        "items are separated by commas"
    );
}

#[test]
fn default_and_maximum_limit() {
    let mut api = ItemsApi::new();
    seed(&mut api, 120);
    let r = get(&mut api, "/items");
    assert_eq!(page_ids(&r).len(), 10, "no limit: DEFAULT_LIMIT (10) items");
    let (ids, _) = page(&mut api, MAX_LIMIT, None);
    assert_eq!(ids.len(), 100);
    for bad in [
        "/items?limit=0",
        "/items?limit=101",
        "/items?limit=ten",
        "/items?limit=-1",
        "/items?page=2",
        "/items?cursor=garbage!!",
        "/items?offset=10",
    ] {
        assert_eq!(get(&mut api, bad).status, 400, "GET {bad} must be 400");
    }
    let (_, c) = page(&mut api, 2, None);
    let c = c.expect("a cursor");
    for twice in [
        "/items?limit=2&limit=3".to_string(),
        format!("/items?cursor={c}&cursor={c}"),
    ] {
        assert_eq!(
            get(&mut api, &twice).status,
            400,
            "GET {twice}: a key given twice is ambiguous, so 400"
        );
    }
}

/// The story that kills offset pagination: while a client pages through a
/// newest-first list, new items arrive at the top and old ones are deleted.
#[test]
fn an_insert_between_pages_repeats_nothing() {
    let mut api = ItemsApi::new();
    seed(&mut api, 6);
    let (p1, c) = page(&mut api, 3, None);
    assert_eq!(p1, [6, 5, 4]);
    post(&mut api, &body("new", 1, 1, 1)); // id 7 arrives at the top
    post(&mut api, &body("new", 1, 1, 1)); // id 8
    let (p2, _) = page(&mut api, 3, c.as_deref());
    assert_eq!(
        p2,
        [3, 2, 1],
        "two inserts between pages must not push 5 and 4 onto page 2 \
        again: an offset cursor (skip 3) repeats items, a cursor naming the last item does not"
    );
}

#[test]
fn a_delete_between_pages_skips_nothing() {
    let mut api = ItemsApi::new();
    seed(&mut api, 6);
    let (p1, c) = page(&mut api, 3, None);
    assert_eq!(p1, [6, 5, 4]);
    delete(&mut api, "/items/5"); // already seen: deleting it must not shift the rest
    delete(&mut api, "/items/4");
    let (p2, _) = page(&mut api, 3, c.as_deref());
    assert_eq!(
        p2,
        [3, 2, 1],
        "deleting items the client already saw must not make it \
        skip unseen ones: an offset cursor skips 3 and 2 here"
    );
}

#[test]
fn a_deleted_cursor_item_still_works() {
    let mut api = ItemsApi::new();
    seed(&mut api, 4);
    let (_, c) = page(&mut api, 2, None);
    delete(&mut api, "/items/3"); // the last item of page 1
    let (p2, c2) = page(&mut api, 2, c.as_deref());
    assert_eq!(
        (p2, c2),
        (vec![2, 1], None),
        "the cursor names a position, not a row that must still exist"
    );
}

#[test]
fn a_full_walk_under_churn_sees_every_old_item_once() {
    let mut api = ItemsApi::new();
    seed(&mut api, 40);
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let (ids, next) = page(&mut api, 7, cursor.as_deref());
        seen.extend(ids);
        post(&mut api, &body("churn", 1, 1, 1));
        if next.is_none() {
            break;
        }
        cursor = next;
    }
    let expected: Vec<u64> = (1..=40).rev().collect();
    assert_eq!(
        seen, expected,
        "walking the list while items are inserted must visit \
        every item that existed at the start exactly once, in order"
    );
}

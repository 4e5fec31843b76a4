//! Stage 4: a GraphQL-style field selector whose nested query batches.

use api_design::{ItemField, UserField, UserLoader, Value, resolve_items};

use crate::common::CountingBackend;

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

#[test]
fn only_the_selected_fields_in_selection_order() {
    let backend = CountingBackend::new(3, 2);
    let v = resolve_items(&backend, &[2], &[ItemField::Stock, ItemField::Name]);
    assert_eq!(
        v,
        Value::List(vec![Value::Object(vec![
            ("stock", Value::Int(2)),
            ("name", s("item-2"))
        ])]),
        "the client gets exactly the fields it asked for, in its order"
    );
    let all = resolve_items(&backend, &[3], &[ItemField::Id, ItemField::PriceCents]);
    assert_eq!(
        all,
        Value::List(vec![Value::Object(vec![
            ("id", Value::Int(3)),
            ("price_cents", Value::Int(30))
        ])])
    );
    assert!(
        backend.user_calls.borrow().is_empty(),
        "no owner selected: the users are never fetched"
    );
    assert_eq!(
        backend.item_calls.borrow().len(),
        2,
        "one items call per query"
    );
}

#[test]
fn nested_owner_fields() {
    let backend = CountingBackend::new(4, 3);
    let v = resolve_items(
        &backend,
        &[4, 99, 4],
        &[
            ItemField::Id,
            ItemField::Owner(vec![UserField::Email, UserField::Id, UserField::Name]),
        ],
    );
    let item4 = Value::Object(vec![
        ("id", Value::Int(4)),
        (
            "owner",
            Value::Object(vec![
                ("email", s("u1@example.com")),
                ("id", Value::Int(101)),
                ("name", s("user-1")),
            ]),
        ),
    ]);
    assert_eq!(
        v,
        Value::List(vec![item4.clone(), Value::Null, item4]),
        "one entry per requested id, in order, repeats included; a missing item is null"
    );
    assert_eq!(
        *backend.item_calls.borrow(),
        [vec![4, 99]],
        "the items call carries each id once"
    );
}

#[test]
fn a_missing_owner_is_null() {
    let mut backend = CountingBackend::new(2, 2);
    backend.users.retain(|u| u.id != 101);
    let v = resolve_items(
        &backend,
        &[1, 2],
        &[ItemField::Owner(vec![UserField::Name])],
    );
    assert_eq!(
        v,
        Value::List(vec![
            Value::Object(vec![("owner", Value::Null)]),
            Value::Object(vec![("owner", Value::Object(vec![("name", s("user-0"))]))]),
        ])
    );
}

#[test]
fn a_nested_query_makes_at_most_two_backend_calls() {
    let backend = CountingBackend::new(50, 10);
    let ids: Vec<u64> = (1..=50).collect();
    let v = resolve_items(
        &backend,
        &ids,
        &[ItemField::Name, ItemField::Owner(vec![UserField::Name])],
    );
    let Value::List(list) = v else {
        panic!("a list")
    };
    assert_eq!(list.len(), 50);
    assert_eq!(
        backend.calls(),
        2,
        "50 items with their owners must cost 2 backend calls \
        (one for the items, one batched for the owners), not 1 + 50: that is the N+1 problem"
    );
    let users = backend.user_calls.borrow();
    let mut expected: Vec<u64> = (100..110).collect();
    expected.sort_unstable();
    assert_eq!(
        users[0], expected,
        "the one users call carries the 10 distinct owners once each, ascending"
    );
}

#[test]
fn no_ids_no_calls() {
    let backend = CountingBackend::new(5, 2);
    assert_eq!(
        resolve_items(&backend, &[], &[ItemField::Owner(vec![UserField::Id])]),
        Value::List(vec![])
    );
    assert_eq!(
        backend.calls(),
        0,
        "nothing to resolve: no backend call at all"
    );
    let v = resolve_items(&backend, &[77], &[ItemField::Owner(vec![UserField::Id])]);
    assert_eq!(v, Value::List(vec![Value::Null]));
    assert_eq!(
        backend.calls(),
        1,
        "no item found: no users call (never a call with an empty id list)"
    );
}

#[test]
fn the_loader_batches_deduplicates_and_caches() {
    let backend = CountingBackend::new(0, 5);
    let mut loader = UserLoader::new();
    loader.dispatch(&backend);
    assert_eq!(backend.calls(), 0, "nothing queued: dispatch makes no call");
    for id in [103, 100, 103, 999, 100] {
        loader.load(id);
    }
    assert!(
        loader.get(100).is_none(),
        "nothing is fetched before dispatch"
    );
    loader.dispatch(&backend);
    assert_eq!(
        *backend.user_calls.borrow(),
        [vec![100, 103, 999]],
        "one call with the distinct ids in ascending order"
    );
    assert_eq!(loader.get(103).map(|u| u.name.as_str()), Some("user-3"));
    assert_eq!(
        loader.get(999),
        None,
        "a user the backend does not have is None"
    );
    loader.load(100);
    loader.load(999);
    loader.dispatch(&backend);
    assert_eq!(
        backend.calls(),
        1,
        "fetched ids (found or missing) are cached, never queued again"
    );
    loader.load(104);
    loader.load(100);
    loader.dispatch(&backend);
    assert_eq!(
        backend.user_calls.borrow()[1],
        [104],
        "only the new id is fetched"
    );
}

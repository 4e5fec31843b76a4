//! Stage 3 (the counted-efficiency stage): every store call is a network
//! round trip, so each request makes exactly the calls `Replica::handle`
//! states: a read is one `get` and no write, a change one `get` and one
//! `put`, a change that changes nothing no `put`, a logout one `delete`, and
//! a health check none. Counted by an instrumented store.

use std::sync::Arc;

use kit::rng::Rng;
use kit::sim::run_seeds;
use scaling::{Replica, Request, Response, Session, SessionStore, Token};

use crate::common::{
    self, CountingStore, Counts, Kind, Workload, add, cart, login, logout, pick_live, remove,
    token_of, view,
};

fn setup() -> (Arc<CountingStore>, Replica) {
    let store = CountingStore::new();
    let shared: Arc<dyn SessionStore> = store.clone();
    (store, Replica::new(shared, Rng::new(5)))
}

/// Runs one request and returns the store calls it made.
fn calls(store: &CountingStore, replica: &Replica, request: Request) -> (Response, Counts) {
    let before = store.counts();
    let response = replica.handle(request);
    (response, store.counts().since(before))
}

#[test]
fn login_is_one_put_of_an_empty_cart() {
    let (store, r) = setup();
    let (response, used) = calls(&store, &r, login("ada"));
    assert_eq!(
        used,
        Counts::new(0, 1, 0),
        "login makes exactly one put and no get (a 128-bit random token does not need a \
         collision check): got {used:?}"
    );
    let t = token_of(response);
    assert_eq!(
        store.peek(&t),
        Some(Session {
            user: "ada".into(),
            cart: vec![]
        })
    );
}

#[test]
fn a_read_is_exactly_one_get_and_no_write() {
    let (store, r) = setup();
    let t = token_of(r.handle(login("ada")));
    r.handle(add(&t, "apple"));
    for _ in 0..3 {
        let (response, used) = calls(&store, &r, view(&t));
        assert_eq!(response, cart("ada", &["apple"]));
        assert_eq!(
            used,
            Counts::new(1, 0, 0),
            "viewing the cart is read-only: exactly one get and no put (a put would double \
             the store's write load for nothing; zero gets means a copy cached in the \
             replica, stale once another replica writes): got {used:?}"
        );
    }
}

#[test]
fn a_change_is_one_get_and_one_put_of_the_new_session() {
    let (store, r) = setup();
    let t = token_of(r.handle(login("ada")));
    let (_, used) = calls(&store, &r, add(&t, "apple"));
    assert_eq!(
        used,
        Counts::new(1, 1, 0),
        "adding an item is one get and one put: got {used:?}"
    );
    let (_, used) = calls(&store, &r, add(&t, "book"));
    assert_eq!(used, Counts::new(1, 1, 0));
    assert_eq!(
        store.peek(&t).map(|s| s.cart),
        Some(vec!["apple".to_string(), "book".to_string()]),
        "the put stores the changed session"
    );
    let (_, used) = calls(&store, &r, remove(&t, "apple"));
    assert_eq!(
        used,
        Counts::new(1, 1, 0),
        "removing an item in the cart is one get and one put: got {used:?}"
    );
    assert_eq!(
        store.peek(&t).map(|s| s.cart),
        Some(vec!["book".to_string()])
    );
}

#[test]
fn a_change_that_changes_nothing_writes_nothing() {
    let (store, r) = setup();
    let t = token_of(r.handle(login("ada")));
    r.handle(add(&t, "apple"));
    let (response, used) = calls(&store, &r, remove(&t, "zebra"));
    assert_eq!(response, cart("ada", &["apple"]));
    assert_eq!(
        used,
        Counts::new(1, 0, 0),
        "removing an item that is not in the cart changes nothing, so it writes nothing: \
         one get, no put: got {used:?}"
    );
}

#[test]
fn logout_is_one_delete_without_a_get_first() {
    let (store, r) = setup();
    let t = token_of(r.handle(login("ada")));
    let (response, used) = calls(&store, &r, logout(&t));
    assert_eq!(response, Response::LoggedOut);
    assert_eq!(
        used,
        Counts::new(0, 0, 1),
        "logout is one delete: its return value says whether there was a session, so a \
         get first is a wasted round trip: got {used:?}"
    );
    let (response, used) = calls(&store, &r, logout(&t));
    assert_eq!(response, Response::Unauthorized);
    assert_eq!(used, Counts::new(0, 0, 1));
}

#[test]
fn an_unknown_token_costs_its_one_lookup_and_nothing_else() {
    let (store, r) = setup();
    let nobody = Token("ffffffffffffffffffffffffffffffff".into());
    for request in [
        view(&nobody),
        add(&nobody, "apple"),
        remove(&nobody, "apple"),
    ] {
        let (response, used) = calls(&store, &r, request.clone());
        assert_eq!(response, Response::Unauthorized);
        assert_eq!(
            used,
            Counts::new(1, 0, 0),
            "{request:?} with an unknown token: one get finds nothing, and nothing is \
             written: got {used:?}"
        );
    }
    let (_, used) = calls(&store, &r, logout(&nobody));
    assert_eq!(used, Counts::new(0, 0, 1));
}

#[test]
fn health_checks_never_touch_the_store() {
    let (store, r) = setup();
    for _ in 0..10 {
        let (response, used) = calls(&store, &r, Request::Health);
        assert_eq!(response, Response::Healthy);
        assert_eq!(
            used,
            Counts::default(),
            "a health check must not call the store: if it did, a store blip would fail \
             every replica's check at once and the load balancer would empty the pool"
        );
    }
}

/// The calls the stub's table allows for one request of this kind.
fn allowed(request: &Request, kind: Kind) -> Counts {
    match (kind, request) {
        (Kind::Login, _) => Counts::new(0, 1, 0),
        (Kind::View | Kind::RemoveMiss, _) => Counts::new(1, 0, 0),
        (Kind::Add | Kind::RemoveHit, _) => Counts::new(1, 1, 0),
        (Kind::Logout, _) | (Kind::Unknown, Request::Logout { .. }) => Counts::new(0, 0, 1),
        (Kind::Unknown, _) => Counts::new(1, 0, 0),
        (Kind::Health, _) => Counts::default(),
    }
}

#[test]
fn a_sprayed_workload_costs_exactly_the_stated_calls_per_request() {
    run_seeds(&[11, 12, 13], |seed| {
        let root = Rng::new(seed);
        let store = CountingStore::new();
        let mut rs = common::replicas(&store, 4, seed);
        let mut routing = root.stream("routing");
        let mut work = Workload::new(root.stream("workload"));
        let mut total = Counts::default();
        let requests = 3_000u64;
        for step in 0..requests {
            if step == requests / 2 {
                rs[1] = None;
            }
            let request = work.next();
            let i = pick_live(&mut routing, &rs);
            let before = store.counts();
            let response = rs[i].as_ref().unwrap().handle(request.clone());
            let used = store.counts().since(before);
            let kind = work
                .check(&request, &response)
                .unwrap_or_else(|why| panic!("seed {seed}, request {step} ({request:?}): {why}"));
            let want = allowed(&request, kind);
            assert_eq!(
                used, want,
                "seed {seed}, request {step} ({request:?}, {kind:?}): the store calls must \
                 be exactly those of Replica::handle's table"
            );
            total.gets += used.gets;
            total.puts += used.puts;
            total.deletes += used.deletes;
        }
        let calls = total.gets + total.puts + total.deletes;
        assert!(
            calls <= 2 * requests,
            "seed {seed}: {calls} store calls for {requests} requests; at most 2 per request"
        );
    });
}

//! Stage 2 (the wrong-design stage): a tier whose replicas keep no session
//! of their own. Sessions live in one store shared by every replica, so any
//! replica serves any request and a replica can die mid-run without logging
//! anyone out. The design this replaces — sessions in a map inside each
//! server, with the load balancer's sticky sessions pinning each user to
//! "their" server — loses every session of a server that dies: the last
//! test runs that design and counts the loss.

use std::collections::HashMap;
use std::sync::Arc;

use kit::rng::Rng;
use kit::sim::run_seeds;
use scaling::{Replica, Request, Response, SessionStore, Token};

use crate::common::{
    self, CountingStore, Workload, add, cart, login, logout, pick_live, remove, token_of, view,
};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn replica(store: &Arc<CountingStore>, seed: u64) -> Replica {
    let store: Arc<dyn SessionStore> = store.clone();
    Replica::new(store, Rng::new(seed))
}

#[test]
fn a_replica_is_send_and_sync() {
    fn shared<T: Send + Sync>() {}
    shared::<Replica>();
}

#[test]
fn login_issues_a_token_of_32_hex_digits_from_the_replicas_rng() {
    let store = CountingStore::new();
    let r = replica(&store, 42);
    let mut rng = Rng::new(42);
    for _ in 0..3 {
        let (a, b) = (rng.next_u64(), rng.next_u64());
        let want = format!("{a:016x}{b:016x}");
        let token = token_of(r.handle(login("ada")));
        assert_eq!(
            token.0, want,
            "a token is the replica's next two u64 draws as 32 lowercase hex digits, \
             first draw first (format!(\"{{a:016x}}{{b:016x}}\"))"
        );
        assert_eq!(token.0.len(), 32);
        assert!(
            token
                .0
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
    }
}

#[test]
fn a_session_lives_through_a_cart_and_ends_at_logout() {
    let store = CountingStore::new();
    let r = replica(&store, 1);
    let t = token_of(r.handle(login("ada")));
    assert_eq!(
        r.handle(view(&t)),
        cart("ada", &[]),
        "a new session has an empty cart"
    );
    assert_eq!(r.handle(add(&t, "apple")), cart("ada", &["apple"]));
    assert_eq!(r.handle(add(&t, "book")), cart("ada", &["apple", "book"]));
    assert_eq!(
        r.handle(add(&t, "apple")),
        cart("ada", &["apple", "book", "apple"]),
        "items are appended in order, duplicates kept"
    );
    assert_eq!(
        r.handle(remove(&t, "apple")),
        cart("ada", &["book", "apple"]),
        "remove takes out the FIRST matching item only"
    );
    assert_eq!(
        r.handle(remove(&t, "zebra")),
        cart("ada", &["book", "apple"]),
        "removing an item that is not there leaves the cart as it was"
    );
    assert_eq!(r.handle(view(&t)), cart("ada", &["book", "apple"]));
    assert_eq!(r.handle(logout(&t)), Response::LoggedOut);
    assert_eq!(
        r.handle(view(&t)),
        Response::Unauthorized,
        "after logout the token names no session"
    );
    assert_eq!(
        r.handle(logout(&t)),
        Response::Unauthorized,
        "logging out twice: the second finds no session"
    );
    assert_eq!(store.len(), 0, "logout deletes the session from the store");
}

#[test]
fn sessions_of_different_users_are_separate() {
    let store = CountingStore::new();
    let r = replica(&store, 1);
    let ada = token_of(r.handle(login("ada")));
    let bob = token_of(r.handle(login("bob")));
    assert_ne!(ada, bob);
    r.handle(add(&ada, "apple"));
    assert_eq!(r.handle(view(&bob)), cart("bob", &[]));
    assert_eq!(r.handle(view(&ada)), cart("ada", &["apple"]));
    r.handle(logout(&ada));
    assert_eq!(
        r.handle(view(&bob)),
        cart("bob", &[]),
        "bob is still logged in"
    );
}

#[test]
fn an_unknown_token_is_unauthorized_and_creates_nothing() {
    let store = CountingStore::new();
    let r = replica(&store, 1);
    let nobody = Token("never issued".into());
    for request in [
        view(&nobody),
        add(&nobody, "apple"),
        remove(&nobody, "apple"),
        logout(&nobody),
    ] {
        assert_eq!(
            r.handle(request.clone()),
            Response::Unauthorized,
            "{request:?} with a token that names no session must be Unauthorized"
        );
    }
    assert_eq!(
        store.len(),
        0,
        "a request with an unknown token must not create a session"
    );
    assert_eq!(r.handle(view(&nobody)), Response::Unauthorized);
}

#[test]
fn health_checks_answer_healthy() {
    let store = CountingStore::new();
    assert_eq!(
        replica(&store, 1).handle(Request::Health),
        Response::Healthy
    );
}

#[test]
fn any_replica_serves_any_request() {
    let store = CountingStore::new();
    let rs = common::replicas(&store, 3, 7);
    let r = |i: usize| rs[i].as_ref().unwrap();
    let t = token_of(r(0).handle(login("ada")));
    assert_eq!(
        r(0).handle(view(&t)),
        cart("ada", &[]),
        "the replica that logged ada in serves her"
    );
    assert_eq!(
        r(1).handle(add(&t, "apple")),
        cart("ada", &["apple"]),
        "replica 1 must find the session replica 0 created: sessions live in the shared \
         store, not in the replica that made them"
    );
    assert_eq!(
        r(0).handle(view(&t)),
        cart("ada", &["apple"]),
        "replica 0 must see replica 1's change: a copy of the session kept in replica 0 \
         is stale the moment another replica writes"
    );
    assert_eq!(
        r(2).handle(add(&t, "book")),
        cart("ada", &["apple", "book"])
    );
    assert_eq!(r(0).handle(remove(&t, "apple")), cart("ada", &["book"]));
    assert_eq!(r(1).handle(view(&t)), cart("ada", &["book"]));
    assert_eq!(r(2).handle(logout(&t)), Response::LoggedOut);
    for i in 0..3 {
        assert_eq!(
            r(i).handle(view(&t)),
            Response::Unauthorized,
            "logout on replica 2 ends the session everywhere (replica {i} still served it)"
        );
    }
}

#[test]
fn a_replacement_fleet_serves_the_old_fleets_sessions() {
    let store = CountingStore::new();
    let old = common::replicas(&store, 2, 1);
    let t = token_of(old[0].as_ref().unwrap().handle(login("ada")));
    old[1].as_ref().unwrap().handle(add(&t, "apple"));
    drop(old);
    // A deploy replaces every replica; the store stays.
    let new = common::replicas(&store, 2, 2);
    assert_eq!(
        new[1].as_ref().unwrap().handle(view(&t)),
        cart("ada", &["apple"]),
        "replicas that never saw ada serve her: a rolling deploy logs nobody out"
    );
}

#[test]
fn two_replicas_never_issue_the_same_token() {
    let store = CountingStore::new();
    let rs = common::replicas(&store, 4, 9);
    let mut seen = HashMap::new();
    for round in 0..250 {
        for (i, r) in rs.iter().enumerate() {
            let t = token_of(r.as_ref().unwrap().handle(login(&format!("u{round}-{i}"))));
            if let Some(first) = seen.insert(t.clone(), i) {
                panic!(
                    "replicas {first} and {i} both issued token {}: one user would read \
                     another's session. Tokens come from each replica's own generator \
                     (a counter per replica repeats across replicas)",
                    t.0
                );
            }
        }
    }
    assert_eq!(store.len(), 1_000);
}

/// Sprays `requests` over the live replicas at random, killing one replica
/// (dropping it: it serves nothing more) after `kill_at` requests, and
/// checks every response against the model.
fn spray(seed: u64, requests: usize, kill_at: usize) {
    let root = Rng::new(seed);
    let store = CountingStore::new();
    let mut rs = common::replicas(&store, 4, seed);
    let mut routing = root.stream("routing");
    let mut work = Workload::new(root.stream("workload"));
    let victim = routing.below(4) as usize;
    for step in 0..requests {
        if step == kill_at {
            rs[victim] = None;
        }
        let request = work.next();
        let i = pick_live(&mut routing, &rs);
        let response = rs[i].as_ref().unwrap().handle(request.clone());
        if let Err(why) = work.check(&request, &response) {
            panic!(
                "seed {seed}, request {step} ({request:?}) to replica {i}{}: {why}. Every \
                 replica must serve every session from the shared store, whichever replica \
                 created or last changed it, and whether or not that replica is still up",
                if step >= kill_at {
                    format!(" (replica {victim} is dead)")
                } else {
                    String::new()
                }
            );
        }
    }
    assert!(
        work.live.len() > 20,
        "the workload should leave many live sessions ({})",
        work.live.len()
    );
    for (token, session) in &work.live {
        assert_eq!(
            store.peek(token).as_ref(),
            Some(session),
            "seed {seed}: the store must hold every live session as the model has it"
        );
    }
}

#[test]
fn no_session_is_lost_when_requests_are_sprayed_and_a_replica_dies() {
    run_seeds(&SEEDS, |seed| spray(seed, 2_000, 1_000));
}

#[test]
fn sticky_routing_does_not_save_sessions_held_in_a_dead_replica() {
    // A load balancer with session affinity: each token goes to the replica
    // that logged it in, until that replica dies; then to a random live one.
    run_seeds(&SEEDS, |seed| {
        let root = Rng::new(seed);
        let store = CountingStore::new();
        let mut rs = common::replicas(&store, 4, seed);
        let mut routing = root.stream("routing");
        let mut work = Workload::new(root.stream("workload"));
        let mut pinned: HashMap<Token, usize> = HashMap::new();
        let mut victim = None;
        for step in 0..2_000 {
            if step == 1_000 {
                // Kill the replica that holds the most pinned sessions.
                let mut per = [0usize; 4];
                for (t, &i) in &pinned {
                    if work.live.contains_key(t) {
                        per[i] += 1;
                    }
                }
                let v = (0..4).max_by_key(|&i| (per[i], i)).unwrap();
                assert!(
                    per[v] > 0,
                    "the dead replica should be pinned to some sessions"
                );
                rs[v] = None;
                victim = Some(v);
            }
            let request = work.next();
            let token = match &request {
                Request::ViewCart { token }
                | Request::AddToCart { token, .. }
                | Request::RemoveFromCart { token, .. }
                | Request::Logout { token } => Some(token.clone()),
                _ => None,
            };
            let i = match token.as_ref().and_then(|t| pinned.get(t)) {
                Some(&i) if rs[i].is_some() => i,
                _ => {
                    let i = pick_live(&mut routing, &rs);
                    if let Some(t) = &token {
                        pinned.insert(t.clone(), i);
                    }
                    i
                }
            };
            let response = rs[i].as_ref().unwrap().handle(request.clone());
            if let Response::LoggedIn { token } = &response {
                pinned.insert(token.clone(), i);
            }
            if let Err(why) = work.check(&request, &response) {
                panic!(
                    "seed {seed}, request {step} ({request:?}) to replica {i}, replica \
                     {victim:?} dead: {why}. Sticky sessions pin a user to a replica; they \
                     do not make that replica's memory survive it. When it dies the load \
                     balancer sends its users elsewhere, and only a shared store still has \
                     their sessions"
                );
            }
        }
    });
}

#[test]
fn the_old_design_sessions_in_each_servers_memory_loses_a_dead_servers_sessions() {
    // Before: each server kept its sessions in its own memory. Here that is
    // each replica over its own private store, with sticky routing so that
    // each user always reaches the server holding their session.
    run_seeds(&SEEDS, |seed| {
        let root = Rng::new(seed);
        let stores: Vec<Arc<CountingStore>> = (0..4).map(|_| CountingStore::new()).collect();
        let mut rs: Vec<Option<Replica>> = stores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s: Arc<dyn SessionStore> = s.clone();
                Some(Replica::new(s, root.stream(&format!("replica {i}"))))
            })
            .collect();
        let mut routing = root.stream("routing");
        let mut pinned = Vec::new();
        for u in 0..200 {
            let i = pick_live(&mut routing, &rs);
            let t = token_of(rs[i].as_ref().unwrap().handle(login(&format!("u{u}"))));
            assert_eq!(
                rs[i].as_ref().unwrap().handle(add(&t, "apple")),
                cart(&format!("u{u}"), &["apple"]),
                "while nothing fails, sticky routing over per-server memory works"
            );
            pinned.push((t, i));
        }
        let victim = routing.below(4) as usize;
        rs[victim] = None;
        let on_victim = pinned.iter().filter(|(_, i)| *i == victim).count();
        let mut lost = 0;
        for (u, (t, i)) in pinned.iter().enumerate() {
            let at = if *i == victim {
                pick_live(&mut routing, &rs)
            } else {
                *i
            };
            match rs[at].as_ref().unwrap().handle(view(t)) {
                Response::Unauthorized => lost += 1,
                other => assert_eq!(other, cart(&format!("u{u}"), &["apple"])),
            }
        }
        assert!(on_victim > 0);
        assert_eq!(
            lost, on_victim,
            "seed {seed}: with sessions in each server's memory, exactly the {on_victim} users \
             pinned to the dead server are logged out and lose their carts (about 1/N of \
             everyone); the stateless tier above loses none"
        );
    });
}

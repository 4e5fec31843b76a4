//! Test support shared by the session stages: an instrumented session store
//! that counts every call, and a seeded workload with a model of what every
//! response must be.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kit::rng::Rng;
use scaling::{Replica, Request, Response, Session, SessionStore, Token};

/// Calls made to a [`CountingStore`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub gets: u64,
    pub puts: u64,
    pub deletes: u64,
}

impl Counts {
    pub fn new(gets: u64, puts: u64, deletes: u64) -> Self {
        Self {
            gets,
            puts,
            deletes,
        }
    }

    /// The calls made since `before`.
    pub fn since(self, before: Counts) -> Counts {
        Counts::new(
            self.gets - before.gets,
            self.puts - before.puts,
            self.deletes - before.deletes,
        )
    }
}

/// A session store in a map that counts `get`, `put` and `delete` calls.
#[derive(Debug, Default)]
pub struct CountingStore {
    sessions: Mutex<HashMap<Token, Session>>,
    gets: AtomicU64,
    puts: AtomicU64,
    deletes: AtomicU64,
}

impl CountingStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn counts(&self) -> Counts {
        Counts::new(
            self.gets.load(Ordering::SeqCst),
            self.puts.load(Ordering::SeqCst),
            self.deletes.load(Ordering::SeqCst),
        )
    }

    /// What the store holds under `token`, without counting a call.
    pub fn peek(&self, token: &Token) -> Option<Session> {
        self.sessions.lock().unwrap().get(token).cloned()
    }

    /// Sessions stored.
    pub fn len(&self) -> usize {
        self.sessions.lock().unwrap().len()
    }
}

impl SessionStore for CountingStore {
    fn get(&self, token: &Token) -> Option<Session> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.sessions.lock().unwrap().get(token).cloned()
    }

    fn put(&self, token: &Token, session: Session) {
        self.puts.fetch_add(1, Ordering::SeqCst);
        self.sessions.lock().unwrap().insert(token.clone(), session);
    }

    fn delete(&self, token: &Token) -> bool {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        self.sessions.lock().unwrap().remove(token).is_some()
    }
}

/// `n` replicas over one shared store, each with its own token stream.
pub fn replicas(store: &Arc<CountingStore>, n: usize, seed: u64) -> Vec<Option<Replica>> {
    let root = Rng::new(seed);
    (0..n)
        .map(|i| {
            let store: Arc<dyn SessionStore> = store.clone();
            Some(Replica::new(store, root.stream(&format!("replica {i}"))))
        })
        .collect()
}

/// A random live replica's index.
pub fn pick_live(rng: &mut Rng, replicas: &[Option<Replica>]) -> usize {
    let live: Vec<usize> = (0..replicas.len())
        .filter(|&i| replicas[i].is_some())
        .collect();
    *rng.choose(&live).expect("at least one replica is up")
}

pub fn login(user: &str) -> Request {
    Request::Login { user: user.into() }
}

pub fn view(token: &Token) -> Request {
    Request::ViewCart {
        token: token.clone(),
    }
}

pub fn add(token: &Token, item: &str) -> Request {
    Request::AddToCart {
        token: token.clone(),
        item: item.into(),
    }
}

pub fn remove(token: &Token, item: &str) -> Request {
    Request::RemoveFromCart {
        token: token.clone(),
        item: item.into(),
    }
}

pub fn logout(token: &Token) -> Request {
    Request::Logout {
        token: token.clone(),
    }
}

pub fn cart(user: &str, items: &[&str]) -> Response {
    Response::Cart {
        user: user.into(),
        items: items.iter().map(|s| s.to_string()).collect(),
    }
}

/// The token of a `LoggedIn` response.
pub fn token_of(response: Response) -> Token {
    match response {
        Response::LoggedIn { token } => token,
        other => panic!("Login must answer LoggedIn {{ token }}, got {other:?}"),
    }
}

const ITEMS: [&str; 5] = ["apple", "book", "cable", "desk", "eraser"];

/// A seeded stream of requests, and the model of what each must answer.
///
/// The model is a plain map from token to session; a correct tier over one
/// shared store behaves exactly like it, whichever replica serves each
/// request.
#[derive(Debug)]
pub struct Workload {
    rng: Rng,
    users: u64,
    /// Live sessions.
    pub live: HashMap<Token, Session>,
    /// Live tokens in login order (for seeded, order-stable choice).
    order: Vec<Token>,
    /// Tokens that were logged out, and one never issued.
    dead: Vec<Token>,
}

/// What the last request was, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    View,
    Add,
    RemoveHit,
    RemoveMiss,
    Logout,
    Unknown,
    Health,
}

impl Workload {
    pub fn new(rng: Rng) -> Self {
        Self {
            rng,
            users: 0,
            live: HashMap::new(),
            order: Vec::new(),
            dead: vec![Token("0123456789abcdef0123456789abcdef".into())],
        }
    }

    fn live_token(&mut self) -> Option<Token> {
        self.rng.choose(&self.order).cloned()
    }

    /// The next request: mostly reads and cart changes on live sessions,
    /// some logins and logouts, a few requests with dead tokens and health
    /// checks.
    pub fn next(&mut self) -> Request {
        let roll = self.rng.below(100);
        let token = match self.live_token() {
            Some(t) if roll >= 15 => t,
            _ if roll < 2 => return Request::Health,
            _ if roll < 5 => {
                let t = self.rng.choose(&self.dead).cloned().unwrap();
                return match self.rng.below(4) {
                    0 => view(&t),
                    1 => add(&t, "apple"),
                    2 => remove(&t, "apple"),
                    _ => logout(&t),
                };
            }
            _ => {
                self.users += 1;
                return login(&format!("user{}", self.users));
            }
        };
        let item = ITEMS[self.rng.below(ITEMS.len() as u64) as usize];
        match roll {
            15..=49 => view(&token),
            50..=77 => add(&token, item),
            78..=95 => remove(&token, item),
            _ => logout(&token),
        }
    }

    /// Checks `response` against the model and updates the model; `Err`
    /// says what was expected. Returns the kind of request it was.
    pub fn check(&mut self, request: &Request, response: &Response) -> Result<Kind, String> {
        let expect = |want: Response| {
            if *response == want {
                Ok(())
            } else {
                Err(format!("expected {want:?}, got {response:?}"))
            }
        };
        match request {
            Request::Login { user } => {
                let Response::LoggedIn { token } = response else {
                    return Err(format!("expected LoggedIn {{ token }}, got {response:?}"));
                };
                if self.live.contains_key(token) || self.dead.contains(token) {
                    return Err(format!(
                        "login issued token {} which was already issued: tokens must be \
                         unique across all replicas",
                        token.0
                    ));
                }
                self.live.insert(
                    token.clone(),
                    Session {
                        user: user.clone(),
                        cart: Vec::new(),
                    },
                );
                self.order.push(token.clone());
                Ok(Kind::Login)
            }
            Request::Health => expect(Response::Healthy).map(|_| Kind::Health),
            Request::ViewCart { token }
            | Request::AddToCart { token, .. }
            | Request::RemoveFromCart { token, .. }
            | Request::Logout { token }
                if !self.live.contains_key(token) =>
            {
                expect(Response::Unauthorized).map(|_| Kind::Unknown)
            }
            Request::ViewCart { token } => {
                let s = &self.live[token];
                expect(cart_of(s)).map(|_| Kind::View)
            }
            Request::AddToCart { token, item } => {
                let s = self.live.get_mut(token).unwrap();
                s.cart.push(item.clone());
                let want = cart_of(s);
                expect(want).map(|_| Kind::Add)
            }
            Request::RemoveFromCart { token, item } => {
                let s = self.live.get_mut(token).unwrap();
                let kind = match s.cart.iter().position(|i| i == item) {
                    Some(at) => {
                        s.cart.remove(at);
                        Kind::RemoveHit
                    }
                    None => Kind::RemoveMiss,
                };
                let want = cart_of(s);
                expect(want).map(|_| kind)
            }
            Request::Logout { token } => {
                self.live.remove(token);
                self.order.retain(|t| t != token);
                self.dead.push(token.clone());
                expect(Response::LoggedOut).map(|_| Kind::Logout)
            }
        }
    }
}

fn cart_of(s: &Session) -> Response {
    Response::Cart {
        user: s.user.clone(),
        items: s.cart.clone(),
    }
}

//! API design: one item API as REST, as a GraphQL-style selector and as protobuf.
//!
//! One small resource, an [`Item`] owned by a [`User`], served three ways:
//!
//! - **REST** ([`ItemsApi`]): HTTP modelled as plain Rust values, a
//!   [`Request`] in and a [`Response`] out, no sockets. Resource routes with
//!   the right status codes, an idempotent `PUT`, `POST` made safe to retry
//!   with an `Idempotency-Key`, optimistic concurrency with `ETag` /
//!   `If-Match`, revalidation with `If-None-Match`, and cursor pagination
//!   that stays stable while items are created and deleted between pages.
//! - **GraphQL-style** ([`resolve_items`]): the client selects fields, nested
//!   into each item's owner, and gets only those; the owners are fetched
//!   through a DataLoader-style batcher ([`UserLoader`]) so that a query
//!   makes at most two [`Backend`] calls however many items it returns.
//! - **gRPC-style** ([`wire`], [`Item::encode_proto`]): the protobuf wire
//!   format by hand (varints, zigzag, keys and wire types, length-delimited
//!   fields, unknown fields skipped), and deadlines that shrink along a
//!   call chain ([`Hop`]).
//!
//! The HTTP subset: methods `GET`, `POST`, `PUT`, `DELETE`, `PATCH`; a path
//! with an optional `?query` of `key=value` pairs joined by `&` (no
//! percent-decoding); headers as name/value pairs whose names compare
//! case-insensitively; a body of bytes. Read README.md first.
//!
//! ```
//! use api_design::{ItemsApi, Method, Request};
//!
//! let mut api = ItemsApi::new();
//! let created = api.handle(&Request::new(Method::Post, "/items")
//!     .with_body("name=Lamp&owner=7&price_cents=1999&stock=3"));
//! assert_eq!(created.status, 201);
//! assert_eq!(created.header("Location"), Some("/items/1"));
//! let got = api.handle(&Request::new(Method::Get, "/items/1"));
//! assert_eq!(got.body_str(), r#"{"id":1,"name":"Lamp","owner":7,"price_cents":1999,"stock":3}"#);
//! ```

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::{self, Write as _};
use std::time::Duration;

use kit::clock::Clock;

// ---------------------------------------------------------------------------
// HTTP as values
// ---------------------------------------------------------------------------

// Given: the HTTP subset as plain values; complete, nothing to do here.

/// The request methods of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read; safe and idempotent.
    Get,
    /// Create; neither safe nor idempotent (unless keyed).
    Post,
    /// Replace; idempotent.
    Put,
    /// Remove; idempotent.
    Delete,
    /// Partial update; this API does not support it (405).
    Patch,
}

/// An HTTP request: method, path (with an optional `?query`), headers, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path and query, e.g. `/items?limit=2`.
    pub path: String,
    /// Header name/value pairs; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// This request with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This request with `body` as its body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of the first header named `name` (any case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// An HTTP response: status, headers, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header name/value pairs; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body (empty for 204 and 304).
    pub body: Vec<u8>,
}

impl Response {
    /// A response with this status, no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// This response with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// This response with `body` as its body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The value of the first header named `name` (any case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body as text (lossy for bytes that are not UTF-8).
    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------

/// The resource: an item for sale, owned by a [`User`].
///
/// `version` is not part of the item's content: it starts at 1 when the
/// item is created and goes up by one on every change of content (name,
/// owner, price, stock). It is what the item's `ETag` is made from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Item {
    /// Assigned by the server: 1, 2, 3, ... in creation order, never reused.
    pub id: u64,
    /// Free text.
    pub name: String,
    /// The owner's [`User::id`].
    pub owner: u64,
    /// The price in cents; negative for a credit.
    pub price_cents: i64,
    /// Units in stock; negative when oversold.
    pub stock: i32,
    /// The content version (not serialised in JSON or protobuf).
    pub version: u64,
}

/// The content of an item as a client sends it in a `POST` or `PUT` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemInput {
    /// See [`Item::name`].
    pub name: String,
    /// See [`Item::owner`].
    pub owner: u64,
    /// See [`Item::price_cents`].
    pub price_cents: i64,
    /// See [`Item::stock`].
    pub stock: i32,
}

impl ItemInput {
    /// Parses a body `name=<text>&owner=<u64>&price_cents=<i64>&stock=<i32>`.
    ///
    /// The body is UTF-8, split on `&` into parts, each part split at its
    /// first `=` into key and value (so a name may contain `=` but not `&`;
    /// nothing is percent-decoded). The four keys appear exactly once each,
    /// in any order, and no other key appears; the numbers parse as Rust's
    /// `str::parse` for their type does. Anything else is `None` (a 400).
    pub fn parse(body: &[u8]) -> Option<ItemInput> {
        let text = std::str::from_utf8(body).ok()?;
        let (mut name, mut owner, mut price, mut stock) = (None, None, None, None);
        for part in text.split('&') {
            let (key, value) = part.split_once('=')?;
            let slot_was_empty = match key {
                "name" => name.replace(value.to_owned()).is_none(),
                "owner" => owner.replace(value.parse::<u64>().ok()?).is_none(),
                "price_cents" => price.replace(value.parse::<i64>().ok()?).is_none(),
                "stock" => stock.replace(value.parse::<i32>().ok()?).is_none(),
                _ => return None,
            };
            if !slot_was_empty {
                return None;
            }
        }
        Some(ItemInput {
            name: name?,
            owner: owner?,
            price_cents: price?,
            stock: stock?,
        })
    }
}

impl Item {
    /// The item as JSON, exactly
    /// `{"id":1,"name":"Lamp","owner":7,"price_cents":-250,"stock":3}`:
    /// these five keys in this order, no spaces, numbers in decimal, and the
    /// name escaped: `"` as `\"`, `\` as `\\`, every character below U+0020
    /// as `\u00XX` (lowercase hex), everything else as it is.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(64 + self.name.len());
        out.push_str("{\"id\":");
        out.push_str(&self.id.to_string());
        out.push_str(",\"name\":");
        push_json_string(&mut out, &self.name);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            ",\"owner\":{},\"price_cents\":{},\"stock\":{}}}",
            self.owner, self.price_cents, self.stock
        );
        out
    }

    /// The item as the protobuf message
    ///
    /// ```text
    /// message Item {
    ///   uint64 id = 1;
    ///   string name = 2;
    ///   uint64 owner = 3;
    ///   sint64 price_cents = 4;   // zigzag
    ///   int32  stock = 5;         // plain varint: a negative value takes 10 bytes
    /// }
    /// ```
    ///
    /// Fields in field-number order; a field holding its default (0 or the
    /// empty string) is left out, as proto3 does. `version` is not encoded.
    pub fn encode_proto(&self) -> Vec<u8> {
        use wire::{Value, encode_field, zigzag64};
        let mut out = Vec::with_capacity(16 + self.name.len());
        if self.id != 0 {
            encode_field(1, Value::Varint(self.id), &mut out);
        }
        if !self.name.is_empty() {
            encode_field(2, Value::Len(self.name.as_bytes()), &mut out);
        }
        if self.owner != 0 {
            encode_field(3, Value::Varint(self.owner), &mut out);
        }
        if self.price_cents != 0 {
            encode_field(4, Value::Varint(zigzag64(self.price_cents)), &mut out);
        }
        if self.stock != 0 {
            // int32 is sign-extended to 64 bits before the varint.
            encode_field(5, Value::Varint(i64::from(self.stock) as u64), &mut out);
        }
        out
    }

    /// Decodes the message of [`Item::encode_proto`] (`version` is 0).
    ///
    /// A field that is absent keeps its default; a field that appears twice
    /// takes its last value. Fields with numbers this reader does not know
    /// are skipped, whatever their wire type: a newer writer may add fields.
    /// A known field with the wrong wire type is
    /// [`wire::WireError::WrongWireType`]; a name that is not UTF-8 is
    /// [`wire::WireError::InvalidUtf8`]; a stock varint is truncated to its
    /// low 32 bits, as protobuf does.
    pub fn decode_proto(mut buf: &[u8]) -> Result<Item, wire::WireError> {
        use wire::{Value, WireError, decode_field, unzigzag64};
        let mut item = Item::default();
        while !buf.is_empty() {
            let (field, value) = decode_field(&mut buf)?;
            match (field, value) {
                (1, Value::Varint(v)) => item.id = v,
                (2, Value::Len(bytes)) => {
                    item.name = std::str::from_utf8(bytes)
                        .map_err(|_| WireError::InvalidUtf8 { field })?
                        .to_owned();
                }
                (3, Value::Varint(v)) => item.owner = v,
                (4, Value::Varint(v)) => item.price_cents = unzigzag64(v),
                // Truncation to the low 32 bits is protobuf's int32 rule.
                (5, Value::Varint(v)) => item.stock = v as i32,
                (1..=5, _) => return Err(WireError::WrongWireType { field }),
                _ => {} // unknown: skipped, so old readers accept new messages
            }
        }
        Ok(item)
    }
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------

/// The page size when a list request gives no `limit`.
pub const DEFAULT_LIMIT: usize = 10;
/// The largest `limit` a list request may ask for.
pub const MAX_LIMIT: usize = 100;

/// The item API over HTTP values.
///
/// Routes (any other path is 404; a known path with another method is 405
/// with an `Allow` header listing the path's methods, exactly
/// `GET, POST` for `/items` and `GET, PUT, DELETE` for `/items/{id}`):
///
/// - `POST /items` with an [`ItemInput`] body: creates the item with the
///   next id and version 1; **201** with `Location: /items/{id}`, its `ETag`
///   and its JSON. A body that does not parse is **400**.
///   With an `Idempotency-Key` header: the first request with that key is
///   processed and its response stored, whatever its status; a later
///   request with the same key and the same body bytes gets the stored
///   response again, byte for byte, and changes nothing (even if the item
///   was changed or deleted since); the same key with different body bytes
///   is **422** and changes nothing. Keys are kept forever here.
/// - `GET /items/{id}`: **200** with the `ETag` and the JSON; **404** if
///   there is no such item (also for an `{id}` that is not a `u64`). With
///   `If-None-Match` equal to the current `ETag`: **304** with the `ETag`
///   and an empty body.
/// - `PUT /items/{id}` with an [`ItemInput`] body: replaces the content;
///   **200** with the new `ETag` and JSON. **404** if there is no such item
///   (PUT does not create here), **400** for a body that does not parse.
///   With `If-Match` not equal to the current `ETag`: **412** and nothing
///   changes (checked before the body). A PUT of the content the item
///   already has changes nothing: same version, same `ETag` (this is what
///   makes PUT idempotent: repeating it leaves the same state *and* the
///   same validator). Other content bumps the version by one.
/// - `DELETE /items/{id}`: **204** with an empty body; **404** if there is
///   no such item.
/// - `GET /items?limit=N&cursor=C`: a page of items **newest first**
///   (descending id), **200** with the body
///   `{"items":[<item JSON>,...],"next_cursor":"<C>"}`, or
///   `"next_cursor":null` when no older item remains. `limit` is
///   1..=[`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]). The cursor is opaque to
///   clients, made of `[A-Za-z0-9_-]` only, and names the position after
///   the last item of the page, not a count of items: the next page starts
///   at the newest item older than that one, whatever was created or
///   deleted since. A `limit` out of range or not a number, a cursor this
///   server did not make, any other query key, or a key given twice is
///   **400**.
///
/// The `ETag` is a strong validator in double quotes, `"..."`, that changes
/// exactly when the item's version changes. Error responses carry whatever
/// body you like; tests read only their status and headers.
#[derive(Debug, Default)]
pub struct ItemsApi {
    items: BTreeMap<u64, Item>,
    next_id: u64,
    idempotency: HashMap<String, StoredResponse>,
}

#[derive(Debug)]
struct StoredResponse {
    body: Vec<u8>,
    response: Response,
}

/// A cursor is the id of the last item a page returned, behind a prefix so
/// that clients treat it as a token rather than a number to compute with.
const CURSOR_PREFIX: &str = "after-";

impl ItemsApi {
    /// An API with no items; the first item created gets id 1.
    pub fn new() -> Self {
        Self {
            next_id: 1,
            ..Self::default()
        }
    }

    /// Handles one request (see the type's documentation for the routes).
    pub fn handle(&mut self, req: &Request) -> Response {
        let (path, query) = match req.path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.path.as_str(), None),
        };
        if path == "/items" {
            return match req.method {
                Method::Post => self.post(req),
                Method::Get => self.list(query),
                _ => Response::new(405).with_header("Allow", "GET, POST"),
            };
        }
        let Some(rest) = path.strip_prefix("/items/") else {
            return Response::new(404);
        };
        let Ok(id) = rest.parse::<u64>() else {
            return Response::new(404);
        };
        match req.method {
            Method::Get => self.get(id, req),
            Method::Put => self.put(id, req),
            Method::Delete => match self.items.remove(&id) {
                Some(_) => Response::new(204),
                None => Response::new(404),
            },
            _ => Response::new(405).with_header("Allow", "GET, PUT, DELETE"),
        }
    }

    fn post(&mut self, req: &Request) -> Response {
        let Some(key) = req.header("Idempotency-Key") else {
            return self.create(&req.body);
        };
        if let Some(stored) = self.idempotency.get(key) {
            return if stored.body == req.body {
                stored.response.clone()
            } else {
                Response::new(422)
            };
        }
        let response = self.create(&req.body);
        self.idempotency.insert(
            key.to_owned(),
            StoredResponse {
                body: req.body.clone(),
                response: response.clone(),
            },
        );
        response
    }

    fn create(&mut self, body: &[u8]) -> Response {
        let Some(input) = ItemInput::parse(body) else {
            return Response::new(400);
        };
        let id = self.next_id;
        self.next_id += 1;
        let item = Item {
            id,
            name: input.name,
            owner: input.owner,
            price_cents: input.price_cents,
            stock: input.stock,
            version: 1,
        };
        let response = item_response(201, &item).with_header("Location", &format!("/items/{id}"));
        self.items.insert(id, item);
        response
    }

    fn get(&self, id: u64, req: &Request) -> Response {
        let Some(item) = self.items.get(&id) else {
            return Response::new(404);
        };
        let tag = etag(item);
        if req.header("If-None-Match") == Some(tag.as_str()) {
            return Response::new(304).with_header("ETag", &tag);
        }
        item_response(200, item)
    }

    fn put(&mut self, id: u64, req: &Request) -> Response {
        let Some(item) = self.items.get_mut(&id) else {
            return Response::new(404);
        };
        if let Some(expected) = req.header("If-Match")
            && expected != etag(item)
        {
            return Response::new(412);
        }
        let Some(input) = ItemInput::parse(&req.body) else {
            return Response::new(400);
        };
        let unchanged = item.name == input.name
            && item.owner == input.owner
            && item.price_cents == input.price_cents
            && item.stock == input.stock;
        if !unchanged {
            item.name = input.name;
            item.owner = input.owner;
            item.price_cents = input.price_cents;
            item.stock = input.stock;
            item.version += 1;
        }
        item_response(200, item)
    }

    fn list(&self, query: Option<&str>) -> Response {
        let Some((limit, before)) = parse_list_query(query.unwrap_or("")) else {
            return Response::new(400);
        };
        let mut page: Vec<&Item> = self
            .items
            .range(..before.unwrap_or(u64::MAX))
            .rev()
            .map(|(_, item)| item)
            .take(limit + 1)
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let mut body = String::from("{\"items\":[");
        for (i, item) in page.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&item.to_json());
        }
        body.push_str("],\"next_cursor\":");
        match page.last() {
            Some(last) if more => {
                let _ = write!(body, "\"{CURSOR_PREFIX}{}\"", last.id);
            }
            _ => body.push_str("null"),
        }
        body.push('}');
        Response::new(200).with_body(body)
    }
}

/// `limit` and the exclusive upper bound on ids that the cursor names.
fn parse_list_query(query: &str) -> Option<(usize, Option<u64>)> {
    let (mut limit, mut before) = (None, None);
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=')?;
        match key {
            "limit" if limit.is_none() => {
                let n = value.parse::<usize>().ok()?;
                if !(1..=MAX_LIMIT).contains(&n) {
                    return None;
                }
                limit = Some(n);
            }
            "cursor" if before.is_none() => {
                let digits = value.strip_prefix(CURSOR_PREFIX)?;
                if !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                before = Some(digits.parse::<u64>().ok()?);
            }
            _ => return None,
        }
    }
    Some((limit.unwrap_or(DEFAULT_LIMIT), before))
}

fn etag(item: &Item) -> String {
    format!("\"{}-{}\"", item.id, item.version)
}

fn item_response(status: u16, item: &Item) -> Response {
    Response::new(status)
        .with_header("ETag", &etag(item))
        .with_body(item.to_json())
}

// ---------------------------------------------------------------------------
// GraphQL-style selection with a batching loader
// ---------------------------------------------------------------------------

/// An item's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The id an [`Item::owner`] refers to.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Contact address.
    pub email: String,
}

/// The data source behind the selector: two batch reads.
///
/// Each call is one round trip to a database or service, which is what the
/// tests count.
pub trait Backend {
    /// The items among `ids` that exist, in any order.
    fn items(&self, ids: &[u64]) -> Vec<Item>;
    /// The users among `ids` that exist, in any order.
    fn users(&self, ids: &[u64]) -> Vec<User>;
}

/// A field of an item a query can select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemField {
    /// `"id"`.
    Id,
    /// `"name"`.
    Name,
    /// `"price_cents"`.
    PriceCents,
    /// `"stock"`.
    Stock,
    /// `"owner"`: the owning [`User`] with these of its fields selected.
    Owner(Vec<UserField>),
}

/// A field of a user a query can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    /// `"id"`.
    Id,
    /// `"name"`.
    Name,
    /// `"email"`.
    Email,
}

/// A query result: a tiny JSON-like tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Absent: an item or owner that does not exist.
    Null,
    /// A number.
    Int(i64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// An object: field names and values in the order they were selected.
    Object(Vec<(&'static str, Value)>),
}

/// A DataLoader-style batcher of user reads.
///
/// Resolvers [`load`](UserLoader::load) the ids they will need; one
/// [`dispatch`](UserLoader::dispatch) then fetches every pending id in a
/// single [`Backend::users`] call, and [`get`](UserLoader::get) reads the
/// results. Results are cached for the loader's life: an id that was
/// fetched (found or not) is never queued again.
#[derive(Debug, Default)]
pub struct UserLoader {
    pending: BTreeSet<u64>,
    cache: HashMap<u64, Option<User>>,
}

impl UserLoader {
    /// An empty loader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `id` for the next dispatch, unless it is already queued or
    /// already fetched.
    pub fn load(&mut self, id: u64) {
        if !self.cache.contains_key(&id) {
            self.pending.insert(id);
        }
    }

    /// Fetches every queued id in one `backend.users` call, ids distinct and
    /// in ascending order, and empties the queue. No call at all when
    /// nothing is queued. An id the backend does not return is remembered as
    /// missing.
    pub fn dispatch<B: Backend + ?Sized>(&mut self, backend: &B) {
        if self.pending.is_empty() {
            return;
        }
        let ids: Vec<u64> = std::mem::take(&mut self.pending).into_iter().collect();
        let mut found: HashMap<u64, User> =
            backend.users(&ids).into_iter().map(|u| (u.id, u)).collect();
        for id in ids {
            let user = found.remove(&id);
            self.cache.insert(id, user);
        }
    }

    /// The user with `id`, if it was fetched and exists.
    pub fn get(&self, id: u64) -> Option<&User> {
        self.cache.get(&id).and_then(Option::as_ref)
    }
}

/// Resolves `items(ids) { <selection> }`: a [`Value::List`] with one entry
/// per id of `ids`, in that order (repeats included): [`Value::Null`] for an
/// id with no item, else a [`Value::Object`] of exactly the selected fields
/// in selection order. An `owner` entry is an object of the selected user
/// fields, or [`Value::Null`] when the owner does not exist.
///
/// Backend calls: one [`Backend::items`] call with the distinct ids, and,
/// only when `owner` is selected and some item was found, one
/// [`Backend::users`] call through a [`UserLoader`] with the distinct owner
/// ids. So at most two calls, however many items; never a call with an
/// empty id list (no ids: no calls at all).
pub fn resolve_items<B: Backend + ?Sized>(
    backend: &B,
    ids: &[u64],
    selection: &[ItemField],
) -> Value {
    if ids.is_empty() {
        return Value::List(Vec::new());
    }
    let distinct: Vec<u64> = ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let items: HashMap<u64, Item> = backend
        .items(&distinct)
        .into_iter()
        .map(|i| (i.id, i))
        .collect();

    let mut loader = UserLoader::new();
    if selection.iter().any(|f| matches!(f, ItemField::Owner(_))) {
        for item in items.values() {
            loader.load(item.owner);
        }
        loader.dispatch(backend);
    }

    let list = ids
        .iter()
        .map(|id| match items.get(id) {
            None => Value::Null,
            Some(item) => Value::Object(
                selection
                    .iter()
                    .map(|field| select_item_field(item, field, &loader))
                    .collect(),
            ),
        })
        .collect();
    Value::List(list)
}

fn select_item_field(item: &Item, field: &ItemField, loader: &UserLoader) -> (&'static str, Value) {
    match field {
        ItemField::Id => ("id", int(item.id)),
        ItemField::Name => ("name", Value::Str(item.name.clone())),
        ItemField::PriceCents => ("price_cents", Value::Int(item.price_cents)),
        ItemField::Stock => ("stock", Value::Int(i64::from(item.stock))),
        ItemField::Owner(fields) => {
            let owner = match loader.get(item.owner) {
                None => Value::Null,
                Some(user) => Value::Object(
                    fields
                        .iter()
                        .map(|f| match f {
                            UserField::Id => ("id", int(user.id)),
                            UserField::Name => ("name", Value::Str(user.name.clone())),
                            UserField::Email => ("email", Value::Str(user.email.clone())),
                        })
                        .collect(),
                ),
            };
            ("owner", owner)
        }
    }
}

/// Ids above `i64::MAX` do not fit the JSON-like number; they saturate.
fn int(v: u64) -> Value {
    Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------
// The protobuf wire format
// ---------------------------------------------------------------------------

/// The protobuf wire format, by hand.
///
/// A message is a sequence of fields; each field is a key, the varint
/// `(field_number << 3) | wire_type`, then a value whose form the wire type
/// gives: 0 a varint, 1 eight little-endian bytes, 2 a varint length and
/// that many bytes (strings, bytes, nested messages, packed repeats), 5 four
/// little-endian bytes. Types 3 and 4 (groups) are deprecated and refused.
pub mod wire {
    use std::fmt;

    /// The largest field number protobuf allows, 2^29 - 1.
    pub const MAX_FIELD: u32 = (1 << 29) - 1;

    /// What can go wrong reading the wire format.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum WireError {
        /// The buffer ended inside a varint, a fixed-width value or a
        /// length-delimited value.
        Truncated,
        /// A varint longer than 10 bytes, or whose 10th byte is above 0x01
        /// (it would not fit in 64 bits).
        BadVarint,
        /// Wire type 3, 4, 6 or 7 in a key.
        BadWireType(u8),
        /// A field number of 0 or above [`MAX_FIELD`].
        BadFieldNumber(u64),
        /// A known field arrived with a wire type other than its own.
        WrongWireType {
            /// The field number.
            field: u32,
        },
        /// A string field that is not UTF-8.
        InvalidUtf8 {
            /// The field number.
            field: u32,
        },
    }

    impl fmt::Display for WireError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                WireError::Truncated => write!(f, "message truncated"),
                WireError::BadVarint => write!(f, "varint does not fit in 64 bits"),
                WireError::BadWireType(t) => write!(f, "unsupported wire type {t}"),
                WireError::BadFieldNumber(n) => write!(f, "invalid field number {n}"),
                WireError::WrongWireType { field } => write!(f, "field {field}: wrong wire type"),
                WireError::InvalidUtf8 { field } => write!(f, "field {field}: invalid UTF-8"),
            }
        }
    }

    impl std::error::Error for WireError {}

    /// The four wire types of proto3.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum WireType {
        /// 0: int32, int64, uint32, uint64, sint32, sint64, bool, enum.
        Varint = 0,
        /// 1: fixed64, sfixed64, double.
        I64 = 1,
        /// 2: string, bytes, nested messages, packed repeated fields.
        Len = 2,
        /// 5: fixed32, sfixed32, float.
        I32 = 5,
    }

    /// One field's value as it is on the wire.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Value<'a> {
        /// Wire type 0.
        Varint(u64),
        /// Wire type 1 (the eight bytes as a little-endian u64).
        I64(u64),
        /// Wire type 2 (the bytes after the length).
        Len(&'a [u8]),
        /// Wire type 5 (the four bytes as a little-endian u32).
        I32(u32),
    }

    impl Value<'_> {
        /// The wire type this value is written with.
        pub fn wire_type(&self) -> WireType {
            match self {
                Value::Varint(_) => WireType::Varint,
                Value::I64(_) => WireType::I64,
                Value::Len(_) => WireType::Len,
                Value::I32(_) => WireType::I32,
            }
        }
    }

    /// Appends `v` as a varint: seven bits per byte, least significant
    /// group first, the high bit set on every byte but the last (1 to 10
    /// bytes; 150 is `96 01`).
    pub fn encode_varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Reads a varint from the front of `buf` and advances `buf` past it.
    /// On an error `buf` is left anywhere.
    pub fn decode_varint(buf: &mut &[u8]) -> Result<u64, WireError> {
        let mut value = 0u64;
        for i in 0..10 {
            let (&byte, rest) = buf.split_first().ok_or(WireError::Truncated)?;
            *buf = rest;
            if i == 9 && byte > 0x01 {
                return Err(WireError::BadVarint);
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(WireError::BadVarint)
    }

    /// The number of bytes [`encode_varint`] writes for `v`.
    pub fn varint_len(v: u64) -> usize {
        // Each byte carries 7 bits; zero still takes one byte.
        let bits = 64 - (v | 1).leading_zeros() as usize;
        bits.div_ceil(7)
    }

    /// Zigzag for sint32: 0, -1, 1, -2, ... map to 0, 1, 2, 3, ..., so that
    /// small negative numbers stay short varints.
    pub fn zigzag32(v: i32) -> u32 {
        ((v << 1) ^ (v >> 31)) as u32
    }

    /// The inverse of [`zigzag32`].
    pub fn unzigzag32(v: u32) -> i32 {
        ((v >> 1) as i32) ^ -((v & 1) as i32)
    }

    /// Zigzag for sint64 (see [`zigzag32`]).
    pub fn zigzag64(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }

    /// The inverse of [`zigzag64`].
    pub fn unzigzag64(v: u64) -> i64 {
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    /// Appends the key of field `field` with wire type `wire_type`.
    ///
    /// # Panics
    /// If `field` is 0 or above [`MAX_FIELD`].
    pub fn encode_key(field: u32, wire_type: WireType, out: &mut Vec<u8>) {
        assert!(
            (1..=MAX_FIELD).contains(&field),
            "field number {field} is outside 1..=2^29-1"
        );
        encode_varint((u64::from(field) << 3) | wire_type as u64, out);
    }

    /// Reads a key: the field number and the wire type.
    pub fn decode_key(buf: &mut &[u8]) -> Result<(u32, WireType), WireError> {
        let key = decode_varint(buf)?;
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::I64,
            2 => WireType::Len,
            5 => WireType::I32,
            other => return Err(WireError::BadWireType(other as u8)),
        };
        let field = key >> 3;
        match u32::try_from(field) {
            Ok(f) if (1..=MAX_FIELD).contains(&f) => Ok((f, wire_type)),
            _ => Err(WireError::BadFieldNumber(field)),
        }
    }

    /// Appends one field: its key, then its value.
    ///
    /// # Panics
    /// As [`encode_key`].
    pub fn encode_field(field: u32, value: Value<'_>, out: &mut Vec<u8>) {
        encode_key(field, value.wire_type(), out);
        match value {
            Value::Varint(v) => encode_varint(v, out),
            Value::I64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Len(bytes) => {
                encode_varint(bytes.len() as u64, out);
                out.extend_from_slice(bytes);
            }
            Value::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
        }
    }

    /// Reads one field from the front of `buf` and advances `buf` past it;
    /// a [`Value::Len`] borrows from `buf`.
    pub fn decode_field<'a>(buf: &mut &'a [u8]) -> Result<(u32, Value<'a>), WireError> {
        let (field, wire_type) = decode_key(buf)?;
        let value = match wire_type {
            WireType::Varint => Value::Varint(decode_varint(buf)?),
            WireType::I64 => Value::I64(u64::from_le_bytes(take::<8>(buf)?)),
            WireType::I32 => Value::I32(u32::from_le_bytes(take::<4>(buf)?)),
            WireType::Len => {
                let len = usize::try_from(decode_varint(buf)?).map_err(|_| WireError::Truncated)?;
                if len > buf.len() {
                    return Err(WireError::Truncated);
                }
                let (bytes, rest) = buf.split_at(len);
                *buf = rest;
                Value::Len(bytes)
            }
        };
        Ok((field, value))
    }

    fn take<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N], WireError> {
        let (head, rest) = buf.split_first_chunk::<N>().ok_or(WireError::Truncated)?;
        *buf = rest;
        Ok(*head)
    }
}

// ---------------------------------------------------------------------------
// Deadlines along a call chain
// ---------------------------------------------------------------------------

/// How a call in the chain failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcError {
    /// The deadline passed; `hop` is the name of the hop that noticed.
    DeadlineExceeded {
        /// The hop that gave up.
        hop: String,
    },
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::DeadlineExceeded { hop } => write!(f, "DEADLINE_EXCEEDED at {hop}"),
        }
    }
}

impl std::error::Error for RpcError {}

/// A service that can be called with a time budget (gRPC's `grpc-timeout`).
pub trait Service {
    /// Serves one call that must finish within `timeout` of now.
    fn call(&self, timeout: Duration) -> Result<(), RpcError>;
}

/// One hop of a call chain `A -> B -> C`: it does its own work, then calls
/// the next service (if any) with what is left of its budget.
///
/// `call(timeout)`, with all time read from the injected clock's monotonic
/// reading:
/// 1. a zero `timeout` fails at once with `DeadlineExceeded` naming this hop,
///    without doing the work or calling on;
/// 2. otherwise the deadline is now + `timeout`; the hop runs its work;
/// 3. if the deadline has been reached (now >= deadline) it fails with
///    `DeadlineExceeded` naming this hop, without calling on;
/// 4. otherwise it calls the next service with `timeout` = deadline - now,
///    the budget less its own elapsed time (never a fixed timeout of its
///    own), and returns that service's error unchanged;
/// 5. if the next service answered `Ok` but only at or after the deadline,
///    the hop fails with `DeadlineExceeded` naming itself: its caller has
///    given up on it by then.
pub struct Hop<C: Clock> {
    name: String,
    clock: C,
    work: Box<dyn Fn()>,
    next: Option<Box<dyn Service>>,
}

impl<C: Clock> Hop<C> {
    /// A hop named `name` that reads `clock`, runs `work` on every call (the
    /// tests' work advances a manual clock), then calls `next` if any.
    pub fn new(
        name: &str,
        clock: C,
        work: impl Fn() + 'static,
        next: Option<Box<dyn Service>>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            clock,
            work: Box::new(work),
            next,
        }
    }

    fn exceeded(&self) -> RpcError {
        RpcError::DeadlineExceeded {
            hop: self.name.clone(),
        }
    }
}

impl<C: Clock> Service for Hop<C> {
    fn call(&self, timeout: Duration) -> Result<(), RpcError> {
        if timeout.is_zero() {
            return Err(self.exceeded());
        }
        let deadline = self.clock.monotonic() + timeout;
        (self.work)();
        let Some(remaining) = deadline
            .checked_sub(self.clock.monotonic())
            .filter(|d| !d.is_zero())
        else {
            return Err(self.exceeded());
        };
        if let Some(next) = &self.next {
            next.call(remaining)?;
            if self.clock.monotonic() >= deadline {
                return Err(self.exceeded());
            }
        }
        Ok(())
    }
}

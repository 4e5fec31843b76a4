//! Stage 1: errors are values. Parse ids, look users up, and say precisely what
//! went wrong, with `Display` texts and `From` conversions for `?`.

use std::cell::Cell;

use errors::{
    LookupError, MemoryStore, ParseIdError, StorageError, User, UserId, UserStore, http_status,
    load_profile, lookup_user,
};

fn id(n: u64) -> UserId {
    UserId::new(n).unwrap()
}

fn store() -> MemoryStore {
    let mut s = MemoryStore::new();
    s.insert(User {
        id: id(42),
        name: "Ada".into(),
    });
    s.insert(User {
        id: id(7),
        name: "Grace".into(),
    });
    s
}

#[test]
fn user_ids_parse() {
    assert_eq!("42".parse::<UserId>(), Ok(id(42)));
    assert_eq!("1".parse::<UserId>().map(UserId::get), Ok(1));
    assert_eq!(
        "18446744073709551615".parse::<UserId>().map(UserId::get),
        Ok(u64::MAX)
    );
    assert_eq!(id(42).to_string(), "42");
    assert_eq!(UserId::new(0), None, "0 is not a user id");
    assert_eq!(id(9).get(), 9);
}

#[test]
fn bad_ids_are_refused_with_the_input() {
    for bad in [
        "",
        "0",
        "007",
        "+5",
        "-1",
        " 5",
        "5 ",
        "4 2",
        "abc",
        "0x10",
        "١٢",
        "18446744073709551616",
    ] {
        let err = bad.parse::<UserId>().expect_err(bad);
        assert_eq!(err.input(), bad, "the error keeps the input as given");
    }
}

#[test]
fn parse_error_text() {
    let err = "abc".parse::<UserId>().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#""abc" is not a user id (expected a positive decimal integer)"#
    );
    let err = "".parse::<UserId>().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#""" is not a user id (expected a positive decimal integer)"#
    );
}

#[test]
fn memory_store() {
    let mut s = store();
    assert_eq!(
        s.fetch(id(42)).unwrap(),
        Some(User {
            id: id(42),
            name: "Ada".into()
        })
    );
    assert_eq!(
        s.fetch(id(1)).unwrap(),
        None,
        "absent is Ok(None), not an error"
    );
    s.insert(User {
        id: id(42),
        name: "Ada King".into(),
    });
    assert_eq!(
        s.fetch(id(42)).unwrap().unwrap().name,
        "Ada King",
        "insert replaces by id"
    );
}

#[test]
fn lookup_finds_users() {
    assert_eq!(lookup_user(&store(), "7").unwrap().name, "Grace");
}

#[test]
fn lookup_not_found_carries_the_id() {
    match lookup_user(&store(), "99") {
        Err(LookupError::NotFound(got)) => assert_eq!(got, id(99)),
        other => panic!("expected NotFound(99), got {other:?}"),
    }
    assert_eq!(
        lookup_user(&store(), "99").unwrap_err().to_string(),
        "user 99 not found"
    );
}

/// Counts fetches, to show that an invalid id never reaches the store.
struct Counting(Cell<usize>);

impl UserStore for Counting {
    fn fetch(&self, _: UserId) -> Result<Option<User>, StorageError> {
        self.0.set(self.0.get() + 1);
        Ok(None)
    }
}

#[test]
fn lookup_invalid_id() {
    let s = Counting(Cell::new(0));
    match lookup_user(&s, "x1") {
        Err(LookupError::InvalidId(e)) => assert_eq!(e.input(), "x1"),
        other => panic!("expected InvalidId, got {other:?}"),
    }
    assert_eq!(
        s.0.get(),
        0,
        "an invalid id must be refused before asking the store"
    );
    assert_eq!(
        lookup_user(&s, "0").unwrap_err().to_string(),
        "invalid user id"
    );
    assert!(matches!(
        lookup_user(&s, "5"),
        Err(LookupError::NotFound(_))
    ));
    assert_eq!(s.0.get(), 1);
}

#[test]
fn from_conversions_for_the_question_mark() {
    let parse: ParseIdError = "nope".parse::<UserId>().unwrap_err();
    assert!(matches!(LookupError::from(parse), LookupError::InvalidId(e) if e.input() == "nope"));
    let storage = StorageError::new("fetch", "users/1", "disk on fire");
    let e: LookupError = storage.into();
    assert!(matches!(&e, LookupError::Storage(s) if s.key() == "users/1"));
    assert_eq!(e.to_string(), "user storage failed");

    // The point of From: `?` converts on the way out.
    fn via_question_mark(raw: &str) -> Result<UserId, LookupError> {
        Ok(raw.parse::<UserId>()?)
    }
    assert!(matches!(
        via_question_mark("-3"),
        Err(LookupError::InvalidId(_))
    ));
}

#[test]
fn storage_error_parts() {
    let e = StorageError::new("fetch", "users/42", std::io::Error::other("boom"));
    assert_eq!(e.op(), "fetch");
    assert_eq!(e.key(), "users/42");
    assert_eq!(e.to_string(), "could not fetch users/42");
    let e = StorageError::new("write", String::from("users/7"), "disk full");
    assert_eq!(e.to_string(), "could not write users/7");
}

#[test]
fn profiles() {
    assert_eq!(load_profile(&store(), "42").unwrap(), "Hello, Ada!");
    let err = load_profile(&store(), "8").unwrap_err();
    assert_eq!(err.to_string(), r#"cannot load profile for "8""#);
    assert!(matches!(err.lookup_error(), LookupError::NotFound(i) if *i == id(8)));
    assert_eq!(http_status(&err), 404, "an unknown user is a 404");
    let err = load_profile(&store(), "eight").unwrap_err();
    assert_eq!(err.to_string(), r#"cannot load profile for "eight""#);
    assert!(matches!(err.lookup_error(), LookupError::InvalidId(_)));
    assert_eq!(
        http_status(&err),
        400,
        "a malformed id is the client's mistake: 400"
    );
}

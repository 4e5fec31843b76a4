//! Stage 2: wrapped errors form a chain through `source()`. Walk it, print it,
//! and find a specific cause several layers down (Go's `errors.As`).

use std::error::Error;
use std::fmt;
use std::io;

use errors::{
    LookupError, ParseIdError, ProfileError, StorageError, User, UserId, UserStore, chain,
    find_cause, http_status, is_retryable, load_profile, lookup_user, report,
};

/// A driver error defined only in this test, with a source of its own.
#[derive(Debug)]
struct ConnectionLost {
    host: String,
    source: io::Error,
}

impl fmt::Display for ConnectionLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection to {} lost", self.host)
    }
}

impl Error for ConnectionLost {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

/// A store that always fails, with the error `make` builds.
struct Failing(fn(UserId) -> StorageError);

impl UserStore for Failing {
    fn fetch(&self, id: UserId) -> Result<Option<User>, StorageError> {
        Err((self.0)(id))
    }
}

fn timed_out(id: UserId) -> StorageError {
    let cause = ConnectionLost {
        host: "db-1".into(),
        source: io::Error::new(io::ErrorKind::TimedOut, "timed out"),
    };
    StorageError::new("fetch", format!("users/{id}"), cause)
}

fn denied(id: UserId) -> StorageError {
    StorageError::new(
        "fetch",
        format!("users/{id}"),
        io::Error::new(io::ErrorKind::PermissionDenied, "permission denied"),
    )
}

fn five_deep() -> ProfileError {
    load_profile(&Failing(timed_out), "42").unwrap_err()
}

#[test]
fn each_layer_points_to_the_next() {
    let top = five_deep();
    let lookup = top
        .source()
        .expect("ProfileError's source is the LookupError");
    assert!(lookup.is::<LookupError>());
    let storage = lookup
        .source()
        .expect("LookupError::Storage's source is the StorageError");
    let storage = storage
        .downcast_ref::<StorageError>()
        .expect("a StorageError");
    assert_eq!(storage.key(), "users/42");
    let driver = storage
        .source()
        .expect("StorageError's source is the backend's error");
    assert!(
        driver.is::<ConnectionLost>(),
        "the boxed source keeps its concrete type"
    );
    let io = driver.source().unwrap();
    assert_eq!(
        io.downcast_ref::<io::Error>().unwrap().kind(),
        io::ErrorKind::TimedOut
    );
    assert!(io.source().is_none());
}

#[test]
fn leaf_errors_have_no_source_but_wrappers_do() {
    let not_found = lookup_user(&errors::MemoryStore::new(), "5").unwrap_err();
    assert!(not_found.source().is_none(), "NotFound wraps nothing");
    let invalid = lookup_user(&errors::MemoryStore::new(), "x").unwrap_err();
    let parse = invalid
        .source()
        .expect("InvalidId's source is the ParseIdError");
    assert_eq!(parse.downcast_ref::<ParseIdError>().unwrap().input(), "x");
    assert!(parse.source().is_none());
}

#[test]
fn chain_lists_every_layer() {
    assert_eq!(
        chain(&five_deep()),
        vec![
            r#"cannot load profile for "42""#,
            "user storage failed",
            "could not fetch users/42",
            "connection to db-1 lost",
            "timed out",
        ]
    );
    let e = load_profile(&errors::MemoryStore::new(), "x").unwrap_err();
    assert_eq!(
        chain(&e),
        vec![
            r#"cannot load profile for "x""#,
            "invalid user id",
            r#""x" is not a user id (expected a positive decimal integer)"#,
        ]
    );
    let io = io::Error::other("alone");
    assert_eq!(
        chain(&io),
        vec!["alone"],
        "a single error is a chain of one"
    );
}

#[test]
fn no_layer_repeats_the_text_below_it() {
    let texts = chain(&five_deep());
    for pair in texts.windows(2) {
        assert!(
            !pair[0].contains(&pair[1]),
            "{:?} repeats its source {:?}: a Display that includes the source text \
             AND returns it from source() prints it twice in every report",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn report_is_one_line() {
    assert_eq!(
        report(&five_deep()),
        r#"cannot load profile for "42": user storage failed: could not fetch users/42: connection to db-1 lost: timed out"#
    );
    assert_eq!(report(&io::Error::other("alone")), "alone");
}

#[test]
fn find_cause_walks_the_whole_chain() {
    let top = five_deep();
    let io = find_cause::<io::Error>(&top).expect("an io::Error five layers down");
    assert_eq!(io.kind(), io::ErrorKind::TimedOut);
    let lost = find_cause::<ConnectionLost>(&top).expect("a type defined by the caller");
    assert_eq!(lost.host, "db-1");
    assert_eq!(find_cause::<StorageError>(&top).unwrap().op(), "fetch");
    assert!(matches!(
        find_cause::<LookupError>(&top),
        Some(LookupError::Storage(_))
    ));
    assert!(
        find_cause::<ProfileError>(&top).is_some(),
        "the chain starts with the error itself, as in Go's errors.As"
    );
    assert!(
        find_cause::<ParseIdError>(&top).is_none(),
        "no such cause: None"
    );
    assert!(find_cause::<fmt::Error>(&top).is_none());
}

#[test]
fn find_cause_returns_the_outermost_match() {
    // io::Error around ConnectionLost around io::Error. (Note: io::Error is
    // transparent: its source() is its payload's source(), so the ConnectionLost
    // itself is skipped when walking. See the note.)
    fn nested(id: UserId) -> StorageError {
        let inner = ConnectionLost {
            host: "db-2".into(),
            source: io::Error::new(io::ErrorKind::TimedOut, "inner"),
        };
        StorageError::new("fetch", format!("users/{id}"), io::Error::other(inner))
    }
    let top = load_profile(&Failing(nested), "3").unwrap_err();
    let io = find_cause::<io::Error>(&top).unwrap();
    assert_eq!(
        io.kind(),
        io::ErrorKind::Other,
        "errors.As returns the first match, not the last"
    );
}

#[test]
fn retryable_means_a_transient_io_error_somewhere_below() {
    assert!(
        is_retryable(&five_deep()),
        "a timeout five layers down is worth a retry"
    );
    assert_eq!(http_status(&five_deep()), 503);

    let e = load_profile(&Failing(denied), "1").unwrap_err();
    assert!(!is_retryable(&e), "permission denied will not fix itself");
    assert_eq!(http_status(&e), 500);

    fn refused(id: UserId) -> StorageError {
        StorageError::new(
            "fetch",
            format!("users/{id}"),
            io::Error::from(io::ErrorKind::ConnectionRefused),
        )
    }
    assert!(is_retryable(
        &load_profile(&Failing(refused), "1").unwrap_err()
    ));

    fn stringly(id: UserId) -> StorageError {
        StorageError::new("fetch", format!("users/{id}"), "corrupt page")
    }
    let e = load_profile(&Failing(stringly), "1").unwrap_err();
    assert!(
        !is_retryable(&e),
        "no io::Error in the chain: not retryable"
    );
    assert_eq!(http_status(&e), 500);

    let e = load_profile(&errors::MemoryStore::new(), "1").unwrap_err();
    assert!(!is_retryable(&e), "not found is not retryable");
    let e = load_profile(&errors::MemoryStore::new(), "?").unwrap_err();
    assert!(!is_retryable(&e), "an invalid id is not retryable");
    assert!(
        is_retryable(&io::Error::from(io::ErrorKind::Interrupted)),
        "works on any error"
    );
}

#[test]
fn exactly_the_six_transient_kinds_are_retryable() {
    use io::ErrorKind::*;
    for kind in [
        TimedOut,
        Interrupted,
        WouldBlock,
        ConnectionReset,
        ConnectionAborted,
        ConnectionRefused,
    ] {
        let below = StorageError::new("fetch", "users/1", io::Error::from(kind));
        assert!(
            is_retryable(&LookupError::Storage(below)),
            "{kind:?} is transient: retrying may help"
        );
    }
    for kind in [NotFound, PermissionDenied, InvalidData, InvalidInput, Other] {
        let below = StorageError::new("fetch", "users/1", io::Error::from(kind));
        assert!(
            !is_retryable(&LookupError::Storage(below)),
            "{kind:?} is not one of the transient kinds: retrying will fail the same way"
        );
    }
}

#[test]
fn the_first_io_error_in_the_chain_decides() {
    // An io::Error of kind Other whose payload has a timeout as its source:
    // the first io::Error met (Other) is the one that counts, as find_cause finds it.
    fn wrapped(id: UserId) -> StorageError {
        let inner = ConnectionLost {
            host: "db-3".into(),
            source: io::Error::new(io::ErrorKind::TimedOut, "inner"),
        };
        StorageError::new("fetch", format!("users/{id}"), io::Error::other(inner))
    }
    let e = load_profile(&Failing(wrapped), "3").unwrap_err();
    assert!(
        !is_retryable(&e),
        "the first io::Error in the chain is Other, not transient: not retryable (a \
         timeout further down does not count)"
    );
    assert_eq!(http_status(&e), 500);
}

#[test]
fn errors_travel_across_threads_and_into_boxes() {
    fn send_sync_static<T: Error + Send + Sync + 'static>() {}
    send_sync_static::<ProfileError>();
    send_sync_static::<LookupError>();
    send_sync_static::<StorageError>();
    send_sync_static::<ParseIdError>();

    fn handler() -> Result<String, Box<dyn Error + Send + Sync>> {
        Ok(load_profile(&Failing(timed_out), "9")?)
    }
    let boxed = handler().unwrap_err();
    let joined = std::thread::spawn(move || report(boxed.as_ref()))
        .join()
        .unwrap();
    assert!(joined.ends_with("timed out"), "{joined}");
}

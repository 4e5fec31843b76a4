//! Stage 3: the open factory. New channels plug in by registration; the
//! registry's code never changes (open/closed). The test defines its own
//! channel to prove it.

use factory::{Delivery, FactoryError, Notifier, NotifierConfig, NotifierRegistry, NotifyError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A channel the library has never heard of.
struct Fax {
    from: String,
}

impl Notifier for Fax {
    fn kind(&self) -> &str {
        "fax"
    }
    fn send(&self, to: &str, body: &str) -> Result<Delivery, NotifyError> {
        if !to.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NotifyError::InvalidRecipient {
                channel: "fax".into(),
                recipient: to.into(),
            });
        }
        Ok(Delivery {
            channel: "fax".into(),
            from: self.from.clone(),
            to: to.into(),
            body: body.into(),
        })
    }
}

#[test]
fn an_empty_registry_knows_nothing() {
    let r = NotifierRegistry::new();
    assert!(r.kinds().is_empty());
    assert!(!r.contains("email"));
    assert_eq!(
        r.create(&NotifierConfig::new("email", "me")).err(),
        Some(FactoryError::UnknownKind("email".into())),
        "an empty registry must not fall back to a built-in channel"
    );
}

#[test]
fn builtins_are_registered() {
    let r = NotifierRegistry::with_builtins();
    assert_eq!(r.kinds(), vec!["email", "push", "sms"], "kinds() is sorted");
    let debug = format!("{r:?}");
    assert!(
        debug.contains("email") && debug.contains("sms"),
        "Debug output should list the registered kinds: {debug}"
    );
    for kind in ["email", "sms", "push", " SMS "] {
        assert!(r.contains(kind), "{kind:?} should be known");
    }
    let sms = r.create(&NotifierConfig::new("Sms", "ACME")).unwrap();
    assert_eq!(sms.kind(), "sms");
    assert_eq!(sms.send("+4915112345678", "hi").unwrap().from, "ACME");
    let email = r.create(&NotifierConfig::new("email", "x@y.io")).unwrap();
    assert_eq!(email.send("a@b.co", "hi").unwrap().from, "x@y.io");
    assert_eq!(
        r.create(&NotifierConfig::new("push", "app"))
            .unwrap()
            .kind(),
        "push"
    );
}

#[test]
fn unknown_kinds_are_errors_not_a_default() {
    let r = NotifierRegistry::with_builtins();
    for kind in ["fax", "", "emails", "s ms"] {
        assert_eq!(
            r.create(&NotifierConfig::new(kind, "me")).err(),
            Some(FactoryError::UnknownKind(kind.to_owned())),
            "{kind:?} is not registered: it must be UnknownKind, not some default channel"
        );
    }
    assert!(!r.contains("fax"));
}

#[test]
fn a_new_channel_is_added_without_editing_the_factory() {
    let mut r = NotifierRegistry::with_builtins();
    r.register("fax", |config: &NotifierConfig| {
        Box::new(Fax {
            from: config.sender.clone(),
        }) as Box<dyn Notifier>
    })
    .unwrap();
    assert_eq!(r.kinds(), vec!["email", "fax", "push", "sms"]);
    let fax = r.create(&NotifierConfig::new("FAX", "front desk")).unwrap();
    assert_eq!(fax.kind(), "fax");
    assert_eq!(
        fax.send("0301234567", "contract attached").unwrap(),
        Delivery {
            channel: "fax".into(),
            from: "front desk".into(),
            to: "0301234567".into(),
            body: "contract attached".into(),
        }
    );
    // The built-ins still work next to it.
    assert_eq!(
        r.create(&NotifierConfig::new("sms", "S")).unwrap().kind(),
        "sms"
    );
}

#[test]
fn constructors_are_closures_called_once_per_create() {
    let built = Arc::new(AtomicUsize::new(0));
    let counter = built.clone();
    let mut r = NotifierRegistry::new();
    r.register("fax", move |config: &NotifierConfig| {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::new(Fax {
            from: config.sender.clone(),
        }) as Box<dyn Notifier>
    })
    .unwrap();
    assert_eq!(
        built.load(Ordering::SeqCst),
        0,
        "registering must not build anything"
    );
    r.create(&NotifierConfig::new("fax", "a")).unwrap();
    r.create(&NotifierConfig::new("fax", "b")).unwrap();
    assert_eq!(
        built.load(Ordering::SeqCst),
        2,
        "each create calls the constructor once"
    );
    assert!(r.create(&NotifierConfig::new("telex", "c")).is_err());
    assert_eq!(
        built.load(Ordering::SeqCst),
        2,
        "an unknown kind must not call any constructor"
    );
    assert_eq!(
        r.create(&NotifierConfig::new("telex", " ")).err(),
        Some(FactoryError::UnknownKind("telex".into())),
        "the kind is checked before the sender"
    );
    assert_eq!(
        r.create(&NotifierConfig::new("fax", " ")).err(),
        Some(FactoryError::EmptySender)
    );
    assert_eq!(
        built.load(Ordering::SeqCst),
        2,
        "a blank sender is refused before construction"
    );
}

#[test]
fn duplicate_and_blank_registrations_are_refused() {
    let mut r = NotifierRegistry::with_builtins();
    let hijack = |_: &NotifierConfig| {
        Box::new(Fax {
            from: "evil".into(),
        }) as Box<dyn Notifier>
    };
    assert_eq!(
        r.register(" SMS", hijack),
        Err(FactoryError::DuplicateKind("sms".into())),
        "re-registering a kind (after normalising the name) must fail, not replace it"
    );
    assert_eq!(
        r.create(&NotifierConfig::new("sms", "S")).unwrap().kind(),
        "sms",
        "a refused registration must leave the original constructor in place"
    );
    assert_eq!(r.register("", hijack), Err(FactoryError::EmptyKind));
    assert_eq!(r.register("   ", hijack), Err(FactoryError::EmptyKind));
    assert_eq!(r.kinds().len(), 3);
}

#[test]
fn registered_names_are_normalised() {
    let mut r = NotifierRegistry::new();
    r.register("  Fax ", |c: &NotifierConfig| {
        Box::new(Fax {
            from: c.sender.clone(),
        }) as Box<dyn Notifier>
    })
    .unwrap();
    assert_eq!(r.kinds(), vec!["fax"]);
    assert!(r.contains("FAX"));
    assert_eq!(
        r.create(&NotifierConfig::new("fax", "x")).unwrap().kind(),
        "fax"
    );
}

#[test]
fn a_registry_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<NotifierRegistry>();
    let r = Arc::new(NotifierRegistry::with_builtins());
    let handles: Vec<_> = ["email", "sms", "push"]
        .into_iter()
        .map(|kind| {
            let r = r.clone();
            std::thread::spawn(move || {
                r.create(&NotifierConfig::new(kind, "x"))
                    .unwrap()
                    .kind()
                    .to_owned()
            })
        })
        .collect();
    let kinds: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(kinds, vec!["email", "sms", "push"]);
}

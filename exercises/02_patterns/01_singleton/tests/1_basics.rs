//! Stage 1: one registry, one thread. Reading before init is an error value,
//! the first init wins, later inits are refused, and the lazy path builds once.

use singleton::{Settings, SettingsError, SettingsRegistry, defaults};
use std::cell::Cell;

fn named(name: &str) -> Settings {
    Settings {
        service_name: name.to_owned(),
        max_connections: 8,
        debug: true,
    }
}

#[test]
fn default_settings_are_documented_values() {
    let d = Settings::default();
    assert_eq!(d.service_name, "sdkata");
    assert_eq!(d.max_connections, 100);
    assert!(!d.debug);
}

#[test]
fn reading_before_init_is_an_error_not_a_panic() {
    let registry = SettingsRegistry::new();
    assert!(!registry.is_initialized(), "a new registry must be empty");
    assert_eq!(
        registry.get(),
        Err(SettingsError::NotInitialized),
        "get() before init must return Err(NotInitialized): a panic (unwrap on an empty \
         cell) takes the whole service down for a start-up ordering bug"
    );
    // Asking twice changes nothing: reading must not initialise anything.
    assert_eq!(registry.get(), Err(SettingsError::NotInitialized));
    assert!(!registry.is_initialized());
}

#[test]
fn init_stores_the_value_and_returns_it() {
    let registry = SettingsRegistry::new();
    let stored = registry
        .init(named("billing"))
        .expect("first init must succeed");
    assert_eq!(stored, &named("billing"));
    assert!(registry.is_initialized());
    let read = registry.get().expect("get after init");
    assert_eq!(read, &named("billing"));
    assert!(
        std::ptr::eq(stored, read),
        "init and get must hand out the same instance, not copies"
    );
}

#[test]
fn a_second_init_is_refused_and_the_first_value_stays() {
    let registry = SettingsRegistry::new();
    registry
        .init(named("first"))
        .expect("first init must succeed");
    assert_eq!(
        registry.init(named("second")),
        Err(SettingsError::AlreadyInitialized),
        "a second init must fail loudly: silently accepting it hides a start-up bug"
    );
    assert_eq!(
        registry.get().map(|s| s.service_name.as_str()),
        Ok("first"),
        "the second initialisation must not win: code that already read the settings \
         would disagree with code that reads them now"
    );
    // And a third, identical to the first, is refused too: 'already set' is about
    // the cell, not the value.
    assert_eq!(
        registry.init(named("first")),
        Err(SettingsError::AlreadyInitialized)
    );
}

#[test]
fn get_or_init_builds_once_and_only_when_empty() {
    let registry = SettingsRegistry::new();
    let calls = Cell::new(0);
    let first = registry.get_or_init(|| {
        calls.set(calls.get() + 1);
        named("lazy")
    });
    assert_eq!(first.service_name, "lazy");
    let second = registry.get_or_init(|| {
        calls.set(calls.get() + 1);
        named("again")
    });
    assert_eq!(calls.get(), 1, "the initialiser must run exactly once");
    assert!(
        std::ptr::eq(first, second),
        "one instance, handed out twice"
    );
    assert_eq!(
        registry.init(named("late")),
        Err(SettingsError::AlreadyInitialized),
        "a lazily initialised registry is initialised: a later init must be refused"
    );
}

#[test]
fn get_or_init_after_init_returns_the_stored_value_without_calling_the_closure() {
    let registry = SettingsRegistry::new();
    registry.init(named("explicit")).unwrap();
    let got = registry.get_or_init(|| panic!("the initialiser must not run on a full registry"));
    assert_eq!(got.service_name, "explicit");
}

#[test]
fn registries_are_independent() {
    let a = SettingsRegistry::new();
    let b = SettingsRegistry::default();
    a.init(named("a")).unwrap();
    assert_eq!(
        b.get(),
        Err(SettingsError::NotInitialized),
        "each registry is its own cell: the type must not hide a shared global"
    );
    b.init(named("b")).unwrap();
    assert_eq!(a.get().unwrap().service_name, "a");
    assert_eq!(b.get().unwrap().service_name, "b");
}

#[test]
fn defaults_are_built_once_and_shared() {
    let one = defaults();
    let two = defaults();
    assert_eq!(one, &Settings::default());
    assert!(
        std::ptr::eq(one, two),
        "defaults() must return the same instance every time (LazyLock), not build a new one"
    );
    let from_thread = std::thread::spawn(|| defaults() as *const Settings as usize)
        .join()
        .unwrap();
    assert_eq!(
        from_thread, one as *const Settings as usize,
        "every thread must see the same defaults instance"
    );
}

#[test]
fn errors_explain_themselves() {
    let not = SettingsError::NotInitialized.to_string();
    let already = SettingsError::AlreadyInitialized.to_string();
    assert!(!not.is_empty() && !already.is_empty());
    assert_ne!(not, already, "the two errors must read differently");
    let _: &dyn std::error::Error = &SettingsError::NotInitialized;
}

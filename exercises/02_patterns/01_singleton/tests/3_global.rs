//! Stage 3: the process-wide instance. A `static` is shared by every test in
//! this file's binary, so this file uses it in exactly ONE test, which tells the
//! whole story in order. (That is the testing cost of a global, in miniature.)

use singleton::{Settings, SettingsError};
use std::sync::Barrier;
use std::thread;

#[test]
fn the_global_registry_lifecycle() {
    // 1. Before anyone initialises it: an error, not a panic.
    assert_eq!(
        singleton::settings(),
        Err(SettingsError::NotInitialized),
        "reading the global before init must return Err(NotInitialized)"
    );
    assert!(!singleton::global().is_initialized());

    // 2. Sixteen threads race to initialise it; exactly one wins.
    const THREADS: usize = 16;
    let barrier = Barrier::new(THREADS);
    let results: Vec<Result<usize, SettingsError>> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    singleton::init(Settings {
                        service_name: format!("node-{i}"),
                        max_connections: i as u32,
                        debug: false,
                    })
                    .map(|s| s as *const Settings as usize)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<usize> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one global init may succeed: {results:?}"
    );

    // 3. Everyone, on any thread, reads that one instance through every path.
    let stored = singleton::settings().expect("initialised by now");
    assert_eq!(stored as *const Settings as usize, winners[0]);
    assert!(std::ptr::eq(stored, singleton::global().get().unwrap()));
    let from_thread =
        thread::spawn(|| singleton::settings().map(|s| s as *const Settings as usize))
            .join()
            .unwrap();
    assert_eq!(
        from_thread,
        Ok(winners[0]),
        "another thread must read the same instance"
    );
    let name = stored.service_name.clone();
    assert_eq!(
        stored.max_connections.to_string(),
        name.trim_start_matches("node-")
    );

    // 4. Later inits are refused and change nothing.
    assert_eq!(
        singleton::init(Settings::default()).map(|_| ()),
        Err(SettingsError::AlreadyInitialized)
    );
    assert_eq!(singleton::settings().unwrap().service_name, name);
    assert_eq!(
        singleton::global()
            .get_or_init(Settings::default)
            .service_name,
        name,
        "get_or_init on a full global returns the stored value"
    );
}

/// The source of this crate, comments removed.
fn code_of_lib() -> String {
    let source = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/lib.rs"));
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_static_mut_and_no_unsafe() {
    let code = code_of_lib();
    assert!(
        !code.contains("static mut"),
        "src/lib.rs uses `static mut`: every access is unsafe and a data race is undefined \
         behaviour; use OnceLock/LazyLock, which synchronise for you"
    );
    assert!(
        !code.contains("unsafe"),
        "src/lib.rs uses `unsafe`: a settings registry needs none; OnceLock does the \
         synchronisation safely"
    );
    assert!(
        code.contains("OnceLock") || code.contains("LazyLock"),
        "build the registry on std::sync::OnceLock (and the defaults on LazyLock)"
    );
}

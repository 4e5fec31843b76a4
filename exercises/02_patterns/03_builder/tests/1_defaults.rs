//! Stage 1: a builder with documented defaults and chainable setters.

use builder::{
    DEFAULT_MAX_CONNECTIONS, DEFAULT_PORT, DEFAULT_TIMEOUT, NoHost, ServerConfig,
    ServerConfigBuilder,
};
use std::path::Path;
use std::time::Duration;

#[test]
fn the_defaults_are_the_documented_ones() {
    assert_eq!(DEFAULT_PORT, 8080);
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(30));
    assert_eq!(DEFAULT_MAX_CONNECTIONS, 1024);
}

#[test]
fn only_the_host_is_required() {
    let c = ServerConfig::builder().host("localhost").build().unwrap();
    assert_eq!(c.host(), "localhost");
    assert_eq!(c.port(), DEFAULT_PORT);
    assert_eq!(c.timeout(), DEFAULT_TIMEOUT);
    assert_eq!(c.max_connections(), DEFAULT_MAX_CONNECTIONS);
    assert!(!c.tls_enabled(), "TLS is off by default");
    assert_eq!(c.tls_cert(), None);
}

#[test]
fn new_and_default_start_from_the_same_place() {
    let a = ServerConfigBuilder::new().host("h").build().unwrap();
    let b = ServerConfigBuilder::<NoHost>::default()
        .host("h")
        .build()
        .unwrap();
    let c = ServerConfig::builder().host("h").build().unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn setters_chain_and_every_value_arrives() {
    let c = ServerConfig::builder()
        .host("api.example.com")
        .port(8443)
        .timeout(Duration::from_millis(2500))
        .max_connections(10_000)
        .tls(true)
        .cert_path("/etc/tls/api.pem")
        .build()
        .unwrap();
    assert_eq!(c.host(), "api.example.com");
    assert_eq!(c.port(), 8443);
    assert_eq!(c.timeout(), Duration::from_millis(2500));
    assert_eq!(c.max_connections(), 10_000);
    assert!(c.tls_enabled());
    assert_eq!(c.tls_cert(), Some(Path::new("/etc/tls/api.pem")));
}

#[test]
fn setters_work_before_the_host_and_survive_setting_it() {
    let c = ServerConfig::builder()
        .port(9000)
        .timeout(Duration::from_secs(1))
        .max_connections(7)
        .tls(true)
        .cert_path("cert.pem")
        .host("late.example")
        .build()
        .unwrap();
    assert_eq!(
        (c.port(), c.timeout(), c.max_connections()),
        (9000, Duration::from_secs(1), 7),
        "setting the host must carry every earlier setting over"
    );
    assert_eq!(c.tls_cert(), Some(Path::new("cert.pem")));
    assert_eq!(c.host(), "late.example");
}

#[test]
fn the_last_call_wins() {
    let c = ServerConfig::builder()
        .host("first")
        .port(1)
        .port(2)
        .max_connections(3)
        .max_connections(4)
        .timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(6))
        .cert_path("a.pem")
        .cert_path("b.pem")
        .tls(false)
        .tls(true)
        .host("second")
        .build()
        .unwrap();
    assert_eq!(c.host(), "second");
    assert_eq!(c.port(), 2);
    assert_eq!(c.max_connections(), 4);
    assert_eq!(c.timeout(), Duration::from_secs(6));
    assert_eq!(c.tls_cert(), Some(Path::new("b.pem")));
    let off = ServerConfig::builder()
        .host("h")
        .tls(true)
        .tls(false)
        .build()
        .unwrap();
    assert!(
        !off.tls_enabled(),
        "tls(false) after tls(true) turns it off"
    );
}

#[test]
fn a_certificate_without_tls_is_ignored() {
    let c = ServerConfig::builder()
        .host("h")
        .cert_path("/etc/tls/x.pem")
        .build()
        .unwrap();
    assert!(!c.tls_enabled());
    assert_eq!(
        c.tls_cert(),
        None,
        "tls_cert() is Some exactly when TLS is on; a cert alone does not enable TLS"
    );
}

#[test]
fn a_builder_can_be_cloned_to_make_variants() {
    let base = ServerConfig::builder().host("svc").max_connections(50);
    let plain = base.clone().port(80).build().unwrap();
    let secure = base
        .port(443)
        .tls(true)
        .cert_path("svc.pem")
        .build()
        .unwrap();
    assert_eq!((plain.port(), plain.tls_enabled()), (80, false));
    assert_eq!((secure.port(), secure.tls_enabled()), (443, true));
    assert_eq!(plain.max_connections(), secure.max_connections());
    assert_ne!(plain, secure);
    let copy = secure.clone();
    assert_eq!(copy, secure);
}

//! Stage 2: the forward proxy's destination rules, as pure code. Ordered
//! allow and deny rules, the first match wins, a default for the rest;
//! domains compared as names, networks and addresses compared with what the
//! name resolved to, so that writing an address another way does not get
//! round a rule.

use std::net::SocketAddr;

use proxy::{Acl, Action, Dest};

fn addr(text: &str) -> SocketAddr {
    text.parse().expect("a socket address")
}

fn net(text: &str, prefix: u8) -> Dest {
    Dest::Net {
        addr: text.parse().expect("an IP address"),
        prefix,
    }
}

fn domain(name: &str) -> Dest {
    Dest::Domain(name.to_owned())
}

const SOMEWHERE: &str = "192.0.2.10:80";

#[test]
fn with_no_rules_the_default_decides() {
    for default in [Action::Allow, Action::Deny] {
        let acl = Acl::new(default);
        assert_eq!(acl.check("example.com", addr(SOMEWHERE)), default);
        assert_eq!(acl.check("127.0.0.1", addr("127.0.0.1:22")), default);
    }
}

#[test]
fn the_first_matching_rule_wins() {
    let a = addr("127.0.0.1:4000");
    let acl = Acl::new(Action::Deny).allow(Dest::Addr(a)).deny(Dest::Any);
    assert_eq!(acl.check("127.0.0.1", a), Action::Allow);
    let acl = Acl::new(Action::Allow).deny(Dest::Addr(a)).allow(Dest::Any);
    assert_eq!(
        acl.check("127.0.0.1", a),
        Action::Deny,
        "rules are tried in the order they were added and the first match decides (Squid's \
         http_access): a later allow-everything does not undo an earlier deny"
    );
    let acl = Acl::new(Action::Allow)
        .deny(net("10.0.0.0", 8))
        .allow(Dest::Addr(addr("10.0.0.5:80")));
    assert_eq!(
        acl.check("10.0.0.5", addr("10.0.0.5:80")),
        Action::Deny,
        "the broader deny came first, so it wins"
    );
    assert_eq!(acl.check("192.0.2.1", addr("192.0.2.1:80")), Action::Allow);
}

#[test]
fn an_address_rule_needs_the_same_ip_and_port() {
    let acl = Acl::new(Action::Deny).allow(Dest::Addr(addr("127.0.0.1:4000")));
    assert_eq!(
        acl.check("127.0.0.1", addr("127.0.0.1:4000")),
        Action::Allow
    );
    assert_eq!(
        acl.check("127.0.0.1", addr("127.0.0.1:4001")),
        Action::Deny,
        "another port on the same host is another service: an exact-address rule must not \
         open it"
    );
    assert_eq!(acl.check("127.0.0.2", addr("127.0.0.2:4000")), Action::Deny);
    assert_eq!(
        acl.check("[::ffff:127.0.0.1]", addr("[::ffff:127.0.0.1]:4000")),
        Action::Allow,
        "an IPv4-mapped IPv6 address is the IPv4 address it maps"
    );
}

#[test]
fn a_network_rule_compares_the_prefix_bits() {
    let acl = Acl::new(Action::Allow).deny(net("10.0.0.0", 8));
    for inside in ["10.0.0.1:80", "10.255.255.255:443", "10.1.2.3:22"] {
        assert_eq!(
            acl.check("x", addr(inside)),
            Action::Deny,
            "{inside} is in 10.0.0.0/8"
        );
    }
    for outside in ["11.0.0.1:80", "9.255.255.255:80", "192.0.2.1:80"] {
        assert_eq!(
            acl.check("x", addr(outside)),
            Action::Allow,
            "{outside} is not in 10.0.0.0/8"
        );
    }
    let acl = Acl::new(Action::Allow).deny(net("10.9.8.7", 8));
    assert_eq!(
        acl.check("x", addr("10.1.1.1:80")),
        Action::Deny,
        "bits of the network address past the prefix do not matter: 10.9.8.7/8 is 10.0.0.0/8"
    );
    let acl = Acl::new(Action::Allow).deny(net("192.0.2.1", 32));
    assert_eq!(acl.check("x", addr("192.0.2.1:1")), Action::Deny);
    assert_eq!(acl.check("x", addr("192.0.2.2:1")), Action::Allow);
    let acl = Acl::new(Action::Allow).deny(net("172.16.0.0", 12));
    assert_eq!(acl.check("x", addr("172.31.255.1:80")), Action::Deny);
    assert_eq!(
        acl.check("x", addr("172.32.0.1:80")),
        Action::Allow,
        "172.16.0.0/12 ends at 172.31.255.255: a prefix that is not a multiple of 8 is \
         compared bit by bit"
    );
}

#[test]
fn prefix_zero_is_a_whole_family_and_families_do_not_mix() {
    let acl = Acl::new(Action::Allow).deny(net("0.0.0.0", 0));
    assert_eq!(acl.check("x", addr("203.0.113.9:80")), Action::Deny);
    assert_eq!(
        acl.check("x", addr("[2001:db8::1]:80")),
        Action::Allow,
        "an IPv4 network matches IPv4 addresses only"
    );
    let acl = Acl::new(Action::Allow).deny(net("::", 0));
    assert_eq!(acl.check("x", addr("[2001:db8::1]:80")), Action::Deny);
    assert_eq!(acl.check("x", addr("203.0.113.9:80")), Action::Allow);
    let acl = Acl::new(Action::Allow).deny(net("fd00::", 8));
    assert_eq!(acl.check("x", addr("[fd12:3456::1]:80")), Action::Deny);
    assert_eq!(acl.check("x", addr("[fe80::1]:80")), Action::Allow);
    let acl = Acl::new(Action::Allow).deny(net("::1", 128));
    assert_eq!(acl.check("x", addr("[::1]:80")), Action::Deny);
}

#[test]
fn an_impossible_prefix_matches_nothing() {
    let acl = Acl::new(Action::Allow)
        .deny(net("10.0.0.1", 33))
        .deny(net("::1", 129));
    assert_eq!(acl.check("x", addr("10.0.0.1:80")), Action::Allow);
    assert_eq!(acl.check("x", addr("[::1]:80")), Action::Allow);
}

#[test]
fn a_mapped_address_does_not_slip_past_an_ipv4_rule() {
    let acl = Acl::new(Action::Allow).deny(net("127.0.0.0", 8));
    assert_eq!(
        acl.check("[::ffff:127.0.0.1]", addr("[::ffff:127.0.0.1]:6379")),
        Action::Deny,
        "::ffff:127.0.0.1 is 127.0.0.1 written as IPv6: a deny of 127.0.0.0/8 that it gets \
         round lets any client reach the proxy's own loopback services (a classic SSRF \
         bypass)"
    );
    let acl = Acl::new(Action::Allow).deny(net("::ffff:10.0.0.0", 104));
    assert_eq!(
        acl.check("10.1.2.3", addr("10.1.2.3:80")),
        Action::Deny,
        "the rule side is made canonical too: ::ffff:10.0.0.0/104 is 10.0.0.0/8"
    );
    assert_eq!(
        acl.check("11.1.2.3", addr("11.1.2.3:80")),
        Action::Allow,
        "and only 10.0.0.0/8: its prefix is 104 - 96 = 8"
    );
    let acl = Acl::new(Action::Allow).deny(net("::ffff:10.0.0.0", 80));
    assert_eq!(
        acl.check("10.1.2.3", addr("10.1.2.3:80")),
        Action::Allow,
        "a mapped network shorter than /96 is no IPv4 network: it stays IPv6 and \
         matches no IPv4 address"
    );
}

#[test]
fn a_domain_rule_matches_the_name_and_its_subdomains() {
    let acl = Acl::new(Action::Deny).allow(domain("example.com"));
    let at = addr(SOMEWHERE);
    for name in [
        "example.com",
        "api.example.com",
        "a.b.example.com",
        "API.Example.COM",
        "example.com.",
    ] {
        assert_eq!(
            acl.check(name, at),
            Action::Allow,
            "{name} is example.com or under it (case and a trailing dot do not matter)"
        );
    }
    for name in [
        "evil-example.com",
        "example.com.evil.net",
        "notexample.com",
        "example.co",
        "com",
    ] {
        assert_eq!(
            acl.check(name, at),
            Action::Deny,
            "{name} is not under example.com: compare whole labels, not a bare string suffix \
             or prefix"
        );
    }
    let acl = Acl::new(Action::Deny).allow(domain("Example.COM."));
    assert_eq!(
        acl.check("www.example.com", at),
        Action::Allow,
        "the rule's own case and trailing dot do not matter either"
    );
}

#[test]
fn a_domain_rule_never_matches_an_ip_address() {
    let acl = Acl::new(Action::Allow)
        .deny(domain("0.0.1"))
        .deny(domain("1"));
    assert_eq!(
        acl.check("127.0.0.1", addr("127.0.0.1:80")),
        Action::Allow,
        "127.0.0.1 is an address, not a name under `0.0.1`: domain rules are about names"
    );
    assert_eq!(acl.check("[::1]", addr("[::1]:80")), Action::Allow);
    assert_eq!(acl.check("::1", addr("[::1]:80")), Action::Allow);
}

//! Which destinations the forward proxy may reach: an ordered list of
//! rules, first match wins (Squid's `http_access`).

use std::net::{IpAddr, SocketAddr};

/// What a rule, or the list's default, decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The proxy connects.
    Allow,
    /// The proxy answers `403 Forbidden` and connects to nothing.
    Deny,
}

/// The destinations one rule is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Every destination.
    Any,
    /// This domain name and every name under it, compared with the host the
    /// client wrote: `Domain("example.com")` matches `example.com` and
    /// `api.example.com`, not `evil-example.com` nor
    /// `example.com.evil.net`. ASCII case and one trailing dot are ignored
    /// on both sides. It never matches a host written as an IP address.
    Domain(String),
    /// Every address in this network, compared with the address the host
    /// resolved to: the first `prefix` bits of the address equal those of
    /// `addr` (bits of `addr` past the prefix do not matter). An
    /// IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) counts as the IPv4
    /// address it maps, on both sides (a mapped network `::ffff:a.b.c.d/p`
    /// with `p` of 96 or more is the IPv4 network `a.b.c.d/(p - 96)`);
    /// otherwise an IPv4 network matches only IPv4 addresses and an IPv6 one
    /// only IPv6. A prefix longer than the address (over 32 for IPv4, over
    /// 128 for IPv6) matches nothing.
    Net {
        /// An address in the network.
        addr: IpAddr,
        /// How many leading bits must match.
        prefix: u8,
    },
    /// Exactly this IP address (IPv4-mapped counting as IPv4, as for
    /// [`Dest::Net`]) and port, compared with the resolved address.
    Addr(SocketAddr),
}

/// An ordered list of allow and deny rules with a default for destinations
/// no rule matches.
///
/// ```
/// use proxy::{Acl, Action, Dest};
///
/// let acl = Acl::new(Action::Deny)
///     .deny(Dest::Domain("internal.example".into()))
///     .allow(Dest::Domain("example".into()));
/// let addr = "192.0.2.10:80".parse().unwrap();
/// assert_eq!(acl.check("www.example", addr), Action::Allow);
/// assert_eq!(acl.check("db.internal.example", addr), Action::Deny); // the first match wins
/// assert_eq!(acl.check("example.org", addr), Action::Deny); // no rule: the default
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    rules: Vec<(Action, Dest)>,
    default: Action,
}

impl Acl {
    /// No rules yet; `default` decides every destination.
    pub fn new(default: Action) -> Self {
        // TODO
        todo!("no rules, this default")
    }

    /// Adds a rule that allows `dest`, after the rules already there.
    #[must_use]
    pub fn allow(mut self, dest: Dest) -> Self {
        // TODO
        todo!("push an Allow rule")
    }

    /// Adds a rule that denies `dest`, after the rules already there.
    #[must_use]
    pub fn deny(mut self, dest: Dest) -> Self {
        // TODO
        todo!("push a Deny rule")
    }

    /// The action of the first rule that matches a request for `host` (the
    /// host as the client wrote it, an IPv6 literal with or without its
    /// brackets) which resolved to `addr`; the default if none matches.
    pub fn check(&self, host: &str, addr: SocketAddr) -> Action {
        // TODO
        todo!("the first matching rule's action, else the default")
    }
}

fn matches(dest: &Dest, host: &str, ip: IpAddr, port: u16) -> bool {
    // TODO
    todo!("does this rule match the host as written / the resolved address?")
}

/// Lower case, without one trailing dot or IPv6 brackets.
fn normalise(host: &str) -> String {
    // TODO
    todo!("lower case, no trailing dot, no IPv6 brackets")
}

/// A mapped IPv6 network as the IPv4 network it maps.
fn canonical_network(addr: IpAddr, prefix: u8) -> (IpAddr, u8) {
    // TODO
    todo!("::ffff:a.b.c.d/p (p >= 96) is a.b.c.d/(p - 96)")
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    // TODO
    todo!("same family, prefix not too long, the top prefix bits equal")
}

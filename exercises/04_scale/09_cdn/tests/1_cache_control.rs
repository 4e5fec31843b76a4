//! Stage 1: the `Cache-Control` header. A shared cache decides everything
//! from it: whether it may store a response at all (`private`, `no-store`),
//! for how long it is fresh (`s-maxage` over `max-age`), and whether it may
//! serve it stale. The parser follows the grammar subset in the stub: commas
//! inside quotes do not split, names are case-insensitive, malformed seconds
//! are 0 (the safe reading), a repeated directive keeps its first value.

use cdn::{CacheControl, Headers, MAX_DELTA_SECONDS};
use proptest::prelude::*;

fn parse(s: &str) -> CacheControl {
    CacheControl::parse(s)
}

#[test]
fn an_empty_header_has_no_directives() {
    assert_eq!(parse(""), CacheControl::default());
    assert_eq!(parse("  ,, ,\t"), CacheControl::default());
    assert_eq!(parse("").shared_lifetime(), None);
    assert!(
        !parse("").shared_storable(),
        "without a lifetime (and without no-cache) a shared cache must not store: \
         this cache has no heuristic freshness"
    );
}

#[test]
fn every_known_directive_is_read() {
    let cc = parse(
        "public, private, no-store, no-cache, must-revalidate, proxy-revalidate, \
         max-age=60, s-maxage=300, stale-while-revalidate=30",
    );
    assert_eq!(
        cc,
        CacheControl {
            public: true,
            private: true,
            no_store: true,
            no_cache: true,
            must_revalidate: true,
            proxy_revalidate: true,
            max_age: Some(60),
            s_maxage: Some(300),
            stale_while_revalidate: Some(30),
        }
    );
}

#[test]
fn names_are_case_insensitive_and_whitespace_is_optional() {
    assert_eq!(
        parse("Max-Age=60,PUBLIC,\tS-MaxAge=10 ,  No-Store"),
        CacheControl {
            public: true,
            no_store: true,
            max_age: Some(60),
            s_maxage: Some(10),
            ..CacheControl::default()
        }
    );
    assert_eq!(
        parse("max-age = 5").max_age,
        Some(5),
        "optional whitespace is allowed around '='"
    );
    assert_eq!(
        parse(",,max-age=7,,").max_age,
        Some(7),
        "empty elements are skipped"
    );
}

#[test]
fn seconds_may_be_quoted() {
    assert_eq!(parse("max-age=\"60\"").max_age, Some(60));
    assert_eq!(parse("s-maxage=\"0\"").s_maxage, Some(0));
}

#[test]
fn a_comma_inside_quotes_does_not_split() {
    let cc = parse("private=\"Set-Cookie, X-User\", max-age=5");
    assert!(cc.private, "private with a field list is still private");
    assert_eq!(
        cc.max_age,
        Some(5),
        "the comma inside the quoted field list must not end the element: max-age=5 \
         is the next directive"
    );
    let cc = parse("no-cache=\"a,b,c\", s-maxage=9");
    assert!(cc.no_cache);
    assert_eq!(cc.s_maxage, Some(9));
    let cc = parse("private=\"a\\\", max-age=1\", s-maxage=3");
    assert_eq!(
        cc.max_age, None,
        "an escaped quote (\\\") does not close the quoted-string, so max-age=1 is inside it"
    );
    assert_eq!(cc.s_maxage, Some(3));
}

#[test]
fn a_quote_that_never_closes_runs_to_the_end() {
    let cc = parse("private=\"oops, max-age=5");
    assert!(cc.private);
    assert_eq!(cc.max_age, None, "max-age=5 is inside the unclosed quote");
}

#[test]
fn malformed_seconds_are_zero() {
    for value in [
        "max-age",
        "max-age=",
        "max-age=-1",
        "max-age=5s",
        "max-age=1.5",
        "max-age=+5",
        "max-age=\"5",
        "max-age=\"5\"x",
        "max-age=0x10",
    ] {
        assert_eq!(
            parse(value).max_age,
            Some(0),
            "`{value}`: a max-age that is not 1*DIGIT is present but malformed, and a \
             malformed lifetime must read as 0 (stale at once), never as absent or as a \
             guess"
        );
    }
    assert_eq!(parse("s-maxage=ten").s_maxage, Some(0));
    assert_eq!(
        parse("stale-while-revalidate").stale_while_revalidate,
        Some(0)
    );
}

#[test]
fn huge_seconds_are_capped_at_two_to_the_31() {
    assert_eq!(MAX_DELTA_SECONDS, 2_147_483_648);
    assert_eq!(parse("max-age=2147483647").max_age, Some(2_147_483_647));
    assert_eq!(parse("max-age=2147483648").max_age, Some(MAX_DELTA_SECONDS));
    assert_eq!(parse("max-age=2147483649").max_age, Some(MAX_DELTA_SECONDS));
    assert_eq!(
        parse("s-maxage=999999999999999999999999999999").s_maxage,
        Some(MAX_DELTA_SECONDS),
        "a value too large even for u64 is capped too, not malformed"
    );
    assert_eq!(
        parse("max-age=000060").max_age,
        Some(60),
        "leading zeros are digits"
    );
}

#[test]
fn a_repeated_directive_keeps_its_first_value() {
    assert_eq!(parse("max-age=10, max-age=20").max_age, Some(10));
    assert_eq!(parse("s-maxage=0, s-maxage=100").s_maxage, Some(0));
    assert_eq!(
        parse("max-age=abc, max-age=20").max_age,
        Some(0),
        "the first occurrence wins even when it is malformed"
    );
}

#[test]
fn unknown_directives_and_bad_names_are_ignored() {
    assert_eq!(
        parse("immutable, foo=bar, x=\"y, z\", max-age=5, stale-if-error=60"),
        CacheControl {
            max_age: Some(5),
            ..CacheControl::default()
        }
    );
    assert_eq!(
        parse("max age=5, =7, \"max-age\"=9"),
        CacheControl::default(),
        "an element whose name is not a known directive is ignored"
    );
    assert_eq!(parse("max-ages=5").max_age, None, "names match whole");
}

#[test]
fn s_maxage_wins_for_shared_caches_both_ways() {
    assert_eq!(
        parse("max-age=10, s-maxage=600").shared_lifetime(),
        Some(600)
    );
    assert_eq!(
        parse("max-age=600, s-maxage=10").shared_lifetime(),
        Some(10),
        "s-maxage replaces max-age in a shared cache even when it is shorter: the origin \
         is asking the CDN for fresher copies than browsers keep"
    );
    assert_eq!(parse("s-maxage=0, max-age=600").shared_lifetime(), Some(0));
    assert_eq!(parse("max-age=30").shared_lifetime(), Some(30));
    assert_eq!(parse("s-maxage=30").shared_lifetime(), Some(30));
    assert_eq!(parse("public, no-cache").shared_lifetime(), None);
}

#[test]
fn what_a_shared_cache_may_store() {
    for (value, storable) in [
        ("max-age=60", true),
        ("s-maxage=60", true),
        ("public, max-age=0", true),
        ("no-cache", true),
        ("no-cache, max-age=60", true),
        ("private", false),
        ("private, max-age=60", false),
        ("Private, s-maxage=60", false),
        ("private=\"Set-Cookie\", s-maxage=60", false),
        ("no-store", false),
        ("no-store, max-age=60", false),
        ("public, no-store, s-maxage=60", false),
        ("no-cache, no-store", false),
        ("public", false),
        ("stale-while-revalidate=60", false),
        ("must-revalidate", false),
        ("", false),
    ] {
        assert_eq!(
            parse(value).shared_storable(),
            storable,
            "`{value}`: storable by a shared cache should be {storable}. private is one \
             user's response and no-store forbids storing anywhere, whatever lifetime comes \
             with them; a response with neither a lifetime nor no-cache has nothing to say \
             how long a copy may be used"
        );
    }
}

#[test]
fn of_reads_the_header_by_any_case() {
    let mut headers = Headers::new();
    assert_eq!(CacheControl::of(&headers), CacheControl::default());
    headers.set("cache-control", "s-maxage=5");
    assert_eq!(CacheControl::of(&headers).s_maxage, Some(5));
    headers.set("CACHE-CONTROL", "max-age=9");
    assert_eq!(CacheControl::of(&headers).max_age, Some(9));
    assert_eq!(CacheControl::of(&headers).s_maxage, None);
}

// --- property: parse(render(directives)) equals a model of the rules ---

#[derive(Debug, Clone)]
enum Directive {
    Flag(&'static str),
    /// A flag with a quoted field list (which may hold commas).
    FlagWithList(&'static str, String),
    Seconds(&'static str, u64),
    QuotedSeconds(&'static str, u64),
    Malformed(&'static str),
    Unknown(String),
}

const FLAGS: [&str; 6] = [
    "public",
    "private",
    "no-store",
    "no-cache",
    "must-revalidate",
    "proxy-revalidate",
];
const NUMBERS: [&str; 3] = ["max-age", "s-maxage", "stale-while-revalidate"];

fn directive() -> impl Strategy<Value = Directive> {
    let flag = proptest::sample::select(FLAGS.to_vec());
    let number = proptest::sample::select(NUMBERS.to_vec());
    prop_oneof![
        flag.clone().prop_map(Directive::Flag),
        (flag, "[a-zA-Z, -]{0,12}").prop_map(|(f, l)| Directive::FlagWithList(f, l)),
        (number.clone(), 0u64..100_000).prop_map(|(n, s)| Directive::Seconds(n, s)),
        (number.clone(), 0u64..100_000).prop_map(|(n, s)| Directive::QuotedSeconds(n, s)),
        number.prop_map(Directive::Malformed),
        "x-[a-z]{1,6}".prop_map(Directive::Unknown),
    ]
}

fn random_case(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn render(d: &Directive, mask: u64) -> String {
    match d {
        Directive::Flag(f) => random_case(f, mask),
        Directive::FlagWithList(f, list) => format!("{}=\"{list}\"", random_case(f, mask)),
        Directive::Seconds(n, s) => format!("{}={s}", random_case(n, mask)),
        Directive::QuotedSeconds(n, s) => format!("{}=\"{s}\"", random_case(n, mask)),
        Directive::Malformed(n) => format!("{}=12x", random_case(n, mask)),
        Directive::Unknown(name) => format!("{name}=\"a, b\""),
    }
}

fn model(directives: &[Directive]) -> CacheControl {
    let mut cc = CacheControl::default();
    let set_flag = |cc: &mut CacheControl, f: &str| match f {
        "public" => cc.public = true,
        "private" => cc.private = true,
        "no-store" => cc.no_store = true,
        "no-cache" => cc.no_cache = true,
        "must-revalidate" => cc.must_revalidate = true,
        "proxy-revalidate" => cc.proxy_revalidate = true,
        _ => unreachable!(),
    };
    let set_number = |cc: &mut CacheControl, n: &str, s: u64| {
        let slot = match n {
            "max-age" => &mut cc.max_age,
            "s-maxage" => &mut cc.s_maxage,
            _ => &mut cc.stale_while_revalidate,
        };
        slot.get_or_insert(s);
    };
    for d in directives {
        match d {
            Directive::Flag(f) | Directive::FlagWithList(f, _) => set_flag(&mut cc, f),
            Directive::Seconds(n, s) | Directive::QuotedSeconds(n, s) => set_number(&mut cc, n, *s),
            Directive::Malformed(n) => set_number(&mut cc, n, 0),
            Directive::Unknown(_) => {}
        }
    }
    cc
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: proptest::test_runner::RngSeed::Fixed(91),
        failure_persistence: None,
        cases: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parsing_matches_a_model_of_the_rules(
        directives in proptest::collection::vec(directive(), 0..8),
        masks in proptest::collection::vec(any::<u64>(), 8),
        spaces in proptest::collection::vec(0usize..3, 8),
    ) {
        let header = directives
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let pad = [" ", "", "\t "][spaces[i]];
                format!("{pad}{}{pad}", render(d, masks[i]))
            })
            .collect::<Vec<_>>()
            .join(",");
        prop_assert_eq!(
            CacheControl::parse(&header),
            model(&directives),
            "header `{}`: flags are set by name in any case, seconds keep their first \
             value, malformed seconds are 0, quoted lists and unknown directives change \
             nothing else",
            header
        );
    }

    #[test]
    fn parsing_never_panics(header in "[ -~\t]{0,40}") {
        let cc = CacheControl::parse(&header);
        for seconds in [cc.max_age, cc.s_maxage, cc.stale_while_revalidate].into_iter().flatten() {
            prop_assert!(seconds <= MAX_DELTA_SECONDS);
        }
    }
}

//! Stage 1: the three products. Each notifier validates for its own channel
//! and reports what it would send. The factories come in stage 2.

use factory::{
    Delivery, EmailNotifier, Notifier, NotifyError, PUSH_MAX_CHARS, PushNotifier, SMS_MAX_CHARS,
    SmsNotifier,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn invalid(channel: &str, recipient: &str) -> NotifyError {
    NotifyError::InvalidRecipient {
        channel: channel.to_owned(),
        recipient: recipient.to_owned(),
    }
}

#[test]
fn kinds_are_the_documented_names() {
    assert_eq!(EmailNotifier::new("a@b.io").kind(), "email");
    assert_eq!(SmsNotifier::new("ACME").kind(), "sms");
    assert_eq!(PushNotifier::new("app").kind(), "push");
}

#[test]
fn email_delivers_with_its_sender() {
    let email = EmailNotifier::new("alerts@shop.example");
    assert_eq!(
        email.send("ana@example.com", "Your order shipped"),
        Ok(Delivery {
            channel: "email".into(),
            from: "alerts@shop.example".into(),
            to: "ana@example.com".into(),
            body: "Your order shipped".into(),
        })
    );
    // Email has no length limit.
    let long = "x".repeat(10_000);
    assert_eq!(email.send("a@b.co", &long).unwrap().body, long);
}

#[test]
fn email_recipients_are_validated() {
    let email = EmailNotifier::new("me");
    for bad in [
        "",
        "ana",
        "@example.com",
        "ana@",
        "ana@example",
        "ana@@example.com",
        "a@b@c.com",
        "ana@.com",
        "ana@example.",
        "ana @example.com",
        "ana@exa mple.com",
        " ana@example.com",
    ] {
        assert_eq!(
            email.send(bad, "hi"),
            Err(invalid("email", bad)),
            "{bad:?} is not an email address"
        );
    }
    for good in [
        "a@b.co",
        "first.last+tag@mail.example.org",
        "x@sub.domain.io",
    ] {
        assert!(
            email.send(good, "hi").is_ok(),
            "{good:?} is a valid address"
        );
    }
}

#[test]
fn sms_delivers_and_validates_e164_numbers() {
    let sms = SmsNotifier::new("ACME");
    let d = sms.send("+14155550100", "Code: 1234").unwrap();
    assert_eq!((d.channel.as_str(), d.from.as_str()), ("sms", "ACME"));
    assert_eq!(
        (d.to.as_str(), d.body.as_str()),
        ("+14155550100", "Code: 1234")
    );
    // 8 and 15 digits are the bounds.
    assert!(
        sms.send("+12345678", "x").is_ok(),
        "8 digits is the minimum"
    );
    assert!(
        sms.send("+123456789012345", "x").is_ok(),
        "15 digits is the E.164 maximum"
    );
    for bad in [
        "",
        "+",
        "+1234567",
        "+1234567890123456",
        "14155550100",
        "+1415555010a",
        "+1 415 555 0100",
        "++14155550100",
        "+14155550100 ",
        "+١٢٣٤٥٦٧٨٩",
    ] {
        assert_eq!(
            sms.send(bad, "x"),
            Err(invalid("sms", bad)),
            "{bad:?} is not E.164"
        );
    }
}

#[test]
fn sms_body_limit_is_160_characters_not_bytes() {
    let sms = SmsNotifier::new("ACME");
    assert_eq!(SMS_MAX_CHARS, 160);
    let exactly = "a".repeat(160);
    assert!(
        sms.send("+4915112345678", &exactly).is_ok(),
        "160 characters fit"
    );
    assert_eq!(
        sms.send("+4915112345678", &"a".repeat(161)),
        Err(NotifyError::MessageTooLong { len: 161, max: 160 })
    );
    // 160 'é' are 320 bytes but 160 characters: the limit counts characters.
    let accented = "é".repeat(160);
    assert!(
        sms.send("+4915112345678", &accented).is_ok(),
        "the limit is in characters; counting bytes (len()) rejects accented text"
    );
    assert_eq!(
        sms.send("+4915112345678", &"é".repeat(170)),
        Err(NotifyError::MessageTooLong { len: 170, max: 160 })
    );
}

#[test]
fn push_validates_tokens_and_its_own_limit() {
    let push = PushNotifier::new("shop-app");
    let d = push.send("abc123DEF", "Sale!").unwrap();
    assert_eq!(d.channel, "push");
    assert_eq!(d.from, "shop-app");
    assert_eq!(PUSH_MAX_CHARS, 240);
    assert!(
        push.send(&"f".repeat(64), "x").is_ok(),
        "64 characters is the longest token"
    );
    for bad in [
        "",
        "abc-123",
        "abc 123",
        "tok:en",
        &"f".repeat(65),
        "ünïcode",
    ] {
        assert_eq!(
            push.send(bad, "x"),
            Err(invalid("push", bad)),
            "{bad:?} is not a token"
        );
    }
    assert!(push.send("t", &"b".repeat(240)).is_ok());
    assert_eq!(
        push.send("t", &"b".repeat(241)),
        Err(NotifyError::MessageTooLong { len: 241, max: 240 })
    );
}

#[test]
fn every_channel_refuses_blank_bodies_after_checking_the_recipient() {
    let all: [Box<dyn Notifier>; 3] = [
        Box::new(EmailNotifier::new("e")),
        Box::new(SmsNotifier::new("s")),
        Box::new(PushNotifier::new("p")),
    ];
    let good_to = ["a@b.co", "+4915112345678", "token1"];
    for (n, to) in all.iter().zip(good_to) {
        for blank in ["", " ", "\n\t "] {
            assert_eq!(
                n.send(to, blank),
                Err(NotifyError::EmptyMessage),
                "{} must refuse a blank body",
                n.kind()
            );
        }
        // An invalid recipient is reported first, even with a blank body.
        assert!(matches!(
            n.send("not valid!", ""),
            Err(NotifyError::InvalidRecipient { .. })
        ));
    }
}

#[test]
fn errors_display_something_useful() {
    let e = invalid("sms", "123").to_string();
    assert!(
        e.contains("123") && e.contains("sms"),
        "{e:?} should name recipient and channel"
    );
    let e = NotifyError::MessageTooLong { len: 161, max: 160 }.to_string();
    assert!(
        e.contains("161") && e.contains("160"),
        "{e:?} should give length and limit"
    );
    assert!(!NotifyError::EmptyMessage.to_string().is_empty());
}

#[test]
fn notifiers_are_thread_safe_objects() {
    fn assert_send_sync<T: Send + Sync + ?Sized>() {}
    assert_send_sync::<dyn Notifier>();
    assert_send_sync::<EmailNotifier>();
}

proptest! {
    // A fixed seed: the same cases on every run, so a pass or a failure repeats.
    #![proptest_config(ProptestConfig {
        cases: 128,
        rng_seed: RngSeed::Fixed(2),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn sms_accepts_exactly_the_bodies_within_the_limit(body in "[a-zé€ ]{1,200}") {
        prop_assume!(!body.trim().is_empty());
        let len = body.chars().count();
        let got = SmsNotifier::new("S").send("+4915112345678", &body);
        if len <= SMS_MAX_CHARS {
            prop_assert_eq!(got.map(|d| d.body), Ok(body));
        } else {
            prop_assert_eq!(got, Err(NotifyError::MessageTooLong { len, max: SMS_MAX_CHARS }));
        }
    }
}

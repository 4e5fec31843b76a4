//! Stage 2: the closed factory. A channel name or config value picks the
//! product; the caller only ever sees `Box<dyn Notifier>`. Unknown names are
//! errors, never a silent default.

use factory::{
    Channel, DEFAULT_SENDER, FactoryError, NotifierConfig, NotifyError, create, from_config,
    from_name,
};

#[test]
fn channel_names_parse_and_print() {
    assert_eq!("email".parse::<Channel>(), Ok(Channel::Email));
    assert_eq!("sms".parse::<Channel>(), Ok(Channel::Sms));
    assert_eq!("push".parse::<Channel>(), Ok(Channel::Push));
    for c in Channel::ALL {
        assert_eq!(c.to_string(), c.name());
        assert_eq!(
            c.name().parse::<Channel>(),
            Ok(c),
            "name() and parse must round-trip"
        );
    }
    assert_eq!(Channel::ALL, [Channel::Email, Channel::Sms, Channel::Push]);
}

#[test]
fn names_ignore_case_and_surrounding_whitespace() {
    assert_eq!(" SMS ".parse::<Channel>(), Ok(Channel::Sms));
    assert_eq!("Email".parse::<Channel>(), Ok(Channel::Email));
    assert_eq!("\tPUSH\n".parse::<Channel>(), Ok(Channel::Push));
}

#[test]
fn unknown_names_are_errors_not_a_default() {
    for name in [
        "", " ", "fax", "e-mail", "emails", "mail", "smss", "sm", "pushh", "e mail", "sms,push",
    ] {
        assert_eq!(
            name.parse::<Channel>(),
            Err(FactoryError::UnknownKind(name.to_owned())),
            "{name:?} must be UnknownKind carrying the name as given: mapping unknown \
             names to a default channel sends messages nobody asked for"
        );
        assert_eq!(
            from_name(name).err(),
            Some(FactoryError::UnknownKind(name.to_owned())),
            "from_name({name:?}) must fail, not fall back to a default channel"
        );
    }
}

#[test]
fn create_builds_the_matching_product() {
    for c in Channel::ALL {
        let n = create(c, "ACME");
        assert_eq!(
            n.kind(),
            c.name(),
            "create({c:?}) built the wrong kind of notifier"
        );
    }
    // The products behave as their channel, not just report a name.
    let sms = create(Channel::Sms, "ACME");
    assert_eq!(sms.send("+4915112345678", "hi").unwrap().from, "ACME");
    assert!(matches!(
        sms.send("a@b.co", "hi"),
        Err(NotifyError::InvalidRecipient { .. })
    ));
    let email = create(Channel::Email, "me@x.io");
    assert!(email.send("a@b.co", &"x".repeat(500)).is_ok());
    let push = create(Channel::Push, "app");
    assert!(push.send("token1", "hi").is_ok());
    assert!(push.send("+4915112345678", "hi").is_err());
}

#[test]
fn from_name_uses_the_default_sender() {
    let n = from_name("sms").unwrap();
    assert_eq!(n.kind(), "sms");
    assert_eq!(n.send("+4915112345678", "hi").unwrap().from, DEFAULT_SENDER);
    assert_eq!(DEFAULT_SENDER, "sdkata");
    assert_eq!(from_name(" Push ").unwrap().kind(), "push");
    assert_eq!(from_name("email").unwrap().kind(), "email");
}

#[test]
fn from_config_uses_kind_and_sender() {
    let n = from_config(&NotifierConfig::new("Email", "alerts@shop.example")).unwrap();
    assert_eq!(n.kind(), "email");
    assert_eq!(n.send("a@b.co", "hi").unwrap().from, "alerts@shop.example");
    let config = NotifierConfig {
        kind: "push".into(),
        sender: "shop".into(),
    };
    assert_eq!(
        from_config(&config).unwrap().send("t0k", "x").unwrap().from,
        "shop"
    );
}

#[test]
fn from_config_rejects_unknown_kinds_first_then_blank_senders() {
    assert_eq!(
        from_config(&NotifierConfig::new("pager", "ops")).err(),
        Some(FactoryError::UnknownKind("pager".into()))
    );
    assert_eq!(
        from_config(&NotifierConfig::new("pager", "")).err(),
        Some(FactoryError::UnknownKind("pager".into())),
        "the kind is checked before the sender"
    );
    for blank in ["", "  "] {
        assert_eq!(
            from_config(&NotifierConfig::new("sms", blank)).err(),
            Some(FactoryError::EmptySender)
        );
    }
}

#[test]
fn factory_errors_name_the_kind() {
    let msg = FactoryError::UnknownKind("pager".into()).to_string();
    assert!(
        msg.contains("pager"),
        "{msg:?} should name the unknown kind"
    );
    for e in [FactoryError::EmptyKind, FactoryError::EmptySender] {
        assert!(!e.to_string().is_empty());
    }
    assert!(
        FactoryError::DuplicateKind("sms".into())
            .to_string()
            .contains("sms")
    );
}

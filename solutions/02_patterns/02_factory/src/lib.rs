//! Factory, the Rust way: notification channels behind one trait.
//!
//! Three products ([`EmailNotifier`], [`SmsNotifier`], [`PushNotifier`]) share
//! the [`Notifier`] trait. Callers ask for "a notifier for this config" and get
//! a `Box<dyn Notifier>` without naming the concrete type. Two factories:
//!
//! - the closed one: [`Channel`] (an enum parsed from a name) and [`create`],
//!   a `match` the compiler checks for exhaustiveness; adding a channel means
//!   editing the enum and the match;
//! - the open one: [`NotifierRegistry`], a map from kind name to constructor
//!   closure; adding a channel means one `register` call, the factory is not edited.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::str::FromStr;

/// What a notifier would hand to its transport: the fully resolved message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The kind of the notifier that produced it (`"email"`, `"sms"`, ...).
    pub channel: String,
    /// The sender the notifier was configured with.
    pub from: String,
    /// The recipient, as given.
    pub to: String,
    /// The message body, as given.
    pub body: String,
}

/// Why a notifier refused a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyError {
    /// The recipient is not valid for this channel.
    InvalidRecipient {
        /// The channel that refused it.
        channel: String,
        /// The recipient as given.
        recipient: String,
    },
    /// The body is empty or only whitespace.
    EmptyMessage,
    /// The body has more characters (Unicode scalar values) than the channel allows.
    MessageTooLong {
        /// The body's length in characters.
        len: usize,
        /// The channel's limit in characters.
        max: usize,
    },
}

impl fmt::Display for NotifyError {
    /// A message per variant: `InvalidRecipient`'s names the recipient and the
    /// channel, `MessageTooLong`'s the length and the limit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyError::InvalidRecipient { channel, recipient } => {
                write!(f, "{recipient:?} is not a valid {channel} recipient")
            }
            NotifyError::EmptyMessage => f.write_str("the message body is empty"),
            NotifyError::MessageTooLong { len, max } => {
                write!(f, "the message has {len} characters, the limit is {max}")
            }
        }
    }
}

impl Error for NotifyError {}

/// A way to notify a person. Object-safe, and `Send + Sync` so a boxed
/// notifier can be shared by the threads of a service.
pub trait Notifier: Send + Sync {
    /// The channel's kind name, e.g. `"email"`.
    fn kind(&self) -> &str;

    /// Validates the message for this channel and returns what would be sent.
    ///
    /// # Errors
    /// [`NotifyError`] when the recipient or body is not acceptable.
    fn send(&self, to: &str, body: &str) -> Result<Delivery, NotifyError>;
}

/// Most characters an SMS body may have (one GSM-7 segment).
pub const SMS_MAX_CHARS: usize = 160;
/// Most characters a push notification body may have.
pub const PUSH_MAX_CHARS: usize = 240;
/// The sender [`from_name`] configures.
pub const DEFAULT_SENDER: &str = "sdkata";

/// Shared by every channel: a body must say something.
fn check_body(body: &str, max: Option<usize>) -> Result<(), NotifyError> {
    if body.trim().is_empty() {
        return Err(NotifyError::EmptyMessage);
    }
    if let Some(max) = max {
        // Limits are in characters, not bytes: "é" is one character of an SMS.
        let len = body.chars().count();
        if len > max {
            return Err(NotifyError::MessageTooLong { len, max });
        }
    }
    Ok(())
}

fn delivery(channel: &str, from: &str, to: &str, body: &str) -> Delivery {
    Delivery {
        channel: channel.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        body: body.to_owned(),
    }
}

fn invalid_recipient(channel: &str, recipient: &str) -> NotifyError {
    NotifyError::InvalidRecipient {
        channel: channel.to_owned(),
        recipient: recipient.to_owned(),
    }
}

/// Sends email. Kind `"email"`.
///
/// Recipient: `local@domain` with exactly one `@`, a non-empty local part, a
/// domain that contains a `.` but does not start or end with one, and no
/// whitespace anywhere. Body: non-empty, no length limit.
#[derive(Debug, Clone)]
pub struct EmailNotifier {
    from: String,
}

impl EmailNotifier {
    /// An email notifier sending as `from`.
    pub fn new(from: impl Into<String>) -> Self {
        EmailNotifier { from: from.into() }
    }
}

fn is_email_address(to: &str) -> bool {
    let Some((local, domain)) = to.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !to.chars().any(char::is_whitespace)
}

impl Notifier for EmailNotifier {
    fn kind(&self) -> &str {
        "email"
    }

    fn send(&self, to: &str, body: &str) -> Result<Delivery, NotifyError> {
        if !is_email_address(to) {
            return Err(invalid_recipient(self.kind(), to));
        }
        check_body(body, None)?;
        Ok(delivery(self.kind(), &self.from, to, body))
    }
}

/// Sends SMS. Kind `"sms"`.
///
/// Recipient: E.164, a `+` followed by 8 to 15 ASCII digits and nothing else.
/// Body: non-empty, at most [`SMS_MAX_CHARS`] characters.
#[derive(Debug, Clone)]
pub struct SmsNotifier {
    sender_id: String,
}

impl SmsNotifier {
    /// An SMS notifier sending as `sender_id`.
    pub fn new(sender_id: impl Into<String>) -> Self {
        SmsNotifier {
            sender_id: sender_id.into(),
        }
    }
}

fn is_e164(to: &str) -> bool {
    to.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

impl Notifier for SmsNotifier {
    fn kind(&self) -> &str {
        "sms"
    }

    fn send(&self, to: &str, body: &str) -> Result<Delivery, NotifyError> {
        if !is_e164(to) {
            return Err(invalid_recipient(self.kind(), to));
        }
        check_body(body, Some(SMS_MAX_CHARS))?;
        Ok(delivery(self.kind(), &self.sender_id, to, body))
    }
}

/// Sends push notifications. Kind `"push"`.
///
/// Recipient: a device token of 1 to 64 ASCII letters and digits.
/// Body: non-empty, at most [`PUSH_MAX_CHARS`] characters.
#[derive(Debug, Clone)]
pub struct PushNotifier {
    app_id: String,
}

impl PushNotifier {
    /// A push notifier sending on behalf of app `app_id`.
    pub fn new(app_id: impl Into<String>) -> Self {
        PushNotifier {
            app_id: app_id.into(),
        }
    }
}

fn is_device_token(to: &str) -> bool {
    (1..=64).contains(&to.len()) && to.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Notifier for PushNotifier {
    fn kind(&self) -> &str {
        "push"
    }

    fn send(&self, to: &str, body: &str) -> Result<Delivery, NotifyError> {
        if !is_device_token(to) {
            return Err(invalid_recipient(self.kind(), to));
        }
        check_body(body, Some(PUSH_MAX_CHARS))?;
        Ok(delivery(self.kind(), &self.app_id, to, body))
    }
}

/// Why a factory could not build a notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactoryError {
    /// No channel has this kind name (the name as given). Never mapped to a default.
    UnknownKind(String),
    /// [`NotifierRegistry::register`] with a kind that is already registered
    /// (the normalised name).
    DuplicateKind(String),
    /// A kind name that is empty or only whitespace was registered.
    EmptyKind,
    /// A config whose sender is empty or only whitespace.
    EmptySender,
}

impl fmt::Display for FactoryError {
    /// A message per variant; `UnknownKind`'s and `DuplicateKind`'s name the kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactoryError::UnknownKind(kind) => write!(f, "unknown notification channel {kind:?}"),
            FactoryError::DuplicateKind(kind) => {
                write!(f, "notification channel {kind:?} is already registered")
            }
            FactoryError::EmptyKind => f.write_str("a channel kind name must not be empty"),
            FactoryError::EmptySender => f.write_str("a notifier needs a non-empty sender"),
        }
    }
}

impl Error for FactoryError {}

/// Kind names are matched after trimming surrounding whitespace and ASCII
/// lower-casing, so `" SMS "` in a config file means `"sms"`.
fn normalise(kind: &str) -> String {
    kind.trim().to_ascii_lowercase()
}

/// The built-in channels: the closed set the [`create`] factory knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// [`EmailNotifier`]
    Email,
    /// [`SmsNotifier`]
    Sms,
    /// [`PushNotifier`]
    Push,
}

impl Channel {
    /// Every built-in channel, in declaration order.
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Push];

    /// The kind name: `"email"`, `"sms"` or `"push"`.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Channel {
    type Err = FactoryError;

    /// Parses a kind name: surrounding whitespace and ASCII case are ignored;
    /// anything else that is not exactly a channel name is
    /// [`FactoryError::UnknownKind`] carrying the input as given.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = normalise(s);
        Channel::ALL
            .into_iter()
            .find(|c| c.name() == wanted)
            .ok_or_else(|| FactoryError::UnknownKind(s.to_owned()))
    }
}

/// The closed factory: builds the notifier for `channel`, sending as `sender`.
///
/// The `match` has no `_` arm on purpose: add a variant to [`Channel`] and
/// the compiler points here.
pub fn create(channel: Channel, sender: &str) -> Box<dyn Notifier> {
    match channel {
        Channel::Email => Box::new(EmailNotifier::new(sender)),
        Channel::Sms => Box::new(SmsNotifier::new(sender)),
        Channel::Push => Box::new(PushNotifier::new(sender)),
    }
}

/// Builds the notifier named `name` with [`DEFAULT_SENDER`].
///
/// # Errors
/// [`FactoryError::UnknownKind`] if `name` is not a built-in channel.
pub fn from_name(name: &str) -> Result<Box<dyn Notifier>, FactoryError> {
    Ok(create(name.parse()?, DEFAULT_SENDER))
}

/// A notifier as a config file describes it, e.g. `kind = "sms"`, `sender = "ACME"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierConfig {
    /// The channel's kind name; matched as [`Channel::from_str`] describes.
    pub kind: String,
    /// Who the messages come from; must not be blank.
    pub sender: String,
}

impl NotifierConfig {
    /// A config from borrowed strings.
    pub fn new(kind: &str, sender: &str) -> Self {
        NotifierConfig {
            kind: kind.to_owned(),
            sender: sender.to_owned(),
        }
    }
}

/// Builds a built-in notifier from a config value.
///
/// # Errors
/// [`FactoryError::UnknownKind`] for a kind that is not built in (checked
/// first), then [`FactoryError::EmptySender`] for a blank sender.
pub fn from_config(config: &NotifierConfig) -> Result<Box<dyn Notifier>, FactoryError> {
    let channel: Channel = config.kind.parse()?;
    check_sender(&config.sender)?;
    Ok(create(channel, &config.sender))
}

fn check_sender(sender: &str) -> Result<(), FactoryError> {
    if sender.trim().is_empty() {
        Err(FactoryError::EmptySender)
    } else {
        Ok(())
    }
}

/// A constructor the registry calls to build one kind of notifier.
pub type Constructor = Box<dyn Fn(&NotifierConfig) -> Box<dyn Notifier> + Send + Sync>;

/// The open factory: kind name → constructor. New channels are added by
/// registering a constructor, without editing this type (open/closed principle).
#[derive(Default)]
pub struct NotifierRegistry {
    constructors: HashMap<String, Constructor>,
}

impl fmt::Debug for NotifierRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifierRegistry")
            .field("kinds", &self.kinds())
            .finish()
    }
}

impl NotifierRegistry {
    /// A registry that knows no channels.
    pub fn new() -> Self {
        Self::default()
    }

    /// A registry that knows the three built-in channels.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        for channel in Channel::ALL {
            // A fresh registry cannot hold a duplicate, so this cannot fail.
            let _ = registry.register(channel.name(), move |config| {
                create(channel, &config.sender)
            });
        }
        registry
    }

    /// Registers `constructor` under `kind` (normalised: trimmed, ASCII lower-case).
    ///
    /// # Errors
    /// [`FactoryError::EmptyKind`] for a blank name; [`FactoryError::DuplicateKind`]
    /// if the kind is already registered (the existing constructor is kept:
    /// silently replacing a channel would reroute messages).
    pub fn register<F>(&mut self, kind: &str, constructor: F) -> Result<(), FactoryError>
    where
        F: Fn(&NotifierConfig) -> Box<dyn Notifier> + Send + Sync + 'static,
    {
        let kind = normalise(kind);
        if kind.is_empty() {
            return Err(FactoryError::EmptyKind);
        }
        if self.constructors.contains_key(&kind) {
            return Err(FactoryError::DuplicateKind(kind));
        }
        self.constructors.insert(kind, Box::new(constructor));
        Ok(())
    }

    /// Whether `kind` (normalised) is registered.
    pub fn contains(&self, kind: &str) -> bool {
        self.constructors.contains_key(&normalise(kind))
    }

    /// The registered kind names, sorted.
    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.constructors.keys().cloned().collect();
        kinds.sort();
        kinds
    }

    /// Builds the notifier `config.kind` names.
    ///
    /// # Errors
    /// [`FactoryError::UnknownKind`] (the kind as given) if nothing is registered
    /// under it, checked first; then [`FactoryError::EmptySender`] for a blank sender.
    pub fn create(&self, config: &NotifierConfig) -> Result<Box<dyn Notifier>, FactoryError> {
        let constructor = self
            .constructors
            .get(&normalise(&config.kind))
            .ok_or_else(|| FactoryError::UnknownKind(config.kind.clone()))?;
        check_sender(&config.sender)?;
        Ok(constructor(config))
    }
}

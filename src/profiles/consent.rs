//! Marketing consent on each channel (email, SMS): whether the customer
//! agreed, how that was confirmed, when it last changed and from where.
//!
//! A change is applied only when the state or the opt-in level differ:
//! giving the same consent again keeps its time and source, so importing a
//! file twice does not rewrite when a customer agreed. An opt-in level is
//! kept only with `SUBSCRIBED` or `PENDING`; it means nothing otherwise.

use async_graphql::{Enum, InputObject, SimpleObject};
use entity::customer;

use crate::error::AppResult;
use crate::graphql::scalars::DateTime;

type Time = chrono::DateTime<chrono::Utc>;

/// Longest consent source.
const MAX_SOURCE_CHARS: usize = 255;

/// Whether a customer agreed to marketing on a channel.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::customer::ConsentState")]
pub enum ConsentState {
    /// Agreed: marketing may be sent.
    Subscribed,
    /// Declined or withdrew: no marketing may be sent.
    Unsubscribed,
    /// Asked to subscribe and not confirmed yet (double opt-in).
    Pending,
    /// Never asked, or never answered (every customer starts here).
    NotSubscribed,
}

/// How a subscription was given.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::customer::OptInLevel")]
pub enum OptInLevel {
    /// Agreed once, e.g. by ticking a box.
    Single,
    /// Agreed and then confirmed, e.g. through a link sent to the address.
    Confirmed,
}

impl ConsentState {
    /// The state as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentState::Subscribed => "SUBSCRIBED",
            ConsentState::Unsubscribed => "UNSUBSCRIBED",
            ConsentState::Pending => "PENDING",
            ConsentState::NotSubscribed => "NOT_SUBSCRIBED",
        }
    }
}

impl OptInLevel {
    /// The level as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            OptInLevel::Single => "SINGLE",
            OptInLevel::Confirmed => "CONFIRMED",
        }
    }
}

/// A customer's marketing consent on one channel.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
pub struct Consent {
    /// Whether the customer agreed.
    pub state: ConsentState,
    /// How the subscription was given; null unless `SUBSCRIBED` or
    /// `PENDING`.
    pub opt_in_level: Option<OptInLevel>,
    /// When the state or level last changed; null if never.
    pub updated_at: Option<DateTime>,
    /// Where the last change came from: the input's `source`, or `api` or
    /// `import` when it named none.
    pub source: Option<String>,
}

/// Marketing consent on one channel, as a write gives it.
#[derive(InputObject, Clone, Debug)]
pub struct ConsentInput {
    /// Whether the customer agreed.
    pub state: ConsentState,
    /// How the subscription was given; ignored unless `state` is
    /// `SUBSCRIBED` or `PENDING`.
    pub opt_in_level: Option<OptInLevel>,
    /// Where the consent was collected (a form's name, `checkout`, …); at
    /// most 255 characters. `api`, or `import` for imports, when absent.
    pub source: Option<String>,
}

/// The channels consent is kept for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    /// The channel as the timeline and webhooks name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    /// Gives `to` the consent of `from` on this channel: state, level,
    /// time and source.
    pub fn copy(self, to: &mut customer::Model, from: &customer::Model) {
        match self {
            Channel::Email => {
                to.email_consent = from.email_consent;
                to.email_consent_level = from.email_consent_level;
                to.email_consent_at = from.email_consent_at;
                to.email_consent_source
                    .clone_from(&from.email_consent_source);
            }
            Channel::Sms => {
                to.sms_consent = from.sms_consent;
                to.sms_consent_level = from.sms_consent_level;
                to.sms_consent_at = from.sms_consent_at;
                to.sms_consent_source.clone_from(&from.sms_consent_source);
            }
        }
    }

    /// When the row's consent on this channel last changed.
    pub fn changed_at(self, row: &customer::Model) -> Option<chrono::DateTime<chrono::Utc>> {
        match self {
            Channel::Email => row.email_consent_at,
            Channel::Sms => row.sms_consent_at,
        }
    }

    /// The row's consent on this channel.
    pub fn of(self, row: &customer::Model) -> Consent {
        let (state, level, at, source) = match self {
            Channel::Email => (
                row.email_consent,
                row.email_consent_level,
                row.email_consent_at,
                &row.email_consent_source,
            ),
            Channel::Sms => (
                row.sms_consent,
                row.sms_consent_level,
                row.sms_consent_at,
                &row.sms_consent_source,
            ),
        };
        Consent {
            state: state.into(),
            opt_in_level: level.map(Into::into),
            updated_at: at.map(DateTime),
            source: source.clone(),
        }
    }
}

/// A consent an input gives, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ConsentChange {
    state: customer::ConsentState,
    level: Option<customer::OptInLevel>,
    source: Option<String>,
}

impl ConsentChange {
    /// `BAD_USER_INPUT` on `field.source` for a source that is too long.
    pub fn check(field: &str, input: ConsentInput) -> AppResult<Self> {
        let source = match input.source {
            Some(source) => {
                crate::graphql::input::text(&format!("{field}.source"), source, MAX_SOURCE_CHARS)?
            }
            None => None,
        };
        Ok(Self::new(input.state, input.opt_in_level, source))
    }

    /// [`check`](Self::check) of an optional input.
    pub fn check_given(field: &str, input: Option<ConsentInput>) -> AppResult<Option<Self>> {
        input.map(|input| Self::check(field, input)).transpose()
    }

    /// A consent from checked parts.
    pub fn new(state: ConsentState, level: Option<OptInLevel>, source: Option<String>) -> Self {
        let keeps_level = matches!(state, ConsentState::Subscribed | ConsentState::Pending);
        ConsentChange {
            state: state.into(),
            level: level.map(Into::into).filter(|_| keeps_level),
            source,
        }
    }

    /// Sets the row's consent on `channel` when the state or level differ,
    /// stamped `now` and with the given source, else `origin`.
    pub fn apply(self, row: &mut customer::Model, channel: Channel, origin: &str, now: Time) {
        let (state, level, at, source) = match channel {
            Channel::Email => (
                &mut row.email_consent,
                &mut row.email_consent_level,
                &mut row.email_consent_at,
                &mut row.email_consent_source,
            ),
            Channel::Sms => (
                &mut row.sms_consent,
                &mut row.sms_consent_level,
                &mut row.sms_consent_at,
                &mut row.sms_consent_source,
            ),
        };
        if (*state, *level) == (self.state, self.level) {
            return;
        }
        *state = self.state;
        *level = self.level;
        *at = Some(now);
        *source = Some(self.source.unwrap_or_else(|| origin.to_owned()));
    }
}

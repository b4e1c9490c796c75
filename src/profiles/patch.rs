//! A customer input parsed once into a validated `Patch`: every error is
//! `BAD_USER_INPUT` naming the input path (`input.email`); applying it
//! derives what a row keeps from its profile.

use async_graphql::{Json, MaybeUndefined};
use entity::customer;
use serde_json::{Map, Value};

use super::additional;
use super::checks::{
    Address, Change, address, avatar_url, change, check_metadata_size, company, currency, listed,
    locale, location, metadata, opt, replace_list, tags, text,
};
use super::consent::{Channel, ConsentChange};
use super::contact::{Email, Phone};
use super::fields::Fields;
use super::input::{CustomerField, CustomerInput, CustomerStatus, CustomerUpdateInput, MAX_TAGS};
use super::row::{derive, set_address};
use crate::error::{AppResult, bad_input};
use crate::ids::{CompanyId, LocationId};

#[derive(Clone, Debug, Default)]
pub enum MetadataChange {
    #[default]
    Keep,
    Replace(Map<String, Value>),
    Merge(Map<String, Value>),
}

/// A validated change to a customer.
#[derive(Clone, Debug, Default)]
pub struct Patch {
    pub name: Change<String>,
    pub first_name: Change<String>,
    pub last_name: Change<String>,
    pub email: Change<Email>,
    pub phone: Change<Phone>,
    pub company_name: Change<String>,
    /// Replace the additional emails with these.
    pub additional_emails: Option<Vec<Email>>,
    /// Replace the additional phones with these.
    pub additional_phones: Option<Vec<Phone>>,
    /// The company the customer belongs to; the write looks it up.
    pub company: Change<CompanyId>,
    /// The location the customer is written in, which it joins; the write
    /// looks it up.
    pub location: Option<LocationId>,
    pub avatar_url: Change<String>,
    pub status: Option<CustomerStatus>,
    pub source: Change<String>,
    pub address: Change<Address>,
    pub metadata: MetadataChange,
    /// Replace the tags with these.
    pub tags: Option<Vec<String>>,
    /// Then add these.
    pub add_tags: Vec<String>,
    pub email_consent: Option<ConsentChange>,
    pub sms_consent: Option<ConsentChange>,
    pub locale: Change<String>,
    pub currency: Change<String>,
    /// The source a consent change records when its input names none.
    pub origin: Origin,
}

/// Where a write comes from, as a consent change records it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// A mutation other than an import.
    #[default]
    Api,
    /// `importCustomers` or `crm import`.
    Import,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Api => "api",
            Origin::Import => "import",
        }
    }
}

impl Patch {
    /// Validates a profile input; `merge_metadata` makes its custom fields
    /// merge into the existing ones instead of replacing them.
    pub fn from_input(input: CustomerInput, prefix: &str, merge_metadata: bool) -> AppResult<Self> {
        let f = |name: &str| path(prefix, name);
        Ok(Patch {
            name: set(opt(input.name, |v| text(&f("name"), v))?),
            first_name: set(opt(input.first_name, |v| text(&f("firstName"), v))?),
            last_name: set(opt(input.last_name, |v| text(&f("lastName"), v))?),
            email: set(opt(input.email, |v| Email::parse(&f("email"), &v))?),
            phone: set(opt(input.phone, |v| Phone::parse(&f("phone"), &v))?),
            company_name: set(opt(input.company_name, |v| text(&f("companyName"), v))?),
            company: set(input
                .company_id
                .map(|id| company(&f("companyId"), &id))
                .transpose()?),
            location: input
                .location_id
                .map(|id| location(&f("locationId"), &id))
                .transpose()?,
            additional_emails: input
                .additional_emails
                .map(|v| listed(&f("additionalEmails"), v, Email::parse))
                .transpose()?,
            additional_phones: input
                .additional_phones
                .map(|v| listed(&f("additionalPhones"), v, Phone::parse))
                .transpose()?,
            avatar_url: set(opt(input.avatar_url, |v| avatar_url(&f("avatarUrl"), v))?),
            status: input.status,
            source: set(opt(input.source, |v| text(&f("source"), v))?),
            address: match input.address {
                Some(a) => address(&f("address"), a)?.map_or(Change::Keep, Change::Set),
                None => Change::Keep,
            },
            metadata: match input.metadata {
                Some(Json(v)) if merge_metadata => {
                    MetadataChange::Merge(metadata(&f("metadata"), v)?)
                }
                Some(Json(v)) => MetadataChange::Replace(metadata(&f("metadata"), v)?),
                None => MetadataChange::Keep,
            },
            tags: input.tags.map(|t| tags(&f("tags"), t)).transpose()?,
            add_tags: tags(&f("addTags"), input.add_tags.unwrap_or_default())?,
            email_consent: ConsentChange::check_given(&f("emailConsent"), input.email_consent)?,
            sms_consent: ConsentChange::check_given(&f("smsConsent"), input.sms_consent)?,
            locale: set(opt(input.locale, |v| locale(&f("locale"), &v))?),
            currency: set(opt(input.currency, |v| currency(&f("currency"), &v))?),
            origin: Origin::Api,
        })
    }

    /// Validates an `updateCustomer` patch.
    pub fn from_update(input: CustomerUpdateInput, prefix: &str) -> AppResult<Self> {
        let f = |name: &str| path(prefix, name);
        let status = match input.status {
            MaybeUndefined::Value(s) => Some(s),
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => return Err(bad_input(f("status"), "status cannot be null")),
        };
        Ok(Patch {
            name: change(input.name, |v| text(&f("name"), v))?,
            first_name: change(input.first_name, |v| text(&f("firstName"), v))?,
            last_name: change(input.last_name, |v| text(&f("lastName"), v))?,
            email: change(input.email, |v| Email::parse(&f("email"), &v))?,
            phone: change(input.phone, |v| Phone::parse(&f("phone"), &v))?,
            company_name: change(input.company_name, |v| text(&f("companyName"), v))?,
            company: change(input.company_id, |id| {
                company(&f("companyId"), &id).map(Some)
            })?,
            location: None,
            additional_emails: replace_list(input.additional_emails, |v| {
                listed(&f("additionalEmails"), v, Email::parse)
            })?,
            additional_phones: replace_list(input.additional_phones, |v| {
                listed(&f("additionalPhones"), v, Phone::parse)
            })?,
            avatar_url: change(input.avatar_url, |v| avatar_url(&f("avatarUrl"), v))?,
            status,
            source: change(input.source, |v| text(&f("source"), v))?,
            address: change(input.address, |a| address(&f("address"), a))?,
            metadata: match input.metadata {
                MaybeUndefined::Undefined => MetadataChange::Keep,
                MaybeUndefined::Null => MetadataChange::Replace(Map::new()),
                MaybeUndefined::Value(Json(v)) => {
                    MetadataChange::Replace(metadata(&f("metadata"), v)?)
                }
            },
            tags: match input.tags {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(Vec::new()),
                MaybeUndefined::Value(t) => Some(tags(&f("tags"), t)?),
            },
            add_tags: tags(&f("addTags"), input.add_tags.unwrap_or_default())?,
            email_consent: ConsentChange::check_given(&f("emailConsent"), input.email_consent)?,
            sms_consent: ConsentChange::check_given(&f("smsConsent"), input.sms_consent)?,
            locale: change(input.locale, |v| locale(&f("locale"), &v))?,
            currency: change(input.currency, |v| currency(&f("currency"), &v))?,
            origin: Origin::Api,
        })
    }

    /// The patch of an import, whose consent changes say so.
    pub fn imported(self) -> Self {
        Patch {
            origin: Origin::Import,
            ..self
        }
    }

    /// Drops the changes to the fields `upsertCustomer` must not update.
    pub fn without(mut self, fields: &[CustomerField]) -> Self {
        for field in fields {
            match field {
                CustomerField::Name => self.name = Change::Keep,
                CustomerField::FirstName => self.first_name = Change::Keep,
                CustomerField::LastName => self.last_name = Change::Keep,
                CustomerField::Email => self.email = Change::Keep,
                CustomerField::Phone => self.phone = Change::Keep,
                CustomerField::CompanyName => self.company_name = Change::Keep,
                CustomerField::AvatarUrl => self.avatar_url = Change::Keep,
                CustomerField::Status => self.status = None,
                CustomerField::Source => self.source = Change::Keep,
                CustomerField::Address => self.address = Change::Keep,
                CustomerField::Metadata => self.metadata = MetadataChange::Keep,
                CustomerField::Tags => {
                    self.tags = None;
                    self.add_tags.clear();
                }
                CustomerField::EmailConsent => self.email_consent = None,
                CustomerField::SmsConsent => self.sms_consent = None,
                CustomerField::Locale => self.locale = Change::Keep,
                CustomerField::Currency => self.currency = Change::Keep,
                CustomerField::Company => self.company = Change::Keep,
                CustomerField::AdditionalEmails => self.additional_emails = None,
                CustomerField::AdditionalPhones => self.additional_phones = None,
            }
        }
        self
    }

    /// The patch of an upsert or import row that found `row` by an email or
    /// phone: one the customer already has as an additional one stays
    /// additional (it named the customer, it does not replace the primary).
    pub fn matched(mut self, row: &customer::Model) -> Self {
        if self.email.value().is_some_and(|e| {
            additional::list(row, additional::Kind::Email)
                .iter()
                .any(|a| a == e.as_str())
        }) {
            self.email = Change::Keep;
        }
        if self.phone.value().is_some_and(|p| {
            additional::list(row, additional::Kind::Phone)
                .iter()
                .any(|a| a == p.as_str())
        }) {
            self.phone = Change::Keep;
        }
        self
    }

    /// Whether the patch writes custom fields (and needs their
    /// definitions).
    pub fn writes_metadata(&self) -> bool {
        !matches!(self.metadata, MetadataChange::Keep)
    }

    /// True when the patch names none of the identifying fields.
    pub fn identifies_nobody(&self) -> bool {
        [
            self.name.value().is_none(),
            self.first_name.value().is_none(),
            self.last_name.value().is_none(),
            self.email.value().is_none(),
            self.phone.value().is_none(),
        ]
        .into_iter()
        .all(|unnamed| unnamed)
    }

    /// Applies the patch to a new customer's blank row: as `apply`, and
    /// every required custom field must have a value.
    pub fn apply_new(
        self,
        row: &mut customer::Model,
        prefix: &str,
        fields: &Fields,
    ) -> AppResult<()> {
        self.apply(row, prefix, fields)?;
        let empty = Map::new();
        let metadata = row.metadata.as_object().unwrap_or(&empty);
        fields.check_required(&path(prefix, "metadata"), metadata)
    }

    /// Applies the profile changes (not tags) to a row, and re-derives the
    /// computed columns. Values of defined custom fields are checked
    /// against their definitions in `fields`. Fails when nothing would
    /// identify the customer.
    pub fn apply(self, row: &mut customer::Model, prefix: &str, fields: &Fields) -> AppResult<()> {
        self.name.apply(&mut row.name);
        self.first_name.apply(&mut row.first_name);
        self.last_name.apply(&mut row.last_name);
        self.email.apply(&mut row.email);
        self.phone.apply(&mut row.phone);
        self.company_name.apply(&mut row.company_name);
        if let Some(emails) = self.additional_emails {
            let emails = emails.into_iter().map(|e| e.as_str().to_owned()).collect();
            additional::set(row, additional::Kind::Email, emails);
        }
        if let Some(phones) = self.additional_phones {
            let phones = phones.into_iter().map(|p| p.as_str().to_owned()).collect();
            additional::set(row, additional::Kind::Phone, phones);
        }
        self.avatar_url.apply(&mut row.avatar_url);
        self.source.apply(&mut row.source);
        self.locale.apply(&mut row.locale);
        self.currency.apply(&mut row.currency);
        let now = crate::db::now();
        for (channel, consent) in [
            (Channel::Email, self.email_consent),
            (Channel::Sms, self.sms_consent),
        ] {
            if let Some(consent) = consent {
                consent.apply(row, channel, self.origin.as_str(), now);
            }
        }
        if let Some(status) = self.status {
            row.status = status.as_str().to_owned();
        }
        match self.address {
            Change::Keep => {}
            Change::Set(a) => set_address(row, a),
            Change::Clear => set_address(row, Address::default()),
        }
        let field = path(prefix, "metadata");
        match self.metadata {
            MetadataChange::Keep => {}
            MetadataChange::Replace(map) => {
                let mut map = fields.check_values(&field, map)?;
                fields.settle(&field, &mut map)?;
                row.metadata = Value::Object(map);
            }
            MetadataChange::Merge(map) => {
                let mut merged = match std::mem::take(&mut row.metadata) {
                    Value::Object(existing) => existing,
                    _ => Map::new(),
                };
                merged.extend(fields.check_values(&field, map)?);
                fields.settle(&field, &mut merged)?;
                check_metadata_size(&field, &merged)?;
                row.metadata = Value::Object(merged);
            }
        }
        let identified = [
            &row.name,
            &row.first_name,
            &row.last_name,
            &row.email,
            &row.phone,
        ]
        .iter()
        .any(|v| v.is_some());
        if !identified {
            return Err(bad_input(
                prefix,
                "a customer needs at least one of name, firstName, lastName, email or phone",
            ));
        }
        derive(row);
        Ok(())
    }
}

/// The tags a customer ends with: `replace` (or what it had), plus `add`.
pub fn final_tags(
    existing: Vec<String>,
    patch: &Patch,
    prefix: &str,
) -> AppResult<Option<Vec<String>>> {
    if patch.tags.is_none() && patch.add_tags.is_empty() {
        return Ok(None);
    }
    let mut tags = patch.tags.clone().unwrap_or(existing);
    for tag in &patch.add_tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    if tags.len() > MAX_TAGS {
        let field = if patch.add_tags.is_empty() {
            "tags"
        } else {
            "addTags"
        };
        return Err(bad_input(
            path(prefix, field),
            format!("a customer has at most {MAX_TAGS} tags"),
        ));
    }
    Ok(Some(tags))
}

/// A value given in a create input is set; one left out is kept.
fn set<T>(value: Option<T>) -> Change<T> {
    value.map_or(Change::Keep, Change::Set)
}

/// `prefix.name`, or `name` alone under an empty prefix (import rows name
/// fields relative to the row).
pub fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

//! The caller's choice of values in a merge: the `overrides` argument of
//! `mergeCustomers` and `mergePreview`.
//!
//! By default the kept customer's value wins wherever it has one and its
//! empty fields are filled from the duplicate's (`merge::combine`); the
//! fields and custom-field keys named here take the duplicate's value
//! instead. Kept apart from the merge so that the rule for each field,
//! and what it carries along (the primary email's place, the address's
//! key, the consent's time and source), reads in one place.

use async_graphql::{Enum, InputObject};
use entity::customer;
use serde_json::{Map, Value};

use crate::error::{AppResult, bad_input};
use crate::profiles::additional::{self, Kind};
use crate::profiles::consent::Channel;
use crate::profiles::row::{copy_address, has_address};

/// Most custom-field keys one merge may name.
const MAX_METADATA_KEYS: usize = 100;

/// Longest custom-field key one merge may name, in characters.
const MAX_METADATA_KEY_CHARS: usize = 200;

/// The input path of the custom-field keys, for errors.
const METADATA_FIELD: &str = "overrides.metadataFromMerged";

/// Which values of a merge come from the duplicate (`mergeId`) rather than
/// the customer kept: by default the kept customer's value wins wherever
/// it has one, and its empty fields are filled from the duplicate's.
#[derive(InputObject, Clone, Debug, Default)]
pub struct MergeOverridesInput {
    /// Fields that take the duplicate's value even where the kept customer
    /// has one (an empty value of the duplicate empties the field).
    pub from_merged: Option<Vec<MergeField>>,
    /// Custom fields (metadata keys) that take the duplicate's value; a key
    /// the duplicate lacks is removed. At most 100 keys of at most 200
    /// characters.
    pub metadata_from_merged: Option<Vec<String>>,
}

/// A field of the merged record whose value can come from the duplicate.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeField {
    /// `name`.
    Name,
    /// `firstName`.
    FirstName,
    /// `lastName`.
    LastName,
    /// `email`: the duplicate's becomes the primary email, and the kept
    /// customer's joins its additional emails.
    Email,
    /// `phone`: the duplicate's becomes the primary phone, and the kept
    /// customer's joins its additional phones.
    Phone,
    /// `company` and `companyName`, together.
    Company,
    /// `avatarUrl`.
    AvatarUrl,
    /// `source`.
    Source,
    /// `locale`.
    Locale,
    /// `currency`.
    Currency,
    /// The default address: the duplicate's becomes the default, and the
    /// kept customer's joins its other addresses. A duplicate without an
    /// address leaves the kept customer's default as it is.
    Address,
    /// `emailConsent` (state, opt-in level, time and source), instead of
    /// the consent given last.
    EmailConsent,
    /// `smsConsent` (state, opt-in level, time and source), instead of the
    /// consent given last.
    SmsConsent,
}

/// Overrides, checked: what a merge applies after its default fill.
#[derive(Clone, Debug, Default)]
pub struct MergeOverrides {
    fields: Vec<MergeField>,
    metadata: Vec<String>,
}

impl MergeOverrides {
    /// Checks the caller's overrides; none when absent. Too many
    /// custom-field keys, or one too long, is `BAD_USER_INPUT` on
    /// `overrides.metadataFromMerged`.
    pub fn parse(input: Option<MergeOverridesInput>) -> AppResult<Self> {
        let Some(input) = input else {
            return Ok(Self::default());
        };
        let mut metadata = input.metadata_from_merged.unwrap_or_default();
        if metadata.len() > MAX_METADATA_KEYS {
            return Err(bad_input(
                METADATA_FIELD,
                format!("at most {MAX_METADATA_KEYS} keys"),
            ));
        }
        if metadata
            .iter()
            .any(|key| key.chars().count() > MAX_METADATA_KEY_CHARS)
        {
            return Err(bad_input(
                METADATA_FIELD,
                format!("a key is at most {MAX_METADATA_KEY_CHARS} characters"),
            ));
        }
        metadata.sort_unstable();
        metadata.dedup();
        Ok(MergeOverrides {
            fields: input.from_merged.unwrap_or_default(),
            metadata,
        })
    }

    /// Whether `field` takes the duplicate's value.
    pub fn takes(&self, field: MergeField) -> bool {
        self.fields.contains(&field)
    }

    /// Whether the duplicate's default address becomes the merged
    /// record's even where the kept customer has one (which then joins
    /// the other addresses): `ADDRESS` is named and the duplicate has an
    /// address.
    pub fn takes_address_of(&self, merged: &customer::Model) -> bool {
        self.takes(MergeField::Address) && has_address(merged)
    }

    /// Gives `keep`, the kept row once its empty fields are filled, the
    /// duplicate's value of every field and custom-field key named.
    pub fn apply(&self, keep: &mut customer::Model, merged: &customer::Model) {
        for field in &self.fields {
            match field {
                MergeField::Name => keep.name.clone_from(&merged.name),
                MergeField::FirstName => keep.first_name.clone_from(&merged.first_name),
                MergeField::LastName => keep.last_name.clone_from(&merged.last_name),
                MergeField::Email => take_primary(keep, Kind::Email, merged.email.clone()),
                MergeField::Phone => take_primary(keep, Kind::Phone, merged.phone.clone()),
                // A customer with a company has the company's name.
                MergeField::Company => {
                    keep.company_id.clone_from(&merged.company_id);
                    keep.company_name.clone_from(&merged.company_name);
                }
                MergeField::AvatarUrl => keep.avatar_url.clone_from(&merged.avatar_url),
                MergeField::Source => keep.source.clone_from(&merged.source),
                MergeField::Locale => keep.locale.clone_from(&merged.locale),
                MergeField::Currency => keep.currency.clone_from(&merged.currency),
                // The address comes with its key, so it stays the same
                // address; the merge moves the kept one among the others.
                // Without one on the duplicate, the kept default stays: a
                // customer with addresses always has a default.
                MergeField::Address => {
                    if self.takes_address_of(merged) {
                        copy_address(keep, merged);
                    }
                }
                MergeField::EmailConsent => Channel::Email.copy(keep, merged),
                MergeField::SmsConsent => Channel::Sms.copy(keep, merged),
            }
        }
        self.apply_metadata(keep, merged);
    }

    /// The custom-field keys named: the duplicate's value, or none when
    /// the duplicate lacks the key.
    fn apply_metadata(&self, keep: &mut customer::Model, merged: &customer::Model) {
        if self.metadata.is_empty() {
            return;
        }
        if !keep.metadata.is_object() {
            keep.metadata = Value::Object(Map::new());
        }
        let Value::Object(ours) = &mut keep.metadata else {
            return;
        };
        for key in &self.metadata {
            match merged.metadata.get(key.as_str()) {
                Some(value) => {
                    ours.insert(key.clone(), value.clone());
                }
                None => {
                    ours.remove(key.as_str());
                }
            }
        }
    }
}

/// Makes the duplicate's primary email or phone (`theirs`, perhaps none)
/// the kept row's, and the kept row's own primary one of its additional
/// values, first among them, so that no value is lost.
fn take_primary(keep: &mut customer::Model, kind: Kind, theirs: Option<String>) {
    let primary = match kind {
        Kind::Email => &mut keep.email,
        Kind::Phone => &mut keep.phone,
    };
    let ours = std::mem::replace(primary, theirs.clone());
    let mut list = additional::list(keep, kind);
    list.retain(|value| Some(value) != theirs.as_ref());
    if let Some(ours) = ours
        && Some(&ours) != theirs.as_ref()
        && !list.contains(&ours)
    {
        list.insert(0, ours);
    }
    additional::set(keep, kind, list);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::profiles::repo;
    use crate::tenancy::TenantId;

    /// A row with this primary email and these additional ones.
    fn row(email: &str, others: &[&str]) -> customer::Model {
        let tenant = TenantId::parse("acme").expect("a valid tenant");
        let mut row = repo::blank(&tenant);
        row.email = Some(email.to_owned());
        additional::set(
            &mut row,
            Kind::Email,
            others.iter().map(|e| (*e).to_owned()).collect(),
        );
        row
    }

    fn input(fields: &[MergeField], keys: &[&str]) -> Option<MergeOverridesInput> {
        Some(MergeOverridesInput {
            from_merged: Some(fields.to_vec()),
            metadata_from_merged: Some(keys.iter().map(|k| (*k).to_owned()).collect()),
        })
    }

    #[test]
    fn too_many_or_too_long_keys_are_refused() {
        let many: Vec<String> = (0..=MAX_METADATA_KEYS).map(|i| format!("k{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(MergeOverrides::parse(input(&[], &many)).is_err());
        let long = "k".repeat(MAX_METADATA_KEY_CHARS + 1);
        assert!(MergeOverrides::parse(input(&[], &[long.as_str()])).is_err());
        let fine = "k".repeat(MAX_METADATA_KEY_CHARS);
        assert!(MergeOverrides::parse(input(&[MergeField::Name], &[fine.as_str()])).is_ok());
        assert!(MergeOverrides::parse(None).is_ok());
    }

    #[test]
    fn the_duplicates_email_becomes_primary_and_the_kept_one_stays() {
        // As the default fill leaves it: the duplicate's primary email
        // joined the kept customer's others.
        let mut keep = row("ana@acme.example", &["anna@acme.example", "a@acme.example"]);
        let merged = row("anna@acme.example", &[]);
        let overrides = MergeOverrides::parse(input(&[MergeField::Email, MergeField::Email], &[]))
            .expect("valid overrides");
        overrides.apply(&mut keep, &merged);
        assert_eq!(keep.email.as_deref(), Some("anna@acme.example"));
        assert_eq!(
            additional::list(&keep, Kind::Email),
            ["ana@acme.example", "a@acme.example"]
        );
    }

    #[test]
    fn a_key_the_duplicate_lacks_is_removed() {
        let mut keep = row("ana@acme.example", &[]);
        keep.metadata = json!({ "plan": "pro", "tier": "gold", "seats": 2 });
        let mut merged = row("anna@acme.example", &[]);
        merged.metadata = json!({ "plan": "free" });
        let overrides =
            MergeOverrides::parse(input(&[], &["plan", "tier"])).expect("valid overrides");
        overrides.apply(&mut keep, &merged);
        assert_eq!(keep.metadata, json!({ "plan": "free", "seats": 2 }));
        assert_eq!(keep.email.as_deref(), Some("ana@acme.example"));
    }
}

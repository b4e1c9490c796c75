//! Customer inputs, parsed once into a validated [`Patch`]: every error is
//! `BAD_USER_INPUT` naming the input path (`input.email`).

use async_graphql::{Enum, InputObject, Json, MaybeUndefined};
use entity::customer;
use serde_json::{Map, Value};

use crate::error::{AppResult, bad_input};

pub const MAX_TAGS: usize = 100;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_METADATA_BYTES: usize = 16 * 1024;
const MAX_TEXT_CHARS: usize = 255;
const MAX_URL_CHARS: usize = 2048;

/// Whether a customer is current or archived.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerStatus {
    /// A current customer (the default).
    Active,
    /// Kept on record but no longer current.
    Archived,
}

impl CustomerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Active => "ACTIVE",
            CustomerStatus::Archived => "ARCHIVED",
        }
    }

    pub fn from_db(s: &str) -> Self {
        if s == "ARCHIVED" {
            CustomerStatus::Archived
        } else {
            CustomerStatus::Active
        }
    }
}

/// A customer field, as named by `upsertCustomer(doNotUpdate:)`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerField {
    /// `name`.
    Name,
    /// `firstName`.
    FirstName,
    /// `lastName`.
    LastName,
    /// `email`.
    Email,
    /// `phone`.
    Phone,
    /// `companyName`.
    CompanyName,
    /// `avatarUrl`.
    AvatarUrl,
    /// `status`.
    Status,
    /// `source`.
    Source,
    /// `tags` and `addTags`: the customer keeps its tags.
    Tags,
    /// `address`, as a whole.
    Address,
    /// `metadata`: the custom fields are neither replaced nor merged.
    Metadata,
}

/// A postal address.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AddressInput {
    /// The first line of the street address; at most 255 characters.
    pub line1: Option<String>,
    /// The second line of the street address; at most 255 characters.
    pub line2: Option<String>,
    /// The city or town; at most 255 characters.
    pub city: Option<String>,
    /// The state, province or region; at most 255 characters.
    pub state: Option<String>,
    /// The postal or ZIP code; at most 255 characters.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code, e.g. `DE`.
    pub country: Option<String>,
}

/// A customer's profile, for `createCustomer`, `upsertCustomer` and
/// `importCustomers`. Absent fields are left as they are.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerInput {
    /// Display name; "first last" is used when only those are given.
    pub name: Option<String>,
    /// Given name; at most 255 characters.
    pub first_name: Option<String>,
    /// Family name; at most 255 characters.
    pub last_name: Option<String>,
    /// A valid address; unique per tenant, case-insensitively.
    pub email: Option<String>,
    /// A phone number with country code; stored in E.164, unique per tenant.
    pub phone: Option<String>,
    /// The name of the customer's company; at most 255 characters.
    pub company_name: Option<String>,
    /// An http(s) URL.
    pub avatar_url: Option<String>,
    /// `ACTIVE` for a new customer unless given.
    pub status: Option<CustomerStatus>,
    /// Where the customer came from (`shopify`, `import`, …).
    pub source: Option<String>,
    /// Replaces the customer's tags.
    pub tags: Option<Vec<String>>,
    /// Adds tags, keeping the existing ones.
    pub add_tags: Option<Vec<String>>,
    /// Replaces the whole address.
    pub address: Option<AddressInput>,
    /// Custom fields: a JSON object of at most 16 KiB. `upsertCustomer`
    /// merges its keys into the existing ones.
    pub metadata: Option<Json<Value>>,
}

/// A patch for `updateCustomer`: an absent field is unchanged, an explicit
/// `null` clears it.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerUpdateInput {
    /// Display name; at most 255 characters.
    pub name: MaybeUndefined<String>,
    /// Given name; at most 255 characters.
    pub first_name: MaybeUndefined<String>,
    /// Family name; at most 255 characters.
    pub last_name: MaybeUndefined<String>,
    /// A valid address; unique per tenant, case-insensitively.
    pub email: MaybeUndefined<String>,
    /// A phone number with country code; stored in E.164, unique per tenant.
    pub phone: MaybeUndefined<String>,
    /// The name of the customer's company; at most 255 characters.
    pub company_name: MaybeUndefined<String>,
    /// An http(s) URL.
    pub avatar_url: MaybeUndefined<String>,
    /// Cannot be cleared.
    pub status: MaybeUndefined<CustomerStatus>,
    /// Where the customer came from; at most 255 characters.
    pub source: MaybeUndefined<String>,
    /// Replaces the tags; `null` removes them all.
    pub tags: MaybeUndefined<Vec<String>>,
    /// Adds tags, keeping the existing ones.
    pub add_tags: Option<Vec<String>>,
    /// Replaces the whole address; `null` removes it.
    pub address: MaybeUndefined<AddressInput>,
    /// Replaces the custom fields; `null` empties them.
    pub metadata: MaybeUndefined<Json<Value>>,
}

/// What to do with one field.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> Change<T> {
    fn apply(self, slot: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Set(v) => *slot = Some(v),
            Change::Clear => *slot = None,
        }
    }

    pub fn value(&self) -> Option<&T> {
        match self {
            Change::Set(v) => Some(v),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

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
    pub email: Change<String>,
    pub phone: Change<String>,
    pub company_name: Change<String>,
    pub avatar_url: Change<String>,
    pub status: Option<CustomerStatus>,
    pub source: Change<String>,
    pub address: Change<Address>,
    pub metadata: MetadataChange,
    /// Replace the tags with these.
    pub tags: Option<Vec<String>>,
    /// Then add these.
    pub add_tags: Vec<String>,
}

impl Patch {
    /// Validates a profile input; `merge_metadata` makes its custom fields
    /// merge into the existing ones instead of replacing them.
    pub fn from_input(input: CustomerInput, prefix: &str, merge_metadata: bool) -> AppResult<Self> {
        let f = |name: &str| path(prefix, name);
        let set = |v: Option<String>| v.map_or(Change::Keep, Change::Set);
        Ok(Patch {
            name: set(opt(input.name, |v| text(&f("name"), v))?),
            first_name: set(opt(input.first_name, |v| text(&f("firstName"), v))?),
            last_name: set(opt(input.last_name, |v| text(&f("lastName"), v))?),
            email: set(opt(input.email, |v| email(&f("email"), &v))?),
            phone: set(opt(input.phone, |v| phone(&f("phone"), &v))?),
            company_name: set(opt(input.company_name, |v| text(&f("companyName"), v))?),
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
            email: change(input.email, |v| email(&f("email"), &v))?,
            phone: change(input.phone, |v| phone(&f("phone"), &v))?,
            company_name: change(input.company_name, |v| text(&f("companyName"), v))?,
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
        })
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
            }
        }
        self
    }

    /// True when the patch names none of the identifying fields.
    pub fn identifies_nobody(&self) -> bool {
        [
            &self.name,
            &self.first_name,
            &self.last_name,
            &self.email,
            &self.phone,
        ]
        .iter()
        .all(|c| c.value().is_none())
    }

    /// Applies the profile changes (not tags) to a row, and re-derives the
    /// computed columns. Fails when nothing would identify the customer.
    pub fn apply(self, row: &mut customer::Model, prefix: &str) -> AppResult<()> {
        self.name.apply(&mut row.name);
        self.first_name.apply(&mut row.first_name);
        self.last_name.apply(&mut row.last_name);
        self.email.apply(&mut row.email);
        self.phone.apply(&mut row.phone);
        self.company_name.apply(&mut row.company_name);
        self.avatar_url.apply(&mut row.avatar_url);
        self.source.apply(&mut row.source);
        if let Some(status) = self.status {
            row.status = status.as_str().to_owned();
        }
        match self.address {
            Change::Keep => {}
            Change::Set(a) => set_address(row, a),
            Change::Clear => set_address(row, Address::default()),
        }
        match self.metadata {
            MetadataChange::Keep => {}
            MetadataChange::Replace(map) => row.metadata = Value::Object(map),
            MetadataChange::Merge(map) => {
                let mut merged = match std::mem::take(&mut row.metadata) {
                    Value::Object(existing) => existing,
                    _ => Map::new(),
                };
                merged.extend(map);
                check_metadata_size(&path(prefix, "metadata"), &merged)?;
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

/// `prefix.name`, or `name` alone under an empty prefix (import rows name
/// fields relative to the row).
pub fn path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// True when any part of the row's address is set.
pub fn has_address(row: &customer::Model) -> bool {
    [
        &row.address_line1,
        &row.address_line2,
        &row.city,
        &row.state,
        &row.postal_code,
        &row.country,
    ]
    .iter()
    .any(|v| v.is_some())
}

fn set_address(row: &mut customer::Model, a: Address) {
    row.address_line1 = a.line1;
    row.address_line2 = a.line2;
    row.city = a.city;
    row.state = a.state;
    row.postal_code = a.postal_code;
    row.country = a.country;
}

/// The display name: `name`, or "first last".
pub fn display_name(row: &customer::Model) -> Option<String> {
    row.name.clone().or_else(|| {
        let joined = [row.first_name.as_deref(), row.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    })
}

/// Folds text for search and sorting: accents removed, lower-cased
/// ("María" → "maria").
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// Recomputes `sort_name` and `search_text` from the profile.
pub fn derive(row: &mut customer::Model) {
    let display = display_name(row);
    row.sort_name = display.as_deref().map(fold);
    let digits: Option<String> = row
        .phone
        .as_deref()
        .map(|p| p.chars().filter(char::is_ascii_digit).collect());
    let parts = [
        display.as_deref(),
        row.first_name.as_deref(),
        row.last_name.as_deref(),
        row.email.as_deref(),
        row.phone.as_deref(),
        digits.as_deref(),
        row.company_name.as_deref(),
    ];
    // Each part folded on its own: folding drops line breaks from text that
    // is not all ASCII, which would join the parts into one another.
    row.search_text = parts
        .into_iter()
        .flatten()
        .map(fold)
        .collect::<Vec<_>>()
        .join("\n");
}

fn opt<T>(
    value: Option<String>,
    parse: impl FnOnce(String) -> AppResult<Option<T>>,
) -> AppResult<Option<T>> {
    value.map_or(Ok(None), parse)
}

fn change<T, U>(
    value: MaybeUndefined<T>,
    parse: impl FnOnce(T) -> AppResult<Option<U>>,
) -> AppResult<Change<U>> {
    Ok(match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(v) => parse(v)?.map_or(Change::Clear, Change::Set),
    })
}

/// Trimmed text of at most 255 characters; empty means no value.
fn text(field: &str, value: String) -> AppResult<Option<String>> {
    crate::graphql::input::text(field, value, MAX_TEXT_CHARS)
}

/// A valid email address, lower-cased.
pub fn email(field: &str, value: &str) -> AppResult<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let valid = value.len() <= 254
        && email_address::EmailAddress::parse_with_options(
            value,
            email_address::Options::default(),
        )
        .is_ok_and(|e| e.domain().contains('.') && !e.domain().starts_with('['));
    if !valid {
        return Err(bad_input(
            field,
            format!("{value:?} is not a valid email address"),
        ));
    }
    Ok(Some(value.to_lowercase()))
}

/// A phone number with its country code, normalized to E.164.
pub fn phone(field: &str, value: &str) -> AppResult<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        bad_input(
            field,
            format!(
                "{value:?} is not a phone number with a country code (E.164, e.g. +14155552671)"
            ),
        )
    };
    if value.len() > 32 {
        return Err(invalid());
    }
    let number = phonenumber::parse(None, value).map_err(|_| invalid())?;
    if !phonenumber::is_valid(&number) {
        return Err(invalid());
    }
    Ok(Some(
        number.format().mode(phonenumber::Mode::E164).to_string(),
    ))
}

fn avatar_url(field: &str, value: String) -> AppResult<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let valid = value.len() <= MAX_URL_CHARS
        && url::Url::parse(value)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
    if !valid {
        return Err(bad_input(field, "must be an http(s) URL"));
    }
    Ok(Some(value.to_owned()))
}

/// Trimmed, deduplicated tags of 1–64 characters, at most 100.
pub fn tags(field: &str, values: Vec<String>) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let tag = value.trim();
        let chars = tag.chars().count();
        if chars == 0 || chars > MAX_TAG_CHARS || tag.chars().any(char::is_control) {
            return Err(bad_input(
                field,
                format!("a tag is 1-{MAX_TAG_CHARS} characters: {tag:?}"),
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(bad_input(
            field,
            format!("a customer has at most {MAX_TAGS} tags"),
        ));
    }
    Ok(out)
}

fn metadata(field: &str, value: Value) -> AppResult<Map<String, Value>> {
    let Value::Object(map) = value else {
        return Err(bad_input(field, "metadata must be a JSON object"));
    };
    check_metadata_size(field, &map)?;
    Ok(map)
}

pub fn check_metadata_size(field: &str, map: &Map<String, Value>) -> AppResult<()> {
    let size = serde_json::to_vec(map)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_METADATA_BYTES {
        return Err(bad_input(
            field,
            format!("metadata is {size} bytes; at most {MAX_METADATA_BYTES}"),
        ));
    }
    Ok(())
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub fn country(field: &str, value: &str) -> AppResult<Option<String>> {
    let value = value.trim().to_ascii_uppercase();
    if value.is_empty() {
        return Ok(None);
    }
    if isocountry::CountryCode::for_alpha2(&value).is_err() {
        return Err(bad_input(
            field,
            format!("{value:?} is not an ISO 3166-1 alpha-2 country code"),
        ));
    }
    Ok(Some(value))
}

fn address(field: &str, a: AddressInput) -> AppResult<Option<Address>> {
    let f = |name: &str| format!("{field}.{name}");
    let address = Address {
        line1: opt(a.line1, |v| text(&f("line1"), v))?,
        line2: opt(a.line2, |v| text(&f("line2"), v))?,
        city: opt(a.city, |v| text(&f("city"), v))?,
        state: opt(a.state, |v| text(&f("state"), v))?,
        postal_code: opt(a.postal_code, |v| text(&f("postalCode"), v))?,
        country: opt(a.country, |v| country(&f("country"), &v))?,
    };
    Ok((address != Address::default()).then_some(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_validated_and_lower_cased() {
        assert_eq!(
            email("f", " Ana@Example.COM ").ok().flatten().as_deref(),
            Some("ana@example.com")
        );
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@localhost",
            "a b@example.com",
        ] {
            assert!(email("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            phone("f", "+1 (415) 555-2671").ok().flatten().as_deref(),
            Some("+14155552671")
        );
        assert_eq!(
            phone("f", "+49 30 901820").ok().flatten().as_deref(),
            Some("+4930901820")
        );
        for bad in ["12", "hello", "+999 123", "4155552671"] {
            assert!(phone("f", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_trimmed_deduplicated_and_bounded() {
        assert_eq!(
            tags("f", vec![" vip ".into(), "vip".into(), "eu".into()]).ok(),
            Some(vec!["vip".into(), "eu".into()])
        );
        assert!(tags("f", vec!["  ".into()]).is_err());
        assert!(tags("f", vec!["x".repeat(65)]).is_err());
        assert!(tags("f", (0..101).map(|i| i.to_string()).collect()).is_err());
    }

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(fold("María Ñúñez"), "maria nunez");
    }
}

//! The checks every customer value passes (text, URL, tags, metadata,
//! country, address; email and phone are types of their own in `contact`) and what they give: a field's `Change`, an
//! `Address`.

use async_graphql::MaybeUndefined;
use serde_json::{Map, Value};

use super::additional::MAX_ADDITIONAL;
use super::input::{
    AddressInput, MAX_LOCALE_CHARS, MAX_METADATA_BYTES, MAX_TAG_CHARS, MAX_TAGS, MAX_TEXT_CHARS,
    MAX_URL_CHARS,
};
use crate::error::{AppResult, bad_input};
use crate::ids::{CompanyId, LocationId};

/// What to do with one field.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> Change<T> {
    /// Applies the change to a row's column (a checked value goes in as the
    /// column's plain type).
    pub(super) fn apply<U: From<T>>(self, slot: &mut Option<U>) {
        match self {
            Change::Keep => {}
            Change::Set(v) => *slot = Some(v.into()),
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

/// A postal address, checked (`address`); shown with its key as the
/// `Address` object (`addresses::CustomerAddress`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
}

pub(super) fn opt<T>(
    value: Option<String>,
    parse: impl FnOnce(String) -> AppResult<Option<T>>,
) -> AppResult<Option<T>> {
    value.map_or(Ok(None), parse)
}

pub(super) fn change<T, U>(
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
pub(super) fn text(field: &str, value: String) -> AppResult<Option<String>> {
    crate::graphql::input::text(field, value, MAX_TEXT_CHARS)
}

pub(super) fn avatar_url(field: &str, value: String) -> AppResult<Option<String>> {
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

/// A metadata object of at most 16 KiB, as every writer of one checks it.
pub fn metadata(field: &str, value: Value) -> AppResult<Map<String, Value>> {
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

/// A valid BCP 47 language tag (`en`, `pt-BR`, `zh-Hant-TW`) in its
/// canonical form.
pub fn locale(field: &str, value: &str) -> AppResult<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let tag = (value.len() <= MAX_LOCALE_CHARS)
        .then(|| language_tags::LanguageTag::parse(value).ok())
        .flatten()
        .filter(|tag| tag.validate().is_ok())
        .and_then(|tag| tag.canonicalize().ok());
    match tag {
        Some(tag) => Ok(Some(tag.to_string())),
        None => Err(bad_input(
            field,
            format!("{value:?} is not a BCP 47 language tag, such as en or pt-BR"),
        )),
    }
}

/// An ISO 4217 currency code, upper-cased.
pub fn currency(field: &str, value: &str) -> AppResult<Option<String>> {
    let value = value.trim().to_ascii_uppercase();
    if value.is_empty() {
        return Ok(None);
    }
    if iso_currency::Currency::from_code(&value).is_none() {
        return Err(bad_input(
            field,
            format!("{value:?} is not an ISO 4217 currency code, such as EUR"),
        ));
    }
    Ok(Some(value))
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

pub fn address(field: &str, a: AddressInput) -> AppResult<Option<Address>> {
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

/// Checked values of a list (additional emails or phones): each parsed,
/// empty ones and duplicates dropped, at most [`MAX_ADDITIONAL`].
pub(super) fn listed<T: PartialEq>(
    field: &str,
    values: Vec<String>,
    parse: fn(&str, &str) -> AppResult<Option<T>>,
) -> AppResult<Vec<T>> {
    let mut out: Vec<T> = Vec::with_capacity(values.len());
    for value in values {
        if let Some(v) = parse(field, &value)?
            && !out.contains(&v)
        {
            out.push(v);
        }
    }
    if out.len() > MAX_ADDITIONAL {
        return Err(bad_input(field, format!("at most {MAX_ADDITIONAL} values")));
    }
    Ok(out)
}

/// A list an update replaces (`null`: empties).
pub(super) fn replace_list<T>(
    value: MaybeUndefined<Vec<String>>,
    parse: impl FnOnce(Vec<String>) -> AppResult<Vec<T>>,
) -> AppResult<Option<Vec<T>>> {
    match value {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(Vec::new())),
        MaybeUndefined::Value(v) => parse(v).map(Some),
    }
}

/// A location's key; another kind of ID is refused as one naming no
/// location.
pub(super) fn location(field: &str, id: &str) -> AppResult<LocationId> {
    LocationId::decode(id).ok_or_else(|| bad_input(field, "no location of your tenant has this ID"))
}

/// A company's key; another kind of ID is refused as one naming no
/// company.
pub(super) fn company(field: &str, id: &str) -> AppResult<CompanyId> {
    CompanyId::decode(id).ok_or_else(|| bad_input(field, "no company in this tenant has this ID"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

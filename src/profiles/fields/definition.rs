//! A custom field definition as the API shows and takes it, and the checks
//! its input passes.

use async_graphql::{Enum, InputObject, MaybeUndefined, Object};
use entity::custom_field::{self, FieldType};

use super::value::options;
use crate::error::{AppResult, bad_input};
use crate::graphql::input::{multiline, text};
use crate::graphql::scalars::DateTime;

/// Longest label.
const MAX_LABEL_CHARS: usize = 255;
/// Longest description.
const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Most options of a select.
pub const MAX_OPTIONS: usize = 200;
/// Longest key.
const MAX_KEY_BYTES: usize = 64;

/// What a custom field's values are, and how they are written in
/// `metadata`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::custom_field::FieldType")]
pub enum CustomFieldType {
    /// A string of at most 1,000 characters.
    Text,
    /// A whole number.
    Number,
    /// A number with a fraction (a JSON number).
    Decimal,
    /// `true` or `false`.
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A point in time, RFC 3339; kept in UTC to the millisecond.
    Datetime,
    /// One of the definition's options.
    SingleSelect,
    /// A list of the definition's options (kept in the options' order).
    MultiSelect,
    /// An http(s) URL.
    Url,
    /// An email address (kept lower-cased).
    Email,
}

pub struct CustomFieldDefinition(pub custom_field::Model);

/// A tenant's definition of a custom field: customers' values under its
/// key in `metadata` are checked against its type.
#[Object]
impl CustomFieldDefinition {
    /// The key the values are written under in `metadata`; never changes.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// The name a form or column shows.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// What the values are; never changes.
    #[graphql(name = "type")]
    async fn field_type(&self) -> CustomFieldType {
        self.0.field_type.into()
    }

    /// A select's options, in order; empty for the other types.
    async fn options(&self) -> Vec<&str> {
        options(&self.0).collect()
    }

    /// Whether a customer must have a value (checked when a customer is
    /// created and whenever its metadata is written).
    async fn required(&self) -> bool {
        self.0.required
    }

    /// What the field is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// An archived field checks nothing and cannot be filtered or sorted
    /// on; its values stay in `metadata`.
    async fn archived(&self) -> bool {
        self.0.archived
    }

    /// When the definition was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the definition last changed.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A new custom field.
#[derive(InputObject, Clone, Debug)]
pub struct CustomFieldDefinitionInput {
    /// The `metadata` key: a lower-case letter, then lower-case letters,
    /// digits or `_`; at most 64. Unique in the tenant.
    pub key: String,
    /// The name a form or column shows: 1–255 characters.
    pub label: String,
    /// What the values are.
    #[graphql(name = "type")]
    pub field_type: CustomFieldType,
    /// A select's options (1–200 distinct, each 1–255 characters); none
    /// for the other types.
    pub options: Option<Vec<String>>,
    /// Whether a customer must have a value.
    #[graphql(default)]
    pub required: bool,
    /// What the field is for: at most 1,000 characters.
    pub description: Option<String>,
}

/// A change to a custom field; its key and type stay.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomFieldDefinitionUpdateInput {
    /// The new label.
    pub label: Option<String>,
    /// A select's options as they are to be. Values already written keep
    /// an option removed here until they are next written.
    pub options: Option<Vec<String>>,
    /// Whether a customer must have a value.
    pub required: Option<bool>,
    /// The new description; null removes it.
    pub description: MaybeUndefined<String>,
    /// `false` brings an archived field back.
    pub archived: Option<bool>,
}

/// A definition's checked fields.
pub struct Checked {
    pub label: String,
    pub options: Vec<String>,
    pub description: Option<String>,
}

/// A key a definition may have.
pub fn check_key(field: &str, key: &str) -> AppResult<()> {
    let mut bytes = key.bytes();
    let valid = key.len() <= MAX_KEY_BYTES
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(bad_input(
            field,
            "a key is a lower-case letter, then lower-case letters, digits or _ (at most 64)",
        ))
    }
}

pub fn check_label(field: &str, label: String) -> AppResult<String> {
    text(field, label, MAX_LABEL_CHARS)?
        .ok_or_else(|| bad_input(field, "a label is 1-255 characters"))
}

pub fn check_description(field: &str, description: String) -> AppResult<Option<String>> {
    multiline(field, description, MAX_DESCRIPTION_CHARS)
}

/// A select's options: 1–200 distinct; the other types take none.
pub fn check_options(field: &str, kind: FieldType, options: Vec<String>) -> AppResult<Vec<String>> {
    let select = matches!(kind, FieldType::SingleSelect | FieldType::MultiSelect);
    if !select {
        return if options.is_empty() {
            Ok(options)
        } else {
            Err(bad_input(field, "only a select has options"))
        };
    }
    if options.is_empty() || options.len() > MAX_OPTIONS {
        return Err(bad_input(
            field,
            format!("a select has 1-{MAX_OPTIONS} options"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let option = text(field, option, MAX_LABEL_CHARS)?
            .ok_or_else(|| bad_input(field, "an option is 1-255 characters"))?;
        if out.contains(&option) {
            return Err(bad_input(
                field,
                format!("the option {option:?} is given twice"),
            ));
        }
        out.push(option);
    }
    Ok(out)
}

impl CustomFieldDefinitionInput {
    pub fn check(self) -> AppResult<(String, FieldType, bool, Checked)> {
        check_key("input.key", &self.key)?;
        let kind = FieldType::from(self.field_type);
        Ok((
            self.key,
            kind,
            self.required,
            Checked {
                label: check_label("input.label", self.label)?,
                options: check_options("input.options", kind, self.options.unwrap_or_default())?,
                description: self
                    .description
                    .map(|d| check_description("input.description", d))
                    .transpose()?
                    .flatten(),
            },
        ))
    }
}

//! Custom field definitions: per tenant, the key, label and type of a
//! value customers hold in `metadata` under that key. A defined key's
//! values are checked against its type when written; keys without a
//! definition stay free metadata. Defined fields can be filtered with
//! ranges (`CustomerFilter.customFields`), sorted by (`CustomerSort.fieldKey`)
//! and used by segment rules with their types.
//!
//! Invariants:
//! - a key is `[a-z][a-z0-9_]*`, at most 64 bytes, unique in the tenant,
//!   and never changes, nor does its type;
//! - a select has at least one option;
//! - an archived definition checks nothing and cannot be filtered or
//!   sorted on; its values stay in `metadata`.

pub mod column;
mod definition;
pub mod filter;
mod graphql;
pub mod index;
pub mod repo;
pub mod value;

pub use definition::{CustomFieldDefinition, CustomFieldType};
pub use filter::CustomFieldFilter;
pub use graphql::{CustomFieldMutation, CustomFieldQuery};

use std::collections::HashMap;

use entity::custom_field;
use sea_orm::ConnectionTrait;
use serde_json::{Map, Value};

use crate::error::{AppResult, bad_input};
use crate::tenancy::TenantId;

/// Most definitions a tenant keeps, archived ones included.
pub const MAX_DEFINITIONS: usize = 100;

/// A tenant's definitions in force (not archived), by key.
#[derive(Clone, Debug, Default)]
pub struct Fields(HashMap<String, custom_field::Model>);

impl Fields {
    /// The tenant's definitions in force.
    pub async fn of(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<Self> {
        let rows = repo::list(db, tenant, false).await?;
        Ok(Fields(
            rows.into_iter().map(|d| (d.key.clone(), d)).collect(),
        ))
    }

    /// The tenant's definitions when `needed`, else none (no query).
    pub async fn when(
        needed: bool,
        db: &impl ConnectionTrait,
        tenant: &TenantId,
    ) -> AppResult<Self> {
        if needed {
            Self::of(db, tenant).await
        } else {
            Ok(Fields::default())
        }
    }

    /// The definitions, in no order.
    pub fn iter(&self) -> impl Iterator<Item = &custom_field::Model> {
        self.0.values()
    }

    pub fn get(&self, key: &str) -> Option<&custom_field::Model> {
        self.0.get(key)
    }

    /// The defined field `key`, or a `BAD_USER_INPUT` on `field`.
    pub fn require(&self, field: &str, key: &str) -> AppResult<&custom_field::Model> {
        self.get(key).ok_or_else(|| {
            bad_input(
                field,
                format!("no custom field is defined with the key {key:?}"),
            )
        })
    }

    /// Checks the values of defined keys that a write gives (`written`),
    /// each in its normal form; a defined key given null or an empty value
    /// comes back as null, for the caller to remove. Errors name
    /// `<field>.<key>`.
    pub fn check_values(
        &self,
        field: &str,
        written: Map<String, Value>,
    ) -> AppResult<Map<String, Value>> {
        written
            .into_iter()
            .map(|(key, v)| match self.get(&key) {
                Some(definition) => {
                    let checked = value::check(&format!("{field}.{key}"), definition, v)?;
                    Ok((key, checked.unwrap_or(Value::Null)))
                }
                None => Ok((key, v)),
            })
            .collect()
    }

    /// Removes the defined keys left null, then checks that every required
    /// field has a value.
    pub fn settle(&self, field: &str, metadata: &mut Map<String, Value>) -> AppResult<()> {
        metadata.retain(|key, v| !(v.is_null() && self.0.contains_key(key)));
        self.check_required(field, metadata)
    }

    /// Fails on the first required field (by key) without a value.
    pub fn check_required(&self, field: &str, metadata: &Map<String, Value>) -> AppResult<()> {
        let mut missing: Vec<&str> = self
            .0
            .values()
            .filter(|d| d.required && !metadata.contains_key(&d.key))
            .map(|d| d.key.as_str())
            .collect();
        missing.sort_unstable();
        match missing.first() {
            Some(key) => Err(bad_input(
                format!("{field}.{key}"),
                format!("the custom field {key:?} is required"),
            )),
            None => Ok(()),
        }
    }
}

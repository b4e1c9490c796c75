//! `customerFilterFields`: what a query or filter can name.

use async_graphql::{Context, Object, Result};

use super::fields::{FilterField, FilterFieldType, FilterOperator, builtins};
use crate::auth::Scope;
use crate::graphql::{ContextExt, ScopeGuard};
use crate::profiles::fields::Fields;
use entity::custom_field::{self, FieldType};

#[derive(Default)]
pub struct FilterFieldQuery;

#[Object]
impl FilterFieldQuery {
    /// The fields a customer `query` names, with their types and
    /// comparisons: the built-in ones, then the tenant's custom fields
    /// (`field.<key>`). Needs `read:customers`.
    #[graphql(guard = "ScopeGuard(Scope::ReadCustomers)")]
    async fn customer_filter_fields(&self, ctx: &Context<'_>) -> Result<Vec<FilterField>> {
        let session = ctx.session()?;
        let mut all = builtins();
        let defined = Fields::of(&session.db, session.tenant()).await?;
        let mut custom: Vec<FilterField> = defined
            .iter()
            .map(|d| {
                let (kind, operators, values) = custom_kind(d);
                FilterField {
                    name: format!("field.{}", d.key),
                    aliases: Vec::new(),
                    kind,
                    operators,
                    values,
                    description: d.label.clone(),
                    example: format!("field.{}:*", d.key),
                }
            })
            .collect();
        custom.sort_by(|a, b| a.name.cmp(&b.name));
        all.extend(custom);
        Ok(all)
    }
}

/// How a query compares a custom field of a type.
fn custom_kind(d: &custom_field::Model) -> (FilterFieldType, Vec<FilterOperator>, Vec<String>) {
    use FieldType as T;
    use FilterOperator as Op;
    let range = vec![
        Op::Equals,
        Op::GreaterThan,
        Op::GreaterThanOrEqual,
        Op::LessThan,
        Op::LessThanOrEqual,
        Op::Between,
        Op::Exists,
    ];
    let options =
        || -> Vec<String> { serde_json::from_value(d.options.clone()).unwrap_or_default() };
    match d.field_type {
        T::Number | T::Decimal => (FilterFieldType::Number, range, vec![]),
        T::Date => (FilterFieldType::Date, range, vec![]),
        T::Datetime => (FilterFieldType::DateTime, range, vec![]),
        T::Boolean => (
            FilterFieldType::Boolean,
            vec![Op::Equals, Op::Exists],
            vec![],
        ),
        T::SingleSelect | T::MultiSelect => (
            FilterFieldType::Enum,
            vec![Op::Equals, Op::Exists],
            options(),
        ),
        T::Email => (FilterFieldType::Email, vec![Op::Equals, Op::Exists], vec![]),
        T::Text | T::Url => (FilterFieldType::Text, vec![Op::Equals, Op::Exists], vec![]),
    }
}

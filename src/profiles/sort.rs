//! `CustomerSort`: what a customer list is ordered by, as a keyset sort
//! key.

use std::borrow::Cow;

use async_graphql::{Enum, InputObject};
use entity::customer;
use sea_orm::DbBackend;

use super::fields::Fields;
use super::fields::filter::sort_key;
use super::metrics::{average_order_cents, average_order_cents_sql};
use crate::error::AppResult;
use crate::graphql::pagination::{KeyColumn, KeyKind, KeyRead, KeyValue, SortKey};

/// What a customer list is ordered by.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum CustomerSortField {
    /// When the customer was created (the default).
    #[default]
    CreatedAt,
    /// When the customer last changed.
    UpdatedAt,
    /// The display name, ignoring case and accents.
    Name,
    /// The email, ignoring case.
    Email,
    /// When the last paid order was placed.
    LastOrderAt,
    /// The sum of paid orders.
    TotalSpent,
    /// The number of paid orders.
    TotalOrders,
    /// When the first paid order was placed.
    FirstOrderAt,
    /// The average paid order as `averageOrderValue` shows it, to the cent
    /// rounded half up (none without a paid order).
    AverageOrderValue,
}

/// Which way a list is sorted.
#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum SortDirection {
    /// Smallest, earliest or A first.
    Asc,
    /// Largest, latest or Z first (the default).
    #[default]
    Desc,
}

/// The order of a customer list; ties are broken by id. Customers without
/// a value (no email, never ordered) come last descending, first ascending.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerSort {
    /// What to sort by.
    #[graphql(default)]
    pub field: CustomerSortField,
    /// Which way.
    #[graphql(default)]
    pub direction: SortDirection,
    /// Sort by this defined custom field instead of `field` (any type but
    /// MULTI_SELECT).
    pub field_key: Option<String>,
}

impl CustomerSort {
    /// Whether the sort needs the tenant's field definitions.
    pub fn needs_fields(&self) -> bool {
        self.field_key.is_some()
    }

    /// Whether the sort's key is a column of the customer's row (not a
    /// defined field's, nor a value computed from the row).
    pub fn plain(&self) -> bool {
        self.field_key.is_none() && self.field.key().plain_column().is_some()
    }

    /// The sort key, a defined field's when `fieldKey` names one.
    pub fn key(&self, fields: &Fields, backend: DbBackend) -> AppResult<SortKey<customer::Entity>> {
        match &self.field_key {
            Some(key) => {
                let definition = fields.require("sort.fieldKey", key)?;
                sort_key(definition, "sort.fieldKey", backend)
            }
            None => Ok(self.field.key()),
        }
    }
}

impl CustomerSortField {
    pub fn key(self) -> SortKey<customer::Entity> {
        use customer::Column as C;
        let (name, column, kind, nullable, value): (_, _, _, _, fn(&customer::Model) -> KeyValue) =
            match self {
                Self::CreatedAt => ("CREATED_AT", C::CreatedAt, KeyKind::Time, false, |m| {
                    KeyValue::time(&m.created_at)
                }),
                Self::UpdatedAt => ("UPDATED_AT", C::UpdatedAt, KeyKind::Time, false, |m| {
                    KeyValue::time(&m.updated_at)
                }),
                Self::Name => ("NAME", C::SortName, KeyKind::Text, true, |m| {
                    m.sort_name.clone().map_or(KeyValue::Null, KeyValue::Text)
                }),
                Self::Email => ("EMAIL", C::Email, KeyKind::Text, true, |m| {
                    m.email.clone().map_or(KeyValue::Null, KeyValue::Text)
                }),
                Self::LastOrderAt => ("LAST_ORDER_AT", C::LastOrderAt, KeyKind::Time, true, |m| {
                    m.last_order_at
                        .as_ref()
                        .map_or(KeyValue::Null, KeyValue::time)
                }),
                Self::TotalSpent => (
                    "TOTAL_SPENT",
                    C::TotalSpentCents,
                    KeyKind::Int,
                    false,
                    |m| KeyValue::Int(m.total_spent_cents),
                ),
                Self::TotalOrders => ("TOTAL_ORDERS", C::TotalOrders, KeyKind::Int, false, |m| {
                    KeyValue::Int(m.total_orders)
                }),
                Self::FirstOrderAt => (
                    "FIRST_ORDER_AT",
                    C::FirstOrderAt,
                    KeyKind::Time,
                    true,
                    |m| {
                        m.first_order_at
                            .as_ref()
                            .map_or(KeyValue::Null, KeyValue::time)
                    },
                ),
                Self::AverageOrderValue => {
                    return SortKey {
                        name: Cow::Borrowed("AVERAGE_ORDER_VALUE"),
                        column: KeyColumn::Expr(average_order_cents_sql()),
                        kind: KeyKind::Int,
                        nullable: true,
                        value: KeyRead::Row(|m: &customer::Model| {
                            average_order_cents(m.total_spent_cents, m.total_orders)
                                .map_or(KeyValue::Null, KeyValue::Int)
                        }),
                    };
                }
            };
        SortKey {
            name: Cow::Borrowed(name),
            column: KeyColumn::Column(column),
            kind,
            nullable,
            value: KeyRead::Row(value),
        }
    }
}

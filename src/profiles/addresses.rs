//! A customer's addresses: the default one, kept on the customer row (so
//! filters, rules and sorts on country and city read one row), and the
//! others in `customer_addresses`. Each has a key of its own (`adr_…`)
//! that stays the same when it becomes, or stops being, the default.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{ID, Object};
use entity::{customer, customer_address};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::checks::Address;
use super::row;
use crate::error::AppResult;
use crate::ids::{self, Kind};
use crate::tenancy::{self, TenantId};

/// Most addresses a customer keeps, the default one included.
pub const MAX_ADDRESSES: usize = 50;

/// A customer's address, with its key.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerAddress {
    pub key: String,
    pub value: Address,
}

/// A postal address of a customer.
#[Object(name = "Address")]
impl CustomerAddress {
    /// `adr_` followed by a time-ordered key; the same whether or not the
    /// address is the customer's default.
    async fn id(&self) -> ID {
        ids::encode(Kind::Address, &self.key)
    }

    /// The first line of the street address.
    async fn line1(&self) -> Option<&str> {
        self.value.line1.as_deref()
    }

    /// The second line of the street address (apartment, suite, …).
    async fn line2(&self) -> Option<&str> {
        self.value.line2.as_deref()
    }

    /// The city or town.
    async fn city(&self) -> Option<&str> {
        self.value.city.as_deref()
    }

    /// The state, province or region.
    async fn state(&self) -> Option<&str> {
        self.value.state.as_deref()
    }

    /// The postal or ZIP code.
    async fn postal_code(&self) -> Option<&str> {
        self.value.postal_code.as_deref()
    }

    /// ISO 3166-1 alpha-2 code.
    async fn country(&self) -> Option<&str> {
        self.value.country.as_deref()
    }
}

impl CustomerAddress {
    /// The customer's default address, when it has one.
    pub fn default_of(row: &customer::Model) -> Option<Self> {
        Some(CustomerAddress {
            key: row.default_address_id.clone()?,
            value: row::address(row)?,
        })
    }

    /// An address kept apart from the customer row.
    pub fn other(row: customer_address::Model) -> Self {
        CustomerAddress {
            key: row.id,
            value: Address {
                line1: row.line1,
                line2: row.line2,
                city: row.city,
                state: row.state,
                postal_code: row.postal_code,
                country: row.country,
            },
        }
    }

    /// Puts this address on the customer row as its default.
    pub fn make_default_of(self, row: &mut customer::Model) {
        row::set_address(row, self.value);
        row.default_address_id = Some(self.key);
    }

    /// The row that keeps this address apart from customer `customer`.
    pub fn into_row(self, tenant: &TenantId, customer: &str) -> customer_address::Model {
        let now = crate::db::now();
        let Address {
            line1,
            line2,
            city,
            state,
            postal_code,
            country,
        } = self.value;
        customer_address::Model {
            tenant_id: tenant.as_str().to_owned(),
            id: self.key,
            customer_id: customer.to_owned(),
            line1,
            line2,
            city,
            state,
            postal_code,
            country,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The addresses kept apart from these customers' rows, by customer, each
/// list in key order.
pub async fn others_of(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
) -> AppResult<HashMap<String, Vec<customer_address::Model>>> {
    let rows = tenancy::select::<customer_address::Entity>(tenant)
        .filter(customer_address::Column::CustomerId.is_in(customers.iter().map(String::as_str)))
        .order_by_asc(customer_address::Column::Id)
        .all(db)
        .await?;
    let mut by_customer: HashMap<String, Vec<customer_address::Model>> = HashMap::new();
    for row in rows {
        by_customer
            .entry(row.customer_id.clone())
            .or_default()
            .push(row);
    }
    Ok(by_customer)
}

pub async fn insert(db: &impl ConnectionTrait, row: customer_address::Model) -> AppResult<()> {
    row.into_active_model().reset_all().insert(db).await?;
    Ok(())
}

pub async fn save(db: &impl ConnectionTrait, row: customer_address::Model) -> AppResult<()> {
    row.into_active_model().reset_all().update(db).await?;
    Ok(())
}

/// Removes an address kept apart; false when there was none.
pub async fn delete(db: &impl ConnectionTrait, tenant: &TenantId, key: &str) -> AppResult<bool> {
    let result = tenancy::delete::<customer_address::Entity>(tenant)
        .filter(customer_address::Column::Id.eq(key))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Gives customer `to` the addresses kept apart for `from` (a merge).
pub async fn move_all(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    tenancy::update::<customer_address::Entity>(tenant)
        .col_expr(
            customer_address::Column::CustomerId,
            sea_orm::sea_query::Expr::val(to),
        )
        .filter(customer_address::Column::CustomerId.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes the customer's newest other address its default, when it has
/// one: after its default address was removed.
pub async fn promote_newest(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    row: &mut customer::Model,
) -> AppResult<()> {
    let newest = others_of(db, tenant, std::slice::from_ref(&row.id))
        .await?
        .remove(&row.id)
        .and_then(|mut others| others.pop());
    if let Some(newest) = newest {
        delete(db, tenant, &newest.id).await?;
        CustomerAddress::other(newest).make_default_of(row);
    }
    Ok(())
}

/// Takes the default address off the customer row.
pub fn clear_default(row: &mut customer::Model) {
    row::set_address(row, Address::default());
    row.default_address_id = None;
}

/// Moves the default address, if any, off the customer row and among the
/// others, leaving the row without one.
pub async fn demote_default(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    row: &mut customer::Model,
) -> AppResult<()> {
    if let Some(current) = CustomerAddress::default_of(row) {
        insert(db, current.into_row(tenant, &row.id)).await?;
    }
    clear_default(row);
    Ok(())
}

/// The customer whose default address has this key.
pub async fn customer_with_default(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    key: &str,
) -> AppResult<Option<String>> {
    Ok(tenancy::select::<customer::Entity>(tenant)
        .filter(customer::Column::DefaultAddressId.eq(key))
        .select_only()
        .column(customer::Column::Id)
        .into_tuple::<String>()
        .one(db)
        .await?)
}

/// The addresses kept apart from each customer's row.
pub struct AddressLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for AddressLoader {
    type Value = Vec<customer_address::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        Ok(others_of(&self.db, &self.tenant, keys).await?)
    }
}

crate::graphql::tenant_loaders!(AddressLoader);

//! The address book mutations: add, update, remove an address and make one
//! the default. Each locks the customer's row, so concurrent changes to
//! one customer's addresses queue up, and records the change on the
//! timeline (which sends the `customer.updated` webhook).

use async_graphql::{Context, ID, Object, Result};
use entity::{customer, customer_address};
use serde_json::json;

use crate::activity::{self, NewActivity};
use crate::auth::Scope;
use crate::db::begin_write;
use crate::duplicates;
use crate::error::{AppResult, bad_input, not_found};
use crate::graphql::{ContextExt, ScopeGuard};
use crate::ids::{self, AddressId, CustomerId};
use crate::profiles::Customer;
use crate::profiles::addresses::{self, CustomerAddress, MAX_ADDRESSES};
use crate::profiles::checks::{self, Address};
use crate::profiles::history::{self, Actor, ChangeSource};
use crate::profiles::input::AddressInput;
use crate::profiles::repo;
use crate::profiles::row::derive;
use crate::tenancy::{self, TenantId};

#[derive(Default)]
pub struct AddressMutation;

#[Object]
impl AddressMutation {
    /// Adds an address to a customer. The first address a customer gets
    /// is its default; a later one is when `makeDefault` says so. At most
    /// 50 addresses a customer. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn add_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's ID (`cus_…`).")] customer_id: ID,
        #[graphql(desc = "The address: at least one of its fields.")] input: AddressInput,
        #[graphql(
            desc = "Make it the default address (the one `address` shows).",
            default_with = "Some(false)"
        )]
        make_default: Option<bool>,
    ) -> Result<CustomerAddress> {
        let session = ctx.session()?;
        let customer = CustomerId::require(&customer_id)?;
        let value = required(input)?;
        let make_default = make_default.unwrap_or(false);
        Ok(add(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            &customer,
            value,
            make_default,
        )
        .await?)
    }

    /// Replaces an address's fields. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn update_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address's ID (`adr_…`).")] id: ID,
        #[graphql(desc = "The address as it is to be: at least one field.")] input: AddressInput,
    ) -> Result<CustomerAddress> {
        let session = ctx.session()?;
        let key = AddressId::require(&id)?;
        let value = required(input)?;
        Ok(update(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            &key,
            value,
        )
        .await?)
    }

    /// Removes an address and returns its ID. When it was the default, the
    /// newest other address becomes the default. Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn remove_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address's ID (`adr_…`).")] id: ID,
    ) -> Result<ID> {
        let session = ctx.session()?;
        let key = AddressId::require(&id)?;
        remove(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            &key,
        )
        .await?;
        Ok(id)
    }

    /// Makes an address its customer's default and returns the customer.
    /// Needs `write:customers`.
    #[graphql(guard = "ScopeGuard(Scope::WriteCustomers)")]
    async fn set_default_customer_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The address's ID (`adr_…`).")] id: ID,
    ) -> Result<Customer> {
        let session = ctx.session()?;
        let key = AddressId::require(&id)?;
        Ok(set_default(
            &session.db,
            session.tenant(),
            &Actor::of(session, ChangeSource::Api),
            &key,
        )
        .await?
        .into())
    }
}

/// An address input with at least one field, checked.
fn required(input: AddressInput) -> AppResult<Address> {
    checks::address("input", input)?.ok_or_else(|| {
        bad_input(
            "input",
            "an address needs at least one of line1, line2, city, state, postalCode or country",
        )
    })
}

/// An address and the customer it belongs to, the customer's row locked.
struct Located {
    customer: customer::Model,
    /// `None` when the address is the default one, on the customer row.
    apart: Option<customer_address::Model>,
}

async fn locate(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    key: &AddressId,
) -> AppResult<Located> {
    let key = key.as_str();
    let owner = match tenancy::find::<customer_address::Entity>(db, tenant, key).await? {
        Some(row) => Some(row.customer_id),
        None => addresses::customer_with_default(db, tenant, key).await?,
    };
    let owner = owner.ok_or(not_found("address"))?;
    let customer = repo::find_for_update(db, tenant, &CustomerId::of_row(owner))
        .await?
        .ok_or(not_found("address"))?;
    // Read again under the customer's lock: the address may have moved.
    if customer.default_address_id.as_deref() == Some(key) {
        return Ok(Located {
            customer,
            apart: None,
        });
    }
    match tenancy::find::<customer_address::Entity>(db, tenant, key).await? {
        Some(row) if row.customer_id == customer.id => Ok(Located {
            customer,
            apart: Some(row),
        }),
        _ => Err(not_found("address")),
    }
}

/// Saves the customer row (`before` as it was read) and records what
/// changed: on its timeline, and the default address's fields in its
/// history.
async fn save(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    actor: &Actor,
    before: &customer::Model,
    mut row: customer::Model,
    default_changed: bool,
) -> AppResult<customer::Model> {
    derive(&mut row);
    let row = repo::save(db, row).await?;
    let fields = if default_changed {
        json!(["address", "addresses"])
    } else {
        json!(["addresses"])
    };
    activity::repo::insert(
        db,
        tenant,
        NewActivity::customer(
            &row.id,
            "Customer updated",
            json!({ "action": "updated", "fields": fields }),
        ),
    )
    .await?;
    let changes = history::diff(before, &row, &[], &[]);
    history::repo::insert_many(db, tenant, actor, &[(row.id.clone(), changes)]).await?;
    if default_changed {
        duplicates::refresh(db, tenant, std::slice::from_ref(&row.id)).await?;
    }
    Ok(row)
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
async fn add(
    db: &sea_orm::DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    customer: &CustomerId,
    value: Address,
    as_default: bool,
) -> AppResult<CustomerAddress> {
    let txn = begin_write(db).await?;
    let mut row = repo::find_for_update(&txn, tenant, customer)
        .await?
        .ok_or(not_found("customer"))?;
    let before = row.clone();
    let others = addresses::others_of(&txn, tenant, std::slice::from_ref(&row.id))
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let has_default = row.default_address_id.is_some();
    if others.len() + usize::from(has_default) >= MAX_ADDRESSES {
        return Err(bad_input(
            "customerId",
            format!("a customer has at most {MAX_ADDRESSES} addresses"),
        ));
    }
    let added = CustomerAddress {
        key: ids::new_key(),
        value,
    };
    let becomes_default = as_default || !has_default;
    if becomes_default {
        addresses::demote_default(&txn, tenant, &mut row).await?;
        added.clone().make_default_of(&mut row);
    } else {
        addresses::insert(&txn, added.clone().into_row(tenant, &row.id)).await?;
    }
    save(&txn, tenant, actor, &before, row, becomes_default).await?;
    txn.commit().await?;
    Ok(added)
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
async fn update(
    db: &sea_orm::DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    key: &AddressId,
    value: Address,
) -> AppResult<CustomerAddress> {
    let txn = begin_write(db).await?;
    let Located {
        mut customer,
        apart,
    } = locate(&txn, tenant, key).await?;
    let before = customer.clone();
    let updated = CustomerAddress {
        key: key.as_str().to_owned(),
        value,
    };
    match apart {
        None => updated.clone().make_default_of(&mut customer),
        Some(row) => {
            let mut changed = updated.clone().into_row(tenant, &customer.id);
            changed.created_at = row.created_at;
            addresses::save(&txn, changed).await?;
        }
    }
    let is_default = customer.default_address_id.as_deref() == Some(key.as_str());
    save(&txn, tenant, actor, &before, customer, is_default).await?;
    txn.commit().await?;
    Ok(updated)
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
async fn remove(
    db: &sea_orm::DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    key: &AddressId,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let Located {
        mut customer,
        apart,
    } = locate(&txn, tenant, key).await?;
    let before = customer.clone();
    let default_changed = apart.is_none();
    if apart.is_some() {
        addresses::delete(&txn, tenant, key.as_str()).await?;
    } else {
        addresses::clear_default(&mut customer);
        addresses::promote_newest(&txn, tenant, &mut customer).await?;
    }
    save(&txn, tenant, actor, &before, customer, default_changed).await?;
    txn.commit().await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
async fn set_default(
    db: &sea_orm::DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    key: &AddressId,
) -> AppResult<customer::Model> {
    let txn = begin_write(db).await?;
    let Located {
        mut customer,
        apart,
    } = locate(&txn, tenant, key).await?;
    let before = customer.clone();
    let Some(chosen) = apart else {
        // Already the default.
        txn.commit().await?;
        return Ok(customer);
    };
    addresses::delete(&txn, tenant, &chosen.id).await?;
    addresses::demote_default(&txn, tenant, &mut customer).await?;
    CustomerAddress::other(chosen).make_default_of(&mut customer);
    let saved = save(&txn, tenant, actor, &before, customer, true).await?;
    txn.commit().await?;
    Ok(saved)
}

//! A stored selection turned into the condition its customers meet, as
//! the run reads them: a filter and query compiled as `customers` compiles
//! them, a segment's membership, or a list of keys.

use std::collections::BTreeSet;

use async_graphql::InputType as _;
use entity::customer;
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, PaginatorTrait as _, QueryFilter as _,
};
use serde_json::Value;

use crate::error::{AppError, AppResult, not_found};
use crate::profiles::fields::Fields;
use crate::profiles::{CustomerFilter, query};
use crate::segments::{filter_condition, segment_condition};
use crate::tenancy::{self, TenantId};

/// The condition of a stored selection; a filter, query or segment that
/// no longer holds (a segment deleted since) is an error that fails the
/// operation.
pub async fn condition(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    selection: &Value,
) -> AppResult<Condition> {
    if let Some(key) = selection.get("segment").and_then(Value::as_str) {
        return segment_condition(db, tenant, key).await;
    }
    if let Some(keys) = selection.get("ids").and_then(Value::as_array) {
        let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
        return Ok(Condition::all().add(customer::Column::Id.is_in(keys)));
    }
    let filter = filter_of(db, tenant, selection).await?;
    filter_condition(db, tenant, &filter, "input.selection.filter").await
}

/// Refuses a selection of IDs naming a customer the tenant does not have
/// (`NOT_FOUND`, as `tagCustomers` does), before anything is stored.
pub async fn check_ids(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    selection: &Value,
) -> AppResult<()> {
    let Some(keys) = selection.get("ids").and_then(Value::as_array) else {
        return Ok(());
    };
    let keys: BTreeSet<&str> = keys.iter().filter_map(Value::as_str).collect();
    let found = tenancy::select::<customer::Entity>(tenant)
        .filter(customer::Column::Id.is_in(keys.iter().copied()))
        .count(db)
        .await?;
    if found < keys.len() as u64 {
        return Err(not_found("customer"));
    }
    Ok(())
}

/// The one filter a stored `{ filter, query }` means.
pub async fn filter_of(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    selection: &Value,
) -> AppResult<CustomerFilter> {
    let filter = match selection.get("filter") {
        Some(json) => {
            let value = async_graphql::Value::from_json(json.clone())
                .map_err(|e| AppError::Internal(e.into()))?;
            Some(CustomerFilter::parse(Some(value)).map_err(|e| {
                AppError::Internal(anyhow::anyhow!(
                    "a stored selection: {}",
                    e.into_server_error(Default::default()).message
                ))
            })?)
        }
        None => None,
    };
    match selection.get("query").and_then(Value::as_str) {
        Some(text) => {
            let fields = Fields::when(query::names_fields(text), db, tenant).await?;
            let queried = query::read(text, &fields, "input.selection.query")?;
            query::combine(filter, queried, text, "input.selection.query")
        }
        None => Ok(filter.unwrap_or_default()),
    }
}

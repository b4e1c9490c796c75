//! `tagCustomers`: add and remove tags on many customers in one
//! transaction, without replacing what else they carry.

use std::collections::HashMap;

use entity::customer;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::events;
use crate::db::begin_write;
use crate::error::{AppResult, bad_input, not_found};
use crate::ids::CustomerId;
use crate::profiles::history::Actor;
use crate::profiles::input::MAX_TAGS;
use crate::profiles::repo;
use crate::tenancy::TenantId;

/// Adds `add` and removes `remove` on the customers `ids` (all of the
/// tenant's, or nothing changes), returning them in the order asked.
#[tracing::instrument(skip_all, fields(tenant = %tenant, customers = ids.len()))]
pub async fn tag(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    ids: &[CustomerId],
    add: &[String],
    remove: &[String],
) -> AppResult<Vec<customer::Model>> {
    let mut unique: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
    unique.sort();
    unique.dedup();
    let txn = begin_write(db).await?;
    let rows = repo::lock_many(&txn, tenant, &unique).await?;
    if rows.len() != unique.len() {
        return Err(not_found("customer"));
    }
    let updated = tag_in(&txn, tenant, actor, &unique, add, remove).await?;
    txn.commit().await?;
    let by_key: std::collections::HashMap<&str, &customer::Model> =
        updated.iter().map(|row| (row.id.as_str(), row)).collect();
    Ok(ids
        .iter()
        .filter_map(|key| by_key.get(key.as_str()).map(|row| (*row).clone()))
        .collect())
}

/// Adds `add` and removes `remove` on the customers `unique` (distinct
/// keys, rows the caller holds locked), in the caller's transaction, with
/// their timeline entries; the rows after.
pub async fn tag_in(
    txn: &impl ConnectionTrait,
    tenant: &TenantId,
    actor: &Actor,
    unique: &[String],
    add: &[String],
    remove: &[String],
) -> AppResult<Vec<customer::Model>> {
    let before = repo::tags(txn, tenant, unique).await?;
    tag_held(txn, tenant, actor, unique, &before, add, remove).await
}

/// The tags a customer holding `held` carries after `add` and `remove`
/// (a tag in both is kept), sorted.
pub fn tags_after(held: &[String], add: &[String], remove: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = held
        .iter()
        .filter(|tag| !remove.contains(tag))
        .chain(add)
        .cloned()
        .collect();
    tags.sort_unstable();
    tags.dedup();
    tags
}

/// [`tag_in`] for a caller that has read the tags the customers hold
/// (`before`, by key; none for a customer without tags). The rows are
/// locked, so the tags after are worked out rather than read back.
pub async fn tag_held(
    txn: &impl ConnectionTrait,
    tenant: &TenantId,
    actor: &Actor,
    unique: &[String],
    before: &HashMap<String, Vec<String>>,
    add: &[String],
    remove: &[String],
) -> AppResult<Vec<customer::Model>> {
    let none = Vec::new();
    let held = |key: &str| before.get(key).unwrap_or(&none);
    let after: HashMap<&str, Vec<String>> = unique
        .iter()
        .map(|key| (key.as_str(), tags_after(held(key), add, remove)))
        .collect();
    if after.values().any(|t| t.len() > MAX_TAGS) {
        return Err(bad_input(
            "add",
            format!("a customer has at most {MAX_TAGS} tags"),
        ));
    }
    repo::remove_tags(txn, tenant, unique, remove).await?;
    if !add.is_empty() {
        let additions: Vec<(String, Vec<String>)> = unique
            .iter()
            .map(|key| (key.clone(), add.to_vec()))
            .collect();
        repo::add_tags(txn, tenant, &additions).await?;
    }
    let mut updated = repo::touch(txn, tenant, unique).await?;
    updated.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    let mut changes = events::Changes::default();
    for row in &updated {
        let now = after.get(row.id.as_str()).unwrap_or(&none);
        changes.updated(row, row, held(&row.id), now);
    }
    changes.write(txn, tenant, actor).await?;
    Ok(updated)
}

//! `undoMerge`: a merge taken back within `CRM_MERGE_UNDO_WINDOW`.
//!
//! The merge keeps a [`Snapshot`]: both customers as they were, the kept
//! one as the merge saved it, and the keys of everything that moved. An
//! undo brings the duplicate back as it was (same ID, fields, tags,
//! static segments and locations), moves back each row that moved (orders,
//! timeline entries, notes, addresses, field history, webhook events,
//! pending data requests, export archives), and puts back each of the
//! kept customer's fields that still holds what the merge wrote: a field
//! changed since keeps its newer value. What was added to the kept
//! customer since the merge stays with it. The timeline entries the merge
//! wrote go; the field history keeps the merge and records the undo. The
//! pairs with the duplicate that users dismissed are dismissed again.

use std::collections::HashSet;

use entity::{
    activity, customer, customer_address, customer_field_change, customer_location, data_request,
    export, location, note, order, segment, segment_member, webhook_event,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QuerySelect};
use serde_json::Value;

use crate::db::{Taken, begin_write};
use crate::duplicates;
use crate::error::{AppError, AppResult, conflict, not_found};
use crate::ids::CustomerId;
use crate::orders;
use crate::profiles::additional;
use crate::profiles::history::{self, Actor};
use crate::profiles::merges::{self, Dismissal, Moved, Snapshot};
use crate::profiles::row::derive;
use crate::profiles::{rechecks, repo};
use crate::tenancy::{self, Keyed, TenantId};
use crate::webhooks::outbox::{self, CustomerChanged};

/// The keys of the tenant's `E` rows whose `column` names `customer`.
async fn keys_of<E: Keyed>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    column: E::Column,
    customer: &str,
) -> AppResult<Vec<String>> {
    Ok(tenancy::select::<E>(tenant)
        .filter(column.eq(customer))
        .select_only()
        .column(E::key_column())
        .into_tuple()
        .all(db)
        .await?)
}

/// Points the rows `keys` of `E` whose `column` still names `from` at `to`.
async fn move_back<E: Keyed>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    column: E::Column,
    keys: &[String],
    (from, to): (&str, &str),
) -> AppResult<()> {
    for chunk in keys.chunks(1_000) {
        tenancy::update::<E>(tenant)
            .col_expr(column, Expr::val(to))
            .filter(E::key_column().is_in(chunk.iter().cloned()))
            .filter(column.eq(from))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// What a merge records before it moves anything: the keys of the
/// duplicate's rows, and both customers' segments and locations.
pub struct Before {
    moved: Moved,
    merged_segments: Vec<(String, chrono::DateTime<chrono::Utc>)>,
    keep_segments: Vec<String>,
    merged_locations: Vec<(String, chrono::DateTime<chrono::Utc>)>,
    keep_locations: Vec<String>,
    keep_timeline: HashSet<String>,
    dismissals: Vec<Dismissal>,
}

/// Reads, in the merge's transaction, what [`Before`] holds.
pub async fn before_moves(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keep: &str,
    merged: &str,
) -> AppResult<Before> {
    let whole = tenant.whole();
    let moved = Moved {
        orders: keys_of::<order::Entity>(db, tenant, order::Column::CustomerId, merged).await?,
        activities: keys_of::<activity::Entity>(db, tenant, activity::Column::CustomerId, merged)
            .await?,
        notes: keys_of::<note::Entity>(db, tenant, note::Column::CustomerId, merged).await?,
        addresses: keys_of::<customer_address::Entity>(
            db,
            tenant,
            customer_address::Column::CustomerId,
            merged,
        )
        .await?,
        history: keys_of::<customer_field_change::Entity>(
            db,
            tenant,
            customer_field_change::Column::CustomerId,
            merged,
        )
        .await?,
        webhook_events: tenancy::select::<webhook_event::Entity>(tenant)
            .filter(webhook_event::Column::CustomerId.eq(merged))
            .select_only()
            .column(webhook_event::Column::Id)
            .into_tuple()
            .all(db)
            .await?,
        data_requests: keys_of::<data_request::Entity>(
            db,
            tenant,
            data_request::Column::CustomerId,
            merged,
        )
        .await?,
        exports: tenancy::select::<export::Entity>(tenant)
            .filter(export::Column::CustomerId.eq(merged))
            .select_only()
            .column(export::Column::RequestId)
            .into_tuple()
            .all(db)
            .await?,
    };
    let segments = |customer: &str| {
        tenancy::select::<segment_member::Entity>(tenant)
            .filter(segment_member::Column::CustomerId.eq(customer.to_owned()))
            .all(db)
    };
    let locations = |customer: &str| {
        tenancy::select::<customer_location::Entity>(&whole)
            .filter(customer_location::Column::CustomerId.eq(customer.to_owned()))
            .all(db)
    };
    Ok(Before {
        moved,
        merged_segments: segments(merged)
            .await?
            .into_iter()
            .map(|m| (m.segment_id, m.added_at))
            .collect(),
        keep_segments: segments(keep)
            .await?
            .into_iter()
            .map(|m| m.segment_id)
            .collect(),
        merged_locations: locations(merged)
            .await?
            .into_iter()
            .map(|m| (m.location_id, m.created_at))
            .collect(),
        keep_locations: locations(keep)
            .await?
            .into_iter()
            .map(|m| m.location_id)
            .collect(),
        keep_timeline: keys_of::<activity::Entity>(db, tenant, activity::Column::CustomerId, keep)
            .await?
            .into_iter()
            .collect(),
        dismissals: duplicates::dismissals_with(db, tenant, merged).await?,
    })
}

/// The customers and tags a merge started from and ended with.
pub struct Ends {
    pub keep_before: customer::Model,
    pub keep_after: customer::Model,
    pub merged: customer::Model,
    pub keep_tags: Vec<String>,
    pub merged_tags: Vec<String>,
    pub demoted_address: Option<String>,
}

/// Keeps what the undo needs, at the end of the merge's transaction,
/// until `window` from now.
pub async fn keep(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    before: Before,
    ends: Ends,
    window: std::time::Duration,
) -> AppResult<()> {
    let moved_timeline: HashSet<&String> = before.moved.activities.iter().collect();
    let timeline_added = keys_of::<activity::Entity>(
        db,
        tenant,
        activity::Column::CustomerId,
        &ends.keep_after.id,
    )
    .await?
    .into_iter()
    .filter(|key| !before.keep_timeline.contains(key) && !moved_timeline.contains(key))
    .collect();
    let snapshot = Snapshot {
        keep_before: ends.keep_before,
        keep_after: ends.keep_after,
        merged: ends.merged,
        keep_tags: ends.keep_tags,
        merged_tags: ends.merged_tags,
        moved: before.moved,
        demoted_address: ends.demoted_address,
        timeline_added,
        merged_segments: before.merged_segments,
        keep_segments: before.keep_segments,
        merged_locations: before.merged_locations,
        keep_locations: before.keep_locations,
        merged_dismissals: before.dismissals,
    };
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    let expires_at = crate::db::now()
        .checked_add_signed(window)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    merges::insert(db, tenant, &snapshot, expires_at).await
}

/// Undoes the merge of the duplicate `merged_id`, the kept customer's
/// history recording it under `actor` (`UNDO_MERGE`): both customers as
/// saved, the kept one first.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn undo(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    merged_id: &CustomerId,
) -> AppResult<[customer::Model; 2]> {
    let txn = begin_write(db).await?;
    let snapshot = merges::find(&txn, tenant, merged_id.as_str())
        .await?
        .ok_or(not_found("merge"))?;
    let (keep_key, merged_key) = (snapshot.keep_before.id.clone(), snapshot.merged.id.clone());
    let current = repo::find_for_update(&txn, tenant, &CustomerId::of_row(keep_key.clone()))
        .await?
        .ok_or(not_found("customer"))?;
    let restored = put_back(&current, &snapshot.keep_after, &snapshot.keep_before)?;
    let restored = repo::save(&txn, restored).await?;
    additional::replace(&txn, tenant, &[&restored]).await?;

    // The duplicate's emails and phones must be free again.
    let mut merged = snapshot.merged.clone();
    merged.updated_at = crate::db::now();
    let whole = tenant.whole();
    for email in additional::emails(&merged)
        .into_iter()
        .chain(merged.email.as_deref().and_then(|e| {
            crate::profiles::contact::Email::parse("mergedId", e)
                .ok()
                .flatten()
        }))
    {
        if repo::find_by_email(&txn, &whole, &email).await?.is_some() {
            return Err(conflict(
                "mergedId",
                format!("another customer now has the email {}", email.as_str()),
            ));
        }
    }
    for phone in additional::phones(&merged)
        .into_iter()
        .chain(merged.phone.as_deref().and_then(|p| {
            crate::profiles::contact::Phone::parse("mergedId", p)
                .ok()
                .flatten()
        }))
    {
        if repo::find_by_phone(&txn, &whole, &phone).await?.is_some() {
            return Err(conflict(
                "mergedId",
                format!("another customer now has the phone {}", phone.as_str()),
            ));
        }
    }
    let merged = repo::insert(&txn, merged).await?;
    additional::insert(&txn, &[&merged]).await?;

    // Tags: the duplicate's back; the kept customer's without those the
    // merge gave it.
    repo::replace_tags(&txn, tenant, &merged_key, &snapshot.merged_tags).await?;
    let given: HashSet<&String> = snapshot
        .merged_tags
        .iter()
        .filter(|t| !snapshot.keep_tags.contains(t))
        .collect();
    let tags_now = repo::tags(&txn, tenant, std::slice::from_ref(&keep_key))
        .await?
        .remove(&keep_key)
        .unwrap_or_default();
    let tags_kept: Vec<String> = tags_now
        .iter()
        .filter(|t| !given.contains(t))
        .cloned()
        .collect();
    repo::replace_tags(&txn, tenant, &keep_key, &tags_kept).await?;

    let back = (keep_key.as_str(), merged_key.as_str());
    let moved = &snapshot.moved;
    move_back::<order::Entity>(&txn, tenant, order::Column::CustomerId, &moved.orders, back)
        .await?;
    move_back::<activity::Entity>(
        &txn,
        tenant,
        activity::Column::CustomerId,
        &moved.activities,
        back,
    )
    .await?;
    move_back::<note::Entity>(&txn, tenant, note::Column::CustomerId, &moved.notes, back).await?;
    move_back::<customer_address::Entity>(
        &txn,
        tenant,
        customer_address::Column::CustomerId,
        &moved.addresses,
        back,
    )
    .await?;
    move_back::<customer_field_change::Entity>(
        &txn,
        tenant,
        customer_field_change::Column::CustomerId,
        &moved.history,
        back,
    )
    .await?;
    move_back::<webhook_event::Entity>(
        &txn,
        tenant,
        webhook_event::Column::CustomerId,
        &moved.webhook_events,
        back,
    )
    .await?;
    move_back::<data_request::Entity>(
        &txn,
        tenant,
        data_request::Column::CustomerId,
        &moved.data_requests,
        back,
    )
    .await?;
    if !moved.exports.is_empty() {
        tenancy::update::<export::Entity>(tenant)
            .col_expr(export::Column::CustomerId, Expr::val(merged_key.as_str()))
            .filter(export::Column::RequestId.is_in(moved.exports.iter().cloned()))
            .filter(export::Column::CustomerId.eq(keep_key.as_str()))
            .exec(&txn)
            .await?;
    }
    if let Some(address) = &snapshot.demoted_address {
        tenancy::delete::<customer_address::Entity>(tenant)
            .filter(customer_address::Column::Id.eq(address.as_str()))
            .filter(customer_address::Column::CustomerId.eq(keep_key.as_str()))
            .exec(&txn)
            .await?;
    }
    if !snapshot.timeline_added.is_empty() {
        tenancy::delete::<activity::Entity>(tenant)
            .filter(activity::Column::Id.is_in(snapshot.timeline_added.iter().cloned()))
            .exec(&txn)
            .await?;
    }
    memberships_back(&txn, tenant, &snapshot).await?;

    for key in [&keep_key, &merged_key] {
        let totals = orders::repo::paid_totals(&txn, tenant, key).await?;
        repo::set_totals(&txn, tenant, key, &totals).await?;
    }
    let changes = history::diff(&current, &restored, &tags_now, &tags_kept);
    history::repo::insert_many(&txn, tenant, actor, &[(keep_key.clone(), changes)]).await?;
    let keys = [keep_key.clone(), merged_key.clone()];
    rechecks::mark(&txn, tenant, &[&keep_key, &merged_key]).await?;
    duplicates::restore_dismissals(&txn, tenant, &snapshot.merged_dismissals).await?;
    duplicates::refresh(&txn, tenant, &keys).await?;
    outbox::customers_changed(
        &txn,
        tenant,
        &[
            CustomerChanged {
                customer: &merged_key,
                created: true,
            },
            CustomerChanged {
                customer: &keep_key,
                created: false,
            },
        ],
    )
    .await?;
    merges::delete(&txn, tenant, &merged_key).await?;
    let mut rows = tenancy::find_many::<customer::Entity>(&txn, tenant, &keys).await?;
    txn.commit().await?;
    rows.sort_by_key(|row| row.id != keep_key);
    match <[customer::Model; 2]>::try_from(rows) {
        Ok(both) => Ok(both),
        Err(_) => Err(not_found("customer")),
    }
}

/// The duplicate's static segments and locations back (those that still
/// exist, joined when it first joined them); the kept customer out of the
/// ones it joined through the merge.
async fn memberships_back(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    snapshot: &Snapshot,
) -> AppResult<()> {
    let (keep, merged) = (&snapshot.keep_before.id, &snapshot.merged.id);
    let segment_keys: Vec<String> = snapshot
        .merged_segments
        .iter()
        .map(|(s, _)| s.clone())
        .collect();
    let existing: HashSet<String> =
        tenancy::find_many::<segment::Entity>(db, tenant, &segment_keys)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
    let given: Vec<String> = segment_keys
        .iter()
        .filter(|s| !snapshot.keep_segments.contains(s))
        .cloned()
        .collect();
    if !given.is_empty() {
        tenancy::delete::<segment_member::Entity>(tenant)
            .filter(segment_member::Column::CustomerId.eq(keep.as_str()))
            .filter(segment_member::Column::SegmentId.is_in(given))
            .exec(db)
            .await?;
    }
    let rows: Vec<segment_member::Model> = snapshot
        .merged_segments
        .iter()
        .filter(|(s, _)| existing.contains(s))
        .map(|(segment_id, added_at)| segment_member::Model {
            tenant_id: tenant.as_str().to_owned(),
            segment_id: segment_id.clone(),
            customer_id: merged.clone(),
            added_at: *added_at,
        })
        .collect();
    crate::db::insert_rows::<segment_member::Entity>(db, &rows, 1_000, Taken::Skip).await?;

    let whole = tenant.whole();
    let location_keys: Vec<String> = snapshot
        .merged_locations
        .iter()
        .map(|(l, _)| l.clone())
        .collect();
    let existing: HashSet<String> =
        tenancy::find_many::<location::Entity>(db, &whole, &location_keys)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
    let given: Vec<String> = location_keys
        .iter()
        .filter(|l| !snapshot.keep_locations.contains(l))
        .cloned()
        .collect();
    if !given.is_empty() {
        tenancy::delete::<customer_location::Entity>(&whole)
            .filter(customer_location::Column::CustomerId.eq(keep.as_str()))
            .filter(customer_location::Column::LocationId.is_in(given))
            .exec(db)
            .await?;
    }
    let rows: Vec<customer_location::Model> = snapshot
        .merged_locations
        .iter()
        .filter(|(l, _)| existing.contains(l))
        .map(|(location_id, created_at)| customer_location::Model {
            tenant_id: tenant.as_str().to_owned(),
            location_id: location_id.clone(),
            customer_id: merged.clone(),
            created_at: *created_at,
        })
        .collect();
    crate::db::insert_rows::<customer_location::Entity>(db, &rows, 1_000, Taken::Skip).await?;
    Ok(())
}

/// The kept customer's row with each field that still holds what the
/// merge wrote (`after`) put back to what it was (`before`); a field
/// changed since the merge keeps its value. Custom fields go key by key,
/// additional emails and phones value by value.
fn put_back(
    current: &customer::Model,
    after: &customer::Model,
    before: &customer::Model,
) -> AppResult<customer::Model> {
    let json =
        |row: &customer::Model| serde_json::to_value(row).map_err(|e| AppError::Internal(e.into()));
    let (mut now, after, before) = (json(current)?, json(after)?, json(before)?);
    let (Value::Object(now_map), Value::Object(after_map), Value::Object(before_map)) =
        (&mut now, &after, &before)
    else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "a customer row is not an object"
        )));
    };
    for (column, was) in before_map {
        let wrote = &after_map[column];
        match column.as_str() {
            // Derived, or recomputed below.
            "tenant_id" | "id" | "sort_name" | "search_text" | "total_orders"
            | "total_spent_cents" | "first_order_at" | "last_order_at" | "updated_at" => {}
            "metadata" => {
                if let (Some(Value::Object(ours)), Value::Object(wrote), Value::Object(was)) =
                    (now_map.get_mut(column), wrote, was)
                {
                    let keys: HashSet<String> = wrote.keys().chain(was.keys()).cloned().collect();
                    for key in keys {
                        if ours.get(&key) == wrote.get(&key) {
                            match was.get(&key) {
                                Some(value) => ours.insert(key, value.clone()),
                                None => ours.remove(&key),
                            };
                        }
                    }
                }
            }
            "additional_emails" | "additional_phones" => {
                let list = |v: &Value| -> Vec<Value> { v.as_array().cloned().unwrap_or_default() };
                let given: Vec<Value> = list(wrote)
                    .into_iter()
                    .filter(|v| !list(was).contains(v))
                    .collect();
                let mut kept: Vec<Value> = list(&now_map[column])
                    .into_iter()
                    .filter(|v| !given.contains(v))
                    .collect();
                for value in list(was) {
                    // Taken away by the merge (it became the primary one).
                    if !list(wrote).contains(&value) && !kept.contains(&value) {
                        kept.push(value);
                    }
                }
                now_map.insert(column.clone(), Value::Array(kept));
            }
            _ => {
                if now_map.get(column) == Some(wrote) {
                    now_map.insert(column.clone(), was.clone());
                }
            }
        }
    }
    let mut row: customer::Model =
        serde_json::from_value(now).map_err(|e| AppError::Internal(e.into()))?;
    derive(&mut row);
    Ok(row)
}

//! `mergeCustomers`: fold a duplicate into the customer that stays; and
//! `mergePreview`: the customer that would stay, computed and not saved.
//!
//! Both start from one [`plan`]: both rows read, the tags joined, the
//! kept row's empty fields filled from the duplicate's (custom fields key
//! by key), the caller's overrides applied (`merge_overrides`), and every
//! limit checked, so the preview shows exactly what the merge would save
//! and refuses what it would refuse.
//!
//! The merge then does, in one transaction: the kept customer takes the
//! duplicate's tags, orders, timeline and notes, its order totals are
//! recomputed from the orders it now holds, and the duplicate is deleted.
//! Webhook events, export archives and pending data requests about the
//! duplicate move to the kept customer, which joins the duplicate's
//! locations, and static segments. Everything that points at a customer
//! moves here, so nothing is left dangling. What the merge moved, and
//! both customers as they were, are kept for `undoMerge` (`merge_undo`);
//! the field history records what the kept customer's fields became.

use std::collections::HashMap;

use entity::customer;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

use super::events;
use super::merge_overrides::MergeOverrides;
use super::merge_undo;
use crate::activity::{self, loader::Timeline};
use crate::db::begin_write;
use crate::duplicates;
use crate::error::{AppResult, bad_input, not_found};
use crate::graphql::children;
use crate::ids::CustomerId;
use crate::notes::loader::Notes;
use crate::orders;
use crate::profiles::additional::{self, Kind, MAX_ADDITIONAL};
use crate::profiles::addresses::{self, CustomerAddress};
use crate::profiles::checks::check_metadata_size;
use crate::profiles::consent::Channel;
use crate::profiles::history::{self, Actor};
use crate::profiles::input::MAX_TAGS;
use crate::profiles::row::{copy_address, derive, has_address};
use crate::profiles::{Customer, repo};
use crate::segments;
use crate::tenancy::TenantId;

/// How [`plan`] reads the two customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read {
    /// Locked until the transaction ends, for the merge.
    Locked,
    /// As they are, nothing locked, for the preview.
    Plain,
}

/// What a merge makes of two customers, computed before anything moves.
struct Plan {
    /// The kept customer, as it is.
    keep: customer::Model,
    /// The duplicate, as it is.
    merged: customer::Model,
    /// The kept customer's tags, as they are (alphabetically).
    keep_tags: Vec<String>,
    /// The duplicate's tags, as they are.
    merged_tags: Vec<String>,
    /// Both customers' tags: the kept customer's, then the duplicate's
    /// others.
    tags: Vec<String>,
    /// The kept customer's row once merged (its order totals aside).
    combined: customer::Model,
    /// The default address, of either customer, that joins the kept
    /// customer's other addresses.
    demoted: Option<CustomerAddress>,
}

/// Refuses a customer merged into itself.
fn distinct(keep_id: &CustomerId, merge_id: &CustomerId) -> AppResult<()> {
    if keep_id.as_str() == merge_id.as_str() {
        return Err(bad_input(
            "mergeId",
            "a customer cannot be merged into itself",
        ));
    }
    Ok(())
}

/// Reads both customers and computes the merged record, with every check
/// of a merge. Writes nothing.
async fn plan(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keep_id: &CustomerId,
    merge_id: &CustomerId,
    overrides: &MergeOverrides,
    read: Read,
) -> AppResult<Plan> {
    distinct(keep_id, merge_id)?;
    let (keep_key, merge_key) = (keep_id.as_str(), merge_id.as_str());
    let keys = [keep_key.to_owned(), merge_key.to_owned()];
    let (rows, mut tags) = match read {
        Read::Locked => {
            let rows = repo::lock_many_to_delete(db, tenant, &keys).await?;
            (rows, repo::tags(db, tenant, &keys).await?)
        }
        Read::Plain => {
            let mut tags = HashMap::new();
            let mut rows = Vec::new();
            for (row, row_tags) in repo::find_many_with_tags(db, tenant, &keys).await? {
                tags.insert(row.id.clone(), row_tags);
                rows.push(row);
            }
            (rows, tags)
        }
    };
    let find = |key: &str| rows.iter().find(|row| row.id == key).cloned();
    let keep = find(keep_key).ok_or(not_found("customer"))?;
    let merged = find(merge_key).ok_or(not_found("customer"))?;

    let keep_tags = tags.remove(keep_key).unwrap_or_default();
    let merged_tags = tags.remove(merge_key).unwrap_or_default();
    let mut all = keep_tags.clone();
    for tag in &merged_tags {
        if !all.contains(tag) {
            all.push(tag.clone());
        }
    }
    if all.len() > MAX_TAGS {
        return Err(bad_input(
            "mergeId",
            format!("together they carry more than {MAX_TAGS} tags"),
        ));
    }

    // Both defaults: the one not kept as the default joins the survivor's
    // other addresses, the duplicate's unless the caller takes its address.
    let demoted = if !has_address(&keep) {
        None
    } else if overrides.takes_address_of(&merged) {
        CustomerAddress::default_of(&keep)
    } else {
        CustomerAddress::default_of(&merged)
    };
    let combined = combine(keep.clone(), &merged, overrides);
    if let Value::Object(metadata) = &combined.metadata {
        check_metadata_size("mergeId", metadata)?;
    }
    for (kind, noun) in [(Kind::Email, "emails"), (Kind::Phone, "phones")] {
        if additional::list(&combined, kind).len() > MAX_ADDITIONAL {
            return Err(bad_input(
                "mergeId",
                format!("together they have more than {MAX_ADDITIONAL} additional {noun}"),
            ));
        }
    }
    Ok(Plan {
        keep,
        merged,
        keep_tags,
        merged_tags,
        tags: all,
        combined,
        demoted,
    })
}

/// The customer a merge of `merge_id` into `keep_id` would leave,
/// computed and not saved: the merged record, its tags (both customers',
/// alphabetically), and the order totals of both together. Reads without
/// locking; the same errors as [`merge`].
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn preview(
    db: &DatabaseConnection,
    tenant: &TenantId,
    keep_id: &CustomerId,
    merge_id: &CustomerId,
    overrides: &MergeOverrides,
) -> AppResult<Customer> {
    let Plan {
        keep,
        merged,
        mut tags,
        mut combined,
        demoted,
        ..
    } = plan(db, tenant, keep_id, merge_id, overrides, Read::Plain).await?;
    combined.total_orders = keep.total_orders.saturating_add(merged.total_orders);
    combined.total_spent_cents = keep
        .total_spent_cents
        .saturating_add(merged.total_spent_cents);
    combined.first_order_at = match (keep.first_order_at, merged.first_order_at) {
        (Some(ours), Some(theirs)) => Some(ours.min(theirs)),
        (ours, theirs) => ours.or(theirs),
    };
    // `None` orders before any time.
    combined.last_order_at = keep.last_order_at.max(merged.last_order_at);
    tags.sort_unstable();
    // The kept customer's default, when the duplicate's takes its place,
    // is still one of its addresses; the duplicate's are listed once they
    // move.
    let demoted_address =
        demoted.filter(|address| keep.default_address_id.as_ref() == Some(&address.key));
    Ok(Customer {
        demoted_address,
        ..Customer::with_tags(combined, tags)
    })
}

/// Merges `merge_id` into `keep_id` in one transaction and returns the
/// kept customer as saved.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn merge(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    keep_id: &CustomerId,
    merge_id: &CustomerId,
    overrides: &MergeOverrides,
    undo_window: std::time::Duration,
) -> AppResult<customer::Model> {
    // Refused before the write lock is taken.
    distinct(keep_id, merge_id)?;
    let (keep_key, merge_key) = (keep_id.as_str(), merge_id.as_str());
    let txn = begin_write(db).await?;
    let Plan {
        keep: keep_before,
        merged,
        keep_tags,
        merged_tags,
        tags: all,
        combined,
        demoted,
    } = plan(&txn, tenant, keep_id, merge_id, overrides, Read::Locked).await?;
    let before = merge_undo::before_moves(&txn, tenant, keep_key, merge_key).await?;
    let demoted_address = demoted.as_ref().map(|address| address.key.clone());
    // Orders move with their `updated_at` bumped (the RFM breakpoints
    // notice); the timeline and notes just move.
    orders::repo::reassign(&txn, tenant, merge_key, keep_key).await?;
    children::reassign::<Timeline>(&txn, tenant, merge_key, keep_key).await?;
    children::reassign::<Notes>(&txn, tenant, merge_key, keep_key).await?;
    history::repo::reassign(&txn, tenant, merge_key, keep_key).await?;
    // Static segments keep the survivor; the duplicate's rows cascade.
    segments::repo::copy_memberships(&txn, tenant, merge_key, keep_key, crate::db::now()).await?;
    addresses::move_all(&txn, tenant, merge_key, keep_key).await?;
    // The survivor belongs to the duplicate's locations too.
    crate::locations::members::carry_over(&txn, tenant, merge_key, keep_key).await?;
    if let Some(address) = demoted {
        addresses::insert(&txn, address.into_row(tenant, keep_key)).await?;
    }
    // Webhook events, export archives and pending data requests follow.
    crate::data_requests::reassign(&txn, tenant, merge_key, keep_key).await?;
    // The duplicate goes before the save: its email and phone are unique.
    repo::delete(&txn, tenant, merge_id).await?;
    crate::webhooks::outbox::customer_deleted(&txn, tenant, merge_key).await?;
    let combined = repo::save(&txn, combined).await?;
    additional::replace(&txn, tenant, &[&combined]).await?;
    repo::replace_tags(&txn, tenant, keep_key, &all).await?;
    let totals = orders::repo::paid_totals(&txn, tenant, keep_key).await?;
    repo::set_totals(&txn, tenant, keep_key, &totals).await?;
    activity::repo::insert(&txn, tenant, events::merged(keep_key, merge_key)).await?;
    let saved = repo::find(&txn, tenant, keep_id)
        .await?
        .ok_or(not_found("customer"))?;
    // The timeline has its "Customer merged" entry; the history gets each
    // field the merge changed.
    let mut tags_after = all.clone();
    tags_after.sort_unstable();
    let changed = history::diff(&keep_before, &saved, &keep_tags, &tags_after);
    history::repo::insert_many(&txn, tenant, actor, &[(saved.id.clone(), changed)]).await?;
    duplicates::refresh(&txn, tenant, std::slice::from_ref(&saved.id)).await?;
    let ends = merge_undo::Ends {
        keep_before,
        keep_after: saved.clone(),
        merged,
        keep_tags,
        merged_tags,
        demoted_address,
    };
    merge_undo::keep(&txn, tenant, before, ends, undo_window).await?;
    txn.commit().await?;
    crate::events::customer_deleted(tenant, merge_key);
    Ok(saved)
}

/// The kept row with its empty fields filled from the duplicate's, then
/// the fields and custom-field keys `overrides` names taken from it.
fn combine(
    mut keep: customer::Model,
    merged: &customer::Model,
    overrides: &MergeOverrides,
) -> customer::Model {
    // The duplicate's emails and phones all stay the survivor's: its
    // primary ones fill the survivor's, or join its additional ones.
    for (kind, ours, theirs) in [
        (Kind::Email, keep.email.clone(), merged.email.clone()),
        (Kind::Phone, keep.phone.clone(), merged.phone.clone()),
    ] {
        let mut list = additional::list(&keep, kind);
        let joining = ours.and(theirs);
        for value in joining.into_iter().chain(additional::list(merged, kind)) {
            if !list.contains(&value) {
                list.push(value);
            }
        }
        additional::set(&mut keep, kind, list);
    }
    let fill = |slot: &mut Option<String>, other: &Option<String>| {
        if slot.is_none() {
            slot.clone_from(other);
        }
    };
    fill(&mut keep.name, &merged.name);
    fill(&mut keep.first_name, &merged.first_name);
    fill(&mut keep.last_name, &merged.last_name);
    fill(&mut keep.email, &merged.email);
    fill(&mut keep.phone, &merged.phone);
    // The company comes with its name: a customer with a company has its
    // name.
    if keep.company_id.is_none() && merged.company_id.is_some() {
        keep.company_id.clone_from(&merged.company_id);
        keep.company_name.clone_from(&merged.company_name);
    } else {
        fill(&mut keep.company_name, &merged.company_name);
    }
    fill(&mut keep.avatar_url, &merged.avatar_url);
    fill(&mut keep.source, &merged.source);
    fill(&mut keep.locale, &merged.locale);
    fill(&mut keep.currency, &merged.currency);
    // Each channel's consent is the one given last: a withdrawal on the
    // duplicate must not be undone by an older subscription.
    for channel in Channel::ALL {
        if channel.changed_at(merged) > channel.changed_at(&keep) {
            channel.copy(&mut keep, merged);
        }
    }
    if !has_address(&keep) {
        copy_address(&mut keep, merged);
    }
    if let (Value::Object(ours), Value::Object(theirs)) = (&mut keep.metadata, &merged.metadata) {
        for (key, value) in theirs {
            ours.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    overrides.apply(&mut keep, merged);
    keep.created_at = keep.created_at.min(merged.created_at);
    derive(&mut keep);
    keep
}

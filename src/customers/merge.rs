//! `mergeCustomers`: fold a duplicate into the customer that stays.
//!
//! In one transaction: the kept customer takes the duplicate's tags,
//! orders, timeline and notes, fills its own empty fields from the
//! duplicate's (custom fields key by key), its order totals are recomputed
//! from the orders it now holds, and the duplicate is deleted. Webhook
//! events, export archives and pending data requests about the duplicate
//! move to the kept customer, which joins the duplicate's locations. Everything
//! that points at a customer moves here, so nothing is left dangling (and
//! segment memberships join this list when segments are stored).

use entity::customer;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use super::events;
use crate::activity::{self, loader::Timeline};
use crate::db::begin_write;
use crate::error::{AppResult, bad_input, not_found};
use crate::graphql::children;
use crate::ids::CustomerId;
use crate::notes::loader::Notes;
use crate::orders;
use crate::profiles::additional::{self, Kind, MAX_ADDITIONAL};
use crate::profiles::addresses::{self, CustomerAddress};
use crate::profiles::checks::check_metadata_size;
use crate::profiles::input::MAX_TAGS;
use crate::profiles::repo;
use crate::profiles::row::{derive, has_address};
use crate::segments;
use crate::tenancy::TenantId;

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn merge(
    db: &DatabaseConnection,
    tenant: &TenantId,
    keep_id: &CustomerId,
    merge_id: &CustomerId,
) -> AppResult<customer::Model> {
    let (keep_key, merge_key) = (keep_id.as_str(), merge_id.as_str());
    if keep_key == merge_key {
        return Err(bad_input(
            "mergeId",
            "a customer cannot be merged into itself",
        ));
    }
    let txn = begin_write(db).await?;
    let keys = [keep_key.to_owned(), merge_key.to_owned()];
    let rows = repo::lock_many(&txn, tenant, &keys).await?;
    let find = |key: &str| rows.iter().find(|row| row.id == key).cloned();
    let keep = find(keep_key).ok_or(not_found("customer"))?;
    let merged = find(merge_key).ok_or(not_found("customer"))?;

    let mut tags = repo::tags(&txn, tenant, &keys).await?;
    let mut all = tags.remove(keep_key).unwrap_or_default();
    for tag in tags.remove(merge_key).unwrap_or_default() {
        if !all.contains(&tag) {
            all.push(tag);
        }
    }
    if all.len() > MAX_TAGS {
        return Err(bad_input(
            "mergeId",
            format!("together they carry more than {MAX_TAGS} tags"),
        ));
    }

    // Both defaults: the duplicate's joins the survivor's other addresses.
    let merged_default = has_address(&keep)
        .then(|| CustomerAddress::default_of(&merged))
        .flatten();
    let combined = combine(keep, merged);
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
    // Orders move with their `updated_at` bumped (the RFM breakpoints
    // notice); the timeline and notes just move.
    orders::repo::reassign(&txn, tenant, merge_key, keep_key).await?;
    children::reassign::<Timeline>(&txn, tenant, merge_key, keep_key).await?;
    children::reassign::<Notes>(&txn, tenant, merge_key, keep_key).await?;
    // Static segments keep the survivor; the duplicate's rows cascade.
    segments::repo::copy_memberships(&txn, tenant, merge_key, keep_key, crate::db::now()).await?;
    addresses::move_all(&txn, tenant, merge_key, keep_key).await?;
    // The survivor belongs to the duplicate's locations too.
    crate::locations::members::carry_over(&txn, tenant, merge_key, keep_key).await?;
    if let Some(address) = merged_default {
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
    txn.commit().await?;
    crate::events::customer_deleted(tenant, merge_key);
    Ok(saved)
}

/// The kept row with its empty fields filled from the duplicate's.
fn combine(mut keep: customer::Model, merged: customer::Model) -> customer::Model {
    // The duplicate's emails and phones all stay the survivor's: its
    // primary ones fill the survivor's, or join its additional ones.
    for (kind, ours, theirs) in [
        (Kind::Email, keep.email.clone(), merged.email.clone()),
        (Kind::Phone, keep.phone.clone(), merged.phone.clone()),
    ] {
        let mut list = additional::list(&keep, kind);
        let joining = ours.and(theirs);
        for value in joining.into_iter().chain(additional::list(&merged, kind)) {
            if !list.contains(&value) {
                list.push(value);
            }
        }
        additional::set(&mut keep, kind, list);
    }
    let fill = |slot: &mut Option<String>, other: Option<String>| {
        if slot.is_none() {
            *slot = other;
        }
    };
    fill(&mut keep.name, merged.name);
    fill(&mut keep.first_name, merged.first_name);
    fill(&mut keep.last_name, merged.last_name);
    fill(&mut keep.email, merged.email);
    fill(&mut keep.phone, merged.phone);
    // The company comes with its name: a customer with a company has its
    // name.
    if keep.company_id.is_none() && merged.company_id.is_some() {
        keep.company_id = merged.company_id;
        keep.company_name = merged.company_name;
    } else {
        fill(&mut keep.company_name, merged.company_name);
    }
    fill(&mut keep.avatar_url, merged.avatar_url);
    fill(&mut keep.source, merged.source);
    fill(&mut keep.locale, merged.locale);
    fill(&mut keep.currency, merged.currency);
    // Each channel's consent is the one given last: a withdrawal on the
    // duplicate must not be undone by an older subscription.
    if merged.email_consent_at > keep.email_consent_at {
        keep.email_consent = merged.email_consent;
        keep.email_consent_level = merged.email_consent_level;
        keep.email_consent_at = merged.email_consent_at;
        keep.email_consent_source = merged.email_consent_source;
    }
    if merged.sms_consent_at > keep.sms_consent_at {
        keep.sms_consent = merged.sms_consent;
        keep.sms_consent_level = merged.sms_consent_level;
        keep.sms_consent_at = merged.sms_consent_at;
        keep.sms_consent_source = merged.sms_consent_source;
    }
    if !has_address(&keep) {
        keep.address_line1 = merged.address_line1;
        keep.address_line2 = merged.address_line2;
        keep.city = merged.city;
        keep.state = merged.state;
        keep.postal_code = merged.postal_code;
        keep.country = merged.country;
        keep.default_address_id = merged.default_address_id;
    }
    if let (Value::Object(ours), Value::Object(theirs)) = (&mut keep.metadata, merged.metadata) {
        for (key, value) in theirs {
            ours.entry(key).or_insert(value);
        }
    }
    keep.created_at = keep.created_at.min(merged.created_at);
    derive(&mut keep);
    keep
}

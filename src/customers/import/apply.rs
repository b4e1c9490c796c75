//! One attempt at a call's rows: the customers they name locked in one
//! transaction, the rows applied in order over them, and the result
//! written in multi-row statements.

use std::collections::HashMap;
use std::sync::Mutex;

use entity::customer;
use sea_orm::DatabaseConnection;

use super::{ImportFailure, ImportMode, ImportPayload, Turn};
use crate::activity;
use crate::companies::link;
use crate::customers::events;
use crate::db::{Attempt, begin_write};
use crate::error::{AppResult, conflict};
use crate::profiles::additional::{self, Kind};
use crate::profiles::contact::{Email, Phone};
use crate::profiles::fields::Fields;
use crate::profiles::patch::{Patch, final_tags};
use crate::profiles::repo;
use crate::tenancy::TenantId;

/// What the call's rows are checked against: the tenant's custom fields
/// and the companies the rows name.
struct Known<'a> {
    fields: &'a Fields,
    companies: &'a HashMap<String, entity::company::Model>,
}

/// One customer the call touches: its row as it will be written, and
/// how it started (`None` for a customer this call creates).
struct Slot {
    row: customer::Model,
    original: Option<customer::Model>,
    tags: Vec<String>,
    original_tags: Vec<String>,
}

pub(super) async fn attempt(
    db: &DatabaseConnection,
    tenant: &TenantId,
    patches: &[(usize, Patch)],
    mode: ImportMode,
    turn: &Mutex<Turn>,
) -> Result<ImportPayload, Attempt> {
    let after = turn.lock().unwrap_or_else(|e| e.into_inner()).after.take();
    if let Some(after) = after {
        // Fired or dropped: either way the previous import holds its rows
        // or has finished.
        let _ = after.await;
    }
    let txn = begin_write(db).await?;
    // Every email and phone the rows name, primary or additional: a
    // customer holding any of them takes part in the call.
    let emails: Vec<Email> = patches
        .iter()
        .flat_map(|(_, p)| {
            p.email
                .value()
                .into_iter()
                .chain(p.additional_emails.iter().flatten())
        })
        .cloned()
        .collect();
    let phones: Vec<Phone> = patches
        .iter()
        .flat_map(|(_, p)| {
            p.phone
                .value()
                .into_iter()
                .chain(p.additional_phones.iter().flatten())
        })
        .cloned()
        .collect();
    let existing = repo::lock_by_emails_or_phones(&txn, tenant, &emails, &phones).await?;
    let locked = turn.lock().unwrap_or_else(|e| e.into_inner()).locked.take();
    if let Some(locked) = locked {
        let _ = locked.send(());
    }
    let keys: Vec<String> = existing.iter().map(|row| row.id.clone()).collect();
    let mut tags = if mode == ImportMode::Upsert && !keys.is_empty() {
        repo::tags(&txn, tenant, &keys).await?
    } else {
        HashMap::new()
    };

    let mut slots: Vec<Slot> = Vec::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    let mut by_phone: HashMap<String, usize> = HashMap::new();
    for row in existing {
        let own = tags.remove(&row.id).unwrap_or_default();
        register(&mut by_email, &mut by_phone, &row, slots.len());
        slots.push(Slot {
            original: Some(row.clone()),
            row,
            tags: own.clone(),
            original_tags: own,
        });
    }

    let fields = Fields::of(&txn, tenant).await?;
    let companies = link::companies(&txn, tenant, patches.iter().map(|(_, p)| &p.company)).await?;
    let known = Known {
        fields: &fields,
        companies: &companies,
    };
    let mut payload = ImportPayload::default();
    for (index, patch) in patches {
        let target = patch
            .email
            .value()
            .and_then(|e| by_email.get(e.as_str()))
            .or_else(|| patch.phone.value().and_then(|p| by_phone.get(p.as_str())))
            .copied();
        let before = target.map(|slot| (slots[slot].row.clone(), slots[slot].tags.clone()));
        let result = match target {
            Some(_) if mode == ImportMode::CreateOnly => {
                payload.skipped += 1;
                continue;
            }
            Some(slot) => {
                let updated = update_slot(
                    &mut slots,
                    slot,
                    patch.clone(),
                    &by_email,
                    &by_phone,
                    &known,
                );
                if let (Ok(_), Some((row, _))) = (&updated, &before) {
                    // An email or phone the customer gave up is free again.
                    unregister(&mut by_email, &mut by_phone, row, &slots[slot].row);
                }
                updated
            }
            None => new_slot(tenant, patch.clone(), &by_email, &by_phone, &known).map(|slot| {
                slots.push(slot);
                slots.len() - 1
            }),
        };
        match result {
            Ok(slot) => {
                // Counted against the customer as this row found it.
                let s = &slots[slot];
                match &before {
                    None => payload.created += 1,
                    Some((row, tags)) if *row == s.row && *tags == s.tags => payload.skipped += 1,
                    Some(_) => payload.updated += 1,
                }
                let row = slots[slot].row.clone();
                register(&mut by_email, &mut by_phone, &row, slot);
            }
            Err(err) => payload.failed.push(ImportFailure::from_error(*index, err)),
        }
    }

    let now = crate::db::now();
    let originals: HashMap<String, customer::Model> = slots
        .iter()
        .filter_map(|slot| slot.original.clone().map(|row| (row.id.clone(), row)))
        .collect();
    let mut rows = Vec::new();
    let mut created = Vec::new();
    let mut tag_sets = Vec::new();
    let mut new_tags = Vec::new();
    let mut entries = Vec::new();
    for slot in &slots {
        match &slot.original {
            None => entries.push(events::created(&slot.row)),
            Some(original) => entries.extend(events::updated(
                original,
                &slot.row,
                &slot.original_tags,
                &slot.tags,
            )),
        }
    }
    for slot in slots {
        if slot.original.is_none() {
            // A new customer: a plain insert, and tags with nothing to replace.
            if !slot.tags.is_empty() {
                new_tags.push((slot.row.id.clone(), slot.tags));
            }
            created.push(slot.row);
            continue;
        }
        if slot.tags != slot.original_tags {
            tag_sets.push((slot.row.id.clone(), slot.tags));
        }
        if slot.original.as_ref() != Some(&slot.row) {
            let mut row = slot.row;
            row.updated_at = now;
            rows.push(row);
        }
    }
    // Unique emails and phones are checked row by row: an existing customer
    // giving up an email or phone another one takes in this call lets go of
    // it first, whatever order the rows are written in.
    let releasing: Vec<customer::Model> = rows
        .iter()
        .filter_map(|row| {
            let before = originals.get(row.id.as_str())?;
            let email_moves = before.email.is_some() && before.email != row.email;
            let phone_moves = before.phone.is_some() && before.phone != row.phone;
            (email_moves || phone_moves).then(|| {
                let mut released = (*before).clone();
                if email_moves {
                    released.email = None;
                }
                if phone_moves {
                    released.phone = None;
                }
                released
            })
        })
        .collect();
    if !releasing.is_empty() {
        repo::write_many(&txn, releasing).await?;
    }
    // The existing customers whose additional emails or phones change,
    // then the new ones that have some (values given up go first).
    let lists =
        |row: &customer::Model| (row.additional_emails.clone(), row.additional_phones.clone());
    let changed: Vec<customer::Model> = rows
        .iter()
        .filter(|row| {
            originals
                .get(row.id.as_str())
                .is_some_and(|before| lists(before) != lists(row))
        })
        .cloned()
        .collect();
    repo::write_many(&txn, rows).await?;
    repo::insert_many(&txn, &created).await?;
    additional::replace(&txn, tenant, &changed.iter().collect::<Vec<_>>()).await?;
    let new: Vec<&customer::Model> = created.iter().filter(|r| additional::has_any(r)).collect();
    additional::insert(&txn, &new).await?;
    repo::replace_tags_many(&txn, tenant, &tag_sets).await?;
    repo::add_tags(&txn, tenant, &new_tags).await?;
    activity::repo::insert_many(&txn, tenant, entries).await?;
    txn.commit().await?;
    Ok(payload)
}

/// Applies a row to a customer already in the call; the email and phone it
/// moves to must not belong to another one.
fn update_slot(
    slots: &mut [Slot],
    slot: usize,
    patch: Patch,
    by_email: &HashMap<String, usize>,
    by_phone: &HashMap<String, usize>,
    known: &Known<'_>,
) -> AppResult<usize> {
    if let Some(email) = patch.email.value()
        && by_email
            .get(email.as_str())
            .is_some_and(|other| *other != slot)
    {
        return Err(conflict("email", "another customer has this email"));
    }
    if let Some(phone) = patch.phone.value()
        && by_phone
            .get(phone.as_str())
            .is_some_and(|other| *other != slot)
    {
        return Err(conflict("phone", "another customer has this phone"));
    }
    check_additional(&patch, Some(slot), by_email, by_phone)?;
    let target = &mut slots[slot];
    let patch = patch.matched(&target.row);
    let tags = final_tags(target.tags.clone(), &patch, "")?;
    let mut row = target.row.clone();
    let company = patch.company.clone();
    patch.apply(&mut row, "", known.fields)?;
    link::apply(known.companies, &target.row, &mut row, &company, "")?;
    target.row = row;
    if let Some(mut tags) = tags {
        tags.sort();
        target.tags = tags;
    }
    Ok(slot)
}

/// Fails when another customer of the call has one of the row's
/// additional emails or phones (those of customers outside the call were
/// looked up with it, so they are in the call).
fn check_additional(
    patch: &Patch,
    slot: Option<usize>,
    by_email: &HashMap<String, usize>,
    by_phone: &HashMap<String, usize>,
) -> AppResult<()> {
    let other = |found: Option<&usize>| found.is_some_and(|o| Some(*o) != slot);
    if let Some(email) = patch
        .additional_emails
        .iter()
        .flatten()
        .find(|e| other(by_email.get(e.as_str())))
    {
        return Err(conflict(
            "additionalEmails",
            format!("another customer has the email {}", email.as_str()),
        ));
    }
    if let Some(phone) = patch
        .additional_phones
        .iter()
        .flatten()
        .find(|p| other(by_phone.get(p.as_str())))
    {
        return Err(conflict(
            "additionalPhones",
            format!("another customer has the phone {}", phone.as_str()),
        ));
    }
    Ok(())
}

fn new_slot(
    tenant: &TenantId,
    patch: Patch,
    by_email: &HashMap<String, usize>,
    by_phone: &HashMap<String, usize>,
    known: &Known<'_>,
) -> AppResult<Slot> {
    check_additional(&patch, None, by_email, by_phone)?;
    let mut tags = final_tags(Vec::new(), &patch, "")?.unwrap_or_default();
    tags.sort();
    let mut row = repo::blank(tenant);
    let blank = row.clone();
    let company = patch.company.clone();
    patch.apply_new(&mut row, "", known.fields)?;
    link::apply(known.companies, &blank, &mut row, &company, "")?;
    Ok(Slot {
        row,
        original: None,
        tags,
        original_tags: Vec::new(),
    })
}

fn unregister(
    by_email: &mut HashMap<String, usize>,
    by_phone: &mut HashMap<String, usize>,
    before: &customer::Model,
    after: &customer::Model,
) {
    let (emails_after, phones_after) = (emails_of(after), phones_of(after));
    for email in emails_of(before) {
        if !emails_after.contains(&email) {
            by_email.remove(&email);
        }
    }
    for phone in phones_of(before) {
        if !phones_after.contains(&phone) {
            by_phone.remove(&phone);
        }
    }
}

fn register(
    by_email: &mut HashMap<String, usize>,
    by_phone: &mut HashMap<String, usize>,
    row: &customer::Model,
    slot: usize,
) {
    for email in emails_of(row) {
        by_email.insert(email, slot);
    }
    for phone in phones_of(row) {
        by_phone.insert(phone, slot);
    }
}

/// A row's emails, primary and additional, as the call's index holds them.
fn emails_of(row: &customer::Model) -> Vec<String> {
    let primary = row.email.as_ref().map(|e| e.to_lowercase());
    primary
        .into_iter()
        .chain(additional::list(row, Kind::Email))
        .collect()
}

/// A row's phones, primary and additional.
fn phones_of(row: &customer::Model) -> Vec<String> {
    row.phone
        .clone()
        .into_iter()
        .chain(additional::list(row, Kind::Phone))
        .collect()
}

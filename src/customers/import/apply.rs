//! One attempt at a call's rows: the customers they name locked in one
//! transaction, the rows applied in order over them, and the result
//! written in multi-row statements.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use entity::customer;
use sea_orm::DatabaseConnection;

use super::rows::{Known, Slot, new_slot, register, unregister, update_slot};
use super::{ImportFailure, ImportMode, ImportPayload, Turn};
use crate::companies::link;
use crate::customers::events;
use crate::db::{Attempt, begin_write};
use crate::duplicates;
use crate::locations::members;
use crate::profiles::additional;
use crate::profiles::contact::{Email, Phone};
use crate::profiles::fields::Fields;
use crate::profiles::history::Actor;
use crate::profiles::patch::Patch;
use crate::profiles::repo;
use crate::tenancy::{self, TenantId};

pub(super) async fn attempt(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
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
    // Emails and phones are unique in the whole tenant: a customer holding
    // one joins the location its row is written in, if any.
    let existing = repo::lock_by_emails_or_phones(&txn, &tenant.whole(), &emails, &phones).await?;
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
            locations: Vec::new(),
        });
    }

    let fields = Fields::of(&txn, tenant).await?;
    let companies = link::companies(&txn, tenant, patches.iter().map(|(_, p)| &p.company)).await?;
    let named: Vec<String> = patches
        .iter()
        .filter_map(|(_, p)| p.location.as_ref().map(|l| l.as_str().to_owned()))
        .chain(tenant.location().map(str::to_owned))
        .collect();
    let locations: HashSet<String> =
        tenancy::find_many::<entity::location::Entity>(&txn, tenant, &named)
            .await?
            .into_iter()
            .map(|row| row.id)
            .collect();
    let known = Known {
        fields: &fields,
        companies: &companies,
        locations: &locations,
        confined: tenant.location(),
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
    let mut changes = events::Changes::default();
    // Existing customers join their locations before anything of theirs is
    // rewritten (a confined viewer's writes reach its members only); new
    // ones once they are inserted.
    let mut joining: [HashMap<String, Vec<String>>; 2] = Default::default();
    for slot in &slots {
        let phase = usize::from(slot.original.is_none());
        for location in &slot.locations {
            joining[phase]
                .entry(location.clone())
                .or_default()
                .push(slot.row.id.clone());
        }
        match &slot.original {
            None => changes.created(&slot.row),
            Some(original) => {
                changes.updated(original, &slot.row, &slot.original_tags, &slot.tags);
            }
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
    // The customers whose profile the import wrote, filed again by the
    // duplicate finder's worker (filing them here would cost more than the
    // import itself).
    let refiled: Vec<String> = rows
        .iter()
        .chain(&created)
        .map(|row| row.id.clone())
        .collect();
    let [existing_joining, new_joining] = joining;
    for (location, customers) in existing_joining {
        members::join(&txn, tenant, &location, &customers).await?;
    }
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
    for (location, customers) in new_joining {
        members::join(&txn, tenant, &location, &customers).await?;
    }
    additional::replace(&txn, tenant, &changed.iter().collect::<Vec<_>>()).await?;
    let new: Vec<&customer::Model> = created.iter().filter(|r| additional::has_any(r)).collect();
    additional::insert(&txn, &new).await?;
    repo::replace_tags_many(&txn, tenant, &tag_sets).await?;
    repo::add_tags(&txn, tenant, &new_tags).await?;
    changes.write(&txn, tenant, actor).await?;
    duplicates::queue::mark(&txn, tenant, &refiled).await?;
    txn.commit().await?;
    Ok(payload)
}

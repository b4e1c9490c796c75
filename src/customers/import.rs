//! Bulk import: up to 1,000 customers a call, in one transaction and a
//! handful of statements (two lookups, one tag read, multi-row writes).
//!
//! Rows are applied as if one after another: a row whose email (or phone)
//! names a customer, existing or created by an earlier row of the same call,
//! updates it under `UPSERT` and is skipped under `CREATE_ONLY`. A row that
//! would change nothing is counted as skipped. A bad row fails alone, with
//! its index and field; the others go in.

use std::collections::HashMap;
use std::sync::Mutex;

use entity::customer;
use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use super::events;
use crate::activity;
use crate::db::{Attempt, begin_write, retry_on_race};
use crate::error::{AppError, AppResult, bad_input, conflict};
use crate::profiles::contact::{Email, Phone};
use crate::profiles::input::CustomerInput;
use crate::profiles::patch::{Patch, final_tags};
use crate::profiles::{counts, repo};
use crate::tenancy::TenantId;

/// Most rows one call takes.
pub const MAX_ROWS: usize = 1000;
const ATTEMPTS: usize = 4;

/// What an import does with a row naming an existing customer (by email,
/// then phone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum, clap::ValueEnum)]
pub enum ImportMode {
    /// Create new customers; rows naming an existing one are skipped.
    CreateOnly,
    /// Create new customers and update existing ones.
    Upsert,
}

/// Why one row was not imported.
#[derive(Clone, Debug, async_graphql::SimpleObject)]
pub struct ImportFailure {
    /// The row's position in the call, from 0.
    pub index: i32,
    /// The error's code, as in `extensions.code`, such as `BAD_USER_INPUT`
    /// or `CONFLICT`.
    pub code: String,
    /// What is wrong with the row, in words.
    pub message: String,
    /// The row's field at fault (`email`, `address.country`), if one is.
    pub field: Option<String>,
}

/// What an import did.
#[derive(Clone, Debug, Default, async_graphql::SimpleObject)]
pub struct ImportPayload {
    /// Rows that created a customer.
    pub created: i32,
    /// Rows that updated an existing customer.
    pub updated: i32,
    /// Rows that changed nothing, or named an existing customer under
    /// `CREATE_ONLY`.
    pub skipped: i32,
    /// Rows that were refused, each with why; the other rows went in.
    pub failed: Vec<ImportFailure>,
}

impl ImportFailure {
    fn from_error(index: usize, err: AppError) -> Self {
        let field = match &err {
            AppError::BadUserInput { field, .. } | AppError::Conflict { field, .. } => {
                Some(field.clone()).filter(|f| !f.is_empty())
            }
            _ => None,
        };
        ImportFailure {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            code: err.code().to_owned(),
            message: err.message(),
            field,
        }
    }
}

/// One customer the call touches: its row as it will be written, and
/// how it started (`None` for a customer this call creates).
struct Slot {
    row: customer::Model,
    original: Option<customer::Model>,
    tags: Vec<String>,
    original_tags: Vec<String>,
}

/// Where an import stands among imports of one file that run at once, so
/// that they apply in file order: it looks customers up only once `after`
/// fires (the previous import holds the customers it updates), and fires
/// `locked` once it holds its own. An import that needs a customer an
/// earlier one holds then waits for that one to commit, and a later row
/// naming the same customer lands last. (Rows naming the same email or
/// phone must still go to the same import: a customer both would create
/// is held by neither until written.)
#[derive(Debug, Default)]
pub struct Turn {
    pub after: Option<oneshot::Receiver<()>>,
    pub locked: Option<oneshot::Sender<()>>,
}

/// Imports `rows` into the tenant.
pub async fn import(
    db: &DatabaseConnection,
    tenant: &TenantId,
    rows: Vec<CustomerInput>,
    mode: ImportMode,
) -> AppResult<ImportPayload> {
    import_in_turn(db, tenant, rows, mode, Turn::default()).await
}

/// [`import`], taking its turn among imports of one file that run at once.
#[tracing::instrument(skip_all, fields(tenant = %tenant, rows = rows.len()))]
pub async fn import_in_turn(
    db: &DatabaseConnection,
    tenant: &TenantId,
    rows: Vec<CustomerInput>,
    mode: ImportMode,
    turn: Turn,
) -> AppResult<ImportPayload> {
    if rows.len() > MAX_ROWS {
        return Err(bad_input(
            "customers",
            format!("at most {MAX_ROWS} customers a call"),
        ));
    }
    let mut failed = Vec::new();
    let mut patches = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        match Patch::from_input(row, "", true) {
            Ok(patch) if patch.identifies_nobody() => failed.push(ImportFailure::from_error(
                index,
                bad_input(
                    "",
                    "a customer needs at least one of name, firstName, lastName, email or phone",
                ),
            )),
            Ok(patch) => patches.push((index, patch)),
            Err(err) => failed.push(ImportFailure::from_error(index, err)),
        }
    }
    let turn = Mutex::new(turn);
    let mut payload = retry_on_race(
        ATTEMPTS,
        || attempt(db, tenant, &patches, mode, &turn),
        || {
            conflict(
                "customers",
                "the customers are being written concurrently; try again",
            )
        },
    )
    .await?;
    payload.failed.extend(failed);
    payload.failed.sort_by_key(|f| f.index);
    if payload.created > 0 {
        keep_statistics(db, tenant).await;
    }
    Ok(payload)
}

/// Tenants smaller than this are cheap to read whatever the plan, while
/// refreshing the statistics samples the whole table.
const STATISTICS_FROM: u64 = 10_000;

/// Keeps PostgreSQL's statistics in step with a tenant that imports grow.
/// A tenant that grew from nothing inside a large shared table looks empty
/// to the planner until `ANALYZE` runs (autovacuum's threshold is a share
/// of the whole table, so it may never run for one tenant's rows), and the
/// planner then answers every lookup by email or phone, the import's own
/// included, by reading the tenant's rows: each batch slower than the last.
/// After an import creates customers, statistics are gathered again when
/// the planner expects fewer than a tenth of the tenant's customers, so at
/// most once each time the tenant grows tenfold.
async fn keep_statistics(db: &DatabaseConnection, tenant: &TenantId) {
    let refreshed = async {
        let Some(planned) = crate::db::planned_customers(db, tenant.as_str()).await? else {
            return Ok::<bool, AppError>(false);
        };
        let all = counts::Counting::Kept(counts::Facet::all());
        let actual = counts::count(db, tenant, &all, sea_orm::Condition::all()).await?;
        #[expect(
            clippy::cast_precision_loss,
            reason = "a row count, compared by order of magnitude"
        )]
        let stale = actual >= STATISTICS_FROM && planned * 10.0 < actual as f64;
        Ok(stale && crate::db::analyze(db).await?)
    };
    match refreshed.await {
        Ok(true) => {
            tracing::info!(tenant = %tenant, "refreshed customer statistics after an import")
        }
        Ok(false) => {}
        Err(err) => {
            tracing::warn!(tenant = %tenant, error = %err.message(), "checking customer statistics failed")
        }
    }
}

async fn attempt(
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
    let emails: Vec<Email> = patches
        .iter()
        .filter_map(|(_, p)| p.email.value().cloned())
        .collect();
    let phones: Vec<Phone> = patches
        .iter()
        .filter_map(|(_, p)| p.phone.value().cloned())
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
                let updated = update_slot(&mut slots, slot, patch.clone(), &by_email, &by_phone);
                if let (Ok(_), Some((row, _))) = (&updated, &before) {
                    // An email or phone the customer gave up is free again.
                    unregister(&mut by_email, &mut by_phone, row, &slots[slot].row);
                }
                updated
            }
            None => new_slot(tenant, patch.clone()).map(|slot| {
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
    repo::write_many(&txn, rows).await?;
    repo::insert_many(&txn, &created).await?;
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
    let target = &mut slots[slot];
    let tags = final_tags(target.tags.clone(), &patch, "")?;
    let mut row = target.row.clone();
    patch.apply(&mut row, "")?;
    target.row = row;
    if let Some(mut tags) = tags {
        tags.sort();
        target.tags = tags;
    }
    Ok(slot)
}

fn new_slot(tenant: &TenantId, patch: Patch) -> AppResult<Slot> {
    let mut tags = final_tags(Vec::new(), &patch, "")?.unwrap_or_default();
    tags.sort();
    let mut row = repo::blank(tenant);
    patch.apply(&mut row, "")?;
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
    if let Some(email) = &before.email
        && after.email.as_ref() != Some(email)
    {
        by_email.remove(&email.to_lowercase());
    }
    if let Some(phone) = &before.phone
        && after.phone.as_ref() != Some(phone)
    {
        by_phone.remove(phone);
    }
}

fn register(
    by_email: &mut HashMap<String, usize>,
    by_phone: &mut HashMap<String, usize>,
    row: &customer::Model,
    slot: usize,
) {
    if let Some(email) = &row.email {
        by_email.insert(email.to_lowercase(), slot);
    }
    if let Some(phone) = &row.phone {
        by_phone.insert(phone.clone(), slot);
    }
}

//! Writing customers: create, upsert, update and delete, each in one write
//! transaction.
//!
//! Create and upsert find an existing customer by email, then phone. When
//! two requests race to create the same customer, the unique indexes let
//! exactly one insert win; the loser's transaction is retried and then finds
//! the winner's row.

use entity::customer;
use sea_orm::DatabaseConnection;

use super::events;
use crate::activity;
use crate::companies::link;
use crate::db::{Attempt, begin_write, retry_on_race, settle};
use crate::duplicates;
use crate::error::{AppError, AppResult, bad_input, conflict, not_found};
use crate::ids::{CustomerId, LocationId};
use crate::locations::members;
use crate::profiles::additional::{self, Kind};
use crate::profiles::fields::Fields;
use crate::profiles::history::Actor;
use crate::profiles::input::CustomerField;
use crate::profiles::patch::{Patch, final_tags};
use crate::profiles::{addresses, repo};
use crate::tenancy::{self, TenantId};

const PREFIX: &str = "input";
const ATTEMPTS: usize = 4;

/// What happened to the customer an upsert names.
pub enum Written {
    Created(customer::Model),
    Existing(customer::Model),
}

/// Creates a customer, or returns the one that already has the email or
/// phone (changing nothing).
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn create(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    patch: Patch,
) -> AppResult<Written> {
    write_new_or(db, tenant, actor, patch, None).await
}

/// Creates a customer, or updates the one found by email, then phone,
/// leaving the `do_not_update` fields as they are.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn upsert(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    patch: Patch,
    do_not_update: &[CustomerField],
) -> AppResult<Written> {
    write_new_or(db, tenant, actor, patch, Some(do_not_update)).await
}

async fn write_new_or(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    patch: Patch,
    update_existing: Option<&[CustomerField]>,
) -> AppResult<Written> {
    let patch = &patch;
    retry_on_race(
        ATTEMPTS,
        move || async move {
            let txn = begin_write(db).await?;
            let location = written_in(&txn, tenant, patch.location.as_ref()).await?;
            // Emails and phones are unique in the whole tenant: the customer
            // holding one joins the location it is written in, if any.
            let existing = match find_existing(&txn, &tenant.whole(), patch).await? {
                Some(row) => {
                    if let Some(location) = &location {
                        members::join(&txn, tenant, location, std::slice::from_ref(&row.id))
                            .await?;
                    }
                    repo::find_for_update(&txn, tenant, &CustomerId::of_row(row.id)).await?
                }
                None => None,
            };
            let result = match (existing, update_existing) {
                (Some(row), None) => Ok(Written::Existing(row)),
                (Some(row), Some(skip)) => {
                    let patch = patch.clone().without(skip).matched(&row);
                    apply_and_save(&txn, tenant, actor, row, patch)
                        .await
                        .map(Written::Existing)
                }
                (None, _) => insert(&txn, tenant, patch.clone(), location.as_deref())
                    .await
                    .map(Written::Created),
            };
            settle(txn, result).await
        },
        concurrently,
    )
    .await
}

/// Applies a patch to the tenant's customer `key`.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn update(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    key: &CustomerId,
    patch: Patch,
) -> AppResult<customer::Model> {
    let patch = &patch;
    retry_on_race(
        ATTEMPTS,
        move || async move {
            let txn = begin_write(db).await?;
            let row = repo::find_for_update(&txn, tenant, key)
                .await?
                .ok_or(not_found("customer"))?;
            let result = apply_and_save(&txn, tenant, actor, row, patch.clone()).await;
            settle(txn, result).await
        },
        concurrently,
    )
    .await
}

fn concurrently() -> AppError {
    conflict(
        PREFIX,
        "the customer is being written concurrently; try again",
    )
}

#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub async fn delete(db: &DatabaseConnection, tenant: &TenantId, id: &CustomerId) -> AppResult<()> {
    let txn = begin_write(db).await?;
    delete_in(&txn, tenant, id).await?;
    txn.commit().await?;
    crate::events::customer_deleted(tenant, id.as_str());
    Ok(())
}

/// Deletes the tenant's customer `id` in the caller's transaction, unless
/// a delete rule blocks it (`CONFLICT` with the blockers); the caller
/// records [`crate::events::customer_deleted`] once it commits.
pub async fn delete_in(
    txn: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    id: &CustomerId,
) -> AppResult<()> {
    let key = id.as_str();
    // Locked first, so that no order or data request joins it between the
    // check of its blockers and its delete.
    if tenancy::find_for_update::<customer::Entity>(txn, tenant, key)
        .await?
        .is_none()
    {
        return Err(not_found("customer"));
    }
    let blockers = super::delete_rules::blockers(txn, tenant, &[key.to_owned()]).await?;
    super::delete_rules::refuse(blockers.get(key).map_or(&[], Vec::as_slice))?;
    // Orders outlive the customer, unlinked, for revenue statistics; its
    // tags, timeline and notes go with it.
    crate::orders::repo::detach(txn, tenant, key).await?;
    if !repo::delete(txn, tenant, id).await? {
        return Err(not_found("customer"));
    }
    crate::data_requests::forget_copies(txn, tenant, key).await?;
    crate::webhooks::outbox::customer_deleted(txn, tenant, key).await?;
    Ok(())
}

async fn find_existing(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    patch: &Patch,
) -> AppResult<Option<customer::Model>> {
    if let Some(email) = patch.email.value()
        && let Some(row) = repo::find_by_email(db, tenant, email).await?
    {
        return Ok(Some(row));
    }
    match patch.phone.value() {
        Some(phone) => repo::find_by_phone(db, tenant, phone).await,
        None => Ok(None),
    }
}

async fn insert(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    patch: Patch,
    location: Option<&str>,
) -> Result<customer::Model, Attempt> {
    let tags = final_tags(Vec::new(), &patch, PREFIX)?;
    let fields = Fields::of(db, tenant).await?;
    let company = patch.company.clone();
    let mut row = repo::blank(tenant);
    let blank = row.clone();
    patch.apply_new(&mut row, PREFIX, &fields)?;
    link::apply_one(db, tenant, &blank, &mut row, &company, PREFIX).await?;
    check_free(db, tenant, &row, PREFIX).await?;
    let row = repo::insert(db, row).await?;
    if let Some(location) = location {
        members::join(db, tenant, location, std::slice::from_ref(&row.id)).await?;
    }
    additional::insert(db, &[&row]).await?;
    if let Some(tags) = tags {
        repo::replace_tags(db, tenant, &row.id, &tags).await?;
    }
    activity::repo::insert(db, tenant, events::created(&row)).await?;
    duplicates::refresh(db, tenant, std::slice::from_ref(&row.id)).await?;
    Ok(row)
}

async fn apply_and_save(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    actor: &Actor,
    mut row: customer::Model,
    patch: Patch,
) -> Result<customer::Model, Attempt> {
    let existing_tags = repo::tags(db, tenant, std::slice::from_ref(&row.id))
        .await?
        .remove(&row.id)
        .unwrap_or_default();
    let tags = final_tags(existing_tags.clone(), &patch, PREFIX)?;
    let (new_email, new_phone) = (patch.email.value().cloned(), patch.phone.value().cloned());
    let before = row.clone();
    let fields = Fields::when(patch.writes_metadata(), db, tenant).await?;
    let company = patch.company.clone();
    patch.apply(&mut row, PREFIX, &fields)?;
    link::apply_one(db, tenant, &before, &mut row, &company, PREFIX).await?;
    if before.default_address_id.is_some() && row.default_address_id.is_none() {
        addresses::promote_newest(db, tenant, &mut row).await?;
    }
    if let Some(email) = new_email
        && repo::find_by_email(db, &tenant.whole(), &email)
            .await?
            .is_some_and(|other| other.id != row.id)
    {
        return Err(conflict(format!("{PREFIX}.email"), "another customer has this email").into());
    }
    if let Some(phone) = new_phone
        && repo::find_by_phone(db, &tenant.whole(), &phone)
            .await?
            .is_some_and(|other| other.id != row.id)
    {
        return Err(conflict(format!("{PREFIX}.phone"), "another customer has this phone").into());
    }
    check_free(db, tenant, &row, PREFIX).await?;
    let row = repo::save(db, row).await?;
    if additional::list(&row, Kind::Email) != additional::list(&before, Kind::Email)
        || additional::list(&row, Kind::Phone) != additional::list(&before, Kind::Phone)
    {
        additional::replace(db, tenant, &[&row]).await?;
    }
    if let Some(tags) = &tags {
        repo::replace_tags(db, tenant, &row.id, tags).await?;
    }
    let tags_after = tags.as_deref().unwrap_or(&existing_tags);
    let mut changes = events::Changes::default();
    changes.updated(&before, &row, &existing_tags, tags_after);
    changes.write(db, tenant, actor).await?;
    if row != before {
        duplicates::refresh(db, tenant, std::slice::from_ref(&row.id)).await?;
    }
    Ok(row)
}

/// Fails with `CONFLICT` on `<prefix>.additionalEmails` (or `Phones`) when
/// another customer has one of the row's additional values, as a primary
/// or an additional one.
async fn check_free(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    row: &customer::Model,
    prefix: &str,
) -> AppResult<()> {
    for email in additional::emails(row) {
        if repo::find_by_email(db, &tenant.whole(), &email)
            .await?
            .is_some_and(|other| other.id != row.id)
        {
            return Err(conflict(
                format!("{prefix}.additionalEmails"),
                format!("another customer has the email {}", email.as_str()),
            ));
        }
    }
    for phone in additional::phones(row) {
        if repo::find_by_phone(db, &tenant.whole(), &phone)
            .await?
            .is_some_and(|other| other.id != row.id)
        {
            return Err(conflict(
                format!("{prefix}.additionalPhones"),
                format!("another customer has the phone {}", phone.as_str()),
            ));
        }
    }
    Ok(())
}

/// The location (row key) a customer is written in: the input's
/// `locationId`, else the location the viewer is confined to. A confined
/// viewer cannot write in another one; an unknown location is
/// `BAD_USER_INPUT` on `input.locationId`.
async fn written_in(
    db: &impl sea_orm::ConnectionTrait,
    tenant: &TenantId,
    named: Option<&LocationId>,
) -> AppResult<Option<String>> {
    let field = format!("{PREFIX}.locationId");
    let Some(named) = named else {
        return match tenant.location() {
            // A location deleted since the credential was issued.
            Some(own) => members::require(db, tenant, &field, &LocationId::of_row(own.to_owned()))
                .await
                .map(Some),
            None => Ok(None),
        };
    };
    if tenant.location().is_some_and(|own| own != named.as_str()) {
        return Err(bad_input(
            field,
            "your credential is confined to another location",
        ));
    }
    members::require(db, tenant, &field, named).await.map(Some)
}

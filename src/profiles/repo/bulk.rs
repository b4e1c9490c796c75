//! Customer rows many at a time, for imports: the tenant's rows by email
//! or phone, locked in key order, and multi-row writes of rows and tags.

use std::collections::HashSet;

use entity::{customer, customer_tag};
use sea_orm::Iterable as _;
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::error::AppResult;
use crate::profiles::additional::{self, Kind};
use crate::profiles::contact::{Email, Phone};
use crate::tenancy::{self, TenantId};

/// Rows per multi-row statement: under SQLite's 32,766 bound parameters
/// and PostgreSQL's 65,535 for the customers' 40 columns.
const ROWS_PER_STATEMENT: usize = 800;
const TAGS_PER_STATEMENT: usize = 5000;

/// The tenant's customers with these keys, locked for the transaction on
/// PostgreSQL (in key order, so two writers never deadlock) for a write
/// that keeps them (`FOR NO KEY UPDATE`). Rows that only refer to them
/// (notes, orders, blocking keys, whose foreign key checks take
/// `FOR KEY SHARE`) are written beside it without waiting: a writer that
/// locked a customer first and those rows second would otherwise wait in
/// a circle with the duplicate finder's worker, which writes them the
/// other way round.
pub async fn lock_many(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<customer::Model>> {
    locked(db, tenant, keys, LockType::NoKeyUpdate).await
}

/// [`lock_many`] for a write that deletes some of them (`FOR UPDATE`):
/// rows referring to them wait until it commits, and then see them gone.
pub async fn lock_many_to_delete(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
) -> AppResult<Vec<customer::Model>> {
    locked(db, tenant, keys, LockType::Update).await
}

async fn locked(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    keys: &[String],
    lock: LockType,
) -> AppResult<Vec<customer::Model>> {
    Ok(tenancy::select::<customer::Entity>(tenant)
        .filter(customer::Column::Id.is_in(keys.iter().cloned()))
        .order_by_asc(customer::Column::Id)
        .lock(lock)
        .all(db)
        .await?)
}

/// The tenant's customers with any of these emails or phones (primary or
/// additional), locked for the transaction on PostgreSQL in key order (as
/// [`lock_many`] does), so concurrent writers never deadlock.
///
/// The keys are found first, one lookup per unique index: with the two
/// lists in one `OR`, neither backend uses those indexes and both scan the
/// tenant. A row whose email or phone changed between the lookup and the
/// lock is left out; one that took a listed email or phone meanwhile makes
/// the caller's insert fail on the unique index, and the caller retries.
pub async fn lock_by_emails_or_phones(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    emails: &[Email],
    phones: &[Phone],
) -> AppResult<Vec<customer::Model>> {
    let mut keys = ids_by_emails(db, tenant, emails).await?;
    if !phones.is_empty() {
        keys.extend(
            tenancy::select::<customer::Entity>(tenant)
                .filter(customer::Column::Phone.is_in(phones.iter().map(Phone::as_str)))
                .select_only()
                .column(customer::Column::Id)
                .into_tuple::<String>()
                .all(db)
                .await?,
        );
    }
    keys.extend(additional::owners(db, tenant, emails, phones).await?);
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    keys.sort_unstable();
    keys.dedup();
    let emails: HashSet<&str> = emails.iter().map(Email::as_str).collect();
    let phones: HashSet<&str> = phones.iter().map(Phone::as_str).collect();
    let mut rows = lock_many(db, tenant, &keys).await?;
    rows.retain(|row| {
        row.email
            .as_ref()
            .is_some_and(|e| emails.contains(e.to_lowercase().as_str()))
            || row.phone.as_deref().is_some_and(|p| phones.contains(p))
            || additional::list(row, Kind::Email)
                .iter()
                .any(|e| emails.contains(e.as_str()))
            || additional::list(row, Kind::Phone)
                .iter()
                .any(|p| phones.contains(p.as_str()))
    });
    Ok(rows)
}

/// The ids of the tenant's customers with any of these emails,
/// one lookup each in the `lower(email)` unique index. SQLite plans without
/// statistics, so it takes `tenant_id = ?` for a handful of rows and, for
/// two emails or more, reads the tenant's whole range of the `email` sort
/// index instead (it covers `id` and yields `lower(email)`): a scan of every
/// customer of the tenant for each import batch. `INDEXED BY` holds it to
/// the lookups; the statement is written out because the query builder has
/// no `INDEXED BY`, and it scopes the tenant itself.
async fn ids_by_emails(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    emails: &[Email],
) -> AppResult<Vec<String>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(tenancy::select::<customer::Entity>(tenant)
            .filter(
                Expr::expr(Func::lower(Expr::col(customer::Column::Email)))
                    .is_in(emails.iter().map(Email::as_str)),
            )
            .select_only()
            .column(customer::Column::Id)
            .into_tuple::<String>()
            .all(db)
            .await?);
    }
    let marks = vec!["?"; emails.len()].join(", ");
    let sql = format!(
        "SELECT id FROM customers INDEXED BY customers_email_unique \
         WHERE tenant_id = ? AND lower(email) IN ({marks})"
    );
    let values =
        std::iter::once(tenant.as_str().into()).chain(emails.iter().map(|e| e.as_str().into()));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get::<String>("", "id"))
        .collect::<Result<_, _>>()?)
}

/// Writes new and changed rows of one tenant in multi-row statements
/// (`INSERT … ON CONFLICT (tenant_id, id) DO UPDATE`); a unique violation on
/// email or phone is left to the caller.
pub async fn write_many(
    db: &impl ConnectionTrait,
    rows: Vec<customer::Model>,
) -> Result<(), DbErr> {
    use customer::Column as C;
    // Every column but the key and the creation time: a column added to
    // the table is written by imports without a second list to keep.
    let update = OnConflict::columns([C::TenantId, C::Id])
        .update_columns(C::iter().filter(|c| !matches!(c, C::TenantId | C::Id | C::CreatedAt)))
        .to_owned();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let models = chunk
            .iter()
            .cloned()
            .map(|m| m.into_active_model().reset_all());
        customer::Entity::insert_many(models)
            .on_conflict(update.clone())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Inserts new customers, 1,000 a statement ([`crate::db::insert_rows`]).
pub async fn insert_many(db: &impl ConnectionTrait, rows: &[customer::Model]) -> Result<(), DbErr> {
    crate::db::insert_rows::<customer::Entity>(db, rows, ROWS_PER_STATEMENT, crate::db::Taken::Fail)
        .await
}

/// Inserts customers, leaving out any whose key, email or phone is taken
/// (so re-running a deterministic seed adds nothing), and returns the keys
/// of the rows it wrote.
pub async fn insert_new_many(
    db: &impl ConnectionTrait,
    rows: &[customer::Model],
) -> Result<Vec<String>, DbErr> {
    crate::db::insert_new_rows::<customer::Entity>(
        db,
        rows,
        ROWS_PER_STATEMENT,
        customer::Column::Id,
    )
    .await
}

/// Replaces the tags of many customers: one delete, then multi-row inserts.
pub async fn replace_tags_many(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    tags: &[(String, Vec<String>)],
) -> AppResult<()> {
    for chunk in tags.chunks(ROWS_PER_STATEMENT) {
        tenancy::delete::<customer_tag::Entity>(tenant)
            .filter(
                customer_tag::Column::CustomerId.is_in(chunk.iter().map(|(key, _)| key.clone())),
            )
            .exec(db)
            .await?;
    }
    add_tags(db, tenant, tags).await
}

/// Adds tags to customers, keeping the ones they have.
pub async fn add_tags(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    tags: &[(String, Vec<String>)],
) -> AppResult<()> {
    let rows: Vec<customer_tag::Model> = tags
        .iter()
        .flat_map(|(key, tags)| {
            tags.iter().map(move |tag| customer_tag::Model {
                tenant_id: tenant.as_str().to_owned(),
                customer_id: key.clone(),
                tag: tag.clone(),
            })
        })
        .collect();
    crate::db::insert_rows::<customer_tag::Entity>(
        db,
        &rows,
        TAGS_PER_STATEMENT,
        crate::db::Taken::Skip,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable as _;

    use super::*;

    #[test]
    fn a_full_statement_stays_under_sqlites_parameter_limit() {
        assert!(ROWS_PER_STATEMENT * customer::Column::iter().count() <= 32_766);
    }
}

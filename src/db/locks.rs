//! Work one transaction at a time per tenant, across instances.

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

/// What a tenant's lock is taken for (the advisory lock's first key).
#[derive(Clone, Copy)]
pub enum TenantWork {
    /// Rechecking segment memberships.
    MembershipRecheck = 7270130,
    /// Filing marked customers for the duplicate finder.
    DuplicateRefresh = 7270131,
}

/// Takes the tenant's lock for `work` until the transaction ends, unless
/// another transaction holds it (false then). PostgreSQL's advisory locks
/// are per database: the schema is part of the key. SQLite runs one write
/// transaction at a time, and has it already.
pub async fn try_lock_tenant(
    txn: &impl ConnectionTrait,
    work: TenantWork,
    tenant: &str,
) -> Result<bool, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let row = txn
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '') || ':' || $2)) AS ours",
            [(work as i32).into(), tenant.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("pg_try_advisory_xact_lock".into()))?;
    row.try_get("", "ours")
}

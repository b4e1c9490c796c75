//! Keeping the database in shape: the planner's statistics (PostgreSQL)
//! and the WAL scrubbed of deleted data (SQLite).

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

use super::lift_statement_timeout;

/// Tables whose statistics bulk writes leave behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Analyzed {
    /// Customers, their tags and their blocking keys (after an import).
    Customers,
    /// The duplicate finder's blocking keys (while the worker files).
    MatchKeys,
}

impl Analyzed {
    fn statement(self) -> &'static str {
        match self {
            Analyzed::Customers => "ANALYZE customers, customer_tags, customer_match_keys",
            Analyzed::MatchKeys => "ANALYZE customer_match_keys",
        }
    }
}

/// Refreshes the planner's statistics after a bulk load (PostgreSQL; SQLite
/// plans without them). Without it, a table that grew from nothing in one
/// session still looks empty to the planner, which then picks scans. When
/// another session is refreshing statistics at that moment (two import
/// batches that finished together), this one leaves it to that one and
/// returns false: `ANALYZE` samples the whole table, whatever the tenant.
pub async fn analyze(db: &DatabaseConnection, tables: Analyzed) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let txn = db.begin().await?;
    lift_statement_timeout(&txn).await?;
    let row = txn
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock(7270121, hashtext(coalesce(current_schema(), ''))) AS ours",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("pg_try_advisory_xact_lock".into()))?;
    let ours: bool = row.try_get("", "ours")?;
    if ours {
        txn.execute_unprepared(tables.statement()).await?;
    }
    txn.commit().await?;
    Ok(ours)
}

/// How many of a tenant's customers PostgreSQL's planner expects (from
/// `EXPLAIN`); `None` on SQLite, which plans without statistics.
pub async fn planned_customers(
    db: &impl ConnectionTrait,
    tenant: &str,
) -> Result<Option<f64>, DbErr> {
    planned(db, "customers", tenant).await
}

/// How many of a tenant's blocking keys PostgreSQL's planner expects.
pub async fn planned_match_keys(
    db: &impl ConnectionTrait,
    tenant: &str,
) -> Result<Option<f64>, DbErr> {
    planned(db, "customer_match_keys", tenant).await
}

async fn planned(
    db: &impl ConnectionTrait,
    table: &'static str,
    tenant: &str,
) -> Result<Option<f64>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} WHERE tenant_id = $1"),
            [tenant.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("EXPLAIN".into()))?;
    let plan: serde_json::Value = row.try_get_by_index(0)?;
    Ok(plan[0]["Plan"]["Plan Rows"].as_f64())
}

/// On SQLite, moves the WAL's content into the database file and truncates
/// the WAL, so deleted text lingers in neither (freed space in the database
/// is zeroed by `secure_delete`): run after each erasure and every minute
/// by the worker, which covers a time readers kept it from finishing.
/// Nothing to do on PostgreSQL.
pub async fn scrub_free_space(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let checkpoint =
        sea_orm::Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(TRUNCATE)");
    match db.query_one_raw(checkpoint).await {
        Ok(Some(row)) if row.try_get_by_index::<i32>(0).unwrap_or(1) == 0 => {}
        Ok(_) => {
            tracing::warn!("the WAL could not be truncated now (readers); retried within a minute")
        }
        Err(err) => tracing::warn!(error = %err, "checkpointing the WAL failed"),
    }
}

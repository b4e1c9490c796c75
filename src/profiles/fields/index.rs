//! Each defined field's index: `(tenant_id, value, id)` over the value as
//! [`column::value`] reads it, which lets a range of the field, and a list
//! sorted by it, read only the rows they return. A job makes it after the
//! definition is created (or brought back), without blocking writes on
//! PostgreSQL (`CREATE INDEX CONCURRENTLY`). Tenants defining the same key
//! with the same class of type share the index; it stays when a
//! definition is archived.

use entity::job;
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};

use super::column;
use super::filter::class_of;
use super::repo;
use crate::error::{AppError, AppResult};
use crate::jobs;
use crate::tenancy::TenantId;

/// The kind of a field index's job (`subject_id` is the field's key).
pub const KIND: &str = "custom_field_index";

/// The job that makes a definition's index, to enqueue with the write
/// that creates the definition.
pub fn job(tenant: &TenantId, key: &str) -> job::Model {
    jobs::new_job(tenant, KIND, key, crate::db::now())
}

/// Makes field indexes: the worker's handler of their jobs.
pub struct FieldIndexes {
    pub db: DatabaseConnection,
}

impl jobs::Handler for FieldIndexes {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(build(&self.db, job))
    }
}

async fn build(db: &DatabaseConnection, job: &job::Model) -> AppResult<()> {
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(db, job).await?;
        return Ok(());
    };
    let definition = repo::find(db, &tenant, &job.subject_id).await?;
    let class = definition
        .filter(|d| !d.archived)
        .and_then(|d| class_of(d.field_type).map(|class| (d.key, class)));
    if let Some((key, class)) = class {
        let backend = db.get_database_backend();
        let (name, statement) = column::index(&key, class, backend);
        if backend == DbBackend::Postgres {
            build_concurrently(db, &name, &statement).await?;
        } else {
            db.execute_unprepared(&statement).await?;
        }
        tracing::info!(index = %name, key = %key, "field index ready");
    }
    jobs::finish(db, job).await?;
    Ok(())
}

/// Runs a `CREATE INDEX CONCURRENTLY` on a connection of its own: the
/// build waits for the transactions older than it and reads the whole
/// table, which neither the pool's statement timeout nor its requests
/// should wait for.
async fn build_concurrently(db: &DatabaseConnection, name: &str, statement: &str) -> AppResult<()> {
    // The statements are made from a checked key ([`column::index`]).
    use sea_orm::sqlx::{AssertSqlSafe, Connection as _, PgConnection, raw_sql};
    let options = db.get_postgres_connection_pool().connect_options();
    let mut conn = PgConnection::connect_with(&options)
        .await
        .map_err(internal)?;
    raw_sql("SET statement_timeout = 0")
        .execute(&mut conn)
        .await
        .map_err(internal)?;
    if let Err(err) = raw_sql(AssertSqlSafe(statement)).execute(&mut conn).await {
        // A build that failed leaves an invalid index behind, which
        // `IF NOT EXISTS` would keep: it goes, and the job retries.
        let drop = format!("DROP INDEX CONCURRENTLY IF EXISTS {name}");
        if let Err(dropped) = raw_sql(AssertSqlSafe(drop)).execute(&mut conn).await {
            tracing::warn!(error = %dropped, index = %name, "dropping a failed field index failed");
        }
        return Err(internal(err));
    }
    conn.close().await.map_err(internal)?;
    Ok(())
}

fn internal(err: sea_orm::sqlx::Error) -> AppError {
    AppError::Internal(err.into())
}

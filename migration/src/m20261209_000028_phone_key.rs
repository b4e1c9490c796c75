//! The customers' phone stops being a row-lock key on PostgreSQL.
//!
//! PostgreSQL counts a column as a key when a whole (not partial) unique
//! index covers it: an `INSERT … ON CONFLICT DO UPDATE` whose update names
//! such a column locks the row it updates `FOR UPDATE`, which waits for
//! every row whose foreign key refers to the customer (its blocking keys,
//! written by the duplicate finder's worker) and so can wait in a circle
//! with it. The same index over the customers that have a phone keeps
//! phones unique (null phones never collided) and serves every lookup by
//! phone, which names a phone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn replace(manager: &SchemaManager<'_>, definition: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "CREATE UNIQUE INDEX customers_phone_unique_next ON customers {definition}"
    ))
    .await?;
    db.execute_unprepared("DROP INDEX customers_phone_unique")
        .await?;
    db.execute_unprepared(
        "ALTER INDEX customers_phone_unique_next RENAME TO customers_phone_unique",
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, "(tenant_id, phone) WHERE phone IS NOT NULL").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, "(tenant_id, phone)").await
    }
}

//! On PostgreSQL the `lower(email)` unique index of `customers` also
//! carries what a lookup by email prefix shows (the address, the names,
//! the creation time and the id), so that a prefix's page (`emailStartsWith`,
//! sorted by creation) is read from the index alone: PostgreSQL visits no
//! row of the table for it while the table's pages are all-visible, where
//! it visited one page per match before.
//!
//! The address is carried as written beside `lower(email)` because an
//! index-only scan needs the column itself, not only an expression of it.
//! An entry stays under the B-tree's limit of 2,704 bytes: a tenant ID of
//! at most 64 ASCII bytes, an address of at most 254 bytes (twice), 255
//! characters of at most 4 bytes for each name, the id and the time.
//!
//! SQLite keeps its index: it has no `INCLUDE`, and key columns would
//! change what the index keeps unique.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "customers_email_unique";
const KEY: &str = "(tenant_id, lower(email))";
const CARRIED: &str = "INCLUDE (created_at, id, email, first_name, last_name)";

/// Builds the index one way under a name of its own, drops the other and
/// takes its name, so that addresses stay unique throughout.
async fn replace(manager: &SchemaManager<'_>, carried: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "CREATE UNIQUE INDEX {NAME}_next ON customers {KEY} {carried}"
    ))
    .await?;
    db.execute_unprepared(&format!("DROP INDEX {NAME}")).await?;
    db.execute_unprepared(&format!("ALTER INDEX {NAME}_next RENAME TO {NAME}"))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, CARRIED).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, "").await
    }
}

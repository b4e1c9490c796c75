//! Customers the duplicate finder has yet to file again: an import marks
//! the customers it wrote, and the job worker files them in batches.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DuplicateRefreshes {
    Table,
    TenantId,
    CustomerId,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DuplicateRefreshes::Table)
                    .col(string_len(DuplicateRefreshes::TenantId, 64))
                    .col(string_len(DuplicateRefreshes::CustomerId, 32))
                    .primary_key(
                        Index::create()
                            .col(DuplicateRefreshes::TenantId)
                            .col(DuplicateRefreshes::CustomerId),
                    )
                    // A deleted customer's pairs go with it: nothing is left
                    // to file.
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                DuplicateRefreshes::Table,
                                (DuplicateRefreshes::TenantId, DuplicateRefreshes::CustomerId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE duplicate_refreshes \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DuplicateRefreshes::Table).to_owned())
            .await
    }
}

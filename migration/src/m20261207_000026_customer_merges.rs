//! Merges that can still be undone: both customers as they were, and the
//! keys of everything that moved, until the undo window ends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerMerges {
    Table,
    TenantId,
    MergedId,
    KeepId,
    Snapshot,
    MergedAt,
    ExpiresAt,
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
                    .table(CustomerMerges::Table)
                    .col(string_len(CustomerMerges::TenantId, 64))
                    .col(string_len(CustomerMerges::MergedId, 32))
                    .col(string_len(CustomerMerges::KeepId, 32))
                    .col(json_binary(CustomerMerges::Snapshot))
                    .col(timestamp_with_time_zone(CustomerMerges::MergedAt))
                    .col(timestamp_with_time_zone(CustomerMerges::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(CustomerMerges::TenantId)
                            .col(CustomerMerges::MergedId),
                    )
                    // Deleting or erasing the kept customer ends the window,
                    // and takes the duplicate's copy with it.
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                CustomerMerges::Table,
                                (CustomerMerges::TenantId, CustomerMerges::KeepId),
                            )
                            .to(Customers::Table, (Customers::TenantId, Customers::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("customer_merges_by_keep")
                    .table(CustomerMerges::Table)
                    .col(CustomerMerges::TenantId)
                    .col(CustomerMerges::KeepId)
                    .to_owned(),
            )
            .await?;
        // The worker's sweep of ended windows, across tenants.
        manager
            .create_index(
                Index::create()
                    .name("customer_merges_by_expiry")
                    .table(CustomerMerges::Table)
                    .col(CustomerMerges::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE customer_merges \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN merged_id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN keep_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerMerges::Table).to_owned())
            .await
    }
}

//! Field history: each change to a customer field, with its values before
//! and after, who made it and how.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerFieldChanges {
    Table,
    TenantId,
    CustomerId,
    Id,
    Field,
    OldValue,
    NewValue,
    Actor,
    Source,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key to the customer: the history of a merged
        // customer outlives its row until the merge can no longer be
        // undone, and an erasure keeps the entries without their values.
        manager
            .create_table(
                Table::create()
                    .table(CustomerFieldChanges::Table)
                    .col(string_len(CustomerFieldChanges::TenantId, 64))
                    .col(string_len(CustomerFieldChanges::CustomerId, 32))
                    .col(string_len(CustomerFieldChanges::Id, 32))
                    .col(string_len(CustomerFieldChanges::Field, 200))
                    .col(text_null(CustomerFieldChanges::OldValue))
                    .col(text_null(CustomerFieldChanges::NewValue))
                    .col(string_len_null(CustomerFieldChanges::Actor, 255))
                    .col(string_len(CustomerFieldChanges::Source, 32))
                    .col(timestamp_with_time_zone(CustomerFieldChanges::ChangedAt))
                    .primary_key(
                        Index::create()
                            .col(CustomerFieldChanges::TenantId)
                            .col(CustomerFieldChanges::CustomerId)
                            .col(CustomerFieldChanges::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // `Customer.history(field:)` reads one field's changes, newest first.
        manager
            .create_index(
                Index::create()
                    .name("customer_field_changes_by_field")
                    .table(CustomerFieldChanges::Table)
                    .col(CustomerFieldChanges::TenantId)
                    .col(CustomerFieldChanges::CustomerId)
                    .col(CustomerFieldChanges::Field)
                    .col(CustomerFieldChanges::ChangedAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys and field names compare byte by byte (a field's prefix
            // range reads `metadata.` up to `metadata/`).
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE customer_field_changes \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN customer_id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN id TYPE varchar(32) COLLATE \"C\", \
                     ALTER COLUMN field TYPE varchar(200) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerFieldChanges::Table).to_owned())
            .await
    }
}

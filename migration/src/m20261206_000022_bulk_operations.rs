//! Bulk operations: a change or export applied to many customers in
//! batches by the job worker, and the lines of bulk exports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BulkOperations {
    Table,
    TenantId,
    Id,
    Action,
    Status,
    Selection,
    Params,
    Total,
    Processed,
    Failed,
    Errors,
    Cursor,
    LinkKey,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum BulkExportChunks {
    Table,
    TenantId,
    OperationId,
    Seq,
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BulkOperations::Table)
                    .col(string_len(BulkOperations::TenantId, 64))
                    .col(string_len(BulkOperations::Id, 32))
                    .col(text(BulkOperations::Action))
                    .col(text(BulkOperations::Status))
                    .col(json_binary(BulkOperations::Selection))
                    .col(json_binary(BulkOperations::Params))
                    .col(big_integer(BulkOperations::Total))
                    .col(big_integer(BulkOperations::Processed))
                    .col(big_integer(BulkOperations::Failed))
                    .col(json_binary(BulkOperations::Errors))
                    .col(string_len_null(BulkOperations::Cursor, 32))
                    .col(text_null(BulkOperations::LinkKey))
                    .col(text(BulkOperations::CreatedBy))
                    .col(timestamp_with_time_zone(BulkOperations::CreatedAt))
                    .col(timestamp_with_time_zone(BulkOperations::UpdatedAt))
                    .col(timestamp_with_time_zone_null(BulkOperations::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(BulkOperations::TenantId)
                            .col(BulkOperations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BulkExportChunks::Table)
                    .col(string_len(BulkExportChunks::TenantId, 64))
                    .col(string_len(BulkExportChunks::OperationId, 32))
                    .col(big_integer(BulkExportChunks::Seq))
                    .col(text(BulkExportChunks::Body))
                    .primary_key(
                        Index::create()
                            .col(BulkExportChunks::TenantId)
                            .col(BulkExportChunks::OperationId)
                            .col(BulkExportChunks::Seq),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE bulk_operations \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN id TYPE varchar(32) COLLATE \"C\"; \
                     ALTER TABLE bulk_export_chunks \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN operation_id TYPE varchar(32) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BulkExportChunks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(BulkOperations::Table).to_owned())
            .await
    }
}

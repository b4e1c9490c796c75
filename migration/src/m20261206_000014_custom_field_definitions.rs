//! Custom field definitions: per tenant, the key, label and type of a
//! field whose values live in `customers.metadata` under that key.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomFieldDefinitions {
    Table,
    TenantId,
    Key,
    Label,
    FieldType,
    Options,
    Required,
    Description,
    Archived,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomFieldDefinitions::Table)
                    .col(string_len(CustomFieldDefinitions::TenantId, 64))
                    .col(string_len(CustomFieldDefinitions::Key, 64))
                    .col(text(CustomFieldDefinitions::Label))
                    .col(text(CustomFieldDefinitions::FieldType))
                    .col(json_binary(CustomFieldDefinitions::Options))
                    .col(boolean(CustomFieldDefinitions::Required))
                    .col(text_null(CustomFieldDefinitions::Description))
                    .col(boolean(CustomFieldDefinitions::Archived))
                    .col(timestamp_with_time_zone(CustomFieldDefinitions::CreatedAt))
                    .col(timestamp_with_time_zone(CustomFieldDefinitions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(CustomFieldDefinitions::TenantId)
                            .col(CustomFieldDefinitions::Key),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE custom_field_definitions \
                     ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\", \
                     ALTER COLUMN key TYPE varchar(64) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CustomFieldDefinitions::Table)
                    .to_owned(),
            )
            .await
    }
}

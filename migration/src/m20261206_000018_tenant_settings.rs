//! Tenant settings: one row a tenant, holding the customer delete rules
//! it turned on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    TenantId,
    CustomerDeleteRules,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantSettings::Table)
                    .col(string_len(TenantSettings::TenantId, 64).primary_key())
                    .col(json_binary(TenantSettings::CustomerDeleteRules))
                    .col(timestamp_with_time_zone(TenantSettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Keys compare byte by byte, as every other key does.
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE tenant_settings ALTER COLUMN tenant_id TYPE varchar(64) COLLATE \"C\"",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantSettings::Table).to_owned())
            .await
    }
}

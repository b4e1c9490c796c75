//! The per-tenant cost budget, shared by every server instance on one
//! PostgreSQL (each instance keeps it in memory on SQLite, where there is
//! one). One row a tenant: what was left at `updated_at`; what has been
//! restored since is computed at each request.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateBuckets {
    Table,
    TenantId,
    Available,
    Granted,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateBuckets::Table)
                    .if_not_exists()
                    .col(string(RateBuckets::TenantId).primary_key())
                    .col(double(RateBuckets::Available))
                    .col(boolean(RateBuckets::Granted))
                    .col(timestamp_with_time_zone(RateBuckets::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateBuckets::Table).to_owned())
            .await
    }
}

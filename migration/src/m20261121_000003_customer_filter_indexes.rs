//! Indexes for the equality filters `status` and `country`, so counting or
//! listing a slice of a large tenant reads that slice only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE INDEX customers_status ON customers (tenant_id, status, id)")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX customers_country ON customers (tenant_id, country, id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX customers_status").await?;
        db.execute_unprepared("DROP INDEX customers_country")
            .await?;
        Ok(())
    }
}

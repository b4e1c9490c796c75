//! The static memberships of given customers (`Customer.segments`, a
//! merge) are found through `(tenant_id, customer_id)`; with `segment_id`
//! in that index too, it answers them alone. SQLite, which plans without
//! statistics, otherwise read every membership of the tenant through the
//! primary key, the only index that held both columns it needs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One call, so one connection: on SQLite another pooled connection
        // still holds the old schema and would refuse the name as taken.
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX segment_members_by_customer; \
                 CREATE INDEX segment_members_by_customer \
                 ON segment_members (tenant_id, customer_id, segment_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX segment_members_by_customer; \
                 CREATE INDEX segment_members_by_customer ON segment_members (tenant_id, customer_id)",
            )
            .await?;
        Ok(())
    }
}

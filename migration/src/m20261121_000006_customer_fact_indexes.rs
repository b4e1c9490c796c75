//! PostgreSQL: the `created_at` and `total_spent` indexes of `customers`
//! also carry the order figures and dates segment rules test most
//! (`INCLUDE`), so a segment's first page under the default sort, and a
//! count that ranges over spend, are answered from the index alone
//! (index-only scans) instead of reading the wide customer rows. SQLite has
//! no `INCLUDE`; its indexes stay as they are.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATED_AT: &str = "customers_created_at ON customers (tenant_id, created_at, id)";
const TOTAL_SPENT: &str = "customers_total_spent ON customers (tenant_id, total_spent_cents, id)";

async fn rebuild(manager: &SchemaManager<'_>, with_facts: bool) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for (index, facts) in [
        (
            CREATED_AT,
            "total_spent_cents, total_orders, last_order_at, first_order_at, status, country",
        ),
        (
            TOTAL_SPENT,
            "total_orders, last_order_at, first_order_at, created_at",
        ),
    ] {
        let name = index.split(' ').next().unwrap_or_default();
        db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        let include = if with_facts {
            format!(" INCLUDE ({facts})")
        } else {
            String::new()
        };
        db.execute_unprepared(&format!("CREATE INDEX {index}{include}"))
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, false).await
    }
}

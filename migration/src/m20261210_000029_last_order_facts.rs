//! The `last_order_at` index of `customers` also carries the order figures
//! that churn risk and the RFM scores are computed from, so that a filter
//! on either reads a range of that index alone: an RFM segment's recency
//! score is a range of `last_order_at`, and a churn risk above a threshold
//! is most often met by the oldest last orders, where a limited count
//! starts. PostgreSQL carries them as `INCLUDE` columns; SQLite, which has
//! none, as key columns after `id` (the sort's order is unchanged).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FACTS: &str = "first_order_at, total_orders, total_spent_cents";

/// The index with the facts, or the plain one it replaced.
fn definition(postgres: bool, with_facts: bool) -> String {
    match (postgres, with_facts) {
        (true, true) => format!("(tenant_id, last_order_at NULLS FIRST, id) INCLUDE ({FACTS})"),
        (true, false) => "(tenant_id, last_order_at NULLS FIRST, id)".to_owned(),
        (false, true) => format!("(tenant_id, last_order_at, id, {FACTS})"),
        (false, false) => "(tenant_id, last_order_at, id)".to_owned(),
    }
}

/// Builds the index one way under a name of its own before the other is
/// dropped, so that the sort has an index throughout.
async fn replace(manager: &SchemaManager<'_>, with_facts: bool) -> Result<(), DbErr> {
    let postgres = manager.get_database_backend() == DbBackend::Postgres;
    let [new, old] = if with_facts {
        [WITH_FACTS, PLAIN]
    } else {
        [PLAIN, WITH_FACTS]
    };
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "CREATE INDEX {new} ON customers {}",
        definition(postgres, with_facts)
    ))
    .await?;
    db.execute_unprepared(&format!("DROP INDEX {old}")).await?;
    Ok(())
}

const PLAIN: &str = "customers_last_order_at";
const WITH_FACTS: &str = "customers_last_order_facts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, false).await
    }
}

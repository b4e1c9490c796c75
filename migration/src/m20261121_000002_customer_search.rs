//! Substring search that stays fast on a million customers.
//!
//! `customers.search_text` holds the folded (lower-cased, accent-free) name,
//! email, phone and company. PostgreSQL indexes it with trigrams (`pg_trgm`,
//! with `btree_gin` so the GIN index starts with `tenant_id`), which serves
//! `search_text LIKE '%term%'`. SQLite keeps an FTS5 trigram index in step
//! through triggers, queried with `MATCH`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    // Several servers (or test schemas) may migrate at once; CREATE EXTENSION
    // IF NOT EXISTS is not safe against itself, so take a lock first.
    "SELECT pg_advisory_xact_lock(7270121)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
    "CREATE EXTENSION IF NOT EXISTS btree_gin SCHEMA public",
    "CREATE INDEX customers_search_trgm ON customers USING gin (tenant_id, search_text public.gin_trgm_ops)",
];

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE customer_search USING fts5(search_text, tokenize = 'trigram', content = 'customers', content_rowid = 'rowid')",
    "INSERT INTO customer_search (rowid, search_text) SELECT rowid, search_text FROM customers",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_search (rowid, search_text) VALUES (new.rowid, new.search_text);
     END",
    "CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
        INSERT INTO customer_search (customer_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
     END",
    "CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text ON customers BEGIN
        INSERT INTO customer_search (customer_search, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
        INSERT INTO customer_search (rowid, search_text) VALUES (new.rowid, new.search_text);
     END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            &["DROP INDEX customers_search_trgm"],
            &[
                "DROP TRIGGER customers_search_insert",
                "DROP TRIGGER customers_search_delete",
                "DROP TRIGGER customers_search_update",
                "DROP TABLE customer_search",
            ],
        )
        .await
    }
}

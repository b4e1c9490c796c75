//! PostgreSQL: identifiers, codes and keys compare byte by byte
//! (`COLLATE "C"`), whatever the database's locale.
//!
//! Every index starts with `tenant_id` and ends with a row id, so each step
//! down a B-tree compares text. Under a locale collation (`en_US.UTF-8`,
//! even `C.UTF-8` before PostgreSQL 17) each comparison copies both values
//! and calls `strcoll`; under `"C"` it is a `memcmp`. Imports spent about a
//! tenth of PostgreSQL's time in those comparisons.
//!
//! The order of these columns is byte order, as on SQLite. `sort_name`
//! (the name sort's key) and `email` are already folded to lower case by
//! the server, so byte order is alphabetical order; `lower(email)` in the
//! unique index changes no stored value. Free text (names, notes, search
//! text) keeps the database's collation.
//!
//! Changing a column's collation rebuilds the indexes that use it, under a
//! lock on the table, and drops the column's statistics (so each table is
//! analysed again): on a large database this migration takes minutes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ID: &str = "varchar(32)";
const TENANT: &str = "varchar(64)";

/// `(table, [(column, type)])`: the columns that hold identifiers, codes and
/// keys. Columns compared with one another must share a collation, so every
/// table's are here.
const KEYS: &[(&str, &[(&str, &str)])] = &[
    (
        "customers",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("sort_name", "text"),
            ("email", "text"),
            ("phone", "varchar(20)"),
            ("status", "varchar(16)"),
            ("country", "varchar(2)"),
        ],
    ),
    (
        "customer_tags",
        &[
            ("tenant_id", TENANT),
            ("customer_id", ID),
            ("tag", "varchar(64)"),
        ],
    ),
    (
        "customer_counts",
        &[
            ("tenant_id", TENANT),
            ("facet", "varchar(16)"),
            ("value", "varchar(64)"),
        ],
    ),
    (
        "orders",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("customer_id", ID),
            ("external_id", "varchar(255)"),
            ("currency", "varchar(3)"),
            ("status", "varchar(16)"),
        ],
    ),
    (
        "activities",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("customer_id", ID),
            ("kind", "varchar(16)"),
        ],
    ),
    (
        "notes",
        &[("tenant_id", TENANT), ("id", ID), ("customer_id", ID)],
    ),
    (
        "segments",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("kind", "varchar(16)"),
            ("match_mode", "varchar(8)"),
        ],
    ),
    (
        "segment_members",
        &[
            ("tenant_id", TENANT),
            ("segment_id", ID),
            ("customer_id", ID),
        ],
    ),
    ("rfm_breakpoints", &[("tenant_id", TENANT)]),
    ("rate_buckets", &[("tenant_id", "varchar")]),
    (
        "data_requests",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("customer_id", ID),
            ("kind", "varchar(16)"),
            ("status", "varchar(16)"),
            ("format", "varchar(16)"),
        ],
    ),
    (
        "erasure_audits",
        &[("tenant_id", TENANT), ("request_id", ID)],
    ),
    (
        "exports",
        &[
            ("tenant_id", TENANT),
            ("request_id", ID),
            ("customer_id", ID),
            ("link_key", "varchar(64)"),
        ],
    ),
    (
        "jobs",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("kind", "varchar(32)"),
            ("subject_id", ID),
            ("lease_owner", "varchar(64)"),
        ],
    ),
    ("webhook_endpoints", &[("tenant_id", TENANT), ("id", ID)]),
    (
        "webhook_events",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("event", "varchar(64)"),
            ("customer_id", ID),
        ],
    ),
    (
        "webhook_deliveries",
        &[
            ("tenant_id", TENANT),
            ("id", ID),
            ("endpoint_id", ID),
            ("event_id", ID),
            ("status", "varchar(16)"),
        ],
    ),
    (
        "webhook_attempts",
        &[("tenant_id", TENANT), ("id", ID), ("delivery_id", ID)],
    ),
];

async fn collate(manager: &SchemaManager<'_>, collation: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    // A trigger that names columns keeps them from changing.
    db.execute_unprepared("DROP TRIGGER customers_counted_update ON customers")
        .await?;
    for (table, columns) in KEYS {
        let changes: Vec<String> = columns
            .iter()
            .map(|(column, ty)| format!("ALTER COLUMN {column} TYPE {ty} COLLATE {collation}"))
            .collect();
        db.execute_unprepared(&format!("ALTER TABLE {table} {}", changes.join(", ")))
            .await?;
        db.execute_unprepared(&format!("ANALYZE {table}")).await?;
    }
    db.execute_unprepared(crate::m20261121_000009_customer_counts::COUNTED_UPDATE)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        collate(manager, r#""C""#).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        collate(manager, r#""default""#).await
    }
}

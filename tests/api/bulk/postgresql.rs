//! What bulk writes ask of PostgreSQL: a connection on the same machine
//! without TLS, and index keys compared byte by byte.

use crate::helpers::{Backend, spawn_app};

/// A server on the same machine as PostgreSQL talks to it without TLS
/// (nothing to protect there, and TLS records held back by Nagle's
/// algorithm cost bulk writes 40 ms a statement), unless the URL asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_postgresql_connection_goes_without_tls() {
    use sea_orm::ConnectionTrait as _;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    assert!(
        app.db.url.contains("127.0.0.1") || app.db.url.contains("localhost"),
        "the test database is on this machine: {}",
        app.db.url
    );
    let row = app
        .app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(!row.try_get_by_index::<bool>(0).unwrap());
}

/// On PostgreSQL every index compares its keys byte by byte (`"C"`), as
/// SQLite does, whatever the database's locale: only the free text of the
/// search index and segment names keep the locale's collation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_index_keys_compare_byte_by_byte() {
    use sea_orm::ConnectionTrait as _;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let rows = app
        .app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT c.relname::text || '.' || coalesce(a.attname::text, 'expression') AS key
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[]) AS k(attnum, collid)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
             JOIN pg_collation coll ON coll.oid = k.collid
             WHERE n.nspname = current_schema() AND coll.collname <> 'C'
               AND c.relname <> 'seaql_migrations_pkey'
             ORDER BY 1",
        ))
        .await
        .unwrap();
    let keys: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    assert_eq!(
        keys,
        ["customers_search_trgm.search_text", "segments_name.name"]
    );
}

//! What bulk writes ask of PostgreSQL: a connection on the same machine
//! without TLS, index keys compared byte by byte, and row locks that let
//! the duplicate finder's worker file customers beside their writers.

use std::time::Duration;

use serde_json::json;

use super::IMPORT;
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

/// The duplicate finder's worker files customers (its blocking keys refer
/// to them: a foreign key check locks each customer `FOR KEY SHARE`) while
/// imports, upserts and tagging write the same customers. Those writers
/// lock the customers they change without waiting for such rows, so the
/// two never wait on each other in a circle (PostgreSQL then failed one of
/// them with "deadlock detected", and an import answered
/// `INTERNAL_SERVER_ERROR`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_do_not_wait_for_rows_that_refer_to_their_customers() {
    use sea_orm::{ConnectionTrait as _, TransactionTrait as _};
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let row = json!({ "name": "Ada Lovelace", "email": "ada@example.com" });
    let created = app.gql("acme", IMPORT, json!({ "rows": [row] })).await.ok();
    assert_eq!(created["importCustomers"]["created"], 1);
    let id = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "ada@example.com") { id } }"#,
            json!({}),
        )
        .await
        .ok()["customerLookup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A filing of this customer, not yet committed.
    let db = app.db.connect().await;
    let filing = db.begin().await.unwrap();
    filing
        .execute_unprepared(
            "INSERT INTO customer_match_keys (tenant_id, match_key, customer_id, name)
             SELECT tenant_id, 'e:held@example.com', id, 'ada'
             FROM customers WHERE tenant_id = 'acme' AND email = 'ada@example.com'",
        )
        .await
        .unwrap();

    let writes = async {
        let renamed = json!({ "name": "Ada King", "email": "ada@example.com" });
        let import = app
            .gql("acme", IMPORT, json!({ "rows": [renamed] }))
            .await
            .ok();
        assert_eq!(import["importCustomers"]["updated"], 1, "{import}");
        let tagged = app
            .gql("acme", super::TAG, json!({ "ids": [id], "add": ["vip"] }))
            .await
            .ok();
        assert_eq!(tagged["tagCustomers"][0]["tags"], json!(["vip"]));
        let update = app
            .gql(
                "acme",
                "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Countess\" }) { name } }",
                json!({ "id": id }),
            )
            .await
            .ok();
        assert_eq!(update["updateCustomer"]["name"], "Countess");
    };
    // Before, each write waited for the filing to end: here, never.
    tokio::time::timeout(Duration::from_secs(20), writes)
        .await
        .expect("the writes waited for the uncommitted filing");
    filing.rollback().await.unwrap();
    db.close().await.unwrap();
}

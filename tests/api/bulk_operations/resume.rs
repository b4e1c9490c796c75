//! A bulk tag killed with SIGKILL halfway through finishes after a
//! restart, each customer tagged once: batches commit with their cursor,
//! and the job is taken again once its lease ends. 3,000 customers by
//! default; `CRM_BULK_KILL_CUSTOMERS` for the 100,000 of the benchmark.

use std::time::Duration;

use sea_orm::{ColumnTrait as _, EntityTrait as _, PaginatorTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use super::finished_within;
use crate::helpers::{Backend, TestApp, TestDb, free_port, serve_process, until_healthy};

async fn a_run_killed_halfway_finishes_after_a_restart(backend: Backend) {
    let n: usize = std::env::var("CRM_BULK_KILL_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000);
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let app = TestApp::client_for(&url, db).await;
    let options = [
        "--job-lease",
        "2s",
        "--webhook-timeout",
        "1s",
        "--max-cost",
        "100000000",
        "--rate-bucket",
        "1e12",
        "--rate-restore",
        "1e12",
    ];
    let mut server = serve_process(&app.db, port, &options, &dir.path().join("serve-1.log"));
    until_healthy(&app.client, &url).await;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|i| json!({ "email": format!("c{i}@acme.example") }))
            .collect();
        app.import_customers("acme", rows).await;
    }
    let started = app
        .gql(
            "acme",
            "mutation { startBulkOperation(input: { action: TAG, selection: { filter: {} }, tags: [\"wave\"] }) { id } }",
            json!({}),
        )
        .await
        .ok();
    let id = started["startBulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Killed once half are done, a batch most likely under way.
    let since = std::time::Instant::now();
    loop {
        let now = app
            .gql(
                "acme",
                "query($id: ID!) { bulkOperation(id: $id) { processed } }",
                json!({ "id": id }),
            )
            .await
            .ok();
        if now["bulkOperation"]["processed"].as_u64().unwrap() as usize >= n / 2 {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(300),
            "no progress: {now}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let mut server = serve_process(&app.db, port, &options, &dir.path().join("serve-2.log"));
    until_healthy(&app.client, &url).await;
    // A debug build tags about 400 customers a second on PostgreSQL.
    let wait = Duration::from_secs(120 + n as u64 / 200);
    let done = finished_within(&app, "acme", &id, wait).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["processed"], n);
    assert_eq!(done["failed"], 0);
    let tagged = app
        .gql(
            "acme",
            "{ customerCount(filter: { tags: [\"wave\"] }) }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(tagged["customerCount"], n);
    // Each customer's tagging is one timeline entry: no batch ran twice.
    let conn = app.db.connect().await;
    let entries = entity::activity::Entity::find()
        .filter(entity::activity::Column::TenantId.eq("acme"))
        .filter(entity::activity::Column::Title.eq("Customer updated"))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(entries as usize, n);
    server.kill().unwrap();
    server.wait().unwrap();
}

backend_tests!(a_run_killed_halfway_finishes_after_a_restart);

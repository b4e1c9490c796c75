//! Erasure leaves no trace: no API path, table, SQLite page or WAL,
//! export archive or request text holds the customer, receivers are told,
//! and revenue keeps the order unlinked; deleted and merged customers
//! leave no copies either.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use super::{marked_customer, spawn};
use crate::helpers::receiver::Receiver;
use crate::helpers::{Backend, TestApp, record_order, segments};

/// Every row of every table, as text, one string per table.
async fn every_table(app: &TestApp) -> Vec<(String, String)> {
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let text = |sql: String| Statement::from_string(backend, sql);
    let mut out = Vec::new();
    if backend == DbBackend::Postgres {
        let tables = db
            .query_all_raw(text("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'".into()))
            .await
            .unwrap();
        for row in tables {
            let table: String = row.try_get_by_index(0).unwrap();
            let dump = db
                .query_one_raw(text(format!(
                    "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{table}\" t"
                )))
                .await
                .unwrap()
                .unwrap();
            out.push((table, dump.try_get_by_index(0).unwrap()));
        }
    } else {
        // The search index's own tables hold binary segments; the raw
        // file scan covers them.
        let tables = db
            .query_all_raw(text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'customer_search%'".into()))
            .await
            .unwrap();
        for row in tables {
            let table: String = row.try_get_by_index(0).unwrap();
            let columns: Vec<String> = db
                .query_all_raw(text(format!(
                    "SELECT name FROM pragma_table_info('{table}')"
                )))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.try_get_by_index(0).unwrap())
                .collect();
            let row_text = columns
                .iter()
                .map(|c| format!("ifnull(CAST(\"{c}\" AS TEXT), '')"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let dump = db
                .query_one_raw(text(format!(
                    "SELECT coalesce(group_concat({row_text}, char(10)), '') FROM \"{table}\""
                )))
                .await
                .unwrap()
                .unwrap();
            out.push((table, dump.try_get_by_index(0).unwrap()));
        }
    }
    db.close().await.unwrap();
    out
}

async fn revenue(app: &TestApp, tenant: &str) -> Value {
    app.gql(
        tenant,
        "{ customerStats { revenue totalOrders } }",
        json!({}),
    )
    .await
    .ok()["customerStats"]
        .clone()
}

async fn erasure_leaves_no_trace(backend: Backend) {
    let app = spawn(backend.clone(), &[]).await;
    let receiver = Receiver::start(&[200]).await;
    let endpoint = app
        .gql(
            "acme",
            "mutation($u: String!) { createWebhookEndpoint(url: $u, events: [\"customer.created\", \"customer.updated\", \"customer.deleted\", \"data_request.completed\"]) { id secret } }",
            json!({ "u": receiver.url }),
        )
        .await
        .ok();
    assert!(endpoint["createWebhookEndpoint"]["secret"].is_string());
    let zoe = marked_customer(&app, "acme").await;
    let other = app
        .create_customer(
            "acme",
            json!({ "email": "stays@example.org", "name": "Stays" }),
        )
        .await;
    record_order(
        &app,
        "acme",
        &other,
        json!({ "externalId": "#other", "amount": "10.00", "currency": "EUR" }),
    )
    .await;
    let segment = segments::create(
        &app,
        "acme",
        json!({ "name": "VIP", "type": "STATIC", "customerIds": [zoe.id, other] }),
    )
    .await;
    let before = revenue(&app, "acme").await;

    // An export first, so an archive with the customer's data exists.
    let export = app
        .request_data("acme", &zoe.id, "EXPORT", "asked by email")
        .await;
    let exported = app.finished_request("acme", &export).await;
    assert_eq!(exported["status"], "COMPLETED", "{exported}");

    let reason = format!("{}@example.org wrote in on 2026-11-20", zoe.token);
    let erasure = app.request_data("acme", &zoe.id, "ERASURE", &reason).await;
    let done = app.finished_request("acme", &erasure).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let audit = &done["audit"];
    assert_eq!(audit["requestedBy"], "tester");
    let mut removed = audit["removed"].clone();
    // customer.created, and customer.updated for any change since.
    let events = removed["webhookEvents"].take().as_u64().unwrap();
    assert!(events >= 1, "{audit}");
    assert_eq!(
        removed,
        json!({
            "customers": 1, "tags": 1, "notes": 1,
            // created, note added, the SUPPORT entry, the order
            "activities": 4,
            "segmentMemberships": 1, "ordersAnonymized": 1,
            "webhookEvents": null,
            "exports": 1,
        }),
        "{audit}"
    );

    // Every API path answers as for a customer that never existed.
    let seen = app
        .gql(
            "acme",
            "query($id: ID!, $s: ID!, $search: String!, $x: ID!) { customer(id: $id) { id } node(id: $id) { id } customers(filter: { search: $search }) { totalCount } segment(id: $s) { memberCount members { nodes { id } } } export: removalRequest(id: $x) { downloadUrl } }",
            json!({ "id": zoe.id, "s": segment, "search": zoe.token, "x": export }),
        )
        .await
        .ok();
    assert_eq!(seen["customer"], Value::Null);
    assert_eq!(seen["node"], Value::Null);
    assert_eq!(seen["customers"]["totalCount"], 0);
    assert_eq!(seen["segment"]["memberCount"], 1);
    assert_eq!(
        seen["segment"]["members"]["nodes"],
        json!([{ "id": other }])
    );
    assert_eq!(
        seen["export"]["downloadUrl"],
        Value::Null,
        "the archive is gone"
    );
    let gone = app
        .gql(
            "acme",
            "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
            json!({ "c": zoe.id, "b": "x" }),
        )
        .await;
    assert_eq!(gone.code(), "NOT_FOUND");

    // Revenue statistics keep the order, unlinked.
    assert_eq!(revenue(&app, "acme").await, before);

    // Receivers were told.
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let until = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let events: Vec<String> = receiver
            .received()
            .iter()
            .map(|r| r.json["event"].as_str().unwrap_or_default().to_owned())
            .collect();
        if events.iter().any(|e| e == "customer.deleted")
            && events
                .iter()
                .filter(|e| *e == "data_request.completed")
                .count()
                == 2
        {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "{events:?} ({} first)",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The requests' own text, which may quote the customer, is cleared.
    let request = app
        .gql(
            "acme",
            "query($id: ID!, $x: ID!) { erasure: removalRequest(id: $id) { reason } export: removalRequest(id: $x) { reason } }",
            json!({ "id": erasure, "x": export }),
        )
        .await
        .ok();
    assert_eq!(
        request,
        json!({ "erasure": { "reason": null }, "export": { "reason": null } })
    );

    // No table holds any of it (the audit record included).
    let markers = [zoe.token.as_str(), zoe.phone.as_str()];
    for (table, dump) in every_table(&app).await {
        for marker in markers {
            assert!(
                !dump.contains(marker),
                "table {table} still holds {marker}:\n{dump}"
            );
        }
    }
    // On SQLite, neither do the database's free pages nor the WAL.
    if let Some(dir) = app.db.dir() {
        for file in ["crm.db", "crm.db-wal"] {
            let Ok(bytes) = std::fs::read(dir.join(file)) else {
                continue;
            };
            for marker in markers {
                let found = bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
                assert!(!found, "{file} still holds {marker} in its bytes");
            }
        }
    }
}

/// Deleting a customer forgets the copies of their data the outbox and
/// exports hold; merging moves them, so erasing the survivor erases both.
async fn deleted_and_merged_customers_leave_no_copies(backend: Backend) {
    let app = spawn(backend, &[]).await;
    // An endpoint that never answers: the events stay queued.
    let receiver = Receiver::start(&[0]).await;
    app.gql(
        "acme",
        "mutation($u: String!) { createWebhookEndpoint(url: $u, events: [\"customer.created\", \"customer.updated\", \"customer.deleted\"]) { id } }",
        json!({ "u": receiver.url }),
    )
    .await
    .ok();
    let gone = marked_customer(&app, "acme").await;
    let export = app.request_data("acme", &gone.id, "EXPORT", "").await;
    app.finished_request("acme", &export).await;
    app.delete_customer("acme", &gone.id).await;

    let kept = marked_customer(&app, "acme").await;
    let duplicate = marked_customer(&app, "acme").await;
    let export = app.request_data("acme", &duplicate.id, "EXPORT", "").await;
    app.finished_request("acme", &export).await;
    app.gql(
        "acme",
        "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": kept.id, "m": duplicate.id }),
    )
    .await
    .ok();
    let erasure = app.request_data("acme", &kept.id, "ERASURE", "").await;
    let done = app.finished_request("acme", &erasure).await;
    assert_eq!(done["audit"]["removed"]["exports"], 1, "{done}");

    for (table, dump) in every_table(&app).await {
        for marker in [&gone.token, &kept.token, &duplicate.token] {
            assert!(
                !dump.contains(marker.as_str()),
                "table {table} still holds {marker}:\n{dump}"
            );
        }
    }
}

backend_tests!(
    erasure_leaves_no_trace,
    deleted_and_merged_customers_leave_no_copies,
);

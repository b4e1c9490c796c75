//! API.md §9: erasure and export requests, carried out by the background
//! worker from the durable job queue.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::receiver::Receiver;
use crate::helpers::segments;
use crate::helpers::{Backend, SECRET, TestApp, record_order, spawn_app_with, unknown_customer_id};

/// A server whose webhooks may go to local receivers and whose worker
/// looks for work often.
async fn spawn(backend: Backend, extra: &[&str]) -> TestApp {
    let mut args = vec![
        "--jwt-secret",
        SECRET,
        "--webhook-allow-private",
        "true",
        "--webhook-retry-base",
        "100ms",
        "--worker-poll",
        "50ms",
    ];
    args.extend_from_slice(extra);
    spawn_app_with(backend, &args).await
}

/// A customer with a unique marker in every field that can hold one, and
/// in everything that hangs off them.
struct Marked {
    id: String,
    token: String,
    phone: String,
}

async fn marked_customer(app: &TestApp, tenant: &str) -> Marked {
    let token = format!("mk{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let phone = format!("+1415555{:04}", rand_digits());
    let id = app
        .create_customer(
            tenant,
            json!({
                "firstName": "Zoe",
                "lastName": format!("{token}ln"),
                "email": format!("{token}@example.org"),
                "phone": phone,
                "companyName": format!("{token} ltd"),
                "tags": [format!("{token}tag")],
                "address": { "line1": format!("1 {token} street"), "city": format!("{token}ville"), "postalCode": "94107", "country": "US" },
                "metadata": { "nickname": format!("{token}meta") },
            }),
        )
        .await;
    app.gql(
        tenant,
        "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
        json!({ "c": id, "b": format!("called {token} about a refund") }),
    )
    .await
    .ok();
    app.gql(
        tenant,
        "mutation($c: ID!, $i: ActivityInput!) { recordActivity(customerId: $c, input: $i) { id } }",
        json!({ "c": id, "i": { "type": "SUPPORT", "title": format!("{token} title"), "data": { "said": format!("{token}data") } } }),
    )
    .await
    .ok();
    record_order(
        app,
        tenant,
        &id,
        json!({ "externalId": format!("#{}", rand_digits()), "amount": "120.50", "currency": "EUR" }),
    )
    .await;
    Marked { id, token, phone }
}

fn rand_digits() -> u32 {
    uuid::Uuid::now_v7().as_u128() as u32 % 10_000
}

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

async fn export_holds_everything_about_the_customer_and_nothing_else(backend: Backend) {
    let app = spawn(backend, &["--export-link-ttl", "3s"]).await;
    let zoe = marked_customer(&app, "acme").await;
    for i in 0..3 {
        app.gql(
            "acme",
            "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
            json!({ "c": zoe.id, "b": format!("note {i}") }),
        )
        .await
        .ok();
    }
    let bob = marked_customer(&app, "acme").await;
    let stranger = marked_customer(&app, "globex").await;
    segments::create(
        &app,
        "acme",
        json!({ "name": "Everyone", "type": "DYNAMIC", "rules": [{ "field": "status", "operator": "eq", "value": "ACTIVE" }] }),
    )
    .await;
    let export = app.request_data("acme", &zoe.id, "EXPORT", "").await;
    let done = app.finished_request("acme", &export).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let link = done["downloadUrl"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("/exports/{export}?")), "{link}");

    // With the bearer token of the tenant…
    let by_token = app
        .client
        .get(format!("{}/exports/{export}", app.url))
        .bearer_auth(app.token("acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 200);
    let archive: Value = by_token.json().await.unwrap();
    // …and with the signed link alone.
    let by_link = app
        .client
        .get(format!("{}{link}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(by_link.status(), 200);
    assert_eq!(by_link.json::<Value>().await.unwrap(), archive);

    // Field for field what the API returns.
    let api = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { id name firstName lastName email phone companyName avatarUrl status source tags address { line1 line2 city state postalCode country } metadata createdAt updatedAt totalOrders totalSpent lastOrderAt metrics { rfm { recencyScore frequencyScore monetaryScore segment } lifetimeValue averageOrderValue totalOrders totalSpent purchaseFrequencyDays churnRisk firstOrderAt lastOrderAt } segments { id name } notes(first: 100) { nodes { id body author createdAt updatedAt } } orders(first: 100) { nodes { id externalId amount currency status placedAt } } activity(first: 100) { nodes { id type title data occurredAt } } } }",
            json!({ "id": zoe.id }),
        )
        .await
        .ok()["customer"]
        .clone();
    let exported = &archive["customer"];
    for (field, value) in api.as_object().unwrap() {
        match field.as_str() {
            "notes" | "orders" | "activity" => {
                assert_eq!(&archive[field], &value["nodes"], "{field}");
            }
            "metrics" => {
                for (name, metric) in value.as_object().unwrap() {
                    let archived = &exported["metrics"][name];
                    if name == "churnRisk" {
                        // Grows with every second since the last order.
                        let (a, b) = (archived.as_f64().unwrap(), metric.as_f64().unwrap());
                        assert!((a - b).abs() < 1e-6, "churnRisk {a} vs {b}");
                    } else {
                        assert_eq!(archived, metric, "metrics.{name}");
                    }
                }
            }
            "segments" => {
                let names: Vec<&Value> = exported["segments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| &s["name"])
                    .collect();
                assert_eq!(names, vec![&json!("Everyone")]);
            }
            _ => assert_eq!(&exported[field], value, "{field}"),
        }
    }
    assert_eq!(archive["notes"].as_array().unwrap().len(), 4);
    assert_eq!(archive["orders"].as_array().unwrap().len(), 1);
    // Nothing of anyone else.
    let text = archive.to_string();
    assert!(text.contains(&zoe.token));
    for other in [&bob.token, &bob.id, &stranger.token, &stranger.id] {
        assert!(!text.contains(other.as_str()), "the archive holds {other}");
    }

    // Another tenant's token finds nothing; so does an unknown id.
    for (url, token) in [
        (format!("{}/exports/{export}", app.url), app.token("globex")),
        (
            format!("{}/exports/drr_{}", app.url, uuid::Uuid::now_v7().simple()),
            app.token("acme"),
        ),
    ] {
        let response = app.client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }
    // No token: 401; a token without the scope: 403.
    let anonymous = app
        .client
        .get(format!("{}/exports/{export}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let unscoped = app
        .client
        .get(format!("{}/exports/{export}", app.url))
        .bearer_auth(app.token_with("acme", "read:customers"))
        .send()
        .await
        .unwrap();
    assert_eq!(unscoped.status(), 403);
    // A tampered link, one moved to another tenant or request: 403.
    let tampered = [
        link.replace("sig=", "sig=00"),
        link.replace("tenant=acme", "tenant=globex"),
        link.replace("expires=", "expires=9"),
    ];
    for bad in tampered {
        let response = app
            .client
            .get(format!("{}{bad}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{bad}");
    }
    // The link expires (3 s here).
    tokio::time::sleep(Duration::from_millis(4_100)).await;
    let expired = app
        .client
        .get(format!("{}{link}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 403);
}

async fn data_requests_are_confined_to_their_tenant(backend: Backend) {
    let app = spawn(backend, &[]).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let request = app
        .request_data("acme", &ana, "EXPORT", "portability")
        .await;
    app.finished_request("acme", &request).await;

    let seen = app
        .gql(
            "globex",
            "query($id: ID!) { removalRequest(id: $id) { id } node(id: $id) { id } removalRequests { totalCount nodes { id } } }",
            json!({ "id": request }),
        )
        .await
        .ok();
    assert_eq!(
        seen,
        json!({ "removalRequest": null, "node": null, "removalRequests": { "totalCount": 0, "nodes": [] } })
    );
    for customer in [ana.clone(), unknown_customer_id()] {
        let refused = app
            .gql(
                "globex",
                "mutation($c: ID!) { createRemovalRequest(customerId: $c, input: { type: ERASURE }) { id } }",
                json!({ "c": customer }),
            )
            .await;
        assert_eq!(refused.code(), "NOT_FOUND");
    }
    // Scopes: reading and writing each need their own.
    let reader = app.token_with("acme", "read:customers read:data_requests");
    let refused = app
        .gql_as(
            &reader,
            "mutation($c: ID!) { createRemovalRequest(customerId: $c, input: { type: ERASURE }) { id } }",
            json!({ "c": ana }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let blind = app.token_with("acme", "read:customers write:data_requests");
    let refused = app
        .gql_as(&blind, "{ removalRequests { totalCount } }", json!({}))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    // Bad input names its field and creates nothing.
    let long = app
        .gql(
            "acme",
            "mutation($c: ID!, $r: String!) { createRemovalRequest(customerId: $c, input: { type: ERASURE, reason: $r }) { id } }",
            json!({ "c": ana, "r": "x".repeat(2_001) }),
        )
        .await;
    assert_eq!(
        (long.code(), long.field()),
        ("BAD_USER_INPUT", "input.reason")
    );
    let listed = app
        .gql(
            "acme",
            "query($c: ID!) { removalRequests(customerId: $c) { totalCount nodes { id type status customer { id } estimatedCompletion createdAt } } pending: removalRequests(status: PENDING) { totalCount } }",
            json!({ "c": ana }),
        )
        .await
        .ok();
    assert_eq!(listed["removalRequests"]["totalCount"], 1);
    assert_eq!(listed["pending"]["totalCount"], 0);
    let only = &listed["removalRequests"]["nodes"][0];
    assert_eq!(only["customer"]["id"], ana.as_str());
    // The one-month deadline of GDPR Art. 12(3).
    let created =
        chrono::DateTime::parse_from_rfc3339(only["createdAt"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(only["estimatedCompletion"].as_str().unwrap())
        .unwrap();
    assert!(due > created && due <= created + chrono::Duration::days(30));
}

/// A worker that took a job and died leaves it to another once its lease
/// has run out; each request is carried out once.
async fn a_dead_workers_job_is_done_exactly_once(backend: Backend) {
    let app = spawn(backend, &["--worker", "false"]).await;
    let mut requests = Vec::new();
    for i in 0..3 {
        let id = app
            .create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
            .await;
        requests.push(app.request_data("acme", &id, "ERASURE", "").await);
    }
    // A worker took the first job a moment ago and died holding it.
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let first = requests[0].trim_start_matches("drr_").to_owned();
    let lease_end = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .format("%Y-%m-%d %H:%M:%S%.6f+00:00")
        .to_string();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        if backend == DbBackend::Postgres {
            "UPDATE jobs SET lease_owner = 'dead', attempts = 1, run_at = $1::timestamptz WHERE subject_id = $2"
        } else {
            "UPDATE jobs SET lease_owner = 'dead', attempts = 1, run_at = ? WHERE subject_id = ?"
        },
        [lease_end.into(), first.clone().into()],
    ))
    .await
    .unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        if backend == DbBackend::Postgres {
            "UPDATE data_requests SET status = 'PROCESSING' WHERE id = $1"
        } else {
            "UPDATE data_requests SET status = 'PROCESSING' WHERE id = ?"
        },
        [first.into()],
    ))
    .await
    .unwrap();

    // Two workers come up on the database.
    let worker_args = ["--worker-poll", "50ms", "--job-lease", "20s"];
    let one = app.another_instance_with(&worker_args).await;
    let two = app.another_instance_with(&worker_args).await;
    for request in &requests {
        let done = one.finished_request("acme", request).await;
        assert_eq!(done["status"], "COMPLETED", "{done}");
        assert_eq!(done["audit"]["removed"]["customers"], 1);
    }
    let counts = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT (SELECT COUNT(*) FROM erasure_audits), (SELECT COUNT(*) FROM jobs)",
        ))
        .await
        .unwrap()
        .unwrap();
    let (audits, jobs): (i64, i64) = (
        counts.try_get_by_index(0).unwrap(),
        counts.try_get_by_index(1).unwrap(),
    );
    assert_eq!((audits, jobs), (3, 0));
    drop((one, two));
}

/// Many requests and two instances taking jobs at once: each request is
/// carried out once (one audit record, one completion event each).
async fn instances_share_the_queue_without_doing_a_job_twice(backend: Backend) {
    let app = spawn(backend, &["--worker", "false"]).await;
    let receiver = Receiver::start(&[200]).await;
    app.gql(
        "acme",
        "mutation($u: String!) { createWebhookEndpoint(url: $u, events: [\"data_request.completed\"]) { id } }",
        json!({ "u": receiver.url }),
    )
    .await
    .ok();
    let mut requests = Vec::new();
    for i in 0..20 {
        let id = app
            .create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
            .await;
        requests.push(app.request_data("acme", &id, "ERASURE", "").await);
    }
    let worker_args = ["--worker-poll", "20ms", "--webhook-allow-private", "true"];
    let one = app.another_instance_with(&worker_args).await;
    let two = app.another_instance_with(&worker_args).await;
    for request in &requests {
        assert_eq!(
            one.finished_request("acme", request).await["status"],
            "COMPLETED"
        );
    }
    let got = receiver.wait_for(20, Duration::from_secs(20)).await;
    // Every delivery settled and no job left: nothing more will be sent.
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let count = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while count("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'PENDING'").await
        + count("SELECT COUNT(*) FROM jobs").await
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never settled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (
            count("SELECT COUNT(*) FROM webhook_deliveries").await,
            count("SELECT COUNT(*) FROM webhook_attempts").await,
        ),
        (20, 20),
        "one delivery, sent once, for each request"
    );
    let mut completed: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.json["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    completed.sort();
    completed.dedup();
    assert_eq!(completed.len(), 20, "{got:#?}");
    assert_eq!(receiver.received().len(), 20, "one completion event each");
    drop((one, two));
}

backend_tests!(
    erasure_leaves_no_trace,
    deleted_and_merged_customers_leave_no_copies,
    export_holds_everything_about_the_customer_and_nothing_else,
    data_requests_are_confined_to_their_tenant,
    a_dead_workers_job_is_done_exactly_once,
    instances_share_the_queue_without_doing_a_job_twice,
);

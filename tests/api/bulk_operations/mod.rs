//! Bulk operations (`startBulkOperation`): each action on a selection, run
//! by the worker in batches and followed on `bulkOperationUpdated`;
//! cancel; exports behind signed links; tenant isolation; and a run killed
//! halfway finishing after a restart (`resume`).

mod resume;

use std::time::Duration;

use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::{Value, json};

use crate::helpers::ws::Ws;
use crate::helpers::{
    Backend, SECRET, TestApp, record_order, spawn_app, spawn_app_with, unknown_customer_id,
};

const START: &str =
    "mutation($i: BulkOperationInput!) { startBulkOperation(input: $i) { id status action } }";
const READ: &str = "query($id: ID!) { bulkOperation(id: $id) { id action status processed total failed errors { customerId message } resultUrl createdBy completedAt } }";

/// Starts an operation and returns its ID.
async fn start(app: &TestApp, tenant: &str, input: Value) -> String {
    let started = app.gql(tenant, START, json!({ "i": input })).await.ok();
    assert_eq!(started["startBulkOperation"]["status"], "QUEUED");
    started["startBulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Follows the operation on `bulkOperationUpdated` until it ends (within
/// two minutes), and returns it as `bulkOperation` reads it then.
pub async fn finished(app: &TestApp, tenant: &str, id: &str) -> Value {
    finished_within(app, tenant, id, Duration::from_secs(120)).await
}

/// [`finished`], waiting up to `wait`.
pub async fn finished_within(app: &TestApp, tenant: &str, id: &str, wait: Duration) -> Value {
    let mut ws = Ws::ready(app, &app.token(tenant)).await;
    ws.subscribe(
        "b",
        "subscription($id: ID!) { bulkOperationUpdated(id: $id) { status processed } }",
        json!({ "id": id }),
    )
    .await;
    let deadline = std::time::Instant::now() + wait;
    loop {
        let now = app.gql(tenant, READ, json!({ "id": id })).await.ok()["bulkOperation"].clone();
        if matches!(
            now["status"].as_str(),
            Some("COMPLETED" | "FAILED" | "CANCELLED")
        ) {
            return now;
        }
        assert!(std::time::Instant::now() < deadline, "still {now}");
        // The next update, or a second look should the end have come
        // before the subscription did.
        let _ = ws.within(Duration::from_secs(2)).await;
    }
}

async fn emails(app: &TestApp, tenant: &str, filter: Value) -> Vec<String> {
    app.emails_where(tenant, filter, None).await
}

/// `n` customers of `acme` (`c000@…`), every third a VIP; one look-alike
/// in `other`.
async fn seed(app: &TestApp, n: usize) -> Vec<String> {
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            let tags = if i % 3 == 0 { json!(["vip"]) } else { json!([]) };
            json!({ "email": format!("c{i:03}@acme.example"), "tags": tags, "address": { "country": if i % 2 == 0 { "DE" } else { "FR" } } })
        })
        .collect();
    app.import_customers("acme", rows).await;
    app.create_customer(
        "other",
        json!({ "email": "c000@acme.example", "tags": ["vip"], "address": { "country": "DE" } }),
    )
    .await;
    let found = app
        .gql(
            "acme",
            "{ customers(first: 100, sort: { field: EMAIL, direction: ASC }) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok();
    found["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A TAG that would take a customer past 100 tags fails that customer
/// alone: the others are tagged, it keeps what it had.
async fn a_tag_past_the_limit_fails_that_customer_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let full: Vec<String> = (0..100).map(|i| format!("t{i:03}")).collect();
    let crowded = app
        .create_customer(
            "acme",
            json!({ "email": "full@acme.example", "tags": full }),
        )
        .await;
    let roomy = app
        .create_customer(
            "acme",
            json!({ "email": "room@acme.example", "tags": ["t000"] }),
        )
        .await;
    let tag = start(
        &app,
        "acme",
        json!({ "action": "TAG", "selection": { "ids": [crowded, roomy] }, "tags": ["t000", "new"] }),
    )
    .await;
    let done = finished(&app, "acme", &tag).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(
        (done["processed"].as_i64(), done["failed"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(done["errors"][0]["customerId"], crowded.as_str());
    let tags_of = |id: &str| {
        let app = &app;
        let id = id.to_owned();
        async move {
            app.gql(
                "acme",
                "query($id: ID!) { customer(id: $id) { tags } }",
                json!({ "id": id }),
            )
            .await
            .ok()["customer"]["tags"]
                .clone()
        }
    };
    assert_eq!(tags_of(&roomy).await, json!(["new", "t000"]));
    assert_eq!(tags_of(&crowded).await, json!(full));
}

async fn each_action_changes_its_selection_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = seed(&app, 12).await;

    // TAG by filter: the German customers.
    let tag = start(&app, "acme", json!({ "action": "TAG", "selection": { "filter": { "country": "DE" } }, "tags": ["wave-1"] })).await;
    let done = finished(&app, "acme", &tag).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(
        (
            done["processed"].as_i64(),
            done["total"].as_i64(),
            done["failed"].as_i64()
        ),
        (Some(6), Some(6), Some(0))
    );
    assert!(done["completedAt"].is_string());
    assert_eq!(
        emails(&app, "acme", json!({ "tags": ["wave-1"] }))
            .await
            .len(),
        6
    );
    assert_eq!(
        emails(&app, "acme", json!({ "tags": ["wave-1"], "country": "FR" }))
            .await
            .len(),
        0
    );

    // UNTAG by query.
    let untag = start(&app, "acme", json!({ "action": "UNTAG", "selection": { "query": "tag:vip country:DE" }, "tags": ["vip"] })).await;
    assert_eq!(finished(&app, "acme", &untag).await["processed"], 2);
    assert_eq!(
        emails(&app, "acme", json!({ "tags": ["vip"] })).await,
        ["c003@acme.example", "c009@acme.example"]
    );

    // SET_STATUS by IDs.
    let archive = start(&app, "acme", json!({ "action": "SET_STATUS", "selection": { "ids": [ids[0], ids[1]] }, "status": "ARCHIVED" })).await;
    finished(&app, "acme", &archive).await;
    assert_eq!(
        emails(&app, "acme", json!({ "status": "ARCHIVED" })).await,
        ["c000@acme.example", "c001@acme.example"]
    );
    // The selection reads back as it was given, IDs and all.
    let given = app
        .gql(
            "acme",
            "query($id: ID!) { bulkOperation(id: $id) { selection } }",
            json!({ "id": archive }),
        )
        .await
        .ok();
    assert_eq!(
        given["bulkOperation"]["selection"],
        json!({ "ids": [ids[0], ids[1]] })
    );

    // ADD_TO_SEGMENT, then REMOVE_FROM_SEGMENT by the segment itself.
    let segment = app
        .gql(
            "acme",
            "mutation { createSegment(input: { name: \"Wave\", type: STATIC }) { id } }",
            json!({}),
        )
        .await
        .ok()["createSegment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let add = start(&app, "acme", json!({ "action": "ADD_TO_SEGMENT", "selection": { "query": "tag:wave-1" }, "segmentId": segment })).await;
    finished(&app, "acme", &add).await;
    assert_eq!(
        emails(&app, "acme", json!({ "segmentId": segment }))
            .await
            .len(),
        6
    );
    let remove = start(&app, "acme", json!({ "action": "REMOVE_FROM_SEGMENT", "selection": { "filter": { "status": "ARCHIVED" } }, "segmentId": segment })).await;
    finished(&app, "acme", &remove).await;
    assert_eq!(
        emails(&app, "acme", json!({ "segmentId": segment }))
            .await
            .len(),
        5
    );

    // DELETE: a customer a rule blocks (a pending order) is counted failed
    // and stays.
    record_order(
        &app,
        "acme",
        &ids[3],
        json!({ "externalId": "o-1", "amount": "9.00", "currency": "EUR", "status": "PENDING" }),
    )
    .await;
    let delete = start(
        &app,
        "acme",
        json!({ "action": "DELETE", "selection": { "ids": [ids[2], ids[3], ids[4]] } }),
    )
    .await;
    let done = finished(&app, "acme", &delete).await;
    assert_eq!(
        (done["processed"].as_i64(), done["failed"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(done["errors"][0]["customerId"], ids[3].as_str());
    assert!(
        done["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("PENDING_ORDERS"),
        "{done}"
    );
    assert_eq!(app.count("acme").await, 10);

    // The other tenant's look-alike was never touched, and cannot see the
    // operations.
    let theirs = app
        .gql("other", "query($id: ID!) { customers { nodes { tags status } } bulkOperation(id: $id) { id } bulkOperations(first: 10) { nodes { id } } }", json!({ "id": tag }))
        .await
        .ok();
    assert_eq!(
        theirs["customers"]["nodes"],
        json!([{ "tags": ["vip"], "status": "ACTIVE" }])
    );
    assert_eq!(theirs["bulkOperation"], Value::Null);
    assert_eq!(theirs["bulkOperations"]["nodes"], json!([]));
    let cancel = app
        .gql(
            "other",
            "mutation($id: ID!) { cancelBulkOperation(id: $id) { id } }",
            json!({ "id": tag }),
        )
        .await;
    assert_eq!(cancel.code(), "NOT_FOUND");
    let listed = app
        .gql(
            "acme",
            "{ bulkOperations(first: 10) { nodes { action } } }",
            json!({}),
        )
        .await
        .ok();
    let actions: Vec<&str> = listed["bulkOperations"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 6);
    // Backward from the end: the oldest, the first one started.
    let oldest = app
        .gql(
            "acme",
            "{ bulkOperations(last: 2) { nodes { action } pageInfo { hasPreviousPage } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        oldest["bulkOperations"]["nodes"],
        json!([{ "action": actions[4] }, { "action": actions[5] }])
    );
    assert_eq!(
        oldest["bulkOperations"]["pageInfo"]["hasPreviousPage"],
        true
    );
}

async fn exports_are_files_behind_signed_links(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app, 4).await;
    let csv = start(&app, "acme", json!({ "action": "EXPORT", "selection": { "query": "country:DE" }, "format": "CSV", "columns": ["EMAIL", "TAGS", "COUNTRY"] })).await;
    let done = finished(&app, "acme", &csv).await;
    let link = done["resultUrl"].as_str().unwrap();
    assert!(link.starts_with(&format!("/bulk-exports/{csv}?")), "{link}");
    let url = format!("{}{link}", app.url);
    let file = app.client.get(&url).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert!(
        file.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        file.text().await.unwrap(),
        "email,tags,country\r\nc000@acme.example,vip,DE\r\nc002@acme.example,,DE\r\n"
    );
    // A changed signature, another tenant or no signature get nothing.
    for bad in [
        url.replace("sig=", "sig=00"),
        url.replace("tenant=acme", "tenant=other"),
        url.split('?').next().unwrap().to_owned(),
    ] {
        assert_eq!(
            app.client.get(&bad).send().await.unwrap().status(),
            403,
            "{bad}"
        );
    }

    let first = app
        .gql(
            "acme",
            "{ customers(first: 1, sort: { field: EMAIL, direction: ASC }) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok()["customers"]["nodes"][0]["id"]
        .clone();
    let jsonl = start(&app, "acme", json!({ "action": "EXPORT", "selection": { "ids": [first] }, "format": "JSONL", "columns": ["ID", "EMAIL", "TOTAL_SPENT", "METADATA"] })).await;
    let link = finished(&app, "acme", &jsonl).await["resultUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = app.get_text(&link).await;
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({ "id": first, "email": "c000@acme.example", "totalSpent": "0.00", "metadata": {} })
        ]
    );
    // Each line keeps the columns' order.
    let keys: Vec<usize> = ["\"id\":", "\"email\":", "\"totalSpent\":", "\"metadata\":"]
        .iter()
        .map(|key| body.find(key).unwrap())
        .collect();
    assert!(keys.is_sorted(), "{body}");
}

/// An export's file is kept `--export-retention` after the operation
/// ended: then its link stops working and its lines are removed.
async fn an_export_file_goes_after_its_retention(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app, 3).await;
    let id = start(
        &app,
        "acme",
        json!({ "action": "EXPORT", "selection": { "filter": {} } }),
    )
    .await;
    let done = finished(&app, "acme", &id).await;
    let url = format!("{}{}", app.url, done["resultUrl"].as_str().unwrap());
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 200);
    let conn = app.db.connect().await;
    let lines = || entity::bulk_export_chunk::Entity::find().count(&conn);
    assert!(lines().await.unwrap() > 0);

    // An instance kept to one second sweeps when its worker starts; the
    // export must be that old first.
    let ended: chrono::DateTime<chrono::Utc> =
        done["completedAt"].as_str().unwrap().parse().unwrap();
    let old = ended + chrono::Duration::milliseconds(1100) - chrono::Utc::now();
    if let Ok(wait) = old.to_std() {
        tokio::time::sleep(wait).await;
    }
    let swept = app
        .another_instance_with(&["--export-retention", "1s"])
        .await;
    let since = std::time::Instant::now();
    loop {
        let now = swept
            .gql(
                "acme",
                "query($id: ID!) { bulkOperation(id: $id) { status resultUrl } }",
                json!({ "id": id }),
            )
            .await
            .ok();
        if now["bulkOperation"]["resultUrl"].is_null() {
            assert_eq!(now["bulkOperation"]["status"], "COMPLETED");
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "never swept: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.client.get(&url).send().await.unwrap().status(), 403);
    let since = std::time::Instant::now();
    while lines().await.unwrap() > 0 {
        assert!(since.elapsed() < Duration::from_secs(30), "lines kept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn bad_inputs_start_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let ours = seed(&app, 2).await;
    // IDs of no customer of the tenant: unknown, or another tenant's.
    let theirs = app
        .gql(
            "other",
            "{ customers(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok()["customers"]["nodes"][0]["id"]
        .clone();
    for ids in [json!([ours[0], unknown_customer_id()]), json!([theirs])] {
        let refused = app
            .gql(
                "acme",
                START,
                json!({ "i": { "action": "TAG", "selection": { "ids": ids }, "tags": ["a"] } }),
            )
            .await;
        assert_eq!(refused.code(), "NOT_FOUND", "{ids}");
    }
    for (input, field) in [
        (
            json!({ "action": "TAG", "selection": {}, "tags": ["a"] }),
            "input.selection",
        ),
        (
            json!({ "action": "TAG", "selection": { "query": "tag:a", "ids": [] }, "tags": ["a"] }),
            "input.selection",
        ),
        (
            json!({ "action": "TAG", "selection": { "query": "tag:a" } }),
            "input.tags",
        ),
        (
            json!({ "action": "SET_STATUS", "selection": { "query": "tag:a" } }),
            "input.status",
        ),
        (
            json!({ "action": "ADD_TO_SEGMENT", "selection": { "query": "tag:a" } }),
            "input.segmentId",
        ),
        (
            json!({ "action": "TAG", "selection": { "query": "total_spent:>x" }, "tags": ["a"] }),
            "input.selection.query",
        ),
        (
            json!({ "action": "TAG", "selection": { "filter": { "country": "XX1" } }, "tags": ["a"] }),
            "input.selection.filter.country",
        ),
        (
            json!({ "action": "TAG", "selection": { "ids": [] }, "tags": ["a"] }),
            "input.selection.ids",
        ),
        (
            json!({ "action": "EXPORT", "selection": { "query": "tag:a" }, "columns": ["ID", "EMAIL", "ID"] }),
            "input.columns",
        ),
        (
            json!({ "action": "DELETE", "selection": { "filter": { "text": [{ "field": "CITY" }] } } }),
            "input.selection.filter.text[0]",
        ),
    ] {
        let refused = app.gql("acme", START, json!({ "i": input })).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(refused.field(), field, "{input}");
    }
    let none = app
        .gql(
            "acme",
            "{ bulkOperations(first: 5) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(none["bulkOperations"]["nodes"], json!([]));
}

/// With no worker on the instance, an operation waits `QUEUED`; cancelled
/// then, a worker that starts later does nothing to it.
async fn a_cancelled_operation_does_no_more(backend: Backend) {
    let app = spawn_app_with(backend, &["--jwt-secret", SECRET, "--worker", "false"]).await;
    seed(&app, 3).await;
    let id = start(
        &app,
        "acme",
        json!({ "action": "TAG", "selection": { "query": "country:DE" }, "tags": ["late"] }),
    )
    .await;
    let cancelled = app
        .gql(
            "acme",
            "mutation($id: ID!) { cancelBulkOperation(id: $id) { status completedAt } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(cancelled["cancelBulkOperation"]["status"], "CANCELLED");
    let again = app
        .gql(
            "acme",
            "mutation($id: ID!) { cancelBulkOperation(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(again.code(), "BAD_USER_INPUT");
    let worker = app.another_instance().await;
    let done = finished(&worker, "acme", &id).await;
    assert_eq!(
        (done["status"].as_str(), done["processed"].as_i64()),
        (Some("CANCELLED"), Some(0))
    );
    // The worker has taken and dropped its job: none is left.
    let db = app.db.connect().await;
    let since = std::time::Instant::now();
    loop {
        use sea_orm::{EntityTrait as _, PaginatorTrait as _};
        if entity::job::Entity::find().count(&db).await.unwrap() == 0 {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "the job is still queued"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        emails(&app, "acme", json!({ "tags": ["late"] }))
            .await
            .is_empty()
    );
}

async fn a_subscription_starts_with_the_state_and_completes_at_the_end(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app, 4).await;
    let tag = start(&app, "acme", json!({ "action": "TAG", "selection": { "filter": { "country": "DE" } }, "tags": ["late"] })).await;
    let done = finished(&app, "acme", &tag).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");

    // Subscribed after the end: the state at once, then complete.
    const UPDATED: &str =
        "subscription($id: ID!) { bulkOperationUpdated(id: $id) { id status processed } }";
    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    ws.subscribe("late", UPDATED, json!({ "id": tag })).await;
    let first = ws.recv().await.expect("the state");
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["bulkOperationUpdated"],
        json!({ "id": tag, "status": "COMPLETED", "processed": 2 })
    );
    let last = ws.recv().await.expect("the end");
    assert_eq!(last, json!({ "type": "complete", "id": "late" }));

    // Another tenant's operation is not found, like one that never was.
    let mut theirs = Ws::ready(&app, &app.token("other")).await;
    theirs
        .subscribe("foreign", UPDATED, json!({ "id": tag }))
        .await;
    let refused = theirs.recv().await.expect("an error");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
}

backend_tests!(
    a_subscription_starts_with_the_state_and_completes_at_the_end,
    a_tag_past_the_limit_fails_that_customer_only,
    each_action_changes_its_selection_only,
    exports_are_files_behind_signed_links,
    an_export_file_goes_after_its_retention,
    bad_inputs_start_nothing,
    a_cancelled_operation_does_no_more,
);

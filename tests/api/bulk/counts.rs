//! The counts `customerCount` keeps (by status, country and tag) follow
//! every write: creations, imports, updates, tagging, merges, deletions and
//! erasures; another tenant's writes never count.

use serde_json::{Value, json};

use super::{IMPORT, MERGE, TAG};
use crate::helpers::{Backend, TestApp, spawn_app};

/// The filters `customerCount` answers from its maintained counts.
const FACETS: &[&str] = &[
    r#"{}"#,
    r#"{ "status": "ACTIVE" }"#,
    r#"{ "status": "ARCHIVED" }"#,
    r#"{ "country": "ES" }"#,
    r#"{ "country": "de" }"#,
    r#"{ "country": "PT" }"#,
    r#"{ "country": "" }"#,
    r#"{ "tags": ["vip"] }"#,
    r#"{ "tags": [" b2b "] }"#,
    r#"{ "tagsAny": ["new"] }"#,
    r#"{ "tags": ["eu"] }"#,
];

/// Each facet's count, checked against the same filter counted row by row
/// (a `createdAfter` bound every customer meets makes the filter one the
/// maintained counts do not answer) and against the connection's
/// `totalCount`.
async fn facet_counts(app: &TestApp, tenant: &str) -> Vec<i64> {
    let query = "query($f: CustomerFilter, $g: CustomerFilter) { kept: customerCount(filter: $f) scanned: customerCount(filter: $g) customers(first: 1, filter: $f) { totalCount } }";
    let mut counts = Vec::new();
    for facet in FACETS {
        let filter: Value = serde_json::from_str(facet).unwrap();
        let mut scanned = filter.clone();
        scanned["createdAfter"] = json!("2000-01-01T00:00:00Z");
        let data = app
            .gql(tenant, query, json!({ "f": filter, "g": scanned }))
            .await
            .ok();
        assert_eq!(data["kept"], data["scanned"], "{tenant} {facet}");
        assert_eq!(
            data["customers"]["totalCount"], data["scanned"],
            "{tenant} {facet}"
        );
        counts.push(data["kept"].as_i64().unwrap());
    }
    counts
}

/// The counts after each write path, on PostgreSQL also after folding the
/// delta rows (which leaves one row a key).
async fn counts_follow(app: &TestApp, step: &str, acme: &[i64]) {
    assert_eq!(facet_counts(app, "acme").await, acme, "after {step}");
    assert_eq!(
        facet_counts(app, "other").await,
        [1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0],
        "another tenant's writes never count here (after {step})"
    );
    if app.db.schema().is_some() {
        use sea_orm::ConnectionTrait as _;
        let db = app.db.connect().await;
        crm::profiles::counts::compact_customer_counts(&db)
            .await
            .unwrap();
        let keys: Vec<(String, i64)> = db
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT facet || ':' || value AS key, COUNT(*) AS n FROM customer_counts GROUP BY facet, value, tenant_id HAVING COUNT(*) > 1",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.try_get("", "key").unwrap(), row.try_get("", "n").unwrap()))
            .collect();
        assert_eq!(keys, [], "one row a key after folding");
        assert_eq!(
            facet_counts(app, "acme").await,
            acme,
            "folded, after {step}"
        );
    }
}

async fn maintained_counts_follow_every_write(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer(
        "other",
        json!({ "name": "Theirs", "tags": ["vip"], "address": { "country": "ES" } }),
    )
    .await;
    //                 all act arch ES DE PT none vip b2b new eu
    counts_follow(&app, "nothing", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).await;

    let a = app
        .create_customer(
            "acme",
            json!({ "name": "A", "email": "a@x.example", "tags": ["vip", "eu"], "address": { "country": "ES" } }),
        )
        .await;
    let b = app
        .create_customer(
            "acme",
            json!({ "name": "B", "email": "b@x.example", "tags": ["vip"], "address": { "country": "FR" } }),
        )
        .await;
    let c = app.create_customer("acme", json!({ "name": "C" })).await;
    counts_follow(&app, "creates", &[3, 3, 0, 1, 0, 0, 1, 2, 0, 0, 1]).await;

    let rows = json!([
        { "name": "E", "email": "e@x.example", "tags": ["vip", "b2b"], "address": { "country": "ES" } },
        { "email": "b@x.example", "tags": ["b2b"], "address": { "country": "DE" } },
        { "name": "F", "email": "f@x.example", "address": { "country": "DE" } },
    ]);
    let data = app
        .gql("acme", IMPORT, json!({ "rows": rows, "mode": "UPSERT" }))
        .await
        .ok();
    assert_eq!(data["importCustomers"]["created"], 2, "{data}");
    counts_follow(&app, "an import", &[5, 5, 0, 2, 2, 0, 1, 2, 2, 0, 1]).await;

    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { status: ARCHIVED, address: { country: \"PT\" } }) { id } }",
        json!({ "id": a }),
    )
    .await
    .ok();
    counts_follow(&app, "an update", &[5, 4, 1, 1, 2, 1, 1, 2, 2, 0, 1]).await;

    app.gql(
        "acme",
        TAG,
        json!({ "ids": [a, c], "add": ["new", "vip"], "remove": ["eu"] }),
    )
    .await
    .ok();
    counts_follow(&app, "tagging", &[5, 4, 1, 1, 2, 1, 1, 3, 2, 2, 0]).await;

    let e = app
        .gql(
            "acme",
            "{ customers(first: 1, filter: { search: \"e@x.example\" }) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok()["customers"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql("acme", MERGE, json!({ "keep": c, "merge": e }))
        .await
        .ok();
    counts_follow(&app, "a merge", &[4, 3, 1, 1, 2, 1, 0, 2, 2, 2, 0]).await;

    app.delete_customer("acme", &b).await;
    counts_follow(&app, "a delete", &[3, 2, 1, 1, 1, 1, 0, 2, 1, 2, 0]).await;

    let request = app.request_data("acme", &a, "ERASURE", "asked").await;
    assert_eq!(
        app.finished_request("acme", &request).await["status"],
        "COMPLETED"
    );
    let after = facet_counts(&app, "acme").await;
    assert_eq!(after[0], 2, "the erased customer is gone from every count");
    counts_follow(&app, "an erasure", &after).await;
}

backend_tests!(maintained_counts_follow_every_write);

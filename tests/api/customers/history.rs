//! `Customer.history`: each field's values before and after, who changed
//! it and through what, paged and filtered by field; an erasure removes
//! the values and keeps the entries.

use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
use serde_json::{Value, json};

use crate::bulk_operations::finished;
use crate::helpers::{Backend, TestApp, spawn_app};

const HISTORY: &str = "query($id: ID!, $field: String, $first: Int, $after: String) { customer(id: $id) { history(field: $field, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { field oldValue newValue actor source changedAt } } } }";
const UPDATE: &str =
    "mutation($id: ID!, $i: CustomerUpdateInput!) { updateCustomer(id: $id, input: $i) { id } }";

async fn history(app: &TestApp, tenant: &str, id: &str, field: Option<&str>) -> Value {
    app.gql(
        tenant,
        HISTORY,
        json!({ "id": id, "field": field, "first": 100 }),
    )
    .await
    .ok()["customer"]["history"]
        .clone()
}

/// (field, oldValue, newValue, source) of each entry, newest first.
fn entries(history: &Value) -> Vec<(String, Value, Value, String)> {
    history["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["field"].as_str().unwrap().to_owned(),
                n["oldValue"].clone(),
                n["newValue"].clone(),
                n["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn entry(field: &str, old: Value, new: Value, source: &str) -> (String, Value, Value, String) {
    (field.to_owned(), old, new, source.to_owned())
}

async fn every_change_keeps_its_values_actor_and_source(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "firstName": "Ana", "address": { "city": "Berlin" }, "metadata": { "tier": "gold" } }),
        )
        .await;
    // A new customer's history starts at its first change.
    assert_eq!(history(&app, "acme", &ana, None).await["totalCount"], 0);

    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana, "i": { "email": "anna@acme.example", "firstName": "Anna", "address": { "city": "Hamburg" }, "metadata": { "tier": "platinum", "seats": 12 } } }),
    )
    .await
    .ok();
    let all = history(&app, "acme", &ana, None).await;
    let mut got = entries(&all);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            entry("address.city", json!("Berlin"), json!("Hamburg"), "API"),
            entry(
                "email",
                json!("ana@acme.example"),
                json!("anna@acme.example"),
                "API"
            ),
            entry("firstName", json!("Ana"), json!("Anna"), "API"),
            entry("metadata.seats", Value::Null, json!("12"), "API"),
            entry("metadata.tier", json!("gold"), json!("platinum"), "API"),
        ]
    );
    assert!(
        all["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["actor"] == "tester")
    );

    // Tags, an import and a bulk operation, each under its source.
    app.gql(
        "acme",
        "mutation($ids: [ID!]!) { tagCustomers(ids: $ids, add: [\"vip\"]) { id } }",
        json!({ "ids": [ana] }),
    )
    .await
    .ok();
    let imported = app
        .gql(
            "acme",
            "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { updated } }",
            json!({ "c": [{ "email": "anna@acme.example", "lastName": "Lind" }] }),
        )
        .await
        .ok();
    assert_eq!(imported["importCustomers"]["updated"], 1);
    let bulk = app
        .gql(
            "acme",
            "mutation($i: BulkOperationInput!) { startBulkOperation(input: $i) { id } }",
            json!({ "i": { "action": "SET_STATUS", "status": "ARCHIVED", "selection": { "ids": [ana] } } }),
        )
        .await
        .ok()["startBulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(finished(&app, "acme", &bulk).await["status"], "COMPLETED");

    let newest: Vec<_> = entries(&history(&app, "acme", &ana, None).await)
        .into_iter()
        .take(3)
        .collect();
    assert_eq!(
        newest,
        [
            entry(
                "status",
                json!("ACTIVE"),
                json!("ARCHIVED"),
                "BULK_OPERATION"
            ),
            entry("lastName", Value::Null, json!("Lind"), "IMPORT"),
            entry("tags", Value::Null, json!("[\"vip\"]"), "API"),
        ]
    );

    // A field keeps itself and the fields under it.
    let address = entries(&history(&app, "acme", &ana, Some("address")).await);
    assert_eq!(
        address,
        [entry(
            "address.city",
            json!("Berlin"),
            json!("Hamburg"),
            "API"
        )]
    );
    let metadata = entries(&history(&app, "acme", &ana, Some("metadata")).await);
    assert_eq!(metadata.len(), 2);
    let email = entries(&history(&app, "acme", &ana, Some("email")).await);
    assert_eq!(
        email,
        [entry(
            "email",
            json!("ana@acme.example"),
            json!("anna@acme.example"),
            "API"
        )]
    );
    assert_eq!(
        history(&app, "acme", &ana, Some("phone")).await["totalCount"],
        0
    );

    // Pages of two walk all eight entries, newest first.
    let mut walked = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql(
                "acme",
                HISTORY,
                json!({ "id": ana, "first": 2, "after": after }),
            )
            .await
            .ok()["customer"]["history"]
            .clone();
        assert_eq!(page["totalCount"], 8);
        walked.extend(entries(&page));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(walked, entries(&history(&app, "acme", &ana, None).await));

    // Another tenant reaches neither the customer nor its history.
    let other = app.gql("globex", HISTORY, json!({ "id": ana })).await.ok();
    assert_eq!(other["customer"], Value::Null);
}

async fn a_merge_records_what_the_kept_customer_took(backend: Backend) {
    let app = spawn_app(backend).await;
    let keep = app
        .create_customer("acme", json!({ "email": "k@acme.example" }))
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "phone": "+4915112345678", "lastName": "Lind" }),
        )
        .await;
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": dup, "i": { "lastName": "Lindqvist" } }),
    )
    .await
    .ok();
    app.gql(
        "acme",
        "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": keep, "m": dup }),
    )
    .await
    .ok();
    let got = entries(&history(&app, "acme", &keep, None).await);
    // The kept customer's own change by the merge, and the duplicate's
    // history, which moved with it.
    assert!(
        got.contains(&entry(
            "phone",
            Value::Null,
            json!("+4915112345678"),
            "MERGE"
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&entry("lastName", Value::Null, json!("Lindqvist"), "MERGE")),
        "{got:?}"
    );
    assert!(
        got.contains(&entry("lastName", json!("Lind"), json!("Lindqvist"), "API")),
        "{got:?}"
    );
}

async fn an_erasure_removes_the_values_and_keeps_the_entries(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "firstName": "Ana" }),
        )
        .await;
    for name in ["Anna", "Annika"] {
        app.gql(
            "acme",
            UPDATE,
            json!({ "id": ana, "i": { "firstName": name } }),
        )
        .await
        .ok();
    }
    assert_eq!(history(&app, "acme", &ana, None).await["totalCount"], 2);
    let request = app.request_data("acme", &ana, "ERASURE", "").await;
    let worker = app.another_instance().await;
    let done = worker.finished_request("acme", &request).await;
    assert_eq!(done["status"], "COMPLETED");
    let audit = app
        .gql(
            "acme",
            "query($id: ID!) { removalRequest(id: $id) { audit { removed { fieldHistory } } } }",
            json!({ "id": request }),
        )
        .await
        .ok();
    assert_eq!(
        audit["removalRequest"]["audit"]["removed"]["fieldHistory"],
        2
    );

    let db = app.db.connect().await;
    let key = ana.trim_start_matches("cus_");
    let backend = db.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = format!(
        "SELECT COUNT(*) AS n, COUNT(old_value) AS old, COUNT(new_value) AS new \
         FROM customer_field_changes WHERE customer_id = {placeholder}"
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [key.into()]))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get("", "n").unwrap();
    let old: i64 = row.try_get("", "old").unwrap();
    let new: i64 = row.try_get("", "new").unwrap();
    assert_eq!((n, old, new), (2, 0, 0));
}

backend_tests!(
    every_change_keeps_its_values_actor_and_source,
    a_merge_records_what_the_kept_customer_took,
    an_erasure_removes_the_values_and_keeps_the_entries,
);

//! importCustomers: a 5,000-row file takes the good rows and reports each
//! bad one, duplicates within one call are applied in order, and imports
//! keep PostgreSQL's statistics current.

use serde_json::{Value, json};

use super::IMPORT;
use crate::helpers::{Backend, TestApp, spawn_app};

/// Row `i` of a 5,000-row file; every 100th row (offset 37) is bad, in one
/// of five ways, with the field it names.
fn row(i: usize) -> (Value, Option<&'static str>) {
    let good = json!({
        "firstName": format!("First{i}"),
        "lastName": "Importer",
        "email": format!("person{i}@import.example"),
        "tags": ["imported", format!("batch{}", i / 1000)],
        "metadata": { "row": i },
        "address": { "city": "Lagos", "country": "NG" },
    });
    if i % 100 != 37 {
        return (good, None);
    }
    let mut bad = good;
    let field = match (i / 100) % 5 {
        0 => {
            bad["email"] = json!("not an email");
            "email"
        }
        1 => {
            bad["phone"] = json!("12");
            "phone"
        }
        2 => {
            bad["address"] = json!({ "country": "QQ" });
            "address.country"
        }
        3 => {
            bad["tags"] = json!(["x".repeat(65)]);
            "tags"
        }
        _ => {
            bad["metadata"] = json!("not an object");
            "metadata"
        }
    };
    (bad, Some(field))
}

async fn import_file(app: &TestApp, mode: &str) -> (i64, i64, i64, Vec<Value>) {
    let (mut created, mut updated, mut skipped, mut failed) = (0, 0, 0, Vec::new());
    for batch in 0..5 {
        let rows: Vec<Value> = (batch * 1000..(batch + 1) * 1000)
            .map(|i| row(i).0)
            .collect();
        let data = app
            .gql("acme", IMPORT, json!({ "rows": rows, "mode": mode }))
            .await
            .ok();
        let r = &data["importCustomers"];
        created += r["created"].as_i64().unwrap();
        updated += r["updated"].as_i64().unwrap();
        skipped += r["skipped"].as_i64().unwrap();
        for f in r["failed"].as_array().unwrap() {
            let mut f = f.clone();
            f["index"] = json!(f["index"].as_i64().unwrap() + (batch * 1000) as i64);
            failed.push(f);
        }
    }
    (created, updated, skipped, failed)
}

async fn import_takes_the_good_rows_and_reports_each_bad_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let (created, updated, skipped, failed) = import_file(&app, "UPSERT").await;
    assert_eq!((created, updated, skipped), (4950, 0, 0));
    assert_eq!(failed.len(), 50);
    for f in &failed {
        let index = f["index"].as_u64().unwrap() as usize;
        let expected = row(index)
            .1
            .unwrap_or_else(|| panic!("row {index} was good: {f}"));
        assert_eq!(f["code"], "BAD_USER_INPUT", "{f}");
        assert_eq!(f["field"], expected, "{f}");
    }
    assert_eq!(app.count("acme").await, 4950);
    let sample = app
        .gql("acme", r#"{ customerLookup(email: "PERSON4242@import.example") { name tags metadata address { country } } }"#, json!({}))
        .await
        .ok();
    assert_eq!(
        sample["customerLookup"],
        json!({ "name": "First4242 Importer", "tags": ["batch4", "imported"], "metadata": { "row": 4242 }, "address": { "country": "NG" } })
    );

    for mode in ["UPSERT", "CREATE_ONLY"] {
        let (created, updated, skipped, failed) = import_file(&app, mode).await;
        assert_eq!(
            (created, updated, skipped, failed.len()),
            (0, 0, 4950, 50),
            "{mode} again"
        );
    }
    assert_eq!(
        app.count("acme").await,
        4950,
        "importing again creates nothing"
    );
}

async fn import_handles_duplicates_within_a_call(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer(
        "acme",
        json!({ "email": "old@example.com", "name": "Old", "tags": ["keep"] }),
    )
    .await;
    let rows = json!([
        { "email": "new@example.com", "name": "First", "tags": ["a"] },
        { "email": "NEW@example.com", "phone": "+14155552671", "addTags": ["b"] },
        { "phone": "+1 415 555 2671", "companyName": "Same Person Inc" },
        { "email": "old@example.com", "name": "Old Renamed", "addTags": ["more"] },
        { "email": "old@example.com", "phone": "+14155552671" },
        { "name": "No Key" },
    ]);
    let data = app.gql("acme", IMPORT, json!({ "rows": rows })).await.ok();
    let r = &data["importCustomers"];
    assert_eq!(
        (
            r["created"].clone(),
            r["updated"].clone(),
            r["skipped"].clone()
        ),
        (json!(2), json!(3), json!(0)),
        "{r}"
    );
    assert_eq!(
        r["failed"],
        json!([{ "index": 4, "code": "CONFLICT", "message": "another customer has this phone", "field": "phone" }])
    );
    assert_eq!(app.count("acme").await, 3);
    let new = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "new@example.com") { name phone companyName tags } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        new["customerLookup"],
        json!({ "name": "First", "phone": "+14155552671", "companyName": "Same Person Inc", "tags": ["a", "b"] })
    );
    let old = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "old@example.com") { name phone tags } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        old["customerLookup"],
        json!({ "name": "Old Renamed", "phone": null, "tags": ["keep", "more"] })
    );

    // An exact repeat of a row changes nothing the second time.
    let twice = json!([{ "email": "twice@example.com", "name": "Twice" }, { "email": "twice@example.com", "name": "Twice" }]);
    let data = app.gql("acme", IMPORT, json!({ "rows": twice })).await.ok();
    let r = &data["importCustomers"];
    assert_eq!(
        (
            r["created"].clone(),
            r["updated"].clone(),
            r["skipped"].clone()
        ),
        (json!(1), json!(0), json!(1))
    );

    // One customer gives up an email that another takes, in one call, whatever
    // order the two are written in.
    let b = app
        .create_customer("acme", json!({ "phone": "+4930901820", "name": "B" }))
        .await;
    let a = app
        .create_customer(
            "acme",
            json!({ "email": "x@example.com", "phone": "+8613812345678", "name": "A" }),
        )
        .await;
    let moves = json!([
        { "phone": "+8613812345678", "email": "z@example.com" },
        { "phone": "+4930901820", "email": "x@example.com" },
    ]);
    let data = app.gql("acme", IMPORT, json!({ "rows": moves })).await.ok();
    assert_eq!(data["importCustomers"]["updated"], 2, "{data}");
    assert_eq!(data["importCustomers"]["failed"], json!([]));
    let emails = app
        .gql("acme", "query($a: ID!, $b: ID!) { a: customer(id: $a) { email } b: customer(id: $b) { email } }", json!({ "a": a, "b": b }))
        .await
        .ok();
    assert_eq!(
        emails,
        json!({ "a": { "email": "z@example.com" }, "b": { "email": "x@example.com" } })
    );
    let before = app.count("acme").await;

    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({ "name": format!("n{i}") }))
        .collect();
    let refused = app.gql("acme", IMPORT, json!({ "rows": too_many })).await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "customers")
    );
    assert_eq!(app.count("acme").await, before);
}

/// Imports keep PostgreSQL's statistics in step with a growing tenant, so
/// lookups by email and phone stay index lookups: after 1,500 customers
/// arrive in a tenant the planner knew nothing of, it expects more than a
/// tenth of them (untouched, it would expect a handful).
async fn imports_keep_the_planner_statistics_current(backend: Backend) {
    let app = spawn_app(backend).await;
    // Statistics are refreshed from 10,000 customers on.
    for call in 0..11 {
        let rows: Vec<Value> = (call * 1000..call * 1000 + 1000)
            .map(|i| json!({ "name": format!("Grower {i}"), "email": format!("grower{i}@example.com") }))
            .collect();
        let created = app.gql("acme", IMPORT, json!({ "rows": rows })).await.ok()["importCustomers"]["created"].clone();
        assert_eq!(created, 1000);
    }
    let db = app.db.connect().await;
    let planned = crm::db::planned_customers(&db, "acme").await.unwrap();
    db.close().await.unwrap();
    match planned {
        None => assert!(
            app.db.schema().is_none(),
            "only SQLite plans without statistics"
        ),
        Some(rows) => assert!(
            rows >= 1100.0,
            "the planner expects {rows} of 11,000 customers"
        ),
    }
}

backend_tests!(
    imports_keep_the_planner_statistics_current,
    import_takes_the_good_rows_and_reports_each_bad_one,
    import_handles_duplicates_within_a_call,
);

//! `mergePreview` and the `overrides` of a merge: the preview shows the
//! record `mergeCustomers` would leave and writes nothing; the fields and
//! custom-field keys the caller names take the duplicate's value, in the
//! preview and in the merge alike; bad input is refused by both.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, days_ago, record_order, spawn_app, unknown_customer_id};

/// The fields the tests compare, of a customer, a preview and a merge.
const FIELDS: &str = "id firstName lastName email phone emails phones tags metadata totalOrders totalSpent lastOrderAt emailConsent { state } defaultAddress { id city } addresses(first: 10) { totalCount nodes { id city } }";

fn preview_query() -> String {
    format!(
        "query($k: ID!, $m: ID!, $o: MergeOverridesInput) {{ mergePreview(keepId: $k, mergeId: $m, overrides: $o) {{ {FIELDS} }} }}"
    )
}

fn merge_query() -> String {
    format!(
        "mutation($k: ID!, $m: ID!, $o: MergeOverridesInput) {{ mergeCustomers(keepId: $k, mergeId: $m, overrides: $o) {{ {FIELDS} }} }}"
    )
}

/// A customer as read back; null when there is none.
async fn read(app: &TestApp, tenant: &str, id: &str) -> Value {
    app.gql(
        tenant,
        &format!("query($id: ID!) {{ customer(id: $id) {{ {FIELDS} }} }}"),
        json!({ "id": id }),
    )
    .await
    .ok()["customer"]
        .clone()
}

async fn preview(app: &TestApp, keep: &str, dup: &str, overrides: Value) -> Value {
    app.gql(
        "acme",
        &preview_query(),
        json!({ "k": keep, "m": dup, "o": overrides }),
    )
    .await
    .ok()["mergePreview"]
        .clone()
}

async fn merge(app: &TestApp, keep: &str, dup: &str, overrides: Value) -> Value {
    app.gql(
        "acme",
        &merge_query(),
        json!({ "k": keep, "m": dup, "o": overrides }),
    )
    .await
    .ok()["mergeCustomers"]
        .clone()
}

/// The cities of a customer's addresses, sorted.
fn cities(customer: &Value) -> Vec<String> {
    let mut cities: Vec<String> = customer["addresses"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["city"].as_str().unwrap().to_owned())
        .collect();
    cities.sort();
    cities
}

async fn the_preview_shows_the_merged_record_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let keep = app
        .create_customer(
            "acme",
            json!({ "firstName": "Ana", "email": "ana@acme.example", "tags": ["vip"], "metadata": { "plan": "pro" } }),
        )
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "firstName": "Anna", "lastName": "Silva", "phone": "+14155552671", "tags": ["eu", "vip"],
                    "metadata": { "plan": "free", "seats": 3 } }),
        )
        .await;
    record_order(&app, "acme", &keep, json!({ "externalId": "K-1", "amount": "10.00", "currency": "EUR", "placedAt": days_ago(5.0) })).await;
    let last = record_order(&app, "acme", &dup, json!({ "externalId": "D-1", "amount": "32.50", "currency": "EUR", "placedAt": days_ago(1.0) })).await;
    let (keep_before, dup_before) = (
        read(&app, "acme", &keep).await,
        read(&app, "acme", &dup).await,
    );

    let previewed = preview(&app, &keep, &dup, Value::Null).await;
    assert_eq!(previewed["id"], keep);
    // The kept customer's values win; its empty fields are filled.
    assert_eq!(previewed["firstName"], "Ana");
    assert_eq!(previewed["lastName"], "Silva");
    assert_eq!(previewed["email"], "ana@acme.example");
    assert_eq!(previewed["phone"], "+14155552671");
    assert_eq!(previewed["tags"], json!(["eu", "vip"]));
    assert_eq!(previewed["metadata"], json!({ "plan": "pro", "seats": 3 }));
    // Both customers' orders, counted together.
    assert_eq!(previewed["totalOrders"], 2);
    assert_eq!(previewed["totalSpent"], "42.50");
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(time(&previewed["lastOrderAt"]), time(&last["placedAt"]));

    // Nothing was written.
    assert_eq!(read(&app, "acme", &keep).await, keep_before);
    assert_eq!(read(&app, "acme", &dup).await, dup_before);
    assert_eq!(app.count("acme").await, 2);

    // The merge leaves what the preview showed.
    let merged = merge(&app, &keep, &dup, Value::Null).await;
    assert_eq!(merged, previewed);
    assert_eq!(read(&app, "acme", &dup).await, Value::Null);
}

async fn overrides_win_in_the_preview_and_the_merge_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    // The duplicate first: the kept customer's consent is the later one.
    let dup = app
        .create_customer(
            "acme",
            json!({ "firstName": "Anna", "email": "anna@acme.example", "metadata": { "plan": "free" },
                    "emailConsent": { "state": "SUBSCRIBED", "optInLevel": "SINGLE" } }),
        )
        .await;
    let keep = app
        .create_customer(
            "acme",
            json!({ "firstName": "Ana", "email": "ana@acme.example", "metadata": { "plan": "pro", "tier": "gold" },
                    "emailConsent": { "state": "UNSUBSCRIBED" } }),
        )
        .await;
    let keep_before = read(&app, "acme", &keep).await;

    // Without overrides, the kept customer's values win.
    let default = preview(&app, &keep, &dup, Value::Null).await;
    assert_eq!(default["firstName"], "Ana");
    assert_eq!(default["email"], "ana@acme.example");
    assert_eq!(
        default["emails"],
        json!(["ana@acme.example", "anna@acme.example"])
    );
    assert_eq!(
        default["metadata"],
        json!({ "plan": "pro", "tier": "gold" })
    );
    assert_eq!(default["emailConsent"]["state"], "UNSUBSCRIBED");

    // Named, the duplicate's: its email becomes the primary one and the
    // kept customer's stays among its emails; a key it lacks goes.
    let overrides = json!({
        "fromMerged": ["FIRST_NAME", "EMAIL", "EMAIL_CONSENT"],
        "metadataFromMerged": ["plan", "tier"],
    });
    let previewed = preview(&app, &keep, &dup, overrides.clone()).await;
    assert_eq!(previewed["id"], keep);
    assert_eq!(previewed["firstName"], "Anna");
    assert_eq!(previewed["email"], "anna@acme.example");
    assert_eq!(
        previewed["emails"],
        json!(["anna@acme.example", "ana@acme.example"])
    );
    assert_eq!(previewed["metadata"], json!({ "plan": "free" }));
    assert_eq!(previewed["emailConsent"]["state"], "SUBSCRIBED");
    assert_eq!(read(&app, "acme", &keep).await, keep_before);

    let merged = merge(&app, &keep, &dup, overrides).await;
    assert_eq!(merged, previewed);
    assert_eq!(read(&app, "acme", &keep).await, merged);
    // Both emails lead to the kept customer.
    for email in ["ana@acme.example", "anna@acme.example"] {
        assert_eq!(app.lookup("acme", email, "id").await["id"], keep, "{email}");
    }
}

async fn the_address_taken_moves_the_kept_default_among_the_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let keep = app
        .create_customer(
            "acme",
            json!({ "email": "keep@acme.example", "address": { "city": "Berlin", "country": "DE" } }),
        )
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "email": "dup@acme.example", "address": { "city": "Lisbon", "country": "PT" } }),
        )
        .await;
    app.gql(
        "acme",
        "mutation($c: ID!, $i: AddressInput!) { addCustomerAddress(customerId: $c, input: $i) { id } }",
        json!({ "c": dup, "i": { "city": "Porto", "country": "PT" } }),
    )
    .await
    .ok();
    let lisbon = read(&app, "acme", &dup).await["defaultAddress"]["id"].clone();
    let overrides = json!({ "fromMerged": ["ADDRESS"] });

    let previewed = preview(&app, &keep, &dup, overrides.clone()).await;
    assert_eq!(
        previewed["defaultAddress"],
        json!({ "id": lisbon, "city": "Lisbon" })
    );
    // The kept customer's former default stays among its addresses; the
    // duplicate's others join them once the merge runs.
    assert_eq!(cities(&previewed), ["Berlin", "Lisbon"]);
    assert_eq!(previewed["addresses"]["totalCount"], 2);
    let unchanged = preview(&app, &keep, &dup, json!({})).await;
    assert_eq!(cities(&unchanged), ["Berlin"]);

    let merged = merge(&app, &keep, &dup, overrides.clone()).await;
    assert_eq!(
        merged["defaultAddress"],
        json!({ "id": lisbon, "city": "Lisbon" })
    );
    assert_eq!(merged["addresses"]["totalCount"], 3);
    assert_eq!(cities(&merged), ["Berlin", "Lisbon", "Porto"]);

    // A duplicate without an address leaves the default where it is.
    let bare = app
        .create_customer("acme", json!({ "email": "bare@acme.example" }))
        .await;
    let merged = merge(&app, &keep, &bare, overrides).await;
    assert_eq!(merged["defaultAddress"]["city"], "Lisbon");
    assert_eq!(cities(&merged), ["Berlin", "Lisbon", "Porto"]);
}

async fn bad_input_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let [keep, dup] = app
        .customers_by_email("acme", ["keep@acme.example", "dup@acme.example"])
        .await;
    let theirs = app
        .create_customer("globex", json!({ "email": "theirs@globex.example" }))
        .await;
    let (keep_before, dup_before) = (
        read(&app, "acme", &keep).await,
        read(&app, "acme", &dup).await,
    );
    let unknown = unknown_customer_id();
    let long_key = "k".repeat(201);
    let cases = [
        (
            keep.as_str(),
            keep.as_str(),
            Value::Null,
            "BAD_USER_INPUT",
            Some("mergeId"),
        ),
        (
            keep.as_str(),
            unknown.as_str(),
            Value::Null,
            "NOT_FOUND",
            None,
        ),
        (
            unknown.as_str(),
            dup.as_str(),
            Value::Null,
            "NOT_FOUND",
            None,
        ),
        (
            keep.as_str(),
            theirs.as_str(),
            Value::Null,
            "NOT_FOUND",
            None,
        ),
        (
            theirs.as_str(),
            keep.as_str(),
            Value::Null,
            "NOT_FOUND",
            None,
        ),
        (
            keep.as_str(),
            dup.as_str(),
            json!({ "metadataFromMerged": [long_key] }),
            "BAD_USER_INPUT",
            Some("overrides.metadataFromMerged"),
        ),
    ];
    for (k, m, overrides, code, field) in cases {
        for (name, query) in [
            ("mergePreview", preview_query()),
            ("mergeCustomers", merge_query()),
        ] {
            let refused = app
                .gql("acme", &query, json!({ "k": k, "m": m, "o": overrides }))
                .await;
            assert_eq!(refused.code(), code, "{name}({k}, {m}, {overrides})");
            if let Some(field) = field {
                assert_eq!(refused.field(), field, "{name}({k}, {m}, {overrides})");
            }
        }
    }
    let too_many: Vec<String> = (0..101).map(|i| format!("k{i}")).collect();
    let refused = app
        .gql(
            "acme",
            &preview_query(),
            json!({ "k": keep, "m": dup, "o": { "metadataFromMerged": too_many } }),
        )
        .await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "overrides.metadataFromMerged")
    );

    // Nothing changed, in either tenant.
    assert_eq!(read(&app, "acme", &keep).await, keep_before);
    assert_eq!(read(&app, "acme", &dup).await, dup_before);
    assert_eq!((app.count("acme").await, app.count("globex").await), (2, 1));
}

backend_tests!(
    the_preview_shows_the_merged_record_and_changes_nothing,
    overrides_win_in_the_preview_and_the_merge_alike,
    the_address_taken_moves_the_kept_default_among_the_others,
    bad_input_is_refused_and_changes_nothing,
);

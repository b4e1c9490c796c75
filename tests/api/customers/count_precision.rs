//! `customersCount`: exact up to its limit, a lower bound above it; a
//! count the tenant keeps is exact at any size.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

const COUNT: &str = "query($f: CustomerFilter, $l: Int) { customersCount(filter: $f, limit: $l) { count precision } }";

async fn count(app: &TestApp, filter: Value, limit: Value) -> Value {
    app.gql("acme", COUNT, json!({ "f": filter, "l": limit }))
        .await
        .ok()["customersCount"]
        .clone()
}

async fn counts_are_exact_up_to_their_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..12 {
        let tags = if i < 8 { json!(["vip"]) } else { json!([]) };
        let name = if i < 7 {
            format!("Kestrel {i}")
        } else {
            format!("Other {i}")
        };
        app.create_customer(
            "acme",
            json!({ "email": format!("c{i}@acme.example"), "name": name, "tags": tags }),
        )
        .await;
    }
    app.create_customer(
        "other",
        json!({ "email": "o@other.example", "name": "Kestrel" }),
    )
    .await;
    let exact = |n: i64| json!({ "count": n, "precision": "EXACT" });
    let at_least = |n: i64| json!({ "count": n, "precision": "AT_LEAST" });

    // Kept counts: exact whatever the limit.
    assert_eq!(count(&app, Value::Null, json!(5)).await, exact(12));
    assert_eq!(
        count(&app, json!({ "tags": ["vip"] }), json!(3)).await,
        exact(8)
    );
    // Counted rows: exact up to the limit.
    let search = json!({ "search": "kestrel" });
    assert_eq!(count(&app, search.clone(), Value::Null).await, exact(7));
    assert_eq!(count(&app, search.clone(), json!(7)).await, exact(7));
    assert_eq!(count(&app, search.clone(), json!(6)).await, at_least(6));
    assert_eq!(count(&app, search.clone(), json!(1)).await, at_least(1));
    let since = json!({ "tags": ["vip"], "createdAfter": "2000-01-01T00:00:00Z" });
    assert_eq!(count(&app, since.clone(), json!(3)).await, at_least(3));
    assert_eq!(count(&app, since, json!(8)).await, exact(8));
    let none = json!({ "search": "nobody-has-this" });
    assert_eq!(count(&app, none, json!(1)).await, exact(0));
    // The same as the exact count below the limit.
    let exact_count = app
        .gql(
            "acme",
            "{ customerCount(filter: { search: \"kestrel\" }) }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(exact_count["customerCount"], 7);

    // An `or`: past the limit when a branch the tenant counts is (eight
    // VIPs), counted row by row otherwise; extra conditions beside the `or`
    // are counted row by row too.
    let either = json!({ "or": [{ "tags": ["vip"] }, { "search": "kestrel" }] });
    assert_eq!(count(&app, either.clone(), json!(5)).await, at_least(5));
    assert_eq!(count(&app, either.clone(), json!(7)).await, at_least(7));
    assert_eq!(count(&app, either.clone(), json!(8)).await, exact(8));
    let narrowed = json!({ "or": [{ "tags": ["vip"] }], "search": "kestrel" });
    assert_eq!(count(&app, narrowed.clone(), json!(6)).await, at_least(6));
    assert_eq!(count(&app, narrowed, json!(7)).await, exact(7));
    let rare = json!({ "or": [{ "tags": ["nobody"] }, { "search": "other" }] });
    assert_eq!(count(&app, rare.clone(), json!(1)).await, at_least(1));
    assert_eq!(count(&app, rare, json!(5)).await, exact(5));

    for limit in [0, 100_001, -1] {
        let refused = app.gql("acme", COUNT, json!({ "l": limit })).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{limit}");
        assert_eq!(refused.field(), "limit", "{limit}");
    }
}

backend_tests!(counts_are_exact_up_to_their_limit);

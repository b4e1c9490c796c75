//! Segment input checked: an invalid segment is refused naming the rule
//! and field at fault, a duplicate name is a conflict, segments need their
//! scope, and rule values crafted as SQL match literally.

use serde_json::{Value, json};

use crate::helpers::segments::{CREATE, create, members};
use crate::helpers::{Backend, spawn_app, unknown_customer_id};

async fn invalid_segments_are_refused_naming_the_rule(backend: Backend) {
    let app = spawn_app(backend).await;
    let rule = |field: &str, op: &str, value: Value| json!({ "field": field, "operator": op, "value": value });
    let ok = rule("total_orders", "gte", json!(1));
    let cases = [
        (
            json!({ "name": "x", "rules": [ok, rule("shoe_size", "eq", json!(42))] }),
            "input.rules.1.field",
        ),
        (
            json!({ "name": "x", "rules": [rule("tags", "gt", json!("vip"))] }),
            "input.rules.0.operator",
        ),
        (
            json!({ "name": "x", "rules": [ok, ok, rule("total_spent", "gt", json!("a lot"))] }),
            "input.rules.2.value",
        ),
        (
            json!({ "name": "x", "rules": [rule("last_order_at", "before", json!("ninety days ago"))] }),
            "input.rules.0.value",
        ),
        (
            json!({ "name": "x", "rules": [rule("metadata.a;b", "eq", json!(1))] }),
            "input.rules.0.field",
        ),
        (
            json!({ "name": "x", "rules": [rule("tags", "in", json!(["vip", 7]))] }),
            "input.rules.0.value.1",
        ),
        (json!({ "name": "x", "rules": [] }), "input.rules"),
        (json!({ "name": "x" }), "input.rules"),
        (json!({ "name": " ", "rules": [ok] }), "input.name"),
        (
            json!({ "name": "x", "type": "STATIC", "rules": [ok] }),
            "input.rules",
        ),
        (
            json!({ "name": "x", "rules": [ok], "customerIds": [unknown_customer_id()] }),
            "input.customerIds",
        ),
    ];
    for (input, field) in cases {
        let refused = app.gql("acme", CREATE, json!({ "i": input })).await;
        assert_eq!(
            refused.code(),
            "BAD_USER_INPUT",
            "{input}: {:#}",
            refused.body
        );
        assert_eq!(refused.field(), field, "{input}");
    }
    let none = app
        .gql("acme", "{ segments { totalCount } }", json!({}))
        .await
        .ok();
    assert_eq!(none["segments"]["totalCount"], 0, "nothing was created");

    let seg = create(&app, "acme", json!({ "name": "Buyers", "rules": [ok] })).await;
    let update =
        "mutation($id: ID!, $i: SegmentUpdateInput!) { updateSegment(id: $id, input: $i) { id } }";
    let refused = app
        .gql("acme", update, json!({ "id": seg, "i": { "name": "Renamed", "rules": [ok, rule("email", "before", json!("now"))] } }))
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field(), "input.rules.1.operator");
    let kept = app
        .gql(
            "acme",
            "query($id: ID!) { segment(id: $id) { name rules { field } } }",
            json!({ "id": seg }),
        )
        .await
        .ok();
    assert_eq!(
        kept["segment"]["name"], "Buyers",
        "a refused update changes nothing"
    );

    let duplicate = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "Buyers", "rules": [ok] } }),
        )
        .await;
    assert_eq!(duplicate.code(), "CONFLICT");
    assert_eq!(duplicate.field(), "input.name");

    // Without the scope, segments are FORBIDDEN (on that field only).
    let token = app.token_with("acme", "read:customers write:customers");
    let refused = app
        .gql_as(
            &token,
            CREATE,
            json!({ "i": { "name": "y", "rules": [ok] } }),
        )
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    app.create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let partial = app
        .gql_as(
            &token,
            "{ customers { totalCount nodes { email segments { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(partial.code(), "FORBIDDEN");
    assert_eq!(
        partial.data()["customers"]["totalCount"],
        1,
        "{:#}",
        partial.body
    );
}

async fn rule_values_crafted_as_sql_match_literally(backend: Backend) {
    let app = spawn_app(backend).await;
    let crafted = [
        "x' OR '1'='1",
        "'; DROP TABLE customers; --",
        "100%",
        "a_b",
        "--",
        "\" OR \"\"=\"",
    ];
    let mut ids = Vec::new();
    for (i, text) in crafted.iter().enumerate() {
        ids.push(
            app.create_customer(
                "acme",
                json!({ "email": format!("c{i}@acme.example"), "source": text, "metadata": { "note": text } }),
            )
            .await,
        );
    }
    // Decoys that LIKE or a broken quote would catch.
    app.create_customer("acme", json!({ "email": "d1@acme.example", "source": "100 percent", "metadata": { "note": "aXb" } })).await;
    app.create_customer(
        "acme",
        json!({ "email": "d2@acme.example", "source": "axb", "metadata": { "note": "1000" } }),
    )
    .await;

    for (i, text) in crafted.iter().enumerate() {
        for (field, op) in [
            ("source", "eq"),
            ("source", "contains"),
            ("metadata.note", "eq"),
            ("metadata.note", "starts_with"),
        ] {
            let seg = create(
                &app,
                "acme",
                json!({ "name": format!("s{i}{field}{op}"), "rules": [{ "field": field, "operator": op, "value": text }] }),
            )
            .await;
            let found = members(&app, "acme", &seg).await;
            let expected: Vec<String> = crafted
                .iter()
                .zip(&ids)
                .filter(|(other, _)| match op {
                    "eq" => *other == text,
                    "contains" => other.contains(text),
                    _ => other.starts_with(text),
                })
                .map(|(_, id)| id.clone())
                .collect();
            let mut expected = expected;
            expected.sort();
            assert_eq!(found, expected, "{field} {op} {text:?}");
        }
    }
    assert_eq!(app.count("acme").await, 8, "the tables are intact");
}

backend_tests!(
    invalid_segments_are_refused_naming_the_rule,
    rule_values_crafted_as_sql_match_literally,
);

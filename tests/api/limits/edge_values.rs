//! Values at the edges of what the databases hold: U+0000 is refused, and
//! the largest and smallest doubles round-trip.

use serde_json::json;

use super::quiet_app;
use crate::helpers::Backend;

/// Found by the fuzz pass: PostgreSQL cannot hold U+0000 in text or
/// JSON, and the largest double must come back as it went in.
async fn nul_characters_are_refused_and_extreme_numbers_round_trip(backend: Backend) {
    let app = quiet_app(backend).await;
    let customer = app
        .create_customer("acme", json!({ "email": "edge@example.com" }))
        .await;
    let literal = app
        .gql(
            "acme",
            r#"mutation { createCustomer(input: { name: "x", metadata: { a: "\u0000" } }) { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(literal.code(), "BAD_USER_INPUT", "{:#}", literal.body);
    assert_eq!(literal.field(), "input");
    let variable = app
        .gql(
            "acme",
            "query($f: CustomerFilter) { customerCount(filter: $f) }",
            json!({ "f": { "search": "abc\u{0}" } }),
        )
        .await;
    assert_eq!(variable.code(), "BAD_USER_INPUT", "{:#}", variable.body);
    assert_eq!(variable.field(), "f");
    let key = app
        .gql(
            "acme",
            "mutation($c: ID!, $d: JSON) { recordActivity(customerId: $c, input: { type: CUSTOM, data: $d }) { id } }",
            json!({ "c": customer, "d": { "a\u{0}": 1 } }),
        )
        .await;
    assert_eq!(key.code(), "BAD_USER_INPUT");
    assert_eq!(app.count("acme").await, 1);

    let max = json!({ "x": f64::MAX, "tiny": 5e-324, "big": 1.5e308 });
    let recorded = app
        .gql(
            "acme",
            "mutation($c: ID!, $d: JSON) { recordActivity(customerId: $c, input: { type: CUSTOM, data: $d }) { data } }",
            json!({ "c": customer, "d": max }),
        )
        .await
        .ok();
    assert_eq!(recorded["recordActivity"]["data"], max);
    let read = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { activity(first: 5, types: [CUSTOM]) { nodes { data } } } }",
            json!({ "c": customer }),
        )
        .await
        .ok();
    assert_eq!(read["customer"]["activity"]["nodes"][0]["data"], max);
}

backend_tests!(nul_characters_are_refused_and_extreme_numbers_round_trip);

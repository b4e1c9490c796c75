//! Scopes, enforced per field: a missing one is `FORBIDDEN` on that field
//! only, and a write's payload does not read past it.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

async fn a_missing_scope_is_forbidden_on_that_field_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_customer("acme", json!({ "email": "ana@example.com" }))
        .await;
    let writer = app.token_with("acme", "write:customers");
    let query = "query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } __typename }";
    let response = app.gql_as(&writer, query, json!({ "id": id })).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.data()["__typename"], "Query");
    assert_eq!(response.data()["customer"], Value::Null);
    let errors = response.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    for error in errors {
        assert_eq!(error["extensions"]["code"], "FORBIDDEN");
    }

    let reader = app.token_with("acme", "read:customers");
    let mutation = app
        .gql_as(
            &reader,
            r#"mutation { createCustomer(input: { email: "bo@example.com" }) { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(mutation.code(), "FORBIDDEN");
    assert_eq!(
        app.count("acme").await,
        1,
        "a forbidden mutation changes nothing"
    );

    // A write's payload does not read past the scope: the customer's lists
    // need `read:customers`.
    let note = app
        .gql_as(
            &writer,
            "mutation($id: ID!) { addNote(customerId: $id, body: \"Called\") { id customer { email orders { totalCount } notes { totalCount } activity { totalCount } } } }",
            json!({ "id": id }),
        )
        .await;
    let customer = &note.data()["addNote"]["customer"];
    assert_eq!(customer["email"], "ana@example.com", "{}", note.body);
    let errors = note.body["errors"].as_array().unwrap();
    let mut refused: Vec<&str> = errors
        .iter()
        .map(|error| {
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
            error["path"][2].as_str().unwrap()
        })
        .collect();
    refused.sort_unstable();
    assert_eq!(refused, ["activity", "notes", "orders"]);
    for list in refused {
        assert!(customer.get(list).is_none_or(Value::is_null), "{customer}");
    }
}

backend_tests!(a_missing_scope_is_forbidden_on_that_field_only);

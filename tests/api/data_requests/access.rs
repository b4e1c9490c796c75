//! Who may see and make data requests: only their tenant, with the scopes
//! for reading and writing them; bad input names its field, and a request
//! is due within GDPR's month.

use serde_json::json;

use super::spawn;
use crate::helpers::{Backend, unknown_customer_id};

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

backend_tests!(data_requests_are_confined_to_their_tenant);

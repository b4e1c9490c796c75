//! Segments are confined to their tenant: invisible to another, out of
//! reach of its mutations, and counting only the tenant's own customers.

use serde_json::{Value, json};

use crate::helpers::segments::{create, members};
use crate::helpers::{Backend, spawn_app};

async fn segments_are_confined_to_their_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let eve = app
        .create_customer("evil", json!({ "email": "eve@evil.example" }))
        .await;
    let list = create(
        &app,
        "acme",
        json!({ "name": "List", "type": "STATIC", "customerIds": [ana] }),
    )
    .await;
    let rules = create(&app, "acme", json!({ "name": "All", "rules": [{ "field": "total_orders", "operator": "gte", "value": 0 }] })).await;

    // Another tenant's view: as if the segments did not exist.
    let data = app
        .gql(
            "evil",
            "query($a: ID!, $b: ID!) { segment(id: $a) { id } node(id: $b) { id } segments { totalCount nodes { id } } }",
            json!({ "a": list, "b": rules }),
        )
        .await
        .ok();
    assert_eq!(data["segment"], Value::Null);
    assert_eq!(data["node"], Value::Null);
    assert_eq!(data["segments"]["totalCount"], 0);
    let filtered = app
        .gql(
            "evil",
            "query($s: ID!) { customerCount(filter: { segmentId: $s }) }",
            json!({ "s": list }),
        )
        .await;
    assert_eq!(filtered.code(), "NOT_FOUND");
    let mutations = [
        (
            "mutation($id: ID!) { updateSegment(id: $id, input: { name: \"mine\" }) { id } }",
            json!({ "id": list }),
        ),
        (
            "mutation($id: ID!) { deleteSegment(id: $id) { deletedId } }",
            json!({ "id": rules }),
        ),
        (
            "mutation($id: ID!, $c: [ID!]!) { addSegmentMembers(id: $id, customerIds: $c) { id } }",
            json!({ "id": list, "c": [eve] }),
        ),
        (
            "mutation($id: ID!, $c: [ID!]!) { removeSegmentMembers(id: $id, customerIds: $c) { id } }",
            json!({ "id": list, "c": [ana] }),
        ),
    ];
    for (mutation, vars) in mutations {
        let refused = app.gql("evil", mutation, vars).await;
        assert_eq!(refused.code(), "NOT_FOUND", "{mutation}");
    }
    // Acme cannot add Evil's customer, nor explain it.
    let refused = app
        .gql(
            "acme",
            "mutation($id: ID!, $c: [ID!]!) { addSegmentMembers(id: $id, customerIds: $c) { id } }",
            json!({ "id": list, "c": [eve] }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let refused = app
        .gql(
            "acme",
            "query($s: ID!, $c: ID!) { segment(id: $s) { explain(customerId: $c) { matched } } }",
            json!({ "s": rules, "c": eve }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");

    // Dynamic rules count only the tenant's own customers.
    assert_eq!(members(&app, "acme", &rules).await, vec![ana.clone()]);
    assert_eq!(members(&app, "acme", &list).await, vec![ana.clone()]);
    let data = app
        .gql(
            "evil",
            "query($c: ID!) { customer(id: $c) { segments { id } } }",
            json!({ "c": eve }),
        )
        .await
        .ok();
    assert_eq!(data["customer"]["segments"], json!([]));
    let stats = app
        .gql(
            "evil",
            "{ customerStats { segmentDistribution { count } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(stats["customerStats"]["segmentDistribution"], json!([]));
}

backend_tests!(segments_are_confined_to_their_tenant);

//! Delete rules: `canDelete` and `deleteBlockers` name what keeps a
//! customer from being deleted (an open data request and unpaid orders
//! always, the tenant's rules when on), and `deleteCustomer` refuses with
//! `CONFLICT` and the same blockers; archiving stays open.

use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, record_order, spawn_app, spawn_app_with};

const BLOCKERS: &str = "query($id: ID!) { customer(id: $id) { canDelete deleteBlockers } }";
const DELETE: &str = "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }";
const RULES: &str = "mutation($r: [CustomerDeleteRule!]!) { setCustomerDeleteRules(rules: $r) }";

async fn blockers(app: &TestApp, id: &str) -> Value {
    app.gql("acme", BLOCKERS, json!({ "id": id })).await.ok()["customer"].clone()
}

/// Deleting is refused with the blockers; the customer stays.
async fn refused(app: &TestApp, id: &str, expected: &[&str]) {
    let refused = app.gql("acme", DELETE, json!({ "id": id })).await;
    assert_eq!(refused.code(), "CONFLICT", "{:#}", refused.body);
    assert_eq!(refused.field(), "id");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["blockers"],
        json!(expected)
    );
    assert_eq!(
        blockers(app, id).await,
        json!({ "canDelete": false, "deleteBlockers": expected })
    );
}

async fn unpaid_orders_and_tenant_rules_block_deletes(backend: Backend) {
    let app = spawn_app(backend).await;
    let free = app
        .create_customer("acme", json!({ "email": "free@acme.example" }))
        .await;
    let buyer = app
        .create_customer("acme", json!({ "email": "buyer@acme.example" }))
        .await;
    assert_eq!(
        blockers(&app, &free).await,
        json!({ "canDelete": true, "deleteBlockers": [] })
    );

    let order =
        json!({ "externalId": "o-1", "amount": "20.00", "currency": "EUR", "status": "PENDING" });
    record_order(&app, "acme", &buyer, order.clone()).await;
    refused(&app, &buyer, &["PENDING_ORDERS"]).await;
    // Archiving is always open.
    let archived = app
        .gql("acme", "mutation($id: ID!) { updateCustomer(id: $id, input: { status: ARCHIVED }) { status } }", json!({ "id": buyer }))
        .await
        .ok();
    assert_eq!(archived["updateCustomer"]["status"], "ARCHIVED");

    // Paid, the order no longer blocks, unless the tenant says orders do.
    let mut paid = order;
    paid["status"] = json!("PAID");
    record_order(&app, "acme", &buyer, paid).await;
    assert_eq!(blockers(&app, &buyer).await["deleteBlockers"], json!([]));
    let set = app
        .gql("acme", RULES, json!({ "r": ["HAS_NOTES", "HAS_ORDERS"] }))
        .await
        .ok();
    assert_eq!(
        set["setCustomerDeleteRules"],
        json!(["HAS_ORDERS", "HAS_NOTES"])
    );
    let read = app
        .gql("acme", "{ customerDeleteRules }", json!({}))
        .await
        .ok();
    assert_eq!(
        read["customerDeleteRules"],
        json!(["HAS_ORDERS", "HAS_NOTES"])
    );
    refused(&app, &buyer, &["HAS_ORDERS"]).await;
    app.gql(
        "acme",
        "mutation($c: ID!) { addNote(customerId: $c, body: \"Called\") { id } }",
        json!({ "c": free }),
    )
    .await
    .ok();
    refused(&app, &free, &["HAS_NOTES"]).await;

    // The rules are the tenant's own.
    let other = app
        .create_customer("other", json!({ "email": "o@other.example" }))
        .await;
    app.gql(
        "other",
        "mutation($c: ID!) { addNote(customerId: $c, body: \"Hi\") { id } }",
        json!({ "c": other }),
    )
    .await
    .ok();
    let theirs = app
        .gql("other", "{ customerDeleteRules }", json!({}))
        .await
        .ok();
    assert_eq!(theirs["customerDeleteRules"], json!([]));
    let deleted = app.gql("other", DELETE, json!({ "id": other })).await.ok();
    assert_eq!(deleted["deleteCustomer"]["deletedId"], json!(other));

    // Turned off, nothing blocks.
    app.gql("acme", RULES, json!({ "r": [] })).await.ok();
    for id in [&free, &buyer] {
        let deleted = app.gql("acme", DELETE, json!({ "id": id })).await.ok();
        assert_eq!(deleted["deleteCustomer"]["deletedId"], json!(id));
    }
}

/// A data request still pending (no worker runs here) blocks the delete;
/// a list of customers reads every blocker in a few statements.
async fn an_open_data_request_blocks_deletes(backend: Backend) {
    let app = spawn_app_with(backend, &["--jwt-secret", SECRET, "--worker", "false"]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
                .await,
        );
    }
    let requested = app
        .gql(
            "acme",
            "mutation($c: ID!) { createRemovalRequest(customerId: $c, input: { type: EXPORT }) { id status } }",
            json!({ "c": ids[0] }),
        )
        .await
        .ok();
    assert_eq!(requested["createRemovalRequest"]["status"], "PENDING");
    refused(&app, &ids[0], &["OPEN_DATA_REQUEST"]).await;
    record_order(
        &app,
        "acme",
        &ids[0],
        json!({ "externalId": "o-2", "amount": "5.00", "currency": "EUR", "status": "PENDING" }),
    )
    .await;
    refused(&app, &ids[0], &["OPEN_DATA_REQUEST", "PENDING_ORDERS"]).await;

    let before = app.app.statements.get();
    let listed = app
        .gql(
            "acme",
            "{ customers(first: 10) { nodes { id canDelete deleteBlockers } } }",
            json!({}),
        )
        .await
        .ok();
    let statements = app.app.statements.get() - before;
    let nodes = listed["customers"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 5);
    for node in nodes {
        let blocked = node["id"] == json!(ids[0]);
        assert_eq!(node["canDelete"], json!(!blocked), "{node}");
    }
    assert!(
        statements <= 8,
        "{statements} statements for a page's blockers"
    );
}

backend_tests!(
    unpaid_orders_and_tenant_rules_block_deletes,
    an_open_data_request_blocks_deletes,
);

//! Who is in a segment: static segments hold the customers added to them,
//! dynamic ones follow their rules as customers change and explain
//! themselves, and a merge keeps static memberships and the statistics
//! count members.

use serde_json::{Value, json};

use crate::helpers::segments::{CREATE, create, members};
use crate::helpers::{Backend, days_ago, record_order, spawn_app, unknown_customer_id};

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

async fn static_segments_hold_the_customers_added_to_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let [ana, bo, cy] = app
        .customers_by_email(
            "acme",
            ["ana@acme.example", "bo@acme.example", "cy@acme.example"],
        )
        .await;

    let created = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "Press list", "description": "Journalists", "type": "STATIC", "customerIds": [ana, bo, ana] } }),
        )
        .await
        .ok()["createSegment"]
        .clone();
    let vip = created["id"].as_str().unwrap().to_owned();
    assert!(vip.starts_with("seg_"));
    assert_eq!(created["type"], "STATIC");
    assert_eq!(created["match"], "ALL");
    assert_eq!(created["rules"], json!([]));
    assert_eq!(created["memberCount"], 2);
    assert_eq!(members(&app, "acme", &vip).await, sorted(&[&ana, &bo]));

    let add = "mutation($id: ID!, $c: [ID!]!) { addSegmentMembers(id: $id, customerIds: $c) { memberCount } }";
    let remove = "mutation($id: ID!, $c: [ID!]!) { removeSegmentMembers(id: $id, customerIds: $c) { memberCount } }";
    let data = app
        .gql("acme", add, json!({ "id": vip, "c": [cy, bo] }))
        .await
        .ok();
    assert_eq!(data["addSegmentMembers"]["memberCount"], 3, "bo stays once");
    let data = app
        .gql(
            "acme",
            remove,
            json!({ "id": vip, "c": [bo, unknown_customer_id()] }),
        )
        .await
        .ok();
    assert_eq!(data["removeSegmentMembers"]["memberCount"], 2);

    // An unknown customer adds nothing, not even the good ones beside it.
    let refused = app
        .gql(
            "acme",
            add,
            json!({ "id": vip, "c": [bo, unknown_customer_id()] }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    assert_eq!(members(&app, "acme", &vip).await, sorted(&[&ana, &cy]));

    // The segment filters customers, and customers know their segments.
    let data = app
        .gql(
            "acme",
            "query($s: ID!, $c: ID!) { customers(filter: { segmentId: $s }) { totalCount } customerCount(filter: { segmentId: $s }) customer(id: $c) { segments { id name } } }",
            json!({ "s": vip, "c": ana }),
        )
        .await
        .ok();
    assert_eq!(data["customers"]["totalCount"], 2);
    assert_eq!(data["customerCount"], 2);
    assert_eq!(
        data["customer"]["segments"],
        json!([{ "id": vip, "name": "Press list" }])
    );

    // Deleting a customer removes its membership.
    app.delete_customer("acme", &ana).await;
    assert_eq!(members(&app, "acme", &vip).await, vec![cy.clone()]);

    // Deleting the segment leaves its customers.
    let data = app
        .gql(
            "acme",
            "mutation($id: ID!) { deleteSegment(id: $id) { deletedId } }",
            json!({ "id": vip }),
        )
        .await
        .ok();
    assert_eq!(data["deleteSegment"]["deletedId"], vip);
    let gone = app
        .gql(
            "acme",
            "query($id: ID!) { segment(id: $id) { id } }",
            json!({ "id": vip }),
        )
        .await
        .ok();
    assert_eq!(gone["segment"], Value::Null);
    assert_eq!(app.count("acme").await, 2);
    let again = app
        .gql(
            "acme",
            "mutation($id: ID!) { deleteSegment(id: $id) { deletedId } }",
            json!({ "id": vip }),
        )
        .await;
    assert_eq!(again.code(), "NOT_FOUND");
}

async fn dynamic_segments_are_current_and_explain_themselves(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "tags": ["vip"], "metadata": { "plan": "pro" } }),
        )
        .await;
    let bo = app
        .create_customer(
            "acme",
            json!({ "email": "bo@acme.example", "tags": ["vip"] }),
        )
        .await;
    let big = create(
        &app,
        "acme",
        json!({ "name": "Big VIPs", "rules": [
            { "field": "total_spent", "operator": "gte", "value": "100" },
            { "field": "tags", "operator": "in", "value": ["vip", "press"] },
            { "field": "last_order_at", "operator": "after", "value": "90_days_ago" }
        ] }),
    )
    .await;
    assert!(members(&app, "acme", &big).await.is_empty());

    // An order moves Ana in at once; an old one does not move Bo.
    record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "120.00", "currency": "EUR", "placedAt": days_ago(3.0) })).await;
    record_order(&app, "acme", &bo, json!({ "externalId": "B-1", "amount": "500.00", "currency": "EUR", "placedAt": days_ago(200.0) })).await;
    assert_eq!(members(&app, "acme", &big).await, vec![ana.clone()]);

    let explain = "query($s: ID!, $c: ID!) { segment(id: $s) { explain(customerId: $c) { index matched actual rule { field operator value } } } }";
    let why = app
        .gql("acme", explain, json!({ "s": big, "c": bo }))
        .await
        .ok()["segment"]["explain"]
        .clone();
    assert_eq!(why[0]["matched"], true);
    assert_eq!(why[0]["actual"], "500.00");
    assert_eq!(
        why[0]["rule"],
        json!({ "field": "total_spent", "operator": "gte", "value": "100" })
    );
    assert_eq!(why[1]["matched"], true);
    assert_eq!(why[1]["actual"], json!(["vip"]));
    assert_eq!(why[2]["matched"], false, "{why}");
    assert_eq!(why[2]["index"], 2);
    assert!(
        why[2]["actual"]
            .as_str()
            .unwrap()
            .starts_with(&days_ago(200.0)[..8])
    );

    // Refunding Ana's order moves her out.
    record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "120.00", "currency": "EUR", "status": "REFUNDED", "placedAt": days_ago(3.0) })).await;
    assert!(members(&app, "acme", &big).await.is_empty());

    // Rules change with updateSegment; the name and match too.
    let data = app
        .gql(
            "acme",
            "mutation($id: ID!, $i: SegmentUpdateInput!) { updateSegment(id: $id, input: $i) { name match rules { field } memberCount } }",
            json!({ "id": big, "i": { "name": "Pro or big", "match": "ANY", "rules": [
                { "field": "metadata.plan", "operator": "eq", "value": "pro" },
                { "field": "total_spent", "operator": "gte", "value": 400 }
            ] } }),
        )
        .await
        .ok();
    assert_eq!(data["updateSegment"]["name"], "Pro or big");
    assert_eq!(data["updateSegment"]["match"], "ANY");
    assert_eq!(data["updateSegment"]["memberCount"], 2);
    assert_eq!(members(&app, "acme", &big).await, sorted(&[&ana, &bo]));

    // Members take the filters and sorts of `customers`.
    let data = app
        .gql(
            "acme",
            "query($s: ID!) { segment(id: $s) { members(filter: { minTotalSpent: \"1.00\" }, sort: { field: TOTAL_SPENT }) { nodes { id } } } }",
            json!({ "s": big }),
        )
        .await
        .ok();
    assert_eq!(data["segment"]["members"]["nodes"], json!([{ "id": bo }]));

    // Adding members to a dynamic segment is refused.
    let refused = app
        .gql(
            "acme",
            "mutation($id: ID!, $c: [ID!]!) { addSegmentMembers(id: $id, customerIds: $c) { id } }",
            json!({ "id": big, "c": [ana] }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field(), "id");

    // Customer.segments lists dynamic memberships too.
    let data = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { segments { id } } }",
            json!({ "c": bo }),
        )
        .await
        .ok();
    assert_eq!(data["customer"]["segments"], json!([{ "id": big }]));
}

async fn merge_keeps_static_memberships_and_stats_count_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let keep = app
        .create_customer("acme", json!({ "email": "keep@acme.example" }))
        .await;
    let dupe = app
        .create_customer("acme", json!({ "phone": "+14155550100", "tags": ["vip"] }))
        .await;
    let other = app
        .create_customer("acme", json!({ "email": "other@acme.example" }))
        .await;
    let both = create(
        &app,
        "acme",
        json!({ "name": "Both", "type": "STATIC", "customerIds": [keep, dupe] }),
    )
    .await;
    let only = create(
        &app,
        "acme",
        json!({ "name": "Only the duplicate", "type": "STATIC", "customerIds": [dupe, other] }),
    )
    .await;
    let vips = create(&app, "acme", json!({ "name": "VIPs", "rules": [{ "field": "tags", "operator": "contains", "value": "vip" }] })).await;

    app.gql(
        "acme",
        "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": keep, "m": dupe }),
    )
    .await
    .ok();
    assert_eq!(members(&app, "acme", &both).await, vec![keep.clone()]);
    assert_eq!(members(&app, "acme", &only).await, sorted(&[&keep, &other]));
    assert_eq!(
        members(&app, "acme", &vips).await,
        vec![keep.clone()],
        "the tag came along"
    );

    let stats = app
        .gql(
            "acme",
            "{ customerStats { segmentDistribution { segment { id name } count } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        stats["customerStats"]["segmentDistribution"],
        json!([
            { "segment": { "id": both, "name": "Both" }, "count": 1 },
            { "segment": { "id": only, "name": "Only the duplicate" }, "count": 2 },
            { "segment": { "id": vips, "name": "VIPs" }, "count": 1 },
        ])
    );
}

backend_tests!(
    static_segments_hold_the_customers_added_to_them,
    dynamic_segments_are_current_and_explain_themselves,
    merge_keeps_static_memberships_and_stats_count_members,
);

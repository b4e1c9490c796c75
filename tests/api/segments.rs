//! API.md §8: static and dynamic segments, `Segment.explain`,
//! `Customer.segments`, the `segmentId` filter.

use serde_json::{Value, json};

use crate::helpers::segments::{CREATE, create, members};
use crate::helpers::{Backend, spawn_app, unknown_customer_id};
use crate::helpers::{days_ago, record_order};

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
    invalid_segments_are_refused_naming_the_rule,
    rule_values_crafted_as_sql_match_literally,
    segments_are_confined_to_their_tenant,
    merge_keeps_static_memberships_and_stats_count_members,
);

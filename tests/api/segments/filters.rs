//! Segments defined by a filter tree or a text query instead of rules:
//! members, counts, `Customer.segments` and `explain` agree; definitions
//! are checked before they are saved; a rules segment switches to a
//! filter and back.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, record_order, spawn_app};

const CREATE: &str = "mutation($i: SegmentInput!) { createSegment(input: $i) { id type rules { field } filter query memberCount members(first: 50) { nodes { email } } } }";

async fn seed(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for (email, tags, country, spent) in [
        ("ana@acme.example", json!(["vip"]), "DE", Some("120.00")),
        ("bo@acme.example", json!(["vip"]), "FR", None),
        ("cy@acme.example", json!([]), "DE", Some("20.00")),
        ("di@acme.example", json!([]), "ES", None),
    ] {
        let id = app
            .create_customer(
                "acme",
                json!({ "email": email, "tags": tags, "address": { "country": country } }),
            )
            .await;
        if let Some(amount) = spent {
            record_order(
                app,
                "acme",
                &id,
                json!({ "externalId": format!("o-{email}"), "amount": amount, "currency": "EUR" }),
            )
            .await;
        }
        ids.push(id);
    }
    // Another tenant's look-alike is never a member.
    app.create_customer(
        "other",
        json!({ "email": "ana@other.example", "tags": ["vip"], "address": { "country": "DE" } }),
    )
    .await;
    ids
}

fn emails(segment: &Value) -> Vec<&str> {
    let mut all: Vec<&str> = segment["members"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["email"].as_str().unwrap())
        .collect();
    all.sort();
    all
}

async fn filters_and_queries_define_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = seed(&app).await;
    let by_filter = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "VIP or German", "filter": { "or": [{ "tags": ["vip"] }, { "country": "DE" }], "not": { "minTotalSpent": "100" } } } }),
        )
        .await
        .ok()["createSegment"]
        .clone();
    assert_eq!(by_filter["type"], "DYNAMIC");
    assert_eq!(by_filter["rules"], json!([]));
    assert_eq!(
        by_filter["filter"],
        json!({ "or": [{ "tags": ["vip"] }, { "country": "DE" }], "not": { "minTotalSpent": "100.00" } })
    );
    assert_eq!(emails(&by_filter), ["bo@acme.example", "cy@acme.example"]);
    assert_eq!(by_filter["memberCount"], 2);

    let by_query = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "Buyers", "query": "orders:>0 -rfm_segment:none" } }),
        )
        .await
        .ok()["createSegment"]
        .clone();
    assert_eq!(by_query["query"], "orders:>0 -rfm_segment:none");
    assert_eq!(by_query["filter"], Value::Null);
    assert_eq!(emails(&by_query), ["ana@acme.example", "cy@acme.example"]);

    // Both: each holds.
    let both = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "German buyers", "filter": { "country": "DE" }, "query": "total_spent:>50" } }),
        )
        .await
        .ok()["createSegment"]
        .clone();
    assert_eq!(emails(&both), ["ana@acme.example"]);

    // The customer side, the list filter and the counts agree.
    let seen = app
        .gql(
            "acme",
            "query($c: ID!, $s: ID!) { customer(id: $c) { segments { name } } customersCount(filter: { segmentId: $s }) { count } customers(query: \"tag:vip\", filter: { segmentId: $s }) { nodes { email } } segments(first: 10) { nodes { name memberCount } } }",
            json!({ "c": ids[2], "s": by_filter["id"] }),
        )
        .await
        .ok();
    let mut names: Vec<&str> = seen["customer"]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Buyers", "VIP or German"]);
    assert_eq!(seen["customersCount"]["count"], 2);
    assert_eq!(
        seen["customers"]["nodes"],
        json!([{ "email": "bo@acme.example" }])
    );
    let counts: Vec<(String, i64)> = seen["segments"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["memberCount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        counts.contains(&("German buyers".to_owned(), 1)),
        "{counts:?}"
    );
    assert!(counts.contains(&("Buyers".to_owned(), 2)), "{counts:?}");

    // Explain walks the tree.
    let explained = app
        .gql(
            "acme",
            "query($s: ID!, $c: ID!) { segment(id: $s) { explain(customerId: $c) { rule { field operator value } matched } } }",
            json!({ "s": by_filter["id"], "c": ids[0] }),
        )
        .await
        .ok();
    let parts: Vec<(String, bool)> = explained["segment"]["explain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["rule"]["field"].as_str().unwrap().to_owned(),
                p["matched"].as_bool().unwrap(),
            )
        })
        .collect();
    for expected in [
        ("filter.or".to_owned(), true),
        ("filter.or[0].tags".to_owned(), true),
        ("filter.or[1].country".to_owned(), true),
        ("filter.not".to_owned(), false),
        ("filter.not.minTotalSpent".to_owned(), true),
    ] {
        assert!(parts.contains(&expected), "{expected:?} in {parts:?}");
    }
}

async fn a_definition_is_replaced_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let id = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "VIPs", "rules": [{ "field": "tags", "operator": "contains", "value": "vip" }] } }),
        )
        .await
        .ok()["createSegment"]["id"]
        .clone();
    let update = "mutation($id: ID!, $i: SegmentUpdateInput!) { updateSegment(id: $id, input: $i) { rules { field } filter query members(first: 50) { nodes { email } } } }";
    let to_query = app
        .gql(
            "acme",
            update,
            json!({ "id": id, "i": { "query": "country:DE" } }),
        )
        .await
        .ok()["updateSegment"]
        .clone();
    assert_eq!(to_query["rules"], json!([]));
    assert_eq!(emails(&to_query), ["ana@acme.example", "cy@acme.example"]);
    let back = app
        .gql(
            "acme",
            update,
            json!({ "id": id, "i": { "rules": [{ "field": "country", "operator": "eq", "value": "FR" }] } }),
        )
        .await
        .ok()["updateSegment"]
        .clone();
    assert_eq!(back["query"], Value::Null);
    assert_eq!(emails(&back), ["bo@acme.example"]);
}

async fn bad_definitions_are_refused_and_save_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let other = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "Any", "query": "tag:vip" } }),
        )
        .await
        .ok()["createSegment"]["id"]
        .clone();
    for (input, field) in [
        (
            json!({ "name": "A", "filter": { "or": [{ "country": "XX1" }] } }),
            "input.filter.or[0].country",
        ),
        (
            json!({ "name": "B", "filter": { "segmentId": other } }),
            "input.filter.segmentId",
        ),
        (
            json!({ "name": "C", "query": format!("segment:{}", other.as_str().unwrap()) }),
            "input.query",
        ),
        (
            json!({ "name": "D", "query": "total_spent:>ten" }),
            "input.query",
        ),
        (
            json!({ "name": "E", "query": "tag:vip", "rules": [{ "field": "country", "operator": "eq", "value": "FR" }] }),
            "input.rules",
        ),
        (
            json!({ "name": "F", "type": "STATIC", "query": "tag:vip" }),
            "input.query",
        ),
        (
            json!({ "name": "F", "type": "STATIC", "filter": { "tags": ["vip"] } }),
            "input.filter",
        ),
        (json!({ "name": "G" }), "input.rules"),
        (
            json!({ "name": "H", "filter": { "fields": [{ "key": "seats" }] } }),
            "input.filter.fields[0]",
        ),
    ] {
        let refused = app.gql("acme", CREATE, json!({ "i": input })).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(refused.field(), field, "{input}");
    }
    let bad_query = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "D", "query": "total_spent:>ten" } }),
        )
        .await;
    assert_eq!(bad_query.body["errors"][0]["extensions"]["position"], 13);
    let all = app
        .gql(
            "acme",
            "{ segments(first: 50) { nodes { name } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(all["segments"]["nodes"], json!([{ "name": "Any" }]));
}

backend_tests!(
    filters_and_queries_define_members,
    a_definition_is_replaced_whole,
    bad_definitions_are_refused_and_save_nothing,
);

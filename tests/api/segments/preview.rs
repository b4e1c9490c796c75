//! `segmentPreview`: a filter's customers and count before any segment is
//! saved, paged as lists are, priced by its page; `explain` of a customer.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

const PREVIEW: &str = "query($f: CustomerFilter, $first: Int, $after: String) { segmentPreview(filter: $f, first: $first, after: $after) { count { count precision } customers { totalCount pageInfo { hasNextPage endCursor } nodes { email } } } }";

async fn a_filter_is_previewed_without_saving(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..5 {
        let tags = if i < 3 { json!(["vip"]) } else { json!([]) };
        app.create_customer(
            "acme",
            json!({ "email": format!("c{i}@acme.example"), "tags": tags }),
        )
        .await;
    }
    let filter = json!({ "tags": ["vip"], "not": { "emailStartsWith": "c0@" } });
    let first = app
        .gql("acme", PREVIEW, json!({ "f": filter, "first": 1 }))
        .await
        .ok();
    let preview = &first["segmentPreview"];
    assert_eq!(
        preview["count"],
        json!({ "count": 2, "precision": "EXACT" })
    );
    assert_eq!(preview["customers"]["totalCount"], 2);
    assert_eq!(preview["customers"]["pageInfo"]["hasNextPage"], true);
    let seen = preview["customers"]["nodes"][0]["email"].clone();
    let next = app
        .gql("acme", PREVIEW, json!({ "f": filter, "first": 1, "after": preview["customers"]["pageInfo"]["endCursor"] }))
        .await
        .ok();
    let other = next["segmentPreview"]["customers"]["nodes"][0]["email"].clone();
    let mut both = [seen.as_str().unwrap(), other.as_str().unwrap()];
    both.sort();
    assert_eq!(both, ["c1@acme.example", "c2@acme.example"]);
    assert_eq!(
        next["segmentPreview"]["customers"]["pageInfo"]["hasNextPage"],
        false
    );

    let everyone = app.gql("acme", PREVIEW, json!({})).await.ok();
    assert_eq!(everyone["segmentPreview"]["count"]["count"], 5);
    let saved = app
        .gql("acme", "{ segments { totalCount } }", json!({}))
        .await
        .ok();
    assert_eq!(saved["segments"]["totalCount"], 0, "nothing is saved");
    let bad = app.gql("acme", PREVIEW, json!({ "first": 101 })).await;
    assert_eq!(bad.field(), "first");
    // A bad filter is one error, on the filter.
    let bad = app
        .gql(
            "acme",
            PREVIEW,
            json!({ "f": { "or": [{ "country": "XX1" }] } }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(bad.field(), "filter.or[0].country");
    assert_eq!(
        bad.body["errors"].as_array().unwrap().len(),
        1,
        "{:#}",
        bad.body
    );
}

/// The preview's `first` prices the customers it pages, as a list's does.
async fn a_preview_costs_its_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut costs = Vec::new();
    for query in [
        "{ segmentPreview(first: 100) { customers { nodes { orders(first: 5) { nodes { id } } } } } }",
        "{ customers(first: 100) { nodes { orders(first: 5) { nodes { id } } } } }",
        "{ segmentPreview(first: 10) { customers { nodes { orders(first: 5) { nodes { id } } } } } }",
    ] {
        let response = app.gql("acme", query, json!({})).await;
        let cost: &Value = &response.body["extensions"]["cost"]["requestedQueryCost"];
        costs.push(cost.as_u64().unwrap());
    }
    let [preview, list, small] = costs[..] else {
        unreachable!()
    };
    assert!(preview >= list, "{preview} {list}");
    assert!(preview > 9 * small, "{preview} {small}");
}

/// `explain` of a preview: the filter's conditions under `filter`, the
/// query's under `query`, each as written.
async fn a_preview_explains_a_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let vip = app
        .create_customer(
            "acme",
            json!({ "email": "vip@acme.example", "tags": ["vip"], "address": { "country": "DE" } }),
        )
        .await;
    const EXPLAIN: &str = "query($f: CustomerFilter, $q: String, $c: ID!) { segmentPreview(filter: $f, query: $q) { explain(customerId: $c) { rule { field operator value } matched } } }";
    let filter = json!({ "or": [{ "tags": ["vip"] }, { "country": "FR" }] });
    let explained = app
        .gql(
            "acme",
            EXPLAIN,
            json!({ "f": filter, "q": "-country:DE", "c": vip }),
        )
        .await
        .ok();
    let parts: Vec<(String, Value, bool)> = explained["segmentPreview"]["explain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["rule"]["operator"], "filter");
            (
                p["rule"]["field"].as_str().unwrap().to_owned(),
                p["rule"]["value"].clone(),
                p["matched"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            (
                "filter.or".to_owned(),
                json!([{ "tags": ["vip"] }, { "country": "FR" }]),
                true
            ),
            ("filter.or[0].tags".to_owned(), json!(["vip"]), true),
            ("filter.or[1].country".to_owned(), json!("FR"), false),
            ("query.not".to_owned(), json!({ "country": "DE" }), false),
            ("query.not.country".to_owned(), json!("DE"), true),
        ]
    );

    // Another tenant's customer is not found.
    let theirs = app
        .gql(
            "other",
            EXPLAIN,
            json!({ "f": filter, "q": "-country:DE", "c": vip }),
        )
        .await;
    assert_eq!(theirs.code(), "NOT_FOUND");
}

backend_tests!(
    a_filter_is_previewed_without_saving,
    a_preview_costs_its_page,
    a_preview_explains_a_customer,
);

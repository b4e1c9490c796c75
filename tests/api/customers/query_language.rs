//! The text form of a filter (`query:`): what each term means beside the
//! `filter` argument, custom fields typed by their definitions, errors
//! that point at the character, and `customerFilterFields`. That queries
//! and trees agree over generated trees is in `filter_tree`.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, record_order, spawn_app};

const LIST: &str = "query($q: String, $f: CustomerFilter) { customers(first: 100, query: $q, filter: $f) { nodes { email } } }";

async fn emails(app: &TestApp, tenant: &str, query: &str, filter: Value) -> Vec<String> {
    app.emails_where(tenant, filter, Some(query)).await
}

async fn seed(app: &TestApp) {
    for (email, name, tags, spent) in [
        (
            "ali@acme.example",
            "Ali Kaya",
            json!(["vip"]),
            Some("150.00"),
        ),
        (
            "alina@acme.example",
            "Alina Kowalska",
            json!([]),
            Some("40.00"),
        ),
        (
            "bo@acme.example",
            "Bo Ström",
            json!(["vip", "wholesale"]),
            None,
        ),
        ("cy@acme.example", "Cy Young", json!([]), Some("100.00")),
    ] {
        let id = app
            .create_customer(
                "acme",
                json!({ "email": email, "name": name, "tags": tags }),
            )
            .await;
        if let Some(amount) = spent {
            record_order(
                app,
                "acme",
                &id,
                json!({ "externalId": format!("o-{email}"), "amount": amount, "currency": "EUR", "placedAt": "2026-03-15T10:00:00Z" }),
            )
            .await;
        }
    }
    // Another tenant's look-alike never shows.
    app.create_customer(
        "other",
        json!({ "email": "ali@other.example", "name": "Ali", "tags": ["vip"] }),
    )
    .await;
}

async fn terms_mean_what_they_say(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let cases: &[(&str, &[&str])] = &[
        ("email:ali*", &["ali@acme.example", "alina@acme.example"]),
        ("email:ALI@acme.example", &["ali@acme.example"]),
        ("tag:vip -tag:wholesale", &["ali@acme.example"]),
        ("tag:vip NOT tag:wholesale", &["ali@acme.example"]),
        ("total_spent:>100", &["ali@acme.example"]),
        (
            "total_spent:>=100",
            &["ali@acme.example", "cy@acme.example"],
        ),
        ("spent:40..100", &["alina@acme.example", "cy@acme.example"]),
        ("total_spent:<100.00 orders:>0", &["alina@acme.example"]),
        ("orders:0", &["bo@acme.example"]),
        (
            "last_order_at:2026-03-15",
            &["ali@acme.example", "alina@acme.example", "cy@acme.example"],
        ),
        ("last_order_at:<2026-03-15", &[]),
        (
            "last_order_at:>2026-03-15T09:59:59Z",
            &["ali@acme.example", "alina@acme.example", "cy@acme.example"],
        ),
        (
            "last_order_at:<=2026-03-15T10:00:00Z orders:1",
            &["ali@acme.example", "alina@acme.example", "cy@acme.example"],
        ),
        ("last_order_at:>2026-03-15T10:00:00Z", &[]),
        ("\"ali k\"", &["ali@acme.example"]),
        ("strom OR young", &["bo@acme.example", "cy@acme.example"]),
        (
            "(tag:vip OR orders:>0) -(email:ali* AND total_spent:>100)",
            &["alina@acme.example", "bo@acme.example", "cy@acme.example"],
        ),
        ("rfm_segment:NONE", &["bo@acme.example"]),
        (
            "status:active -status:archived email:bo*",
            &["bo@acme.example"],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(
            emails(&app, "acme", query, Value::Null).await,
            *expected,
            "{query}"
        );
    }
    // A query and a filter both hold.
    assert_eq!(
        emails(&app, "acme", "email:ali*", json!({ "tags": ["vip"] })).await,
        ["ali@acme.example"]
    );
    // The same on the numbered list, the counts and the segment preview.
    let all = app
        .gql(
            "acme",
            "{ customersPage(query: \"tag:vip\") { totalCount } customersCount(query: \"tag:vip\") { count precision } customerCount(query: \"tag:vip\") segmentPreview(query: \"tag:vip -bo\") { count { count } customers { nodes { email } } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(all["customersPage"]["totalCount"], 2);
    assert_eq!(
        all["customersCount"],
        json!({ "count": 2, "precision": "EXACT" })
    );
    assert_eq!(all["customerCount"], 2);
    assert_eq!(all["segmentPreview"]["count"]["count"], 1);
    assert_eq!(
        all["segmentPreview"]["customers"]["nodes"],
        json!([{ "email": "ali@acme.example" }])
    );
}

async fn a_segment_scopes_the_whole_query(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let segment = app
        .gql(
            "acme",
            "mutation { createSegment(input: { name: \"Buyers\", rules: [{ field: \"total_orders\", operator: \"gte\", value: 1 }] }) { id } }",
            json!({}),
        )
        .await
        .ok()["createSegment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = format!("segment:{segment} tag:vip");
    assert_eq!(
        emails(&app, "acme", &query, Value::Null).await,
        ["ali@acme.example"]
    );
    // Inside OR it cannot say what it scopes.
    let refused = app
        .gql(
            "acme",
            LIST,
            json!({ "q": format!("tag:vip OR segment:{segment}") }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.body["errors"][0]["extensions"]["position"], 11);
}

async fn custom_fields_are_typed_by_their_definitions(backend: Backend) {
    let app = spawn_app(backend).await;
    for input in [
        json!({ "key": "seats", "label": "Seats", "type": "NUMBER" }),
        json!({ "key": "plan", "label": "Plan", "type": "SINGLE_SELECT", "options": ["free", "pro"] }),
    ] {
        app.gql(
            "acme",
            "mutation($i: CustomFieldDefinitionInput!) { createCustomFieldDefinition(input: $i) { key } }",
            json!({ "i": input }),
        )
        .await
        .ok();
    }
    for (email, metadata) in [
        ("a@acme.example", json!({ "seats": 5, "plan": "pro" })),
        ("b@acme.example", json!({ "seats": 50, "plan": "free" })),
        ("c@acme.example", json!({})),
    ] {
        app.create_customer("acme", json!({ "email": email, "metadata": metadata }))
            .await;
    }
    for (query, expected) in [
        ("field.seats:>10", vec!["b@acme.example"]),
        ("field.seats:1..10 field.plan:pro", vec!["a@acme.example"]),
        ("field.plan:*", vec!["a@acme.example", "b@acme.example"]),
        ("-field.plan:*", vec!["c@acme.example"]),
    ] {
        assert_eq!(
            emails(&app, "acme", query, Value::Null).await,
            expected,
            "{query}"
        );
    }
    let listed = app
        .gql(
            "acme",
            "{ customerFilterFields { name aliases type operators values } }",
            json!({}),
        )
        .await
        .ok();
    let fields = listed["customerFilterFields"].as_array().unwrap();
    let named = |name: &str| fields.iter().find(|f| f["name"] == name).cloned();
    assert_eq!(
        named("total_spent").unwrap(),
        json!({ "name": "total_spent", "aliases": ["spent"], "type": "MONEY", "operators": ["EQUALS", "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL", "BETWEEN"], "values": [] })
    );
    assert_eq!(
        named("field.plan").unwrap()["values"],
        json!(["free", "pro"])
    );
    assert_eq!(named("field.seats").unwrap()["type"], "NUMBER");
    assert!(
        named("rfm_segment").unwrap()["values"]
            .as_array()
            .unwrap()
            .contains(&json!("CHAMPIONS"))
    );
    // Another tenant sees none of these definitions.
    let other = app
        .gql("other", "{ customerFilterFields { name } }", json!({}))
        .await
        .ok();
    assert!(!other.to_string().contains("field.seats"));
}

async fn bad_queries_point_at_the_character(backend: Backend) {
    let app = spawn_app(backend).await;
    for (query, position, says) in [
        ("tag:vip (country:DE", 8, "unclosed `(`"),
        ("tag:vip)", 7, "unmatched `)`"),
        ("name:\"ali", 5, "unclosed quote"),
        ("colour:red", 0, "unknown field `colour`"),
        ("total_spent:>ten", 13, "an amount"),
        ("orders:1..x", 10, "a whole number"),
        ("created_at:2024-13-01", 11, "a date"),
        ("status:gone", 7, "ACTIVE, ARCHIVED"),
        ("tag:vip OR", 10, "ends where a term was expected"),
        ("tag:", 4, "needs a value"),
        ("churn_risk:0.5", 11, "cannot be compared"),
        ("country:XX1", 8, "ISO 3166-1"),
        ("field.nothing:1", 0, "no custom field"),
        (
            "((((tag:a OR tag:b) OR tag:c) OR tag:d) OR tag:e)",
            4,
            "nest at most",
        ),
        ("", 0, "empty"),
        ("tag:vip -", 8, "needs a term"),
        ("total_spent:10..5", 16, "ends before it starts"),
        (
            "created_at:2024-01-01..2023-01-01",
            23,
            "ends before it starts",
        ),
        ("name:\"\"", 5, "empty phrase"),
        ("tag:vip \" \"", 8, "empty phrase"),
    ]
    .into_iter()
    .map(|(q, at, says)| (q.to_owned(), at, says))
    .chain([(format!("city:{}", "x".repeat(256)), 5, "at most 255")])
    {
        let query = query.as_str();
        let refused = app.gql("acme", LIST, json!({ "q": query })).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{query}");
        assert_eq!(refused.field(), "query", "{query}");
        let error = &refused.body["errors"][0];
        assert_eq!(
            error["extensions"]["position"], position,
            "{query}: {error}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{query}: {error}"
        );
    }
}

/// Pages smaller than the matches, walked by cursor both ways, hold each
/// match once and in order: the page is found among the next rows in the
/// sort's order (a branching filter on PostgreSQL, tags on SQLite), or
/// else by the backend's own plan.
async fn small_pages_of_a_filter_walk_every_match_in_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let rows: Vec<Value> = (0..40)
        .map(|i| {
            let tags = match i % 4 {
                0 => json!(["vip"]),
                1 => json!(["b2b"]),
                2 => json!(["vip", "b2b"]),
                _ => json!([]),
            };
            let status = if i % 5 == 0 { "ARCHIVED" } else { "ACTIVE" };
            json!({ "email": format!("c{i:02}@acme.example"), "tags": tags, "status": status })
        })
        .collect();
    app.import_customers("acme", rows).await;
    let page = "query($q: String, $after: String, $before: String, $first: Int, $last: Int) { customers(query: $q, first: $first, after: $after, last: $last, before: $before, sort: { field: EMAIL, direction: DESC }) { nodes { email } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    for query in [
        "tag:vip",
        "(tag:vip OR tag:b2b) -status:archived",
        "-tag:b2b",
    ] {
        let expected = {
            let mut all = emails(&app, "acme", query, Value::Null).await;
            all.sort_unstable_by(|a, b| b.cmp(a));
            all
        };
        assert!(expected.len() > 8, "{query}: {expected:?}");
        let (mut forward, mut after) = (Vec::new(), Value::Null);
        loop {
            let got = app
                .gql(
                    "acme",
                    page,
                    json!({ "q": query, "first": 3, "after": after }),
                )
                .await
                .ok();
            let customers = &got["customers"];
            forward.extend(
                customers["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["email"].as_str().unwrap().to_owned()),
            );
            if !customers["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = customers["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(forward, expected, "{query}, forward");
        let (mut backward, mut before) = (Vec::new(), Value::Null);
        loop {
            let got = app
                .gql(
                    "acme",
                    page,
                    json!({ "q": query, "last": 3, "before": before }),
                )
                .await
                .ok();
            let customers = &got["customers"];
            let mut nodes: Vec<String> = customers["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["email"].as_str().unwrap().to_owned())
                .collect();
            nodes.extend(backward);
            backward = nodes;
            if !customers["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
                break;
            }
            before = customers["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(backward, expected, "{query}, backward");
    }
}

backend_tests!(
    terms_mean_what_they_say,
    a_segment_scopes_the_whole_query,
    custom_fields_are_typed_by_their_definitions,
    bad_queries_point_at_the_character,
    small_pages_of_a_filter_walk_every_match_in_order,
);

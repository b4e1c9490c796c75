//! `CustomerFilter.text`, `metadataPaths` and `hasTags`: text fields
//! compared as segment rules compare them (name without case or accents,
//! email without case, codes upper-cased, `%` and `_` literal), any path
//! of the metadata compared by value, range, substring or presence, and
//! lists and counts agreeing; bad conditions name the part that is wrong.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

const COUNT: &str = "query($f: CustomerFilter) { customersCount(filter: $f) { count precision } customerCount(filter: $f) }";

async fn seed(app: &TestApp) {
    app.create_customer(
        "acme",
        json!({
            "name": "José Álvarez", "email": "Jose@Acme.example", "source": "web_50%",
            "address": { "city": "Berlin", "country": "de" }, "locale": "de-DE", "currency": "eur",
            "metadata": { "plan": { "tier": "gold", "seats": 12 }, "since": "2024-03-01", "labels": ["beta", "vip"] },
            "tags": ["vip"],
        }),
    )
    .await;
    app.create_customer(
        "acme",
        json!({
            "name": "Ana Lopez", "email": "ana@globex.example", "source": "web",
            "address": { "city": "Bern" }, "locale": "en-US", "currency": "USD",
            "metadata": { "plan": { "tier": "silver", "seats": 3 }, "since": "2025-06-30" },
        }),
    )
    .await;
    app.create_customer(
        "acme",
        json!({ "name": "Zoë", "email": "z@acme.example", "metadata": { "plan": null } }),
    )
    .await;
    // Another tenant's twin of the first, never seen from acme.
    app.create_customer(
        "globex",
        json!({ "name": "José Álvarez", "email": "jose@acme.example", "tags": ["vip"], "address": { "city": "Berlin" } }),
    )
    .await;
}

/// The emails a filter lists, checked against both counts.
async fn matching(app: &TestApp, filter: Value) -> Vec<String> {
    let emails = app.emails_where("acme", filter.clone(), None).await;
    let counted = app.gql("acme", COUNT, json!({ "f": filter })).await.ok();
    assert_eq!(counted["customerCount"], emails.len(), "{filter}");
    assert_eq!(
        counted["customersCount"],
        json!({ "count": emails.len(), "precision": "EXACT" }),
        "{filter}"
    );
    emails
}

fn text(condition: Value) -> Value {
    json!({ "text": [condition] })
}

fn path(condition: Value) -> Value {
    json!({ "metadataPaths": [condition] })
}

const JOSE: &str = "jose@acme.example";
const ANA: &str = "ana@globex.example";
const ZOE: &str = "z@acme.example";

async fn text_fields_compare_as_rules_do(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let cases = [
        (
            json!({ "field": "NAME", "contains": "ALVAREZ" }),
            vec![JOSE],
        ),
        (
            json!({ "field": "NAME", "startsWith": "jose a" }),
            vec![JOSE],
        ),
        (json!({ "field": "NAME", "equals": "zoe" }), vec![ZOE]),
        (
            json!({ "field": "EMAIL", "equals": "JOSE@acme.EXAMPLE" }),
            vec![JOSE],
        ),
        (
            json!({ "field": "EMAIL", "contains": "@acme." }),
            vec![JOSE, ZOE],
        ),
        (
            json!({ "field": "CITY", "startsWith": "Ber" }),
            vec![ANA, JOSE],
        ),
        // Other text exactly.
        (json!({ "field": "CITY", "equals": "berlin" }), vec![]),
        (json!({ "field": "CITY", "exists": false }), vec![ZOE]),
        (
            json!({ "field": "COUNTRY", "in": ["de", "fr"] }),
            vec![JOSE],
        ),
        (json!({ "field": "COUNTRY", "exists": true }), vec![JOSE]),
        (json!({ "field": "CURRENCY", "equals": "eur" }), vec![JOSE]),
        (
            json!({ "field": "LOCALE", "in": ["de-DE", "fr-FR"] }),
            vec![JOSE],
        ),
        // `%` and `_` are themselves.
        (json!({ "field": "SOURCE", "contains": "_50%" }), vec![JOSE]),
        (
            json!({ "field": "SOURCE", "startsWith": "we" }),
            vec![ANA, JOSE],
        ),
        (
            json!({ "field": "SOURCE", "contains": "%" , "startsWith": "web" }),
            vec![JOSE],
        ),
    ];
    for (condition, expected) in cases {
        assert_eq!(
            matching(&app, text(condition.clone())).await,
            expected,
            "{condition}"
        );
    }
    // `not` counts a missing city as not in Berlin.
    assert_eq!(
        matching(
            &app,
            json!({ "not": text(json!({ "field": "CITY", "equals": "Berlin" })) })
        )
        .await,
        vec![ANA, ZOE]
    );
    assert_eq!(matching(&app, json!({ "hasTags": true })).await, vec![JOSE]);
    assert_eq!(
        matching(&app, json!({ "hasTags": false })).await,
        vec![ANA, ZOE]
    );
}

async fn metadata_paths_compare_by_value_range_and_presence(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let cases = [
        (json!({ "path": "plan.tier", "equals": "gold" }), vec![JOSE]),
        (
            json!({ "path": "plan.tier", "in": ["gold", "silver"] }),
            vec![ANA, JOSE],
        ),
        (json!({ "path": "plan.seats", "gt": 5 }), vec![JOSE]),
        (json!({ "path": "plan.seats", "lte": 3 }), vec![ANA]),
        (
            json!({ "path": "plan.seats", "gte": 3, "lt": 12 }),
            vec![ANA],
        ),
        (json!({ "path": "plan.seats", "equals": 12 }), vec![JOSE]),
        // Dates as text, in their text's order.
        (json!({ "path": "since", "lt": "2025-01-01" }), vec![JOSE]),
        (json!({ "path": "since", "gte": "2025-01-01" }), vec![ANA]),
        // A substring of a text, or an item of a list.
        (json!({ "path": "labels", "contains": "beta" }), vec![JOSE]),
        (json!({ "path": "plan.tier", "contains": "ilv" }), vec![ANA]),
        (
            json!({ "path": "plan.tier", "startsWith": "go" }),
            vec![JOSE],
        ),
        // `null` is no value.
        (json!({ "path": "plan", "exists": false }), vec![ZOE]),
        (json!({ "path": "plan", "exists": true }), vec![ANA, JOSE]),
        (json!({ "path": "plan.seats", "gt": "5" }), vec![]),
    ];
    for (condition, expected) in cases {
        assert_eq!(
            matching(&app, path(condition.clone())).await,
            expected,
            "{condition}"
        );
    }
}

async fn bad_conditions_name_their_part(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let cases = [
        (
            text(json!({ "field": "NAME", "equals": "" })),
            "filter.text[0].equals",
        ),
        (
            text(json!({ "field": "COUNTRY", "equals": "XX" })),
            "filter.text[0].equals",
        ),
        (
            text(json!({ "field": "CITY", "in": [] })),
            "filter.text[0].in",
        ),
        (
            text(json!({ "field": "CITY", "in": ["Berlin", ""] })),
            "filter.text[0].in[1]",
        ),
        (
            json!({ "or": [{ "hasTags": true }, path(json!({ "path": "a..b", "exists": true }))] }),
            "filter.or[1].metadataPaths[0].path",
        ),
        (
            path(json!({ "path": "items.0", "exists": true })),
            "filter.metadataPaths[0].path",
        ),
        (
            path(json!({ "path": "plan", "gt": true })),
            "filter.metadataPaths[0].gt",
        ),
        (
            path(json!({ "path": "plan", "equals": { "a": 1 } })),
            "filter.metadataPaths[0].equals",
        ),
    ];
    for (filter, field) in cases {
        let answer = app
            .gql(
                "acme",
                "query($f: CustomerFilter) { customers(first: 5, filter: $f) { nodes { id } } }",
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{filter}");
        assert_eq!(answer.field(), field, "{filter}");
    }
}

async fn the_query_language_names_them_too(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let cases = [
        ("name:\"jose alvarez\"", vec![JOSE]),
        ("name:an*", vec![ANA]),
        ("locale:de*", vec![JOSE]),
        ("currency:EUR", vec![JOSE]),
        ("-currency:*", vec![ZOE]),
        ("tag:*", vec![JOSE]),
        ("-tag:*", vec![ANA, ZOE]),
        ("metadata.plan.tier:gold", vec![JOSE]),
        ("metadata.plan.seats:>5", vec![JOSE]),
        ("metadata.plan.seats:3..12", vec![ANA, JOSE]),
        ("metadata.plan.seats:\"12\"", vec![]),
        ("metadata.since:<2025-01-01", vec![JOSE]),
        ("metadata.plan.tier:si*", vec![ANA]),
        ("metadata.plan:* -metadata.plan.tier:gold", vec![ANA]),
    ];
    for (query, expected) in cases {
        assert_eq!(
            app.emails_where("acme", Value::Null, Some(query)).await,
            expected,
            "{query}"
        );
    }
    let bad = app
        .gql(
            "acme",
            "query($q: String) { customers(first: 5, query: $q) { nodes { id } } }",
            json!({ "q": "status:active metadata.items.0:1" }),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(bad.field(), "query");
}

backend_tests!(
    the_query_language_names_them_too,
    text_fields_compare_as_rules_do,
    metadata_paths_compare_by_value_range_and_presence,
    bad_conditions_name_their_part,
);

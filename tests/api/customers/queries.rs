//! Finding customers: `customerLookup` by email or phone, the filters of
//! `customers` and `customerCount`, and `nodes` by ID.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

async fn lookup_finds_by_email_or_phone(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_customer(
            "acme",
            json!({ "email": "ana@example.com", "phone": "+14155552671" }),
        )
        .await;
    let q = "query($email: String, $phone: String) { customerLookup(email: $email, phone: $phone) { id } }";
    for vars in [
        json!({ "email": "Ana@Example.com" }),
        json!({ "phone": "+1 (415) 555-2671" }),
    ] {
        assert_eq!(
            app.gql("acme", q, vars).await.ok()["customerLookup"]["id"],
            id
        );
    }
    assert_eq!(
        app.gql("acme", q, json!({ "email": "nobody@example.com" }))
            .await
            .ok()["customerLookup"],
        Value::Null
    );
    assert_eq!(app.gql("acme", q, json!({})).await.code(), "BAD_USER_INPUT");
}

async fn filters_select_the_right_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixtures = [
        (
            "maria",
            json!({ "name": "María José Núñez", "email": "mj.nunez@bigcorp.example", "tags": ["vip", "eu"], "address": { "country": "ES" }, "metadata": { "plan": "pro", "seats": 5, "flags": ["beta", "sso"], "billing": { "cycle": "yearly" } } }),
        ),
        (
            "li",
            json!({ "name": "Li Wei", "phone": "+8613812345678", "companyName": "Dragon Tea", "tags": ["vip"], "address": { "country": "CN" }, "metadata": { "plan": "free", "seats": 1 } }),
        ),
        (
            "olu",
            json!({ "firstName": "Olúwa", "lastName": "Ade", "email": "olu@example.com", "status": "ARCHIVED", "tags": ["eu"], "metadata": { "plan": "pro", "beta": true } }),
        ),
        (
            "sql",
            json!({ "name": "100% O'Brien_x", "email": "obrien@example.com", "metadata": { "note": "a'b\"c" } }),
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for (key, input) in fixtures {
        ids.insert(key, app.create_customer("acme", input).await);
    }
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!({ "search": "maria" }), vec!["maria"]),
        (json!({ "search": "NUÑEZ" }), vec!["maria"]),
        (json!({ "search": "nunez@bigc" }), vec!["maria"]),
        (json!({ "search": "12345" }), vec!["li"]),
        (json!({ "search": "138 1234" }), vec!["li"]),
        (json!({ "search": "dragon" }), vec!["li"]),
        (json!({ "search": "oluwa ade" }), vec!["olu"]),
        (json!({ "search": "100%" }), vec!["sql"]),
        (json!({ "search": "n_x" }), vec!["sql"]),
        (json!({ "search": "%" }), vec!["sql"]),
        (json!({ "search": "o'brien" }), vec!["sql"]),
        (json!({ "emailStartsWith": "MJ." }), vec!["maria"]),
        (json!({ "emailStartsWith": "o" }), vec!["olu", "sql"]),
        (json!({ "emailStartsWith": "olu@example.com" }), vec!["olu"]),
        (json!({ "emailStartsWith": "olu@example.comx" }), vec![]),
        (json!({ "emailStartsWith": "%" }), vec![]),
        (json!({ "emailStartsWith": "o_u" }), vec![]),
        // Three characters or more: read as the email index's range.
        (json!({ "emailStartsWith": "OLU" }), vec!["olu"]),
        (json!({ "emailStartsWith": "ol%" }), vec![]),
        (json!({ "emailStartsWith": "mj.\u{10ffff}" }), vec![]),
        (
            json!({ "emailStartsWith": " " }),
            vec!["maria", "li", "olu", "sql"],
        ),
        (
            json!({ "emailStartsWith": "o", "search": "brien" }),
            vec!["sql"],
        ),
        (json!({ "tags": ["vip", "eu"] }), vec!["maria"]),
        (json!({ "tags": ["vip"] }), vec!["maria", "li"]),
        (json!({ "tagsAny": ["eu", "nope"] }), vec!["maria", "olu"]),
        (json!({ "tagsAny": [] }), vec![]),
        (json!({ "status": "ARCHIVED" }), vec!["olu"]),
        (json!({ "country": "es" }), vec!["maria"]),
        (
            json!({ "metadata": { "plan": "pro" } }),
            vec!["maria", "olu"],
        ),
        (
            json!({ "metadata": { "plan": "pro", "seats": 5 } }),
            vec!["maria"],
        ),
        (json!({ "metadata": { "flags": ["sso"] } }), vec!["maria"]),
        (
            json!({ "metadata": { "billing": { "cycle": "yearly" } } }),
            vec!["maria"],
        ),
        (json!({ "metadata": { "beta": true } }), vec!["olu"]),
        (json!({ "metadata": { "seats": "5" } }), vec![]),
        (json!({ "metadata": { "note": "a'b\"c" } }), vec!["sql"]),
        (
            json!({ "minTotalSpent": "0.00", "maxTotalSpent": "0" }),
            vec!["maria", "li", "olu", "sql"],
        ),
        (json!({ "minTotalSpent": "0.01" }), vec![]),
        (
            json!({ "createdAfter": "2000-01-01T00:00:00Z", "createdBefore": "2999-01-01T00:00:00Z" }),
            vec!["maria", "li", "olu", "sql"],
        ),
        (json!({ "lastOrderAfter": "2000-01-01T00:00:00Z" }), vec![]),
    ];
    let query = "query($filter: CustomerFilter) { customers(first: 100, filter: $filter) { totalCount nodes { id } } customerCount(filter: $filter) }";
    for (filter, expected) in cases {
        let data = app
            .gql("acme", query, json!({ "filter": filter }))
            .await
            .ok();
        let mut got: Vec<String> = data["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = expected.iter().map(|k| ids[k].clone()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{filter}");
        assert_eq!(data["customerCount"], want.len(), "{filter}");
        assert_eq!(data["customers"]["totalCount"], want.len(), "{filter}");
    }
    for (filter, field) in [
        (json!({ "country": "ZZ" }), "filter.country"),
        (
            json!({ "createdAfter": "yesterday" }),
            "filter.createdAfter",
        ),
        (json!({ "minTotalSpent": "1.234" }), "filter.minTotalSpent"),
        (
            json!({ "tags": (0..101).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
            "filter.tags",
        ),
        (
            json!({ "tagsAny": (0..101).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
            "filter.tagsAny",
        ),
        (json!({ "search": "x".repeat(256) }), "filter.search"),
        (
            json!({ "emailStartsWith": "x".repeat(256) }),
            "filter.emailStartsWith",
        ),
        (json!({ "metadata": [1] }), "filter.metadata"),
        (json!({ "metadata": { "a\"b": 1 } }), "filter.metadata"),
        (
            json!({ "metadata": { "list": [{ "nested": 1 }] } }),
            "filter.metadata",
        ),
    ] {
        let response = app.gql("acme", query, json!({ "filter": filter })).await;
        assert_eq!(
            (response.code(), response.field()),
            ("BAD_USER_INPUT", field),
            "{filter}"
        );
    }
}

async fn nodes_resolves_ids_in_order_and_caps_the_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app.create_customer("acme", json!({ "name": "A" })).await;
    let b = app.create_customer("acme", json!({ "name": "B" })).await;
    let q = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { name } } }";
    let data = app
        .gql("acme", q, json!({ "ids": [b, "cus_nope", a] }))
        .await
        .ok();
    assert_eq!(
        data["nodes"],
        json!([{ "id": b, "name": "B" }, null, { "id": a, "name": "A" }])
    );
    let too_many: Vec<String> = (0..251).map(|_| a.clone()).collect();
    let response = app.gql("acme", q, json!({ "ids": too_many })).await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "ids")
    );
}

backend_tests!(
    lookup_finds_by_email_or_phone,
    filters_select_the_right_customers,
    nodes_resolves_ids_in_order_and_caps_the_list,
);

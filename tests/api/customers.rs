//! API.md §5: creating, upserting, patching and deleting customers, with
//! validation naming the field.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

const CREATE: &str = "mutation($input: CustomerInput!) { createCustomer(input: $input) { created customer { id name email phone tags } } }";
const UPSERT: &str = "mutation($input: CustomerInput!, $skip: [CustomerField!]) { upsertCustomer(input: $input, doNotUpdate: $skip) { created customer { id name firstName email phone tags metadata } } }";
const UPDATE: &str = "mutation($id: ID!, $input: CustomerUpdateInput!) { updateCustomer(id: $id, input: $input) { id name firstName lastName email phone companyName status tags metadata address { city country } } }";
const GET: &str = "query($id: ID!) { customer(id: $id) { id name firstName lastName email phone companyName status tags metadata address { city country } } }";

async fn create_returns_the_existing_customer_for_a_known_email_or_phone(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app
        .gql("acme", CREATE, json!({ "input": { "firstName": "Ana", "lastName": "Silva", "email": "Ana@Example.com", "phone": "+1 415 555 2671", "tags": [" vip ", "eu"] } }))
        .await
        .ok();
    let customer = &first["createCustomer"]["customer"];
    assert_eq!(first["createCustomer"]["created"], true);
    assert_eq!(customer["name"], "Ana Silva");
    assert_eq!(customer["email"], "ana@example.com");
    assert_eq!(customer["phone"], "+14155552671");
    assert_eq!(customer["tags"], json!(["eu", "vip"]));
    assert!(customer["id"].as_str().unwrap().starts_with("cus_"));

    for input in [
        json!({ "email": "ANA@example.COM", "name": "Other" }),
        json!({ "phone": "+14155552671", "name": "Other" }),
    ] {
        let again = app
            .gql("acme", CREATE, json!({ "input": input }))
            .await
            .ok();
        assert_eq!(again["createCustomer"]["created"], false);
        assert_eq!(
            again["createCustomer"]["customer"], *customer,
            "the existing customer is unchanged"
        );
    }
    assert_eq!(app.count("acme").await, 1);
}

async fn every_validation_error_names_its_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let big = "x".repeat(17 * 1024);
    let cases = [
        (json!({ "email": "not-an-email" }), "input.email"),
        (json!({ "email": "ana@localhost" }), "input.email"),
        (json!({ "phone": "12345" }), "input.phone"),
        (json!({ "phone": "call me" }), "input.phone"),
        (
            json!({ "name": "Ana", "tags": ["ok", "   "] }),
            "input.tags",
        ),
        (
            json!({ "name": "Ana", "tags": ["x".repeat(65)] }),
            "input.tags",
        ),
        (
            json!({ "name": "Ana", "tags": (0..101).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
            "input.tags",
        ),
        (json!({ "name": "Ana", "addTags": [""] }), "input.addTags"),
        (
            json!({ "name": "Ana", "metadata": ["not", "an", "object"] }),
            "input.metadata",
        ),
        (
            json!({ "name": "Ana", "metadata": { "blob": big } }),
            "input.metadata",
        ),
        (
            json!({ "name": "Ana", "address": { "country": "XX" } }),
            "input.address.country",
        ),
        (
            json!({ "name": "Ana", "avatarUrl": "ftp://example.com/a.png" }),
            "input.avatarUrl",
        ),
        (json!({ "name": "x".repeat(256) }), "input.name"),
        (json!({ "name": "Ana", "status": "GONE" }), "input.status"),
        (json!({ "name": 7 }), "input.name"),
        (json!({ "companyName": "Acme" }), "input"),
        (json!({}), "input"),
    ];
    for (input, field) in cases {
        let response = app.gql("acme", CREATE, json!({ "input": input })).await;
        assert_eq!(
            response.code(),
            "BAD_USER_INPUT",
            "{input}: {}",
            response.body
        );
        assert_eq!(response.field(), field, "{input}");
    }
    assert_eq!(app.count("acme").await, 0, "no bad input wrote anything");
}

async fn update_is_a_patch_absent_keeps_null_clears(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_customer(
            "acme",
            json!({ "firstName": "Ana", "lastName": "Silva", "email": "ana@example.com", "phone": "+14155552671",
                    "companyName": "Acme", "tags": ["vip"], "metadata": { "plan": "pro" }, "address": { "city": "Lisbon", "country": "pt" } }),
        )
        .await;

    let updated = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": id, "input": { "firstName": "Ana Maria", "companyName": null } }),
        )
        .await
        .ok();
    let expected = json!({
        "id": id, "name": "Ana Maria Silva", "firstName": "Ana Maria", "lastName": "Silva",
        "email": "ana@example.com", "phone": "+14155552671", "companyName": null, "status": "ACTIVE",
        "tags": ["vip"], "metadata": { "plan": "pro" }, "address": { "city": "Lisbon", "country": "PT" }
    });
    assert_eq!(updated["updateCustomer"], expected);
    assert_eq!(
        app.gql("acme", GET, json!({ "id": id })).await.ok()["customer"],
        expected,
        "the change is stored"
    );

    let cleared = app
        .gql("acme", UPDATE, json!({ "id": id, "input": { "tags": null, "metadata": null, "address": null, "phone": null, "status": "ARCHIVED" } }))
        .await
        .ok();
    let c = &cleared["updateCustomer"];
    assert_eq!(
        (
            c["tags"].clone(),
            c["metadata"].clone(),
            c["address"].clone(),
            c["phone"].clone()
        ),
        (json!([]), json!({}), Value::Null, Value::Null)
    );
    assert_eq!(c["status"], "ARCHIVED");
    assert_eq!(c["email"], "ana@example.com");

    let no_status = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": id, "input": { "status": null } }),
        )
        .await;
    assert_eq!(
        (no_status.code(), no_status.field()),
        ("BAD_USER_INPUT", "input.status")
    );
    let nobody = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": id, "input": { "firstName": null, "lastName": null, "email": null } }),
        )
        .await;
    assert_eq!((nobody.code(), nobody.field()), ("BAD_USER_INPUT", "input"));
    let bad = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": id, "input": { "email": "nope" } }),
        )
        .await;
    assert_eq!((bad.code(), bad.field()), ("BAD_USER_INPUT", "input.email"));
    assert_eq!(
        app.gql("acme", GET, json!({ "id": id })).await.ok()["customer"]["email"],
        "ana@example.com"
    );
}

async fn update_to_another_customers_email_or_phone_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer(
        "acme",
        json!({ "email": "taken@example.com", "phone": "+14155552671" }),
    )
    .await;
    let id = app
        .create_customer("acme", json!({ "email": "ana@example.com" }))
        .await;
    for (input, field) in [
        (json!({ "email": "TAKEN@example.com" }), "input.email"),
        (json!({ "phone": "+1 415-555-2671" }), "input.phone"),
    ] {
        let response = app
            .gql("acme", UPDATE, json!({ "id": id, "input": input }))
            .await;
        assert_eq!(
            (response.code(), response.field()),
            ("CONFLICT", field),
            "{}",
            response.body
        );
    }
    assert_eq!(
        app.gql("acme", GET, json!({ "id": id })).await.ok()["customer"]["email"],
        "ana@example.com"
    );
}

async fn upsert_creates_then_updates_respecting_do_not_update(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .gql("acme", UPSERT, json!({ "input": { "email": "ana@example.com", "name": "Ana", "tags": ["a"], "metadata": { "plan": "free", "seats": 1 } } }))
        .await
        .ok();
    assert_eq!(created["upsertCustomer"]["created"], true);
    let id = created["upsertCustomer"]["customer"]["id"].clone();

    let updated = app
        .gql(
            "acme",
            UPSERT,
            json!({ "input": { "email": "ANA@example.com", "name": "Renamed", "firstName": "Ana", "phone": "+4930901820",
                               "addTags": ["b"], "metadata": { "plan": "pro" } }, "skip": ["NAME"] }),
        )
        .await
        .ok();
    let c = &updated["upsertCustomer"]["customer"];
    assert_eq!(updated["upsertCustomer"]["created"], false);
    assert_eq!(c["id"], id);
    assert_eq!(c["name"], "Ana", "doNotUpdate keeps the name");
    assert_eq!(c["firstName"], "Ana");
    assert_eq!(c["phone"], "+4930901820");
    assert_eq!(c["tags"], json!(["a", "b"]), "addTags adds");
    assert_eq!(
        c["metadata"],
        json!({ "plan": "pro", "seats": 1 }),
        "metadata merges"
    );

    let by_phone = app
        .gql(
            "acme",
            UPSERT,
            json!({ "input": { "phone": "+49 30 901820", "tags": ["c"] } }),
        )
        .await
        .ok();
    assert_eq!(
        by_phone["upsertCustomer"]["customer"]["id"], id,
        "found by phone"
    );
    assert_eq!(
        by_phone["upsertCustomer"]["customer"]["tags"],
        json!(["c"]),
        "tags replace"
    );
    assert_eq!(app.count("acme").await, 1);
}

async fn concurrent_upserts_of_one_email_make_one_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let calls = (0..50).map(|i| {
        app.gql("acme", UPSERT, json!({ "input": { "email": "rush@example.com", "name": format!("Caller {i}"), "addTags": [format!("t{i}")] } }))
    });
    let responses = join_all(calls).await;
    let created = responses
        .into_iter()
        .map(|r| r.ok()["upsertCustomer"]["created"].as_bool().unwrap())
        .filter(|c| *c)
        .count();
    assert_eq!(created, 1);
    assert_eq!(app.count("acme").await, 1);
    let tags = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "rush@example.com") { tags } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        tags["customerLookup"]["tags"].as_array().unwrap().len(),
        50,
        "no write was lost"
    );
}

async fn delete_removes_the_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = app
        .create_customer("acme", json!({ "email": "ana@example.com", "tags": ["x"] }))
        .await;
    let delete = "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }";
    let deleted = app.gql("acme", delete, json!({ "id": id })).await.ok();
    assert_eq!(deleted["deleteCustomer"]["deletedId"], id);
    assert_eq!(
        app.gql("acme", GET, json!({ "id": id })).await.ok()["customer"],
        Value::Null
    );
    assert_eq!(
        app.gql("acme", delete, json!({ "id": id })).await.code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql("acme", delete, json!({ "id": "garbage" }))
            .await
            .code(),
        "NOT_FOUND"
    );
    // The email is free again.
    app.create_customer("acme", json!({ "email": "ana@example.com" }))
        .await;
}

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
    create_returns_the_existing_customer_for_a_known_email_or_phone,
    every_validation_error_names_its_field,
    update_is_a_patch_absent_keeps_null_clears,
    update_to_another_customers_email_or_phone_is_a_conflict,
    upsert_creates_then_updates_respecting_do_not_update,
    concurrent_upserts_of_one_email_make_one_customer,
    delete_removes_the_customer,
    lookup_finds_by_email_or_phone,
    filters_select_the_right_customers,
    nodes_resolves_ids_in_order_and_caps_the_list,
);

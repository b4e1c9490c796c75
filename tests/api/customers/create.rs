//! Creating and upserting customers: a known email or phone returns the
//! existing customer, every validation error names its field, an upsert
//! respects `doNotUpdate`, and concurrent upserts make one customer.

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{Backend, spawn_app};

const CREATE: &str = "mutation($input: CustomerInput!) { createCustomer(input: $input) { created customer { id name email phone tags } } }";
const UPSERT: &str = "mutation($input: CustomerInput!, $skip: [CustomerField!]) { upsertCustomer(input: $input, doNotUpdate: $skip) { created customer { id name firstName email phone tags metadata } } }";

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

/// The longest values each field takes, together: on PostgreSQL the email
/// index carries the address and both names, and an entry must stay
/// under the index's size limit. The names are characters of four bytes
/// that repeat nothing, so the entry cannot be compressed.
async fn the_longest_names_and_address_fit_together(backend: Backend) {
    let app = spawn_app(backend).await;
    let tenant = "t".repeat(64);
    let mut code = 0x10000_u64;
    let mut name = || -> String {
        (0..255)
            .map(|_| {
                code = 0x10000 + (code * 7919 + 104_729) % 0x10_0000;
                char::from_u32(u32::try_from(code).unwrap()).unwrap()
            })
            .collect()
    };
    let (first, last) = (name(), name());
    // 254 bytes: a local part of 64, the most there is, and labels of at
    // most 63.
    let email = format!(
        "{}@{}.{}.{}.com",
        "a".repeat(64),
        "b".repeat(61),
        "c".repeat(61),
        "d".repeat(61)
    );
    let created = app
        .gql(
            &tenant,
            CREATE,
            json!({ "input": { "firstName": first, "lastName": last, "email": email } }),
        )
        .await
        .ok();
    assert_eq!(created["createCustomer"]["created"], true, "{created}");
    let found = app
        .gql(
            &tenant,
            "{ customers(first: 5, filter: { emailStartsWith: \"aaaa\" }) { nodes { email firstName lastName } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        found["customers"]["nodes"],
        json!([{ "email": email, "firstName": first, "lastName": last }])
    );
    let longer = email.replacen("@b", "@bb", 1);
    let refused = app
        .gql(
            &tenant,
            CREATE,
            json!({ "input": { "firstName": first, "email": longer } }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT", "{}", refused.body);
    assert_eq!(refused.field(), "input.email");
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

backend_tests!(
    create_returns_the_existing_customer_for_a_known_email_or_phone,
    every_validation_error_names_its_field,
    the_longest_names_and_address_fit_together,
    upsert_creates_then_updates_respecting_do_not_update,
    concurrent_upserts_of_one_email_make_one_customer,
);

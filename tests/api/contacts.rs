//! Several emails and phones per customer: each unique in the tenant,
//! each finding its customer.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

const CREATE: &str = "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id email emails phones } } }";
const UPDATE: &str = "mutation($id: ID!, $i: CustomerUpdateInput!) { updateCustomer(id: $id, input: $i) { email emails phones } }";
const UPSERT: &str =
    "mutation($i: CustomerInput!) { upsertCustomer(input: $i) { created customer { id name } } }";
const IMPORT: &str = "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created updated failed { index field code } } }";
const PHONE_LOOKUP: &str = "query($p: String) { customerLookup(phone: $p) { id } }";

async fn create(app: &TestApp, input: Value) -> Value {
    app.gql("acme", CREATE, json!({ "i": input })).await.ok()["createCustomer"]["customer"].clone()
}

async fn contacts_in_tenant(app: &TestApp) -> i64 {
    let db = app.db.connect().await;
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) FROM customer_contacts",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get_by_index(0)
    .unwrap()
}

async fn every_email_and_phone_finds_its_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = create(
        &app,
        json!({ "email": "ana@home.example", "phone": "+14155552671",
            "additionalEmails": [" Ana@Work.example ", "ana@home.example", "ana@work.example"],
            "additionalPhones": ["+1 (415) 555-2672"] }),
    )
    .await;
    let id = ana["id"].as_str().unwrap().to_owned();
    assert_eq!(
        ana["emails"],
        json!(["ana@home.example", "ana@work.example"])
    );
    assert_eq!(ana["phones"], json!(["+14155552671", "+14155552672"]));

    assert_eq!(
        app.lookup("acme", "ANA@work.example", "id").await["id"],
        id.as_str()
    );
    let by_phone = app
        .gql("acme", PHONE_LOOKUP, json!({ "p": "+1 415 555 2672" }))
        .await
        .ok();
    assert_eq!(by_phone["customerLookup"]["id"], id.as_str());
    assert_eq!(
        app.count_where("acme", json!({ "search": "ana@work" }))
            .await,
        1
    );
    assert_eq!(
        app.count_where("acme", json!({ "search": "5552672" }))
            .await,
        1
    );

    // An upsert by an additional email updates that customer.
    let upserted = app
        .gql(
            "acme",
            UPSERT,
            json!({ "i": { "email": "ana@work.example", "name": "Ana" } }),
        )
        .await
        .ok()["upsertCustomer"]
        .clone();
    assert_eq!(
        upserted,
        json!({ "created": false, "customer": { "id": id, "name": "Ana" } })
    );

    // An additional email made primary leaves the additional list.
    let promoted = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": id, "i": { "email": "ana@work.example" } }),
        )
        .await
        .ok()["updateCustomer"]
        .clone();
    assert_eq!(promoted["emails"], json!(["ana@work.example"]));
    assert!(app.lookup("acme", "ana@home.example", "id").await.is_null());
    let cleared = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": id, "i": { "additionalPhones": null } }),
        )
        .await
        .ok()["updateCustomer"]
        .clone();
    assert_eq!(cleared["phones"], json!(["+14155552671"]));
    assert_eq!(contacts_in_tenant(&app).await, 0);
}

async fn an_email_or_phone_belongs_to_one_customer(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = create(&app, json!({ "email": "ana@home.example", "additionalEmails": ["ana@work.example"], "additionalPhones": ["+14155552672"] })).await;
    let bo = create(
        &app,
        json!({ "email": "bo@home.example", "phone": "+14155550000" }),
    )
    .await;
    let bo_id = bo["id"].as_str().unwrap();

    for (input, code, field) in [
        (
            json!({ "additionalEmails": ["ana@work.example"] }),
            "CONFLICT",
            "input.additionalEmails",
        ),
        (
            json!({ "additionalEmails": ["ANA@home.example"] }),
            "CONFLICT",
            "input.additionalEmails",
        ),
        (
            json!({ "additionalPhones": ["+1 415 555 2672"] }),
            "CONFLICT",
            "input.additionalPhones",
        ),
        (
            json!({ "email": "ana@work.example" }),
            "CONFLICT",
            "input.email",
        ),
        (
            json!({ "phone": "+14155552672" }),
            "CONFLICT",
            "input.phone",
        ),
        (
            json!({ "additionalEmails": ["not an email"] }),
            "BAD_USER_INPUT",
            "input.additionalEmails",
        ),
        (
            json!({ "additionalPhones": ["12"] }),
            "BAD_USER_INPUT",
            "input.additionalPhones",
        ),
        (
            json!({ "additionalEmails": (0..11).map(|i| format!("bo{i}@x.example")).collect::<Vec<_>>() }),
            "BAD_USER_INPUT",
            "input.additionalEmails",
        ),
    ] {
        let r = app
            .gql("acme", UPDATE, json!({ "id": bo_id, "i": input }))
            .await;
        assert_eq!((r.code(), r.field()), (code, field), "{input}");
    }
    let r = app
        .gql("acme", CREATE, json!({ "i": { "email": "cy@home.example", "additionalEmails": ["ana@work.example"] } }))
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("CONFLICT", "input.additionalEmails")
    );
    assert_eq!(app.count("acme").await, 2, "refused writes change nothing");

    // Given up by one, a value is free for another; another tenant has its
    // own.
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana["id"], "i": { "additionalEmails": [] } }),
    )
    .await
    .ok();
    let moved = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": bo_id, "i": { "additionalEmails": ["ana@work.example"] } }),
        )
        .await
        .ok();
    assert_eq!(
        moved["updateCustomer"]["emails"],
        json!(["bo@home.example", "ana@work.example"])
    );
    assert_eq!(
        app.lookup("acme", "ana@work.example", "id").await["id"],
        bo_id
    );
    let other = app
        .gql("globex", CREATE, json!({ "i": { "email": "x@globex.example", "additionalEmails": ["ana@work.example"] } }))
        .await
        .ok();
    assert_eq!(
        other["createCustomer"]["customer"]["emails"][1],
        "ana@work.example"
    );
    assert_eq!(
        app.lookup("acme", "ana@work.example", "id").await["id"],
        bo_id
    );
}

async fn imports_and_merges_keep_every_email(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = create(
        &app,
        json!({ "email": "ana@home.example", "additionalEmails": ["ana@work.example"] }),
    )
    .await;
    let imported = app
        .gql("acme", IMPORT, json!({ "rows": [
            { "email": "ana@work.example", "name": "Ana" },
            { "email": "bo@home.example", "additionalEmails": ["bo@work.example"], "additionalPhones": ["+14155550001"] },
            { "email": "cy@home.example", "additionalEmails": ["bo@work.example"] },
            { "email": "dee@home.example", "additionalEmails": ["ana@home.example"] },
        ] }))
        .await
        .ok()["importCustomers"]
        .clone();
    assert_eq!(imported["created"], 1);
    assert_eq!(imported["updated"], 1);
    assert_eq!(
        imported["failed"],
        json!([
            { "index": 2, "field": "additionalEmails", "code": "CONFLICT" },
            { "index": 3, "field": "additionalEmails", "code": "CONFLICT" },
        ])
    );
    assert_eq!(
        app.lookup("acme", "ana@home.example", "name").await["name"],
        "Ana"
    );
    let bo = app
        .lookup("acme", "bo@work.example", "id emails phones")
        .await;
    assert_eq!(bo["emails"], json!(["bo@home.example", "bo@work.example"]));

    // Merged, the duplicate's primary email joins the survivor's others,
    // and each still finds it.
    app.gql(
        "acme",
        "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": ana["id"], "m": bo["id"] }),
    )
    .await
    .ok();
    let merged = app
        .lookup("acme", "bo@home.example", "id emails phones")
        .await;
    assert_eq!(merged["id"], ana["id"]);
    assert_eq!(
        merged["emails"],
        json!([
            "ana@home.example",
            "ana@work.example",
            "bo@home.example",
            "bo@work.example"
        ])
    );
    assert_eq!(merged["phones"], json!(["+14155550001"]));
    assert_eq!(contacts_in_tenant(&app).await, 4);

    // Erased, the customer leaves no email or phone behind.
    let gone = app
        .request_data("acme", merged["id"].as_str().unwrap(), "ERASURE", "")
        .await;
    app.finished_request("acme", &gone).await;
    assert_eq!(contacts_in_tenant(&app).await, 0);
    assert!(app.lookup("acme", "bo@work.example", "id").await.is_null());
}

backend_tests!(
    every_email_and_phone_finds_its_customer,
    an_email_or_phone_belongs_to_one_customer,
    imports_and_merges_keep_every_email,
);

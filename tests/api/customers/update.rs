//! Patching and deleting customers: an absent field is kept and null
//! clears, another customer's email or phone is a conflict, and a deleted
//! customer is gone.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

const UPDATE: &str = "mutation($id: ID!, $input: CustomerUpdateInput!) { updateCustomer(id: $id, input: $input) { id name firstName lastName email phone companyName status tags metadata address { city country } } }";
const GET: &str = "query($id: ID!) { customer(id: $id) { id name firstName lastName email phone companyName status tags metadata address { city country } } }";

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

backend_tests!(
    update_is_a_patch_absent_keeps_null_clears,
    update_to_another_customers_email_or_phone_is_a_conflict,
    delete_removes_the_customer,
);

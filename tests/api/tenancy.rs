//! API.md §2: every read and write is confined to the token's tenant, and
//! another tenant's ID answers exactly like an ID that never existed.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app, unknown_customer_id};

/// Every ID-taking operation, with `$id` standing for the ID.
const OPERATIONS: &[&str] = &[
    "query($id: ID!) { customer(id: $id) { id email } }",
    "query($id: ID!) { node(id: $id) { id ... on Customer { email } } }",
    "query($id: ID!) { nodes(ids: [$id]) { id } }",
    r#"mutation($id: ID!) { updateCustomer(id: $id, input: { name: "Mallory" }) { id } }"#,
    "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }",
];

/// The response with the asked-for ID masked, so two IDs compare equal.
fn masked(body: &Value, id: &str) -> String {
    body.to_string().replace(id, "<id>")
}

async fn another_tenant_sees_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let input = json!({ "name": "Ana Secret", "email": "ana.secret@acme.example", "phone": "+14155552671", "tags": ["vip"] });
    let id = app.create_customer("tenant-a", input).await;
    app.create_customer("tenant-b", json!({ "email": "bob@b.example" }))
        .await;

    for operation in OPERATIONS {
        let foreign = app.gql("tenant-b", operation, json!({ "id": id })).await;
        let unknown_id = unknown_customer_id();
        let unknown = app
            .gql("tenant-b", operation, json!({ "id": unknown_id }))
            .await;
        assert_eq!(foreign.status, unknown.status, "{operation}");
        assert_eq!(
            masked(&foreign.body, &id),
            masked(&unknown.body, &unknown_id),
            "{operation}"
        );
        assert!(
            !foreign.body.to_string().contains("secret"),
            "{operation}: {}",
            foreign.body
        );
    }

    let lookups = [
        (
            "query { customerLookup(email: \"ana.secret@acme.example\") { id } }",
            "customerLookup",
        ),
        (
            "query { customerLookup(phone: \"+14155552671\") { id } }",
            "customerLookup",
        ),
    ];
    for (query, field) in lookups {
        assert_eq!(
            app.gql("tenant-b", query, json!({})).await.ok()[field],
            Value::Null
        );
    }
    let listed = app
        .gql("tenant-b", r#"{ customers(filter: { search: "secret" }) { totalCount nodes { id } } all: customers { nodes { id } } }"#, json!({}))
        .await
        .ok();
    assert_eq!(listed["customers"]["totalCount"], 0);
    assert!(!listed.to_string().contains(&id));
    let counts = app
        .gql("tenant-b", r#"{ a: customerCount(filter: { search: "ana" }) b: customerCount(filter: { tags: ["vip"] }) c: customerCount }"#, json!({}))
        .await
        .ok();
    assert_eq!(counts, json!({ "a": 0, "b": 0, "c": 1 }));

    // Tenant A's customer is untouched.
    let seen = app
        .gql(
            "tenant-a",
            "query($id: ID!) { customer(id: $id) { name email tags } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(
        seen["customer"],
        json!({ "name": "Ana Secret", "email": "ana.secret@acme.example", "tags": ["vip"] })
    );

    // No cross-tenant "exists" oracle: B can create A's email.
    let created = app
        .gql("tenant-b", r#"mutation { createCustomer(input: { email: "ANA.SECRET@acme.example", phone: "+14155552671" }) { created } }"#, json!({}))
        .await
        .ok();
    assert_eq!(created["createCustomer"]["created"], true);
    let imported = app
        .gql("tenant-b", r#"mutation { importCustomers(customers: [{ email: "ana.secret@acme.example", name: "B's Ana" }]) { created updated skipped } }"#, json!({}))
        .await
        .ok();
    assert_eq!(
        imported["importCustomers"],
        json!({ "created": 0, "updated": 1, "skipped": 0 }),
        "B updates its own Ana"
    );
    let seen = app
        .gql(
            "tenant-a",
            "query($id: ID!) { customer(id: $id) { name } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(
        seen["customer"]["name"], "Ana Secret",
        "A's Ana is untouched"
    );
}

backend_tests!(another_tenant_sees_and_changes_nothing);

/// Tenant scoping has one path: no module but `tenancy` starts a query
/// from an entity.
#[test]
fn unscoped_queries_exist_only_in_the_tenancy_module() {
    let forbidden = [
        "::find()",
        "::find_by_id(",
        "::update_many()",
        "::delete_many()",
        "::delete_by_id(",
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("tenancy.rs")
                && !path.ends_with("db.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for pattern in forbidden {
                    if text.contains(pattern) {
                        offenders.push(format!("{} uses {pattern}", path.display()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "unscoped queries: {offenders:#?}");
}

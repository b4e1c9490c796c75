//! tagCustomers adds and removes tags on many customers without replacing
//! the others; mergeCustomers moves everything of the duplicate to the
//! customer kept and deletes it.

use futures_util::future::join_all;
use serde_json::{Value, json};

use super::{MERGE, TAG};
use crate::helpers::{Backend, spawn_app};

async fn tag_customers_adds_and_removes_without_replacing(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .create_customer("acme", json!({ "name": "A", "tags": ["old", "stay"] }))
        .await;
    let b = app.create_customer("acme", json!({ "name": "B" })).await;
    let data = app
        .gql(
            "acme",
            TAG,
            json!({ "ids": [b, a], "add": ["new", " vip "], "remove": ["old"] }),
        )
        .await
        .ok();
    assert_eq!(
        data["tagCustomers"],
        json!([{ "id": b, "tags": ["new", "vip"] }, { "id": a, "tags": ["new", "stay", "vip"] }])
    );

    let other = app
        .create_customer("other", json!({ "name": "Theirs", "tags": ["t"] }))
        .await;
    for ids in [
        json!([a, other]),
        json!([a, crate::helpers::unknown_customer_id()]),
    ] {
        let response = app
            .gql("acme", TAG, json!({ "ids": ids, "add": ["x"] }))
            .await;
        assert_eq!(response.code(), "NOT_FOUND");
    }
    let unchanged = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { tags } }",
            json!({ "id": a }),
        )
        .await
        .ok();
    assert_eq!(
        unchanged["customer"]["tags"],
        json!(["new", "stay", "vip"]),
        "a refused call changes nothing"
    );
    let theirs = app
        .gql(
            "other",
            "query($id: ID!) { customer(id: $id) { tags } }",
            json!({ "id": other }),
        )
        .await
        .ok();
    assert_eq!(theirs["customer"]["tags"], json!(["t"]));

    let many: Vec<String> = (0..251).map(|_| a.clone()).collect();
    let response = app
        .gql("acme", TAG, json!({ "ids": many, "add": ["x"] }))
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "ids")
    );
    let response = app
        .gql("acme", TAG, json!({ "ids": [a], "add": [""] }))
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "add")
    );
    let hundred: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let response = app
        .gql("acme", TAG, json!({ "ids": [a], "add": hundred }))
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "add")
    );

    let calls =
        (0..50).map(|i| app.gql("acme", TAG, json!({ "ids": [b], "add": [format!("c{i}")] })));
    for response in join_all(calls).await {
        response.ok();
    }
    let tags = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { tags } }",
            json!({ "id": b }),
        )
        .await
        .ok();
    assert_eq!(
        tags["customer"]["tags"].as_array().unwrap().len(),
        52,
        "no concurrent tag was lost"
    );
}

async fn merge_moves_everything_and_deletes_the_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let keep = app
        .create_customer("acme", json!({ "name": "Ana Silva", "phone": "+14155552671", "tags": ["vip"], "metadata": { "plan": "pro" } }))
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "name": "A. Silva", "email": "ana@example.com", "companyName": "Acme", "tags": ["eu", "vip"],
                    "metadata": { "plan": "free", "seats": 3 }, "address": { "city": "Porto", "country": "PT" } }),
        )
        .await;
    for (customer, external_id, amount) in [(&keep, "K-1", "10.00"), (&dup, "D-1", "32.50")] {
        crate::helpers::record_order(
            &app,
            "acme",
            customer,
            json!({ "externalId": external_id, "amount": amount, "currency": "EUR" }),
        )
        .await;
    }
    app.gql(
        "acme",
        "mutation($c: ID!) { addNote(customerId: $c, body: \"met at the fair\") { id } }",
        json!({ "c": dup }),
    )
    .await
    .ok();
    let merged = app
        .gql("acme", MERGE, json!({ "keep": keep, "merge": dup }))
        .await
        .ok();
    let moved = app
        .gql("acme", "query($id: ID!) { customer(id: $id) { totalOrders totalSpent orders { nodes { externalId customer { id } } } notes { nodes { body customer { id } } } activity { totalCount nodes { type title } } } }", json!({ "id": keep }))
        .await
        .ok()["customer"]
        .clone();
    assert_eq!(moved["totalOrders"], 2);
    assert_eq!(moved["totalSpent"], "42.50");
    let externals: Vec<&str> = moved["orders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(externals, ["D-1", "K-1"]);
    assert!(
        moved["orders"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["customer"]["id"] == keep.as_str())
    );
    assert_eq!(
        moved["notes"]["nodes"][0],
        json!({ "body": "met at the fair", "customer": { "id": keep } })
    );
    // Both timelines (2 creations, 2 orders, a note) and the merge itself.
    assert_eq!(moved["activity"]["totalCount"], 6);
    assert_eq!(moved["activity"]["nodes"][0]["title"], "Customer merged");
    assert_eq!(
        merged["mergeCustomers"],
        json!({ "id": keep, "name": "Ana Silva", "email": "ana@example.com", "phone": "+14155552671", "companyName": "Acme",
                "tags": ["eu", "vip"], "metadata": { "plan": "pro", "seats": 3 }, "address": { "city": "Porto", "country": "PT" } })
    );
    assert_eq!(
        app.gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { id } }",
            json!({ "id": dup })
        )
        .await
        .ok()["customer"],
        Value::Null
    );
    assert_eq!(
        app.gql("acme", MERGE, json!({ "keep": keep, "merge": dup }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql(
            "acme",
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }",
            json!({ "id": dup })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let found = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "ana@example.com") { id } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        found["customerLookup"]["id"], keep,
        "the email now leads to the kept customer"
    );
    assert_eq!(app.count("acme").await, 1);
    let search = app
        .gql(
            "acme",
            r#"{ customerCount(filter: { search: "acme" }) }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        search["customerCount"], 1,
        "the search index follows the merge"
    );

    let self_merge = app
        .gql("acme", MERGE, json!({ "keep": keep, "merge": keep }))
        .await;
    assert_eq!(
        (self_merge.code(), self_merge.field()),
        ("BAD_USER_INPUT", "mergeId")
    );

    let theirs = app
        .create_customer(
            "other",
            json!({ "name": "Theirs", "email": "theirs@example.com" }),
        )
        .await;
    for (tenant, k, m) in [
        ("acme", &keep, &theirs),
        ("acme", &theirs, &keep),
        ("other", &theirs, &keep),
        ("other", &keep, &theirs),
    ] {
        assert_eq!(
            app.gql(tenant, MERGE, json!({ "keep": k, "merge": m }))
                .await
                .code(),
            "NOT_FOUND",
            "{tenant}"
        );
    }
    assert_eq!((app.count("acme").await, app.count("other").await), (1, 1));
}

backend_tests!(
    tag_customers_adds_and_removes_without_replacing,
    merge_moves_everything_and_deletes_the_duplicate,
);

//! A customer's addresses: the list, its default, and the four mutations.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

const ADDRESSES: &str = "query($id: ID!, $after: String) { customer(id: $id) { address { id city } defaultAddress { id city country } addresses(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id city } } } }";
const ADD: &str = "mutation($c: ID!, $i: AddressInput!, $d: Boolean) { addCustomerAddress(customerId: $c, input: $i, makeDefault: $d) { id city country } }";
const UPDATE: &str = "mutation($id: ID!, $i: AddressInput!) { updateCustomerAddress(id: $id, input: $i) { id city } }";
const REMOVE: &str = "mutation($id: ID!) { removeCustomerAddress(id: $id) }";
const SET_DEFAULT: &str =
    "mutation($id: ID!) { setDefaultCustomerAddress(id: $id) { defaultAddress { id city } } }";

async fn add(app: &TestApp, customer: &str, city: &str, make_default: bool) -> String {
    app.gql(
        "acme",
        ADD,
        json!({ "c": customer, "i": { "city": city, "country": "DE" }, "d": make_default }),
    )
    .await
    .ok()["addCustomerAddress"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn book(app: &TestApp, customer: &str) -> Value {
    app.gql("acme", ADDRESSES, json!({ "id": customer }))
        .await
        .ok()["customer"]
        .clone()
}

/// Every address's city, paging through the whole list.
async fn cities(app: &TestApp, customer: &str) -> Vec<String> {
    let mut cities = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .gql("acme", ADDRESSES, json!({ "id": customer, "after": after }))
            .await
            .ok();
        let list = &data["customer"]["addresses"];
        for node in list["nodes"].as_array().unwrap() {
            cities.push(node["city"].as_str().unwrap().to_owned());
        }
        if list["pageInfo"]["hasNextPage"] != true {
            return cities;
        }
        after = list["pageInfo"]["endCursor"].clone();
    }
}

async fn a_customer_keeps_several_addresses_with_one_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "address": { "city": "Berlin", "country": "DE" } }),
        )
        .await;
    let home = book(&app, &ana).await["defaultAddress"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(home.starts_with("adr_"), "{home}");

    let office = add(&app, &ana, "Hamburg", false).await;
    let shop = add(&app, &ana, "Munich", false).await;
    let now = book(&app, &ana).await;
    assert_eq!(now["address"], json!({ "id": home, "city": "Berlin" }));
    assert_eq!(now["addresses"]["totalCount"], 3);
    assert_eq!(cities(&app, &ana).await, ["Berlin", "Hamburg", "Munich"]);

    // The default moves, and IDs stay with their addresses.
    let moved = app
        .gql("acme", SET_DEFAULT, json!({ "id": shop }))
        .await
        .ok();
    assert_eq!(
        moved["setDefaultCustomerAddress"]["defaultAddress"],
        json!({ "id": shop, "city": "Munich" })
    );
    assert_eq!(cities(&app, &ana).await, ["Berlin", "Hamburg", "Munich"]);
    let count = |filter: Value| app.count_where("acme", filter);
    assert_eq!(count(json!({ "country": "DE" })).await, 1);

    // Filters and rules read the default address.
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": shop, "i": { "city": "Paris", "country": "FR" } }),
    )
    .await
    .ok();
    assert_eq!(count(json!({ "country": "FR" })).await, 1);
    assert_eq!(count(json!({ "country": "DE" })).await, 0);
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": office, "i": { "city": "Bremen", "country": "DE" } }),
    )
    .await
    .ok();
    assert_eq!(cities(&app, &ana).await, ["Berlin", "Bremen", "Paris"]);

    // Removing the default makes the newest other address the default.
    app.gql("acme", REMOVE, json!({ "id": shop })).await.ok();
    let after = book(&app, &ana).await;
    assert_eq!(after["defaultAddress"]["id"], office);
    assert_eq!(after["addresses"]["totalCount"], 2);
    // `address: null` removes the default the same way.
    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { address: null }) { address { id } } }",
        json!({ "id": ana }),
    )
    .await
    .ok();
    assert_eq!(book(&app, &ana).await["defaultAddress"]["id"], home);
    app.gql("acme", REMOVE, json!({ "id": home })).await.ok();
    let empty = book(&app, &ana).await;
    assert_eq!(empty["address"], Value::Null);
    assert_eq!(empty["addresses"]["totalCount"], 0);

    // Each change is on the timeline.
    let entries = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { activity(first: 50, types: [CUSTOMER]) { nodes { data } } } }",
            json!({ "id": ana }),
        )
        .await
        .ok();
    let changed = entries["customer"]["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| {
            n["data"]["fields"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f == "addresses"))
        })
        .count();
    assert_eq!(changed, 7, "{entries:#}");
}

async fn bad_addresses_are_refused_and_others_tenants_are_out_of_reach(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let first = add(&app, &ana, "Berlin", false).await;
    assert_eq!(
        book(&app, &ana).await["defaultAddress"]["id"],
        first,
        "the first address is the default"
    );
    for (input, field) in [
        (json!({}), "input"),
        (
            json!({ "city": "Berlin", "country": "QQ" }),
            "input.country",
        ),
        (json!({ "line1": "x".repeat(300) }), "input.line1"),
    ] {
        let refused = app.gql("acme", ADD, json!({ "c": ana, "i": input })).await;
        assert_eq!(
            refused.code(),
            "BAD_USER_INPUT",
            "{input}: {:#}",
            refused.body
        );
        assert_eq!(refused.field(), field, "{input}: {:#}", refused.body);
    }
    assert_eq!(book(&app, &ana).await["addresses"]["totalCount"], 1);

    // Another tenant, or an ID of another kind, finds nothing.
    let eve = app
        .create_customer("evil", json!({ "email": "eve@evil.example" }))
        .await;
    for (tenant, query, variables) in [
        (
            "evil",
            UPDATE,
            json!({ "id": first, "i": { "city": "Nope" } }),
        ),
        ("evil", REMOVE, json!({ "id": first })),
        ("evil", SET_DEFAULT, json!({ "id": first })),
        ("evil", ADD, json!({ "c": ana, "i": { "city": "Nope" } })),
        ("acme", REMOVE, json!({ "id": ana })),
    ] {
        let refused = app.gql(tenant, query, variables.clone()).await;
        assert_eq!(refused.code(), "NOT_FOUND", "{query} {variables}");
    }
    assert_eq!(cities(&app, &ana).await, ["Berlin"]);
    let eves = app.gql("evil", ADDRESSES, json!({ "id": eve })).await.ok();
    assert_eq!(eves["customer"]["addresses"]["totalCount"], 0);

    // At most 50 addresses a customer.
    for i in 1..50 {
        add(&app, &ana, &format!("City {i}"), false).await;
    }
    let full = app
        .gql(
            "acme",
            ADD,
            json!({ "c": ana, "i": { "city": "One more" } }),
        )
        .await;
    assert_eq!(full.code(), "BAD_USER_INPUT");
    assert_eq!(book(&app, &ana).await["addresses"]["totalCount"], 50);
}

async fn merge_and_erasure_keep_addresses_consistent(backend: Backend) {
    let app = spawn_app(backend).await;
    let [keep, dup] = app
        .customers_by_email("acme", ["keep@acme.example", "dup@acme.example"])
        .await;
    add(&app, &keep, "Berlin", false).await;
    add(&app, &dup, "Lisbon", false).await;
    add(&app, &dup, "Porto", false).await;
    app.gql(
        "acme",
        "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": keep, "m": dup }),
    )
    .await
    .ok();
    let kept = book(&app, &keep).await;
    assert_eq!(kept["defaultAddress"]["city"], "Berlin");
    let mut merged = cities(&app, &keep).await;
    merged.sort();
    assert_eq!(merged, ["Berlin", "Lisbon", "Porto"]);

    let request = app.request_data("acme", &keep, "ERASURE", "").await;
    let worker = app.another_instance().await;
    let done = worker.finished_request("acme", &request).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["audit"]["removed"]["customers"], 1);
    let gone = app
        .gql(
            "acme",
            "query($id: ID!) { removalRequest(id: $id) { audit { removed { addresses } } } }",
            json!({ "id": request }),
        )
        .await
        .ok();
    assert_eq!(gone["removalRequest"]["audit"]["removed"]["addresses"], 3);
}

backend_tests!(
    a_customer_keeps_several_addresses_with_one_default,
    bad_addresses_are_refused_and_others_tenants_are_out_of_reach,
    merge_and_erasure_keep_addresses_consistent,
);

//! Locations: created, changed and deleted per tenant; customers join the
//! locations they are created or upserted in (`input.locationId`, also in
//! `importCustomers`); lists, counts, segment members and statistics
//! narrow to one.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, record_order, segments, spawn_app};

const CREATE: &str = "mutation($i: LocationInput!) { createLocation(input: $i) { id name timezone address { city country } metadata } }";
const CREATE_CUSTOMER: &str = "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id locations { id name } } } }";
const UPSERT: &str = "mutation($i: CustomerInput!) { upsertCustomer(input: $i) { created customer { id locations { name } } } }";

async fn location(app: &TestApp, tenant: &str, name: &str) -> String {
    let created = app
        .gql(
            tenant,
            CREATE,
            json!({ "i": { "name": name, "timezone": "Europe/Madrid" } }),
        )
        .await
        .ok();
    created["createLocation"]["id"].as_str().unwrap().to_owned()
}

async fn customer_in(app: &TestApp, email: &str, location: &str) -> String {
    let created = app
        .gql(
            "acme",
            CREATE_CUSTOMER,
            json!({ "i": { "email": email, "locationId": location } }),
        )
        .await
        .ok();
    created["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn emails(connection: &Value) -> Vec<&str> {
    let mut found: Vec<&str> = connection["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["email"].as_str().unwrap())
        .collect();
    found.sort();
    found
}

async fn locations_are_a_tenants_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .gql(
            "acme",
            CREATE,
            json!({ "i": { "name": "Madrid Centro", "timezone": "Europe/Madrid", "address": { "city": "Madrid", "country": "es" }, "metadata": { "floor": 2 } } }),
        )
        .await
        .ok();
    let store = &created["createLocation"];
    let id = store["id"].as_str().unwrap();
    assert!(id.starts_with("loc_"));
    assert_eq!(store["timezone"], "Europe/Madrid");
    assert_eq!(
        store["address"],
        json!({ "city": "Madrid", "country": "ES" })
    );
    assert_eq!(store["metadata"], json!({ "floor": 2 }));
    let plain = app
        .gql("acme", CREATE, json!({ "i": { "name": "Online" } }))
        .await
        .ok();
    assert_eq!(plain["createLocation"]["timezone"], "UTC");
    assert_eq!(plain["createLocation"]["address"], Value::Null);

    for (input, field) in [
        (json!({ "name": " " }), "input.name"),
        (
            json!({ "name": "X", "timezone": "Mars/Olympus" }),
            "input.timezone",
        ),
        (json!({ "name": "X", "metadata": [1] }), "input.metadata"),
        (
            json!({ "name": "X", "address": { "country": "Spain" } }),
            "input.address.country",
        ),
    ] {
        let refused = app.gql("acme", CREATE, json!({ "i": input })).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(refused.field(), field, "{input}");
    }

    let changed = app
        .gql(
            "acme",
            "mutation($id: ID!) { updateLocation(id: $id, input: { name: \"Madrid Sol\", timezone: \"America/New_York\", address: null }) { name timezone address { city } } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(
        changed["updateLocation"],
        json!({ "name": "Madrid Sol", "timezone": "America/New_York", "address": null })
    );
    let listed = app
        .gql("acme", "query($id: ID!) { locations { totalCount nodes { name } } node(id: $id) { ... on Location { name } } }", json!({ "id": id }))
        .await
        .ok();
    assert_eq!(listed["locations"]["totalCount"], 2);
    assert_eq!(listed["locations"]["nodes"][0]["name"], "Madrid Sol");
    assert_eq!(listed["node"]["name"], "Madrid Sol");

    // Another tenant sees none of it.
    let other = app
        .gql(
            "other",
            "query($id: ID!) { location(id: $id) { id } locations { totalCount } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(
        other,
        json!({ "location": null, "locations": { "totalCount": 0 } })
    );
    let foreign = app
        .gql(
            "other",
            "mutation($id: ID!) { deleteLocation(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(foreign.code(), "NOT_FOUND");
    let refused = app
        .gql(
            "other",
            CREATE_CUSTOMER,
            json!({ "i": { "email": "x@other.example", "locationId": id } }),
        )
        .await;
    assert_eq!(refused.field(), "input.locationId");
    let none = app.gql("other", "{ customerCount }", json!({})).await.ok();
    assert_eq!(none["customerCount"], 0, "a refused create creates nothing");
}

async fn customers_join_the_locations_they_are_written_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let north = location(&app, "acme", "North").await;
    let south = location(&app, "acme", "South").await;
    let ana = customer_in(&app, "ana@acme.example", &north).await;
    // Upserted in another location, the customer belongs to both.
    let upserted = app
        .gql(
            "acme",
            UPSERT,
            json!({ "i": { "email": "ana@acme.example", "locationId": south } }),
        )
        .await
        .ok();
    assert_eq!(upserted["upsertCustomer"]["created"], false);
    assert_eq!(
        upserted["upsertCustomer"]["customer"]["locations"],
        json!([{ "name": "North" }, { "name": "South" }])
    );
    // Again in the same one: still once.
    app.gql(
        "acme",
        UPSERT,
        json!({ "i": { "email": "ana@acme.example", "locationId": south } }),
    )
    .await
    .ok();
    // An import: each row in its location; an unknown one fails its row.
    let imported = app
        .gql(
            "acme",
            "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { created updated failed { index field } } }",
            json!({ "c": [
                { "email": "bo@acme.example", "locationId": south },
                { "email": "ana@acme.example", "locationId": north },
                { "email": "cy@acme.example", "locationId": "loc_0000000000000000000000000000dead" },
                { "email": "di@acme.example" },
            ] }),
        )
        .await
        .ok();
    assert_eq!(imported["importCustomers"]["created"], 2);
    assert_eq!(
        imported["importCustomers"]["failed"],
        json!([{ "index": 2, "field": "locationId" }])
    );
    let read = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { locations { name } } }",
            json!({ "id": ana }),
        )
        .await
        .ok();
    assert_eq!(
        read["customer"]["locations"],
        json!([{ "name": "North" }, { "name": "South" }])
    );

    // Narrowed lists, counts and numbered pages.
    let narrowed = app
        .gql(
            "acme",
            "query($n: ID!, $s: ID!) { north: customers(filter: { locationId: $n }) { totalCount nodes { email } } south: customers(filter: { locationId: $s }) { nodes { email } } southCount: customerCount(filter: { locationId: $s }) all: customerCount page: customersPage(filter: { locationId: $n }) { totalCount } }",
            json!({ "n": north, "s": south }),
        )
        .await
        .ok();
    assert_eq!(emails(&narrowed["north"]), ["ana@acme.example"]);
    assert_eq!(narrowed["north"]["totalCount"], 1);
    assert_eq!(
        emails(&narrowed["south"]),
        ["ana@acme.example", "bo@acme.example"]
    );
    assert_eq!(narrowed["southCount"], 2);
    assert_eq!(narrowed["all"], 3);
    assert_eq!(narrowed["page"]["totalCount"], 1);
    let through = app
        .gql(
            "acme",
            "query($s: ID!) { location(id: $s) { customers { totalCount } } }",
            json!({ "s": south }),
        )
        .await
        .ok();
    assert_eq!(through["location"]["customers"]["totalCount"], 2);
    let bad = app
        .gql(
            "acme",
            "{ customers(filter: { locationId: \"cus_1\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(bad.field(), "filter.locationId");

    // Deleting a location leaves its customers, without it.
    let deleted = app
        .gql(
            "acme",
            "mutation($id: ID!) { deleteLocation(id: $id) { deletedId } }",
            json!({ "id": north }),
        )
        .await
        .ok();
    assert_eq!(deleted["deleteLocation"]["deletedId"], json!(north));
    let read = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { locations { name } } customerCount }",
            json!({ "id": ana }),
        )
        .await
        .ok();
    assert_eq!(read["customer"]["locations"], json!([{ "name": "South" }]));
    assert_eq!(read["customerCount"], 3);
}

async fn statistics_and_segment_members_narrow_to_a_location(backend: Backend) {
    let app = spawn_app(backend).await;
    let north = location(&app, "acme", "North").await;
    let south = location(&app, "acme", "South").await;
    let ana = customer_in(&app, "ana@acme.example", &north).await;
    let bo = customer_in(&app, "bo@acme.example", &south).await;
    customer_in(&app, "cy@acme.example", &south).await;
    for (customer, id, amount) in [
        (&ana, "o-1", "100.00"),
        (&bo, "o-2", "30.00"),
        (&bo, "o-3", "20.00"),
    ] {
        record_order(
            &app,
            "acme",
            customer,
            json!({ "externalId": id, "amount": amount, "currency": "EUR" }),
        )
        .await;
    }
    let stats = app
        .gql(
            "acme",
            "query($n: ID!, $s: ID!) { all: customerStats { totalCustomers totalOrders revenue } north: customerStats(locationId: $n) { totalCustomers totalOrders revenue activeCustomers } south: customerStats(locationId: $s) { totalCustomers totalOrders revenue activeCustomers } }",
            json!({ "n": north, "s": south }),
        )
        .await
        .ok();
    assert_eq!(
        stats["all"],
        json!({ "totalCustomers": 3, "totalOrders": 3, "revenue": "150.00" })
    );
    assert_eq!(
        stats["north"],
        json!({ "totalCustomers": 1, "totalOrders": 1, "revenue": "100.00", "activeCustomers": 1 })
    );
    assert_eq!(
        stats["south"],
        json!({ "totalCustomers": 2, "totalOrders": 2, "revenue": "50.00", "activeCustomers": 1 })
    );

    let segment = segments::create(&app, "acme", json!({ "name": "Buyers", "rules": [{ "field": "total_spent", "operator": "gte", "value": "1" }] })).await;
    let members = app
        .gql(
            "acme",
            "query($id: ID!, $s: ID!) { segment(id: $id) { all: members { totalCount } south: members(filter: { locationId: $s }) { nodes { email } } } }",
            json!({ "id": segment, "s": south }),
        )
        .await
        .ok();
    assert_eq!(members["segment"]["all"]["totalCount"], 2);
    assert_eq!(emails(&members["segment"]["south"]), ["bo@acme.example"]);

    // A merge's survivor keeps the duplicate's locations.
    let merged = app
        .gql(
            "acme",
            "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { locations { name } } }",
            json!({ "k": bo, "m": ana }),
        )
        .await
        .ok();
    assert_eq!(
        merged["mergeCustomers"]["locations"],
        json!([{ "name": "South" }, { "name": "North" }])
    );
}

backend_tests!(
    locations_are_a_tenants_own,
    customers_join_the_locations_they_are_written_in,
    statistics_and_segment_members_narrow_to_a_location,
);

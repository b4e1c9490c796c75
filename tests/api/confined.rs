//! Credentials confined to a location (a token's `location` claim, an API
//! key's `locationId`): they read and write that location's customers
//! only, everywhere, as strictly as tenants are kept apart; customers they
//! create or upsert join the location; the tenant's shared setup is out of
//! their reach.

use serde_json::{Value, json};

use crate::helpers::segments;
use crate::helpers::ws::Ws;
use crate::helpers::{Backend, SECRET, TestApp, crm_on, record_order, spawn_app};

const LOCATION: &str = "mutation($n: String!) { createLocation(input: { name: $n }) { id } }";

/// Two locations of `acme`, with a customer in each (and an order, a note
/// and an activity each); returns (north, south, ana of north, bo of
/// south).
async fn two_stores(app: &TestApp) -> (String, String, String, String) {
    let mut ids = Vec::new();
    for name in ["North", "South"] {
        let created = app.gql("acme", LOCATION, json!({ "n": name })).await.ok();
        ids.push(created["createLocation"]["id"].as_str().unwrap().to_owned());
    }
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "locationId": ids[0] }),
        )
        .await;
    let bo = app
        .create_customer(
            "acme",
            json!({ "email": "bo@acme.example", "locationId": ids[1] }),
        )
        .await;
    for (customer, order) in [(&ana, "o-ana"), (&bo, "o-bo")] {
        record_order(
            app,
            "acme",
            customer,
            json!({ "externalId": order, "amount": "10.00", "currency": "EUR" }),
        )
        .await;
        app.gql(
            "acme",
            "mutation($c: ID!) { addNote(customerId: $c, body: \"Hello\") { id } }",
            json!({ "c": customer }),
        )
        .await
        .ok();
    }
    (ids[0].clone(), ids[1].clone(), ana, bo)
}

async fn a_confined_token_sees_its_locations_customers_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (north, _south, ana, bo) = two_stores(&app).await;
    let clerk = app.token_in("acme", &north);
    let orders = app
        .gql("acme", "query($c: ID!) { customer(id: $c) { orders { nodes { id } } notes { nodes { id } } } }", json!({ "c": bo }))
        .await
        .ok();
    let bo_order = orders["customer"]["orders"]["nodes"][0]["id"].clone();
    let bo_note = orders["customer"]["notes"]["nodes"][0]["id"].clone();

    let read = app
        .gql_as(
            &clerk,
            "query($bo: ID!, $o: ID!, $n: ID!) { customers { totalCount nodes { email locations { name } } } customerCount page: customersPage { totalCount } bo: customer(id: $bo) { id } node(id: $o) { id } note: node(id: $n) { id } lookup: customerLookup(email: \"bo@acme.example\") { id } search: customers(filter: { search: \"bo@\" }) { totalCount } stats: customerStats { totalCustomers totalOrders } locations { nodes { name } } }",
            json!({ "bo": bo, "o": bo_order, "n": bo_note }),
        )
        .await
        .ok();
    assert_eq!(read["customers"]["totalCount"], 1);
    assert_eq!(
        read["customers"]["nodes"],
        json!([{ "email": "ana@acme.example", "locations": [{ "name": "North" }] }])
    );
    assert_eq!(read["customerCount"], 1);
    assert_eq!(read["page"]["totalCount"], 1);
    for field in ["bo", "node", "note", "lookup"] {
        assert_eq!(read[field], Value::Null, "{field}");
    }
    assert_eq!(read["search"]["totalCount"], 0);
    assert_eq!(
        read["stats"],
        json!({ "totalCustomers": 1, "totalOrders": 1 })
    );
    assert_eq!(read["locations"]["nodes"], json!([{ "name": "North" }]));

    // Segments: definitions are shared, members are the location's.
    let segment = segments::create(&app, "acme", json!({ "name": "Buyers", "rules": [{ "field": "total_spent", "operator": "gte", "value": "1" }] })).await;
    let members = app
        .gql_as(
            &clerk,
            "query($s: ID!) { segment(id: $s) { memberCount members { nodes { email } } } }",
            json!({ "s": segment }),
        )
        .await
        .ok();
    assert_eq!(
        members["segment"],
        json!({ "memberCount": 1, "members": { "nodes": [{ "email": "ana@acme.example" }] } })
    );
    // Data requests of the other location's customers are out of reach.
    let request = app
        .gql_as(
            &clerk,
            "mutation($c: ID!) { createRemovalRequest(customerId: $c, input: { type: EXPORT }) { id } }",
            json!({ "c": bo }),
        )
        .await;
    assert_eq!(request.code(), "NOT_FOUND");

    // Nothing of the other location's customers can be written either.
    for (mutation, variables) in [
        (
            "mutation($c: ID!) { updateCustomer(id: $c, input: { firstName: \"X\" }) { id } }",
            json!({ "c": bo }),
        ),
        (
            "mutation($c: ID!) { deleteCustomer(id: $c) { deletedId } }",
            json!({ "c": bo }),
        ),
        (
            "mutation($c: ID!) { addNote(customerId: $c, body: \"x\") { id } }",
            json!({ "c": bo }),
        ),
        (
            "mutation($c: ID!) { recordActivity(customerId: $c, input: { type: CUSTOM, title: \"x\" }) { id } }",
            json!({ "c": bo }),
        ),
    ] {
        let refused = app.gql_as(&clerk, mutation, variables).await;
        assert_eq!(
            refused.code(),
            "NOT_FOUND",
            "{mutation}: {:#}",
            refused.body
        );
    }
    let tagged = app
        .gql_as(
            &clerk,
            "mutation($c: [ID!]!) { tagCustomers(ids: $c, add: [\"x\"]) { id } }",
            json!({ "c": [bo] }),
        )
        .await;
    assert_eq!(tagged.code(), "NOT_FOUND");
    let untouched = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { firstName tags notes { totalCount } } }",
            json!({ "c": bo }),
        )
        .await
        .ok();
    assert_eq!(
        untouched["customer"],
        json!({ "firstName": null, "tags": [], "notes": { "totalCount": 1 } })
    );
    // Its own customers, it may change.
    let changed = app
        .gql_as(&clerk, "mutation($c: ID!) { updateCustomer(id: $c, input: { firstName: \"Ana\" }) { firstName } }", json!({ "c": ana }))
        .await
        .ok();
    assert_eq!(changed["updateCustomer"]["firstName"], "Ana");
}

async fn a_confined_credential_writes_in_its_location(backend: Backend) {
    let app = spawn_app(backend).await;
    let (north, south, _ana, bo) = two_stores(&app).await;
    let clerk = app.token_in("acme", &north);
    // Created customers join its location.
    let created = app
        .gql_as(&clerk, "mutation { createCustomer(input: { email: \"cy@acme.example\" }) { customer { locations { name } } } }", json!({}))
        .await
        .ok();
    assert_eq!(
        created["createCustomer"]["customer"]["locations"],
        json!([{ "name": "North" }])
    );
    let elsewhere = app
        .gql_as(&clerk, "mutation($l: ID!) { createCustomer(input: { email: \"di@acme.example\", locationId: $l }) { customer { id } } }", json!({ "l": south }))
        .await;
    assert_eq!(elsewhere.field(), "input.locationId");
    // A customer of another location upserted here joins this one too.
    let upserted = app
        .gql_as(&clerk, "mutation { upsertCustomer(input: { email: \"bo@acme.example\", lastName: \"Berg\" }) { created customer { id lastName locations { name } } } }", json!({}))
        .await
        .ok();
    let upserted = &upserted["upsertCustomer"];
    assert_eq!(upserted["created"], false);
    assert_eq!(upserted["customer"]["id"], json!(bo));
    assert_eq!(upserted["customer"]["lastName"], "Berg");
    assert_eq!(
        upserted["customer"]["locations"],
        json!([{ "name": "North" }]),
        "its own location only"
    );
    let whole = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { locations { name } } }",
            json!({ "c": bo }),
        )
        .await
        .ok();
    assert_eq!(
        whole["customer"]["locations"],
        json!([{ "name": "South" }, { "name": "North" }])
    );
    // An import: every row joins the location.
    let imported = app
        .gql_as(
            &clerk,
            "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { created updated failed { index field } } }",
            json!({ "c": [{ "email": "ed@acme.example" }, { "email": "fa@acme.example", "locationId": south }] }),
        )
        .await
        .ok();
    assert_eq!(imported["importCustomers"]["created"], 1);
    assert_eq!(
        imported["importCustomers"]["failed"],
        json!([{ "index": 1, "field": "locationId" }])
    );
    let count = app
        .gql_as(&clerk, "{ customerCount }", json!({}))
        .await
        .ok();
    assert_eq!(count["customerCount"], 4, "ana, cy, bo and ed");

    // The tenant's shared setup is out of reach.
    for mutation in [
        "mutation { createLocation(input: { name: \"East\" }) { id } }",
        "mutation { createCompany(input: { name: \"Acme\" }) { id } }",
        "mutation { createCustomFieldDefinition(input: { key: \"tier\", label: \"Tier\", type: TEXT }) { key } }",
        "mutation { setCustomerDeleteRules(rules: [HAS_ORDERS]) }",
        "mutation { createSegment(input: { name: \"S\", type: STATIC }) { id } }",
        "mutation { createWebhookEndpoint(url: \"https://example.com/h\", events: [\"customer.created\"]) { id } }",
        "mutation { createApiKey(input: { name: \"k\" }) { secret } }",
    ] {
        let refused = app.gql_as(&clerk, mutation, json!({})).await;
        assert_eq!(
            refused.code(),
            "FORBIDDEN",
            "{mutation}: {:#}",
            refused.body
        );
    }
    // A token naming something else than a location is no token.
    let claims = json!({
        "tenant": "acme", "sub": "clerk", "scope": "read:customers", "location": "loc_x",
        "exp": jsonwebtoken::get_current_timestamp() + 600,
    });
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let bad = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(forged)
        .json(&json!({ "query": "{ customerCount }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}

async fn a_confined_api_key_and_subscription_keep_to_the_location(backend: Backend) {
    let app = spawn_app(backend).await;
    let (north, south, ana, bo) = two_stores(&app).await;
    let created = app
        .gql(
            "acme",
            "mutation($l: ID!) { createApiKey(input: { name: \"Till\", locationId: $l, scopes: [\"read:customers\", \"write:customers\", \"read:webhooks\"] }) { secret apiKey { locationId scopes } } }",
            json!({ "l": south }),
        )
        .await
        .ok();
    let key = &created["createApiKey"];
    assert_eq!(key["apiKey"]["locationId"], json!(south));
    assert_eq!(
        key["apiKey"]["scopes"],
        json!(["read:customers", "write:customers"])
    );
    let secret = key["secret"].as_str().unwrap();
    let listed = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("x-api-key", secret)
        .json(&json!({ "query": "{ customers { nodes { email } } }" }))
        .send()
        .await
        .unwrap();
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(
        listed["data"]["customers"]["nodes"],
        json!([{ "email": "bo@acme.example" }])
    );
    let unknown = app
        .gql("acme", "mutation { createApiKey(input: { name: \"x\", locationId: \"loc_0000000000000000000000000000dead\" }) { secret } }", json!({}))
        .await;
    assert_eq!(unknown.field(), "input.locationId");
    // The command line issues confined keys too.
    let output = crm_on(
        &app,
        &[
            "api-key",
            "create",
            "--tenant",
            "acme",
            "--name",
            "Kiosk",
            "--location",
            &north,
        ],
    );
    let kiosk = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let listed = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(&kiosk)
        .json(&json!({ "query": "{ customers { nodes { email } } }" }))
        .send()
        .await
        .unwrap();
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(
        listed["data"]["customers"]["nodes"],
        json!([{ "email": "ana@acme.example" }])
    );

    // A subscription of the whole tenant confined to North hears North's
    // activity only.
    let mut ws = Ws::ready(&app, &app.token_in("acme", &north)).await;
    ws.subscribe(
        "1",
        "subscription { activityAdded { title customer { email } } }",
        json!({}),
    )
    .await;
    app.until_listening(1).await;
    for (customer, title) in [(&bo, "South's"), (&ana, "North's")] {
        app.gql("acme", "mutation($c: ID!, $t: String!) { recordActivity(customerId: $c, input: { type: CUSTOM, title: $t }) { id } }", json!({ "c": customer, "t": title }))
            .await
            .ok();
    }
    let heard = ws.recv().await.unwrap();
    assert_eq!(
        heard["payload"]["data"]["activityAdded"]["title"], "North's",
        "{heard}"
    );
    assert!(ws.quiet().await);
}

backend_tests!(
    a_confined_token_sees_its_locations_customers_only,
    a_confined_credential_writes_in_its_location,
    a_confined_api_key_and_subscription_keep_to_the_location,
);

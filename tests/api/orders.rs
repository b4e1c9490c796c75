//! API.md §6: orders, idempotent on `externalId`, moving the customer's
//! totals in the same transaction.

use serde_json::{Value, json};

use crate::helpers::{
    Backend, RECORD_ORDER, TestApp, days_ago, record_order, spawn_app, unknown_customer_id,
};

async fn totals(app: &TestApp, id: &str) -> Value {
    app.gql(
        "acme",
        "query($id: ID!) { customer(id: $id) { totalOrders totalSpent lastOrderAt metrics { totalOrders totalSpent averageOrderValue lifetimeValue } orders { totalCount nodes { externalId status } } activity(types: [ORDER]) { totalCount nodes { title } } } }",
        json!({ "id": id }),
    )
    .await
    .ok()["customer"]
        .clone()
}

async fn recording_is_idempotent_and_moves_the_totals(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;

    let first = record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "100.00", "currency": "eur", "placedAt": days_ago(3.0) })).await;
    assert!(first["id"].as_str().unwrap().starts_with("ord_"));
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["status"], "PAID");
    assert_eq!(first["customer"]["id"], ana);
    record_order(&app, "acme", &ana, json!({ "externalId": "A-2", "amount": "50.50", "currency": "EUR", "placedAt": days_ago(1.0) })).await;
    record_order(
        &app,
        "acme",
        &ana,
        json!({ "externalId": "A-3", "amount": "999.00", "currency": "EUR", "status": "PENDING" }),
    )
    .await;

    let t = totals(&app, &ana).await;
    assert_eq!(t["totalOrders"], 2, "PENDING does not count");
    assert_eq!(t["totalSpent"], "150.50");
    assert_eq!(t["metrics"]["averageOrderValue"], "75.25");
    assert_eq!(t["metrics"]["lifetimeValue"], "150.50");
    assert_eq!(t["orders"]["totalCount"], 3);
    assert_eq!(t["activity"]["totalCount"], 3);

    // The same order again changes nothing and adds no timeline entry.
    let again = record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "100.00", "currency": "EUR", "placedAt": first["placedAt"] })).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(totals(&app, &ana).await["activity"]["totalCount"], 3);

    // A refund moves the spend at once.
    record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "100.00", "currency": "EUR", "status": "REFUNDED", "placedAt": first["placedAt"] })).await;
    let t = totals(&app, &ana).await;
    assert_eq!(t["totalOrders"], 1);
    assert_eq!(t["totalSpent"], "50.50");
    assert_eq!(t["metrics"]["totalSpent"], "50.50");
    assert_eq!(t["activity"]["nodes"][0]["title"], "Order A-1 refunded");
    assert_eq!(t["activity"]["totalCount"], 4);

    // Re-recording with another amount corrects the totals.
    record_order(&app, "acme", &ana, json!({ "externalId": "A-2", "amount": "70.00", "currency": "EUR", "placedAt": days_ago(1.0) })).await;
    let t = totals(&app, &ana).await;
    assert_eq!(t["totalSpent"], "70.00");
    assert_eq!(t["orders"]["nodes"][0]["externalId"], "A-3", "newest first");
}

async fn bad_orders_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let [ana, bob] = app
        .customers_by_email("acme", ["ana@acme.example", "bob@acme.example"])
        .await;
    record_order(
        &app,
        "acme",
        &ana,
        json!({ "externalId": "A-1", "amount": "10.00", "currency": "EUR" }),
    )
    .await;

    let cases = [
        (
            json!({ "externalId": "B-1", "amount": "-1.00", "currency": "EUR" }),
            "input.amount",
        ),
        (
            json!({ "externalId": "B-1", "amount": "1.00", "currency": "XYZ" }),
            "input.currency",
        ),
        (
            json!({ "externalId": "  ", "amount": "1.00", "currency": "EUR" }),
            "input.externalId",
        ),
        (
            json!({ "externalId": "B-1", "amount": "1.00", "currency": "EUR", "placedAt": "2999-01-01T00:00:00Z" }),
            "input.placedAt",
        ),
        (
            json!({ "externalId": "B-1", "amount": "1.001", "currency": "EUR" }),
            "input.amount",
        ),
    ];
    for (input, field) in cases {
        let r = app
            .gql("acme", RECORD_ORDER, json!({ "c": bob, "i": input }))
            .await;
        assert_eq!(r.code(), "BAD_USER_INPUT", "{input}: {:#}", r.body);
        assert_eq!(r.field(), field, "{input}");
    }
    // A-1 is Ana's: Bob cannot take it over.
    let r = app
        .gql(
            "acme",
            RECORD_ORDER,
            json!({ "c": bob, "i": { "externalId": "A-1", "amount": "5.00", "currency": "EUR" } }),
        )
        .await;
    assert_eq!(r.code(), "CONFLICT");
    assert_eq!(r.field(), "input.externalId");
    let r = app
        .gql("acme", RECORD_ORDER, json!({ "c": unknown_customer_id(), "i": { "externalId": "C-1", "amount": "5.00", "currency": "EUR" } }))
        .await;
    assert_eq!(r.code(), "NOT_FOUND");

    assert_eq!(totals(&app, &bob).await["orders"]["totalCount"], 0);
    assert_eq!(totals(&app, &ana).await["totalSpent"], "10.00");
}

async fn a_deleted_customers_orders_still_count_as_revenue(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let order = record_order(&app, "acme", &ana, json!({ "externalId": "A-1", "amount": "42.00", "currency": "EUR", "placedAt": days_ago(2.0) })).await;
    let stats = "{ customerStats { revenue totalOrders totalCustomers } }";
    let before = app.gql("acme", stats, json!({})).await.ok();
    assert_eq!(before["customerStats"]["revenue"], "42.00");

    app.delete_customer("acme", &ana).await;
    let after = app.gql("acme", stats, json!({})).await.ok();
    assert_eq!(after["customerStats"]["revenue"], "42.00");
    assert_eq!(after["customerStats"]["totalOrders"], 1);
    assert_eq!(after["customerStats"]["totalCustomers"], 0);
    let node = app
        .gql(
            "acme",
            "query($id: ID!) { node(id: $id) { ... on Order { externalId customer { id } } } }",
            json!({ "id": order["id"] }),
        )
        .await
        .ok();
    assert_eq!(
        node["node"],
        json!({ "externalId": "A-1", "customer": null })
    );
}

async fn orders_activity_and_notes_belong_to_their_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let order = record_order(
        &app,
        "acme",
        &ana,
        json!({ "externalId": "A-1", "amount": "42.00", "currency": "EUR" }),
    )
    .await;
    let note = app
        .gql(
            "acme",
            "mutation($c: ID!) { addNote(customerId: $c, body: \"secret note\") { id } }",
            json!({ "c": ana }),
        )
        .await
        .ok()["addNote"]["id"]
        .clone();
    let activity = app
        .gql("acme", "mutation($c: ID!) { recordActivity(customerId: $c, input: { type: EMAIL, title: \"secret mail\" }) { id } }", json!({ "c": ana }))
        .await
        .ok()["recordActivity"]["id"]
        .clone();

    for id in [&order["id"], &note, &activity] {
        let seen = app
            .gql(
                "other",
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await
            .ok();
        assert_eq!(seen["node"], Value::Null, "{id}");
    }
    let writes = [
        (
            "mutation($id: ID!) { recordOrder(customerId: $id, input: { externalId: \"X\", amount: \"1.00\", currency: \"EUR\" }) { id } }",
            &json!(ana),
        ),
        (
            "mutation($id: ID!) { recordActivity(customerId: $id, input: { type: EMAIL }) { id } }",
            &json!(ana),
        ),
        (
            "mutation($id: ID!) { addNote(customerId: $id, body: \"x\") { id } }",
            &json!(ana),
        ),
        (
            "mutation($id: ID!) { updateNote(id: $id, body: \"changed\") { id } }",
            &note,
        ),
        (
            "mutation($id: ID!) { deleteNote(id: $id) { deletedId } }",
            &note,
        ),
    ];
    for (mutation, id) in writes {
        let r = app.gql("other", mutation, json!({ "id": id })).await;
        assert_eq!(r.code(), "NOT_FOUND", "{mutation}");
    }
    // The same external ID is free in another tenant.
    let other = app
        .create_customer("other", json!({ "email": "ana@acme.example" }))
        .await;
    record_order(
        &app,
        "other",
        &other,
        json!({ "externalId": "A-1", "amount": "1.00", "currency": "EUR" }),
    )
    .await;
    let stats = app
        .gql(
            "other",
            "{ customerStats { revenue totalOrders } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        stats["customerStats"],
        json!({ "revenue": "1.00", "totalOrders": 1 })
    );
    let mine = app
        .gql("acme", "query($id: ID!) { customer(id: $id) { totalSpent notes { nodes { body } } activity(types: [EMAIL]) { totalCount } } }", json!({ "id": ana }))
        .await
        .ok();
    assert_eq!(mine["customer"]["totalSpent"], "42.00");
    assert_eq!(mine["customer"]["notes"]["nodes"][0]["body"], "secret note");
    assert_eq!(mine["customer"]["activity"]["totalCount"], 1);
}

/// Money never overflows: an order and a customer's paid orders have
/// documented maxima (a clear `BAD_USER_INPUT`, nothing changed), and the
/// tenant's sums are right far past 64 bits of cents.
async fn money_stops_at_its_limits_and_sums_past_64_bits(backend: Backend) {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let too_big = app
        .gql("acme", RECORD_ORDER, json!({ "c": ana, "i": { "externalId": "X", "amount": "1000000000000.01", "currency": "EUR" } }))
        .await;
    assert_eq!(
        (too_big.code(), too_big.field()),
        ("BAD_USER_INPUT", "input.amount")
    );
    // A hundred orders of the largest amount fill the customer's limit.
    for i in 0..100 {
        record_order(&app, "acme", &ana, json!({ "externalId": format!("M-{i}"), "amount": "1000000000000.00", "currency": "EUR" })).await;
    }
    let over = app
        .gql("acme", RECORD_ORDER, json!({ "c": ana, "i": { "externalId": "M-100", "amount": "0.01", "currency": "EUR" } }))
        .await;
    assert_eq!(
        (over.code(), over.field()),
        ("BAD_USER_INPUT", "input.amount"),
        "{:#}",
        over.body
    );
    let seen = totals(&app, &ana).await;
    assert_eq!(seen["totalSpent"], "100000000000000.00");
    assert_eq!(
        seen["orders"]["totalCount"], 100,
        "the refused order is not kept"
    );

    // 100,000 orders of the largest amount (10^19 cents, past 2^63) and
    // 1,000 customers at the limit, written directly.
    let db = &app.app.db;
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let (now, key) = if postgres {
        ("now()", "md5(i::text)")
    } else {
        (
            "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
            "printf('%032x', i)",
        )
    };
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
         INSERT INTO orders (tenant_id, id, customer_id, external_id, amount_cents, currency, status, placed_at, created_at, updated_at) \
         SELECT 'acme', {key}, NULL, 'bulk-' || i, 100000000000000, 'EUR', 'PAID', {now}, {now}, {now} FROM n"
    ))
    .await
    .unwrap();
    db.execute_unprepared(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
         INSERT INTO customers (tenant_id, id, status, metadata, search_text, total_orders, total_spent_cents, last_order_at, first_order_at, created_at, updated_at) \
         SELECT 'acme', 'f' || substr({key}, 2), 'ACTIVE', '{{}}', '', 100, 10000000000000000, {now}, {now}, {now}, {now} FROM n"
    ))
    .await
    .unwrap();
    let stats = app
        .gql(
            "acme",
            "{ customerStats { totalOrders revenue averageOrderValue averageLifetimeValue } }",
            json!({}),
        )
        .await
        .ok();
    let stats = &stats["customerStats"];
    assert_eq!(stats["totalOrders"], 100_100);
    // (100,000 + 100) orders of 1,000,000,000,000.00.
    assert_eq!(stats["revenue"], "100100000000000000.00");
    assert_eq!(stats["averageOrderValue"], "1000000000000.00");
    // Ana and 1,000 customers, each at the limit.
    assert_eq!(stats["averageLifetimeValue"], "100000000000000.00");
}

backend_tests!(
    money_stops_at_its_limits_and_sums_past_64_bits,
    recording_is_idempotent_and_moves_the_totals,
    bad_orders_are_refused_and_change_nothing,
    a_deleted_customers_orders_still_count_as_revenue,
    orders_activity_and_notes_belong_to_their_tenant,
);

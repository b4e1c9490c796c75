//! Marketing consent, locale and currency on the customer record.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, spawn_app, spawn_app_with};

const CONSENT: &str = "query($id: ID!) { customer(id: $id) { emailConsent { state optInLevel updatedAt source } smsConsent { state optInLevel updatedAt source } locale currency } }";
const UPDATE: &str = "mutation($id: ID!, $input: CustomerUpdateInput!) { updateCustomer(id: $id, input: $input) { id } }";
const UPSERT: &str =
    "mutation($input: CustomerInput!) { upsertCustomer(input: $input) { created } }";
const IMPORT: &str = "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created updated failed { index field code } } }";
const CUSTOMER_ENTRIES: &str = "query($id: ID!) { customer(id: $id) { activity(first: 20, types: [CUSTOMER]) { nodes { data } } } }";

async fn consent_of(app: &TestApp, id: &str) -> Value {
    app.gql("acme", CONSENT, json!({ "id": id })).await.ok()["customer"].clone()
}

/// The consent records of a customer's timeline, oldest first.
async fn consent_entries(app: &TestApp, id: &str) -> Vec<Value> {
    let data = app
        .gql("acme", CUSTOMER_ENTRIES, json!({ "id": id }))
        .await
        .ok();
    data["customer"]["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .flat_map(|n| n["data"]["consent"].as_array().cloned().unwrap_or_default())
        .collect()
}

async fn consent_is_recorded_with_when_and_where_and_kept_when_not_given(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({
                "email": "ana@acme.example",
                "phone": "+14155552671",
                "emailConsent": { "state": "SUBSCRIBED", "optInLevel": "CONFIRMED", "source": "newsletter_form" },
            }),
        )
        .await;
    let first = consent_of(&app, &ana).await;
    assert_eq!(first["emailConsent"]["state"], "SUBSCRIBED");
    assert_eq!(first["emailConsent"]["optInLevel"], "CONFIRMED");
    assert_eq!(first["emailConsent"]["source"], "newsletter_form");
    assert!(first["emailConsent"]["updatedAt"].is_string());
    assert_eq!(
        first["smsConsent"],
        json!({ "state": "NOT_SUBSCRIBED", "optInLevel": null, "updatedAt": null, "source": null })
    );

    // Written again without consent, or with the same consent: it stays as
    // it was, with its time and source.
    app.gql(
        "acme",
        UPSERT,
        json!({ "input": { "email": "ana@acme.example", "name": "Ana" } }),
    )
    .await
    .ok();
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana, "input": { "emailConsent": { "state": "SUBSCRIBED", "optInLevel": "CONFIRMED" } } }),
    )
    .await
    .ok();
    assert_eq!(consent_of(&app, &ana).await, first);

    // SMS consent without a source is the API's; a level is dropped where it
    // means nothing.
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana, "input": {
            "smsConsent": { "state": "SUBSCRIBED", "optInLevel": "SINGLE" },
            "emailConsent": { "state": "UNSUBSCRIBED", "optInLevel": "CONFIRMED", "source": "unsubscribe_link" },
        } }),
    )
    .await
    .ok();
    let now = consent_of(&app, &ana).await;
    assert_eq!(now["smsConsent"]["state"], "SUBSCRIBED");
    assert_eq!(now["smsConsent"]["optInLevel"], "SINGLE");
    assert_eq!(now["smsConsent"]["source"], "api");
    assert_eq!(now["emailConsent"]["state"], "UNSUBSCRIBED");
    assert_eq!(now["emailConsent"]["optInLevel"], Value::Null);
    assert_eq!(now["emailConsent"]["source"], "unsubscribe_link");

    // Every change is on the timeline, with the state before and after.
    assert_eq!(
        consent_entries(&app, &ana).await,
        vec![
            json!({ "channel": "email", "source": "newsletter_form",
                "before": { "state": "NOT_SUBSCRIBED", "optInLevel": null },
                "after": { "state": "SUBSCRIBED", "optInLevel": "CONFIRMED" } }),
            json!({ "channel": "email", "source": "unsubscribe_link",
                "before": { "state": "SUBSCRIBED", "optInLevel": "CONFIRMED" },
                "after": { "state": "UNSUBSCRIBED", "optInLevel": null } }),
            json!({ "channel": "sms", "source": "api",
                "before": { "state": "NOT_SUBSCRIBED", "optInLevel": null },
                "after": { "state": "SUBSCRIBED", "optInLevel": "SINGLE" } }),
        ]
    );

    // An import records itself as the source; a row without consent keeps it.
    let imported = app
        .gql(
            "acme",
            IMPORT,
            json!({ "rows": [
                { "email": "bo@acme.example", "emailConsent": { "state": "PENDING", "optInLevel": "CONFIRMED" } },
                { "email": "ana@acme.example", "lastName": "Ng" },
            ] }),
        )
        .await
        .ok();
    assert_eq!(imported["importCustomers"]["created"], 1);
    let bo = app
        .lookup(
            "acme",
            "bo@acme.example",
            "emailConsent { state optInLevel source }",
        )
        .await;
    assert_eq!(
        bo["emailConsent"],
        json!({ "state": "PENDING", "optInLevel": "CONFIRMED", "source": "import" })
    );
    assert_eq!(consent_of(&app, &ana).await, now);
    // An import row with consent changes an existing customer's.
    app.gql(
        "acme",
        IMPORT,
        json!({ "rows": [{ "email": "ana@acme.example", "smsConsent": { "state": "UNSUBSCRIBED" }, "locale": "fr" }] }),
    )
    .await
    .ok();
    let later = consent_of(&app, &ana).await;
    assert_eq!(later["smsConsent"]["state"], "UNSUBSCRIBED");
    assert_eq!(later["smsConsent"]["source"], "import");
    assert_eq!(later["locale"], "fr");
}

async fn consent_selects_customers_in_filters_and_segment_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let subscribed = json!({ "state": "SUBSCRIBED" });
    for (email, consent) in [
        ("a@acme.example", subscribed.clone()),
        ("b@acme.example", subscribed.clone()),
        ("c@acme.example", json!({ "state": "UNSUBSCRIBED" })),
    ] {
        app.create_customer("acme", json!({ "email": email, "emailConsent": consent }))
            .await;
    }
    app.create_customer("acme", json!({ "email": "d@acme.example" }))
        .await;
    app.create_customer(
        "evil",
        json!({ "email": "e@evil.example", "emailConsent": subscribed }),
    )
    .await;

    let count = |filter: Value| app.count_where("acme", filter);
    assert_eq!(count(json!({ "emailConsent": ["SUBSCRIBED"] })).await, 2);
    assert_eq!(
        count(json!({ "emailConsent": ["UNSUBSCRIBED", "NOT_SUBSCRIBED"] })).await,
        2
    );
    assert_eq!(count(json!({ "smsConsent": ["SUBSCRIBED"] })).await, 0);

    let segment = app
        .gql(
            "acme",
            r#"mutation { createSegment(input: { name: "Emailable", type: DYNAMIC, rules: [{ field: "email_consent", operator: "eq", value: "subscribed" }] }) { memberCount } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(segment["createSegment"]["memberCount"], 2);
    let refused = app
        .gql(
            "acme",
            r#"mutation { createSegment(input: { name: "Bad", type: DYNAMIC, rules: [{ field: "sms_consent", operator: "eq", value: "maybe" }] }) { id } }"#,
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT", "{:#}", refused.body);
}

async fn locale_and_currency_are_checked_and_kept_in_canonical_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "locale": "pt-br", "currency": "eur" }),
        )
        .await;
    let shown = consent_of(&app, &ana).await;
    assert_eq!(
        (&shown["locale"], &shown["currency"]),
        (&json!("pt-BR"), &json!("EUR"))
    );

    for (input, field) in [
        (json!({ "locale": "not a tag" }), "input.locale"),
        (json!({ "locale": "xx-!!" }), "input.locale"),
        (json!({ "currency": "XYZ" }), "input.currency"),
        (
            json!({ "emailConsent": { "state": "SUBSCRIBED", "source": "x".repeat(300) } }),
            "input.emailConsent.source",
        ),
    ] {
        let refused = app
            .gql("acme", UPDATE, json!({ "id": ana, "input": input }))
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(refused.field(), field, "{input}");
    }
    assert_eq!(
        consent_of(&app, &ana).await,
        shown,
        "a refused write changes nothing"
    );

    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana, "input": { "locale": null, "currency": "jpy" } }),
    )
    .await
    .ok();
    let now = consent_of(&app, &ana).await;
    assert_eq!(
        (&now["locale"], &now["currency"]),
        (&Value::Null, &json!("JPY"))
    );
}

async fn webhooks_carry_consent_and_erasure_leaves_none(backend: Backend) {
    // Nothing delivers: the event is read where it is kept.
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            SECRET,
            "--worker",
            "false",
            "--webhook-allow-private",
            "true",
        ],
    )
    .await;
    app.gql(
        "acme",
        "mutation { createWebhookEndpoint(url: \"http://127.0.0.1:9/hook\", events: [\"customer.created\"]) { id } }",
        json!({}),
    )
    .await
    .ok();
    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "locale": "de-DE",
                "smsConsent": { "state": "SUBSCRIBED", "optInLevel": "SINGLE", "source": "pos" } }),
        )
        .await;
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let body: String = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT body FROM webhook_events WHERE event = 'customer.created'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let event: Value = serde_json::from_str(&body).unwrap();
    let customer = &event["data"];
    assert_eq!(customer["locale"], "de-DE");
    assert_eq!(customer["smsConsent"]["state"], "SUBSCRIBED");
    assert_eq!(customer["smsConsent"]["source"], "pos");
    assert_eq!(customer["emailConsent"]["state"], "NOT_SUBSCRIBED");

    let gone = app.request_data("acme", &ana, "ERASURE", "").await;
    let worker = app.another_instance().await;
    assert_eq!(
        worker.finished_request("acme", &gone).await["status"],
        "COMPLETED"
    );
    let left: i64 = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM activities)",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    assert_eq!(left, 0, "no consent record outlives the customer");
}

backend_tests!(
    consent_is_recorded_with_when_and_where_and_kept_when_not_given,
    consent_selects_customers_in_filters_and_segment_rules,
    locale_and_currency_are_checked_and_kept_in_canonical_form,
    webhooks_carry_consent_and_erasure_leaves_none,
);

//! Webhook endpoints: internal addresses and unknown events are refused,
//! the secret is shown once, and endpoints are confined to their tenant.

use std::time::Duration;

use serde_json::{Value, json};

use super::{CREATE, endpoint, spawn};
use crate::helpers::Backend;
use crate::helpers::receiver::Receiver;

async fn internal_addresses_and_unknown_events_are_refused(backend: Backend) {
    let app = spawn(backend, &[]).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let refused = app
            .gql(
                "acme",
                CREATE,
                json!({ "u": url, "e": ["customer.created"] }),
            )
            .await;
        assert_eq!(
            (refused.code(), refused.field()),
            ("BAD_USER_INPUT", "url"),
            "{url}"
        );
    }
    let unknown = app
        .gql(
            "acme",
            CREATE,
            json!({ "u": "https://93.184.216.34/hook", "e": ["customer.created", "order.shipped"] }),
        )
        .await;
    assert_eq!(
        (unknown.code(), unknown.field()),
        ("BAD_USER_INPUT", "events.1")
    );
    let none = app
        .gql(
            "acme",
            CREATE,
            json!({ "u": "https://93.184.216.34/hook", "e": [] }),
        )
        .await;
    assert_eq!((none.code(), none.field()), ("BAD_USER_INPUT", "events"));
    let listed = app
        .gql("acme", "{ webhookEndpoints { totalCount } }", json!({}))
        .await
        .ok();
    assert_eq!(
        listed["webhookEndpoints"]["totalCount"], 0,
        "nothing was created"
    );
}

async fn the_secret_is_shown_once(backend: Backend) {
    let app = spawn(backend, &["--webhook-allow-private", "true"]).await;
    let (id, secret) = endpoint(
        &app,
        "acme",
        "http://127.0.0.1:9/hook",
        &["customer.deleted"],
    )
    .await;
    let (_, another) = endpoint(
        &app,
        "acme",
        "http://127.0.0.1:9/hook",
        &["customer.deleted"],
    )
    .await;
    assert_ne!(secret, another, "each endpoint has its own secret");
    // 32 random bytes in hex after the prefix.
    assert_eq!(secret.len(), "whsec_".len() + 64);
    let later = app
        .gql(
            "acme",
            "query($id: ID!) { webhookEndpoint(id: $id) { secret events } node(id: $id) { ... on WebhookEndpoint { secret } } webhookEndpoints { nodes { secret } } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(
        later["webhookEndpoint"],
        json!({ "secret": null, "events": ["customer.deleted"] })
    );
    assert_eq!(later["node"]["secret"], Value::Null);
    assert_eq!(
        later["webhookEndpoints"]["nodes"],
        json!([{ "secret": null }, { "secret": null }])
    );
}

async fn endpoints_are_confined_to_their_tenant(backend: Backend) {
    let app = spawn(backend, &["--webhook-allow-private", "true"]).await;
    let ours = Receiver::start(&[200]).await;
    let theirs = Receiver::start(&[200]).await;
    let (id, _) = endpoint(&app, "acme", &ours.url, &["customer.created"]).await;
    endpoint(
        &app,
        "globex",
        &theirs.url,
        &["customer.created", "customer.updated"],
    )
    .await;
    for i in 0..5 {
        app.create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
            .await;
    }
    ours.wait_for(5, Duration::from_secs(20)).await;
    assert!(theirs.received().is_empty(), "globex hears nothing of acme");

    let seen = app
        .gql(
            "globex",
            "query($id: ID!) { webhookEndpoint(id: $id) { id } node(id: $id) { id } webhookEndpoints { totalCount } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(seen["webhookEndpoint"], Value::Null);
    assert_eq!(seen["node"], Value::Null);
    assert_eq!(seen["webhookEndpoints"]["totalCount"], 1, "its own only");
    let refused = app
        .gql(
            "globex",
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let unscoped = app
        .gql_as(
            &app.token_with("acme", "read:customers write:customers"),
            "{ webhookEndpoints { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(unscoped.code(), "FORBIDDEN");
    // Payloads carry customers: reading them takes read:customers too.
    let webhooks_only = app
        .gql_as(
            &app.token_with("acme", "read:webhooks"),
            "query($id: ID!) { webhookEndpoint(id: $id) { deliveries { nodes { status payload } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(webhooks_only.code(), "FORBIDDEN");
    assert_eq!(
        webhooks_only.body["errors"][0]["extensions"]["scope"],
        "read:customers"
    );
    let deleted = app
        .gql(
            "acme",
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(deleted["deleteWebhookEndpoint"]["deletedId"], id.as_str());
}

backend_tests!(
    internal_addresses_and_unknown_events_are_refused,
    the_secret_is_shown_once,
    endpoints_are_confined_to_their_tenant,
);

//! API.md §10: webhook endpoints, and deliveries from the outbox: signed,
//! retried with backoff, recorded attempt by attempt, and never sent to an
//! internal address unless the server allows it.

mod delivery;
mod endpoints;

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, spawn_app_with};

const CREATE: &str = "mutation($u: String!, $e: [String!]!) { createWebhookEndpoint(url: $u, events: $e) { id url events secret enabled } }";

const DELIVERIES: &str = "query($id: ID!) { webhookEndpoint(id: $id) { enabled disabledReason deliveries { totalCount nodes { id eventId event status attemptCount lastStatusCode deliveredAt payload attempts { statusCode latencyMs error attemptedAt } } } } }";

async fn spawn(backend: Backend, extra: &[&str]) -> TestApp {
    let mut args = vec!["--jwt-secret", SECRET, "--worker-poll", "10ms"];
    args.extend_from_slice(extra);
    spawn_app_with(backend, &args).await
}

async fn endpoint(app: &TestApp, tenant: &str, url: &str, events: &[&str]) -> (String, String) {
    let data = app
        .gql(tenant, CREATE, json!({ "u": url, "e": events }))
        .await
        .ok();
    let created = &data["createWebhookEndpoint"];
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn deliveries(app: &TestApp, tenant: &str, endpoint: &str) -> Value {
    app.gql(tenant, DELIVERIES, json!({ "id": endpoint }))
        .await
        .ok()["webhookEndpoint"]
        .clone()
}

/// Polls an endpoint's deliveries until `done` holds (30 s at most).
async fn deliveries_until(
    app: &TestApp,
    tenant: &str,
    endpoint: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen = deliveries(app, tenant, endpoint).await;
        if done(&seen) {
            return seen;
        }
        assert!(std::time::Instant::now() < until, "{seen:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

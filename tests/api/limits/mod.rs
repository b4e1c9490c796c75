//! API.md §12: query limits (depth, aliases, fields, cost), the per-tenant
//! cost budget, the request timeout, persisted queries, what operators see
//! (`/metrics`, `x-request-id`), and values at the edges of what the
//! databases hold.

mod budget;
mod edge_values;
mod observability;
mod persisted_queries;
mod query_limits;
mod timeouts;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};

/// 13 field levels, one past the limit.
const DEPTH_13: &str = "{ customers(first: 1) { edges { node { orders(first: 1) { edges { node { customer { notes(first: 1) { edges { node { customer { segments { id } } } } } } } } } } } } }";

/// A server whose only statements are the requests' own (no background
/// worker polling the queue), so a test can see that nothing ran.
async fn quiet_app(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        &["--jwt-secret", crate::helpers::SECRET, "--worker", "false"],
    )
    .await
}

/// Posts `query` with an `Accept` header; the status and body.
async fn post_as(app: &TestApp, accept: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .header("accept", accept)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Asserts a refusal before execution: the code, no `data`, and no SQL
/// statement run by the server, under both media types.
async fn refused(app: &TestApp, query: &str, code: &str) -> Value {
    let before = app.app.statements.get();
    let (status, body) = post_as(app, "application/json", json!({ "query": query })).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body:#}");
    assert!(body.get("data").is_none(), "{body:#}");
    let (status, again) = post_as(
        app,
        "application/graphql-response+json",
        json!({ "query": query }),
    )
    .await;
    assert_eq!(status, 400, "{again:#}");
    assert_eq!(again["errors"][0]["extensions"]["code"], code);
    assert_eq!(
        app.app.statements.get(),
        before,
        "a refused query runs nothing"
    );
    body
}

//! What operators see: `/metrics` counting requests, errors, durations and
//! resources, and an `x-request-id` on every response.

use serde_json::json;

use super::{DEPTH_13, quiet_app, refused};
use crate::helpers::Backend;

async fn metrics_and_request_ids_show_what_the_server_does(backend: Backend) {
    let app = quiet_app(backend).await;
    app.gql("acme", "{ customers { totalCount } }", json!({}))
        .await
        .ok();
    app.gql("acme", "{ customer(id: \"cus_nope\") { id } }", json!({}))
        .await;
    refused(&app, DEPTH_13, "QUERY_TOO_DEEP").await;

    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .header("x-request-id", "req-from-client-42")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-from-client-42");
    let generated = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let metrics = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for expected in [
        r#"crm_graphql_requests_total{kind="query",operation="customers",outcome="ok"}"#,
        r#"crm_graphql_requests_total{kind="query",operation="customers",outcome="rejected"}"#,
        r#"crm_graphql_errors_total{code="QUERY_TOO_DEEP"}"#,
        r#"crm_graphql_request_duration_seconds_bucket{le="0.001",kind="query",operation="customer"}"#,
        "crm_db_connections_in_use ",
        "crm_db_connections_idle ",
        "crm_rate_limited_total ",
        "crm_subscriptions_open ",
        "crm_websockets_open ",
        "crm_jobs_due ",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

backend_tests!(metrics_and_request_ids_show_what_the_server_does);

//! Persisted queries: run by hash within the tenant that registered them;
//! a hash that is not the query's is refused, and so is a persisted
//! mutation over GET.

use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::helpers::{Backend, Gql, TestApp, spawn_app};

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn persisted(app: &TestApp, tenant: &str, query: Option<&str>, hash: &str) -> Gql {
    let mut body =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token(tenant))
        .json(&body)
        .send()
        .await
        .unwrap();
    Gql {
        status: response.status().as_u16(),
        body: response.json().await.unwrap(),
    }
}

async fn persisted_queries_run_by_hash_within_a_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer("acme", json!({ "email": "apq@example.com" }))
        .await;
    let query = "{ customers { totalCount } }";
    let hash = sha256(query);

    let unknown = persisted(&app, "acme", None, &hash).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert_eq!(unknown.code(), "BAD_USER_INPUT");

    let registered = persisted(&app, "acme", Some(query), &hash).await.ok();
    assert_eq!(registered["customers"]["totalCount"], 1);
    let by_hash = persisted(&app, "acme", None, &hash).await.ok();
    assert_eq!(by_hash["customers"]["totalCount"], 1);

    // Another tenant cannot run (or learn of) acme's query by its hash.
    let other = persisted(&app, "globex", None, &hash).await;
    assert_eq!(other.body["errors"][0]["message"], "PersistedQueryNotFound");
    // A hash that is not the query's is refused.
    let wrong = persisted(&app, "acme", Some("{ __typename }"), &hash).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.field(), "extensions.persistedQuery");

    // Over GET, a persisted mutation is still refused (405).
    let mutation =
        r#"mutation { createCustomer(input: { email: "get@example.com" }) { created } }"#;
    persisted(&app, "acme", Some(mutation), &sha256(mutation))
        .await
        .ok();
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(mutation) } });
    let response = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[("extensions", extensions.to_string())])
        .bearer_auth(app.token("acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(app.count("acme").await, 2);
}

backend_tests!(persisted_queries_run_by_hash_within_a_tenant);

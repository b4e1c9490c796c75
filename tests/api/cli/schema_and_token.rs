//! `crm schema` prints `schema.graphql`; `crm token` mints a token the
//! server accepts, and refuses a short secret or too long a lifetime.

use serde_json::json;

use crate::helpers::{Backend, SECRET, crm, spawn_app};

#[test]
fn schema_graphql_is_what_crm_schema_prints() {
    let output = crm().arg("schema").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

async fn a_token_from_crm_token_works_against_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let output = crm()
        .args([
            "token",
            "--tenant",
            "acme",
            "--sub",
            "script",
            "--scopes",
            "read:customers write:customers",
            "--ttl",
            "10m",
        ])
        .env("CRM_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let created = app
        .gql_as(
            &token,
            r#"mutation { createCustomer(input: { email: "cli@example.com" }) { created } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(created["createCustomer"]["created"], true);
    assert_eq!(app.count("acme").await, 1);
}

#[test]
fn crm_token_refuses_a_short_secret() {
    let output = crm()
        .args(["token", "--tenant", "acme"])
        .env("CRM_JWT_SECRET", "short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 32"));
}

#[test]
fn crm_token_refuses_a_lifetime_the_server_would_refuse() {
    let output = crm()
        .args(["token", "--tenant", "acme", "--ttl", "48h"])
        .env("CRM_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("CRM_JWT_MAX_TTL"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let longer = crm()
        .args(["token", "--tenant", "acme", "--ttl", "48h"])
        .env("CRM_JWT_SECRET", SECRET)
        .env("CRM_JWT_MAX_TTL", "7d")
        .output()
        .unwrap();
    assert!(longer.status.success());
}

backend_tests!(a_token_from_crm_token_works_against_the_server);

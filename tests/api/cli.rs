//! The `crm` binary: `schema` matches `schema.graphql`, and `token` mints a
//! token the server accepts.

use std::process::Command;

use serde_json::json;

use crate::helpers::{Backend, SECRET, spawn_app};

fn crm() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crm"));
    for var in [
        "CRM_JWT_SECRET",
        "CRM_JWT_ALGORITHM",
        "CRM_JWT_PUBLIC_KEY",
        "CRM_JWT_ISSUER",
        "CRM_JWT_AUDIENCE",
        "DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    command
}

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

backend_tests!(a_token_from_crm_token_works_against_the_server);

//! API keys: created with a secret shown once, accepted as `Authorization:
//! Bearer crm_live_…` and as `X-API-Key` (and on the WebSocket) with the
//! key's tenant and scopes, refused like a bad token once revoked or
//! expired, on every instance.

use std::time::Duration;

use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
use serde_json::{Value, json};

use super::status_and_body;
use crate::helpers::ws::{Ended, Ws};
use crate::helpers::{Backend, TestApp, crm_on, spawn_app};

const CREATE: &str = "mutation($i: ApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id name prefix scopes createdBy expiresAt lastUsedAt revokedAt active } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt active } }";

/// Creates a key of `tenant` and returns `(secret, apiKey)`.
async fn create(app: &TestApp, tenant: &str, input: Value) -> (String, Value) {
    let created = app.gql(tenant, CREATE, json!({ "i": input })).await.ok();
    let created = &created["createApiKey"];
    (
        created["secret"].as_str().unwrap().to_owned(),
        created["apiKey"].clone(),
    )
}

/// `{ customerCount }` with the key in `header` (`authorization` as a
/// bearer, or `x-api-key`).
async fn count_with(app: &TestApp, header: &str, secret: &str) -> (u16, Value) {
    let value = if header == "authorization" {
        format!("Bearer {secret}")
    } else {
        secret.to_owned()
    };
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .header(header, value)
        .json(&json!({ "query": "{ customerCount }" }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn a_key_acts_for_its_tenant_with_its_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    app.create_customer("other", json!({ "email": "olga@other.example" }))
        .await;
    app.create_customer("other", json!({ "email": "omar@other.example" }))
        .await;
    let (secret, key) = create(
        &app,
        "acme",
        json!({ "name": "Warehouse sync", "scopes": ["read:customers"] }),
    )
    .await;
    assert!(
        secret.starts_with("crm_live_") && secret.len() >= 9 + 43,
        "{secret}"
    );
    assert!(secret.starts_with(key["prefix"].as_str().unwrap()));
    assert!(key["id"].as_str().unwrap().starts_with("key_"));
    assert_eq!(key["scopes"], json!(["read:customers"]));
    assert_eq!(key["createdBy"], "tester");
    assert_eq!(key["active"], true);
    assert_eq!(key["lastUsedAt"], Value::Null);

    for header in ["authorization", "x-api-key"] {
        let (status, body) = count_with(&app, header, &secret).await;
        assert_eq!(status, 200, "{header}: {body}");
        assert_eq!(body["data"]["customerCount"], 1, "{header}: only acme's");
    }
    // Its scopes, not more.
    let write = app
        .client
        .post(format!("{}/graphql", app.url))
        .header("x-api-key", &secret)
        .json(&json!({ "query": "mutation { createCustomer(input: { email: \"x@acme.example\" }) { customer { id } } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = write.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );

    // Listed without the secret; another tenant sees none of it.
    let listed = app
        .gql(
            "acme",
            "{ apiKeys { totalCount nodes { id name prefix } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(listed["apiKeys"]["totalCount"], 1);
    assert_eq!(listed["apiKeys"]["nodes"][0]["id"], key["id"]);
    assert!(!listed.to_string().contains(&secret));
    let other = app
        .gql("other", "{ apiKeys { totalCount } }", json!({}))
        .await
        .ok();
    assert_eq!(other["apiKeys"]["totalCount"], 0);
    let foreign = app
        .gql(
            "other",
            "{ apiKey(id: $id) { id } }"
                .replace("$id", &format!("{}", key["id"]))
                .as_str(),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(foreign["apiKey"], Value::Null);
    let revoke = app.gql("other", REVOKE, json!({ "id": key["id"] })).await;
    assert_eq!(revoke.code(), "NOT_FOUND");

    // Its use is recorded, in the background.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let read = app
            .gql(
                "acme",
                "query($id: ID!) { apiKey(id: $id) { lastUsedAt } }",
                json!({ "id": key["id"] }),
            )
            .await
            .ok();
        if !read["apiKey"]["lastUsedAt"].is_null() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "lastUsedAt never set");
        tokio::task::yield_now().await;
    }
}

async fn revoked_expired_and_unknown_keys_get_the_bad_token_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, bad_token) = status_and_body(&app, Some("Bearer not-a-token".into())).await;
    let (secret, key) = create(&app, "acme", json!({ "name": "Till" })).await;
    assert_eq!(count_with(&app, "x-api-key", &secret).await.0, 200);

    let revoked = app
        .gql("acme", REVOKE, json!({ "id": key["id"] }))
        .await
        .ok();
    assert_eq!(revoked["revokeApiKey"]["active"], false);
    assert!(revoked["revokeApiKey"]["revokedAt"].is_string());
    let again = app
        .gql("acme", REVOKE, json!({ "id": key["id"] }))
        .await
        .ok();
    assert_eq!(
        again["revokeApiKey"]["revokedAt"],
        revoked["revokeApiKey"]["revokedAt"]
    );

    let unknown = format!("crm_live_{}", "A".repeat(43));
    let malformed = format!("{secret}!");
    // Another tenant's live key with one character changed.
    let (theirs, _) = create(&app, "other", json!({ "name": "Theirs" })).await;
    let last = theirs.chars().last().unwrap();
    let one_off = format!(
        "{}{}",
        &theirs[..theirs.len() - 1],
        if last == 'a' { 'b' } else { 'a' }
    );
    assert_eq!(count_with(&app, "x-api-key", &theirs).await.0, 200);
    for credential in [&secret, &unknown, &malformed, &one_off] {
        for header in ["authorization", "x-api-key"] {
            let (status, body) = count_with(&app, header, credential).await;
            assert_eq!(status, 401, "{header} {credential}");
            assert_eq!(body, bad_token, "{header} {credential}");
        }
    }
    let listed = app
        .gql(
            "acme",
            "{ apiKeys { totalCount } all: apiKeys(includeRevoked: true) { totalCount } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(listed["apiKeys"]["totalCount"], 0);
    assert_eq!(listed["all"]["totalCount"], 1);

    // An expired key: put in the past in the database, as no input can.
    let (expired, key) = create(
        &app,
        "acme",
        json!({ "name": "Short", "expiresAt": "2999-01-01T00:00:00Z" }),
    )
    .await;
    let row = key["id"]
        .as_str()
        .unwrap()
        .trim_start_matches("key_")
        .to_owned();
    let db = app.db.connect().await;
    let past = chrono::Utc::now() - chrono::Duration::hours(1);
    entity::api_key::Entity::update_many()
        .col_expr(
            entity::api_key::Column::ExpiresAt,
            sea_orm::sea_query::Expr::val(past),
        )
        .filter(entity::api_key::Column::Id.eq(row))
        .exec(&db)
        .await
        .unwrap();
    let (status, body) = count_with(&app, "x-api-key", &expired).await;
    assert_eq!((status, &body), (401, &bad_token));
    let listed = app
        .gql(
            "acme",
            "query($id: ID!) { apiKey(id: $id) { active } }",
            json!({ "id": key["id"] }),
        )
        .await
        .ok();
    assert_eq!(listed["apiKey"]["active"], false);
}

async fn a_key_cannot_grant_more_than_its_creator(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token_with("acme", "read:customers write:api_keys");
    let refused = app
        .gql_as(
            &token,
            CREATE,
            json!({ "i": { "name": "Too much", "scopes": ["read:customers", "write:customers"] } }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field(), "input.scopes.1");
    for (input, field) in [
        (json!({ "name": "  " }), "input.name"),
        (
            json!({ "name": "x", "scopes": ["admin"] }),
            "input.scopes.0",
        ),
        (json!({ "name": "x", "scopes": [] }), "input.scopes"),
        (
            json!({ "name": "x", "expiresAt": "2020-01-01T00:00:00Z" }),
            "input.expiresAt",
        ),
    ] {
        let refused = app.gql_as(&token, CREATE, json!({ "i": input })).await;
        assert_eq!(refused.field(), field, "{input}");
    }
    let without = app
        .gql_as(
            &app.token_with("acme", "read:customers"),
            CREATE,
            json!({ "i": { "name": "x" } }),
        )
        .await;
    assert_eq!(without.code(), "FORBIDDEN");
    // Nothing was created; a key made without scopes gets the creator's.
    let (_, key) = create(&app, "acme", json!({ "name": "All of mine" })).await;
    let (_, narrow) = {
        let created = app
            .gql_as(&token, CREATE, json!({ "i": { "name": "Mine" } }))
            .await
            .ok();
        (0, created["createApiKey"]["apiKey"].clone())
    };
    assert_eq!(
        narrow["scopes"],
        json!(["read:customers", "write:api_keys"])
    );
    assert_eq!(key["scopes"].as_array().unwrap().len(), 10);
    let listed = app
        .gql("acme", "{ apiKeys { totalCount } }", json!({}))
        .await
        .ok();
    assert_eq!(listed["apiKeys"]["totalCount"], 2);
}

/// A key opens a socket (in either field), and the socket closes when the
/// key is revoked; a socket of another key stays open.
async fn a_key_opens_a_websocket_until_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, key) = create(&app, "acme", json!({ "name": "Live" })).await;
    let (other, _) = create(&app, "acme", json!({ "name": "Other" })).await;
    let mut sockets = Vec::new();
    for payload in [
        json!({ "Authorization": format!("Bearer {secret}") }),
        json!({ "X-API-Key": secret }),
        json!({ "X-API-Key": other }),
    ] {
        let mut ws = Ws::open(&app).await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(ws.recv().await.unwrap()["type"], "connection_ack");
        sockets.push(ws);
    }
    let mut ws = Ws::open(&app).await;
    ws.send(json!({ "type": "connection_init", "payload": { "X-API-Key": format!("crm_live_{}", "B".repeat(43)) } }))
        .await;
    assert!(
        ws.recv().await.is_none(),
        "an unknown key closes the socket"
    );

    app.gql("acme", REVOKE, json!({ "id": key["id"] }))
        .await
        .ok();
    let mut still_open = sockets.pop().unwrap();
    for mut revoked in sockets {
        assert_eq!(
            revoked.ended(Duration::from_secs(5)).await,
            Ended::Closed(4403)
        );
    }
    still_open.handled().await;
}

async fn the_cli_prints_a_working_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let output = crm_on(
        &app,
        &[
            "api-key",
            "create",
            "--tenant",
            "acme",
            "--name",
            "Import job",
            "--scopes",
            "read:customers",
        ],
    );
    let secret = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let (status, body) = count_with(&app, "authorization", &secret).await;
    assert_eq!(status, 200, "{body}");
    let listed = app
        .gql(
            "acme",
            "{ apiKeys { nodes { name createdBy scopes } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        listed["apiKeys"]["nodes"][0],
        json!({ "name": "Import job", "createdBy": "cli", "scopes": ["read:customers"] })
    );
}

/// Two servers on one PostgreSQL: a key cached by one is refused by it as
/// soon as the other revokes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_reaches_every_instance_on_postgres() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let a = spawn_app(backend).await;
    // B's statements are counted below: it runs no job worker and no RFM
    // refresher, whose polls would land among a request's statements.
    let b = a
        .another_instance_with(&["--worker", "false", "--rfm-refresh", "1h"])
        .await;
    let (secret, key) = create(&a, "acme", json!({ "name": "Shared" })).await;
    // B reads the key once (and records its use, in the background);
    // from then on it answers from its cache: a request with the key costs
    // the statements of one with a token.
    assert_eq!(count_with(&b, "x-api-key", &secret).await.0, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while a
        .gql(
            "acme",
            "query($id: ID!) { apiKey(id: $id) { lastUsedAt } }",
            json!({ "id": key["id"] }),
        )
        .await
        .ok()["apiKey"]["lastUsedAt"]
        .is_null()
    {
        assert!(std::time::Instant::now() < deadline, "lastUsedAt never set");
        tokio::task::yield_now().await;
    }
    let before = b.app.statements.get();
    assert_eq!(
        count_with(&b, "authorization", &b.token("acme")).await.0,
        200
    );
    let with_token = b.app.statements.get() - before;
    let before = b.app.statements.get();
    assert_eq!(count_with(&b, "x-api-key", &secret).await.0, 200);
    assert_eq!(b.app.statements.get() - before, with_token);

    a.gql("acme", REVOKE, json!({ "id": key["id"] })).await.ok();
    // Refused by the other instance within a second.
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    while count_with(&b, "x-api-key", &secret).await.0 != 401 {
        assert!(
            std::time::Instant::now() < deadline,
            "B still accepts the revoked key"
        );
        tokio::task::yield_now().await;
    }
}

backend_tests!(
    a_key_acts_for_its_tenant_with_its_scopes,
    revoked_expired_and_unknown_keys_get_the_bad_token_answer,
    a_key_cannot_grant_more_than_its_creator,
    a_key_opens_a_websocket_until_revoked,
    the_cli_prints_a_working_key,
);

//! The `graphql-transport-ws` protocol: its refusals with their close
//! codes, the time limit on a query over the socket, the socket closed when
//! its token expires, and SIGTERM closing sockets with 1001.

use std::time::Duration;

use serde_json::{Value, json};

use super::ACTIVITY;
use crate::helpers::ws::{Ended, Ws};
use crate::helpers::{
    Backend, SECRET, TestApp, TestDb, free_port, serve_process, spawn_app, spawn_app_with,
    until_healthy, until_logged,
};

async fn the_protocol_refuses_with_its_close_codes(backend: Backend) {
    let app = spawn_app(backend).await;

    // A bad token, in either form: 4403.
    for payload in [
        json!({ "Authorization": "Bearer nope" }),
        json!({ "authToken": "nope" }),
        json!({}),
    ] {
        let mut ws = Ws::open(&app).await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(
            ws.ended(Duration::from_secs(2)).await,
            Ended::Closed(4403),
            "{payload}"
        );
    }
    // `authToken` with a good token is accepted.
    let mut ws = Ws::open(&app).await;
    ws.send(json!({ "type": "connection_init", "payload": { "authToken": app.token("acme") } }))
        .await;
    assert_eq!(ws.recv().await.unwrap()["type"], "connection_ack");
    // A second init: 4429.
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(4429));

    // Subscribing before the acknowledgement: 4401.
    let mut ws = Ws::open(&app).await;
    ws.subscribe("1", ACTIVITY, json!({})).await;
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(4401));

    // Not JSON, or not a protocol message: 4400.
    for bad in ["{nope", "{\"type\":\"launch\"}"] {
        let mut ws = Ws::ready(&app, &app.token("acme")).await;
        ws.send_text(bad).await;
        assert_eq!(
            ws.ended(Duration::from_secs(2)).await,
            Ended::Closed(4400),
            "{bad}"
        );
    }

    // A duplicate id: 4409.
    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    ws.subscribe("1", ACTIVITY, json!({})).await;
    ws.subscribe("1", ACTIVITY, json!({})).await;
    assert_eq!(ws.ended(Duration::from_secs(2)).await, Ended::Closed(4409));

    // Without `read:customers`: an `error` for that operation, and the
    // socket stays open for the next.
    let mut ws = Ws::ready(&app, &app.token_with("acme", "read:segments")).await;
    ws.subscribe("x", ACTIVITY, json!({})).await;
    let refused = ws.recv().await.unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "x");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "FORBIDDEN");
    // A validation error, likewise.
    ws.subscribe("y", "subscription { nothingHere }", json!({}))
        .await;
    let invalid = ws.recv().await.unwrap();
    assert_eq!(invalid["type"], "error");
    assert_eq!(
        invalid["payload"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.recv().await.unwrap()["type"], "pong");

    // Queries run over the socket too: `next`, then `complete`.
    ws.subscribe("q", "{ segments { totalCount } }", json!({}))
        .await;
    let next = ws.recv().await.unwrap();
    assert_eq!(
        next["payload"]["data"]["segments"]["totalCount"], 0,
        "{next}"
    );
    assert_eq!(
        ws.recv().await.unwrap(),
        json!({ "id": "q", "type": "complete" })
    );

    // No init at all: 4408 after three seconds.
    let mut ws = Ws::open(&app).await;
    assert_eq!(ws.ended(Duration::from_secs(5)).await, Ended::Closed(4408));

    // Another subprotocol: the handshake is refused.
    assert!(Ws::try_open(&app, "graphql-ws").await.is_err());
}

/// A query over the socket has the same time limit as over HTTP.
async fn a_query_over_the_socket_is_cut_off_at_the_time_limit(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &["--jwt-secret", SECRET, "--request-timeout", "1ms"],
    )
    .await;
    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    let rows: Vec<Value> = (0..500)
        .map(|i| json!({ "email": format!("slow{i}@example.com") }))
        .collect();
    ws.subscribe(
        "slow",
        "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created } }",
        json!({ "rows": rows }),
    )
    .await;
    let next = ws.recv().await.unwrap();
    assert_eq!(next["type"], "next", "{next}");
    assert_eq!(
        next["payload"]["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{next}"
    );
    let complete = ws.recv().await.unwrap();
    assert_eq!(complete["type"], "complete");
    // The import's transaction was rolled back (as seen by a server
    // without the 1 ms limit).
    let patient = app.another_instance().await;
    assert_eq!(patient.count("acme").await, 0);
}

async fn a_socket_closes_when_its_token_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    let token = app.token_for("acme", "read:customers", Duration::from_secs(2));
    let mut ws = Ws::ready(&app, &token).await;
    assert_eq!(ws.ended(Duration::from_secs(5)).await, Ended::Closed(4403));
}

/// SIGTERM: sockets close with 1001 ("going away"), a request in flight
/// finishes, and the process exits 0.
async fn sigterm_closes_sockets_with_1001_and_finishes_requests(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let app = TestApp::client_for(&url, db).await;
    let log = dir.path().join("serve.log");
    let mut server = serve_process(&app.db, port, &[], &log);
    until_healthy(&app.client, &url).await;

    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    ws.subscribe("live", ACTIVITY, json!({})).await;
    let rows: Vec<Value> = (0..1000)
        .map(|i| json!({ "email": format!("late{i}@example.com") }))
        .collect();
    let import = {
        let client = app.client.clone();
        let token = app.token("acme");
        let url = url.clone();
        tokio::spawn(async move {
            let response = client
                .post(format!("{url}/graphql"))
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created } }",
                    "variables": { "rows": rows }
                }))
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        })
    };
    // In flight: the server has taken the import's request.
    until_logged(&log, r#"method=POST path="/graphql""#).await;
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());

    assert_eq!(ws.ended(Duration::from_secs(10)).await, Ended::Closed(1001));
    let (status, body) = import.await.unwrap();
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["data"]["importCustomers"]["created"], 1000);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = server.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
}

backend_tests!(
    the_protocol_refuses_with_its_close_codes,
    a_query_over_the_socket_is_cut_off_at_the_time_limit,
    a_socket_closes_when_its_token_expires,
    sigterm_closes_sockets_with_1001_and_finishes_requests,
);

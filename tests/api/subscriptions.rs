//! API.md §11: subscriptions over the real WebSocket, `graphql-transport-ws`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::ws::{Ended, Ws};
use crate::helpers::{
    Backend, SECRET, TestApp, TestDb, free_port, serve_process, spawn_app, spawn_app_with,
    until_healthy, until_logged,
};

const ACTIVITY: &str =
    "subscription($c: ID) { activityAdded(customerId: $c) { id type title customer { id } } }";
const RECORD: &str = "mutation($c: ID!, $t: String!) { recordActivity(customerId: $c, input: { type: EMAIL, title: $t }) { id } }";

async fn record(app: &TestApp, tenant: &str, customer: &str, title: &str) {
    app.gql(tenant, RECORD, json!({ "c": customer, "t": title }))
        .await
        .ok();
}

async fn subscribers_receive_their_tenants_activity_as_it_is_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let [ana, bo] = app
        .customers_by_email("acme", ["ana@acme.example", "bo@acme.example"])
        .await;
    let eve = app
        .create_customer("evil", json!({ "email": "eve@evil.example" }))
        .await;

    let mut anas = Ws::ready(&app, &app.token("acme")).await;
    anas.subscribe("1", ACTIVITY, json!({ "c": ana })).await;
    let mut all = Ws::ready(&app, &app.token("acme")).await;
    all.subscribe("a", ACTIVITY, json!({})).await;
    let mut evil = Ws::ready(&app, &app.token("evil")).await;
    evil.subscribe("e", ACTIVITY, json!({})).await;
    // Subscriptions are live once they hear the server's events.
    app.until_listening(3).await;

    record(&app, "acme", &ana, "Newsletter opened").await;
    let got = anas.recv().await.unwrap();
    assert_eq!(got["type"], "next");
    assert_eq!(got["id"], "1");
    let activity = &got["payload"]["data"]["activityAdded"];
    assert_eq!(activity["title"], "Newsletter opened");
    assert_eq!(activity["type"], "EMAIL");
    assert_eq!(activity["customer"]["id"], ana);
    assert_eq!(
        all.recv().await.unwrap()["payload"]["data"]["activityAdded"]["title"],
        "Newsletter opened"
    );

    record(&app, "acme", &bo, "Bo's email").await;
    assert_eq!(
        all.recv().await.unwrap()["payload"]["data"]["activityAdded"]["customer"]["id"],
        bo
    );
    assert!(anas.quiet().await, "Ana's subscriber hears only Ana");
    assert!(evil.quiet().await, "another tenant hears nothing");

    // Its own tenant's events reach it.
    record(&app, "evil", &eve, "Eve's email").await;
    assert_eq!(
        evil.recv().await.unwrap()["payload"]["data"]["activityAdded"]["customer"]["id"],
        eve
    );

    // `complete` ends a subscription; the socket stays usable.
    anas.send(json!({ "id": "1", "type": "complete" })).await;
    anas.handled().await;
    record(&app, "acme", &ana, "After complete").await;
    assert!(anas.quiet().await);
    anas.send(json!({ "type": "ping" })).await;
    assert_eq!(anas.recv().await.unwrap()["type"], "pong");
}

async fn customer_changes_are_published_after_they_commit(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    ws.subscribe(
        "c",
        "subscription { customerChanged { type customerId fields customer { email } } }",
        json!({}),
    )
    .await;
    app.until_listening(1).await;

    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let created = ws.recv().await.unwrap()["payload"]["data"]["customerChanged"].clone();
    assert_eq!(
        created,
        json!({ "type": "CREATED", "customerId": ana, "fields": [], "customer": { "email": "ana@acme.example" } })
    );

    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { companyName: \"Acme\" }) { id } }",
        json!({ "id": ana }),
    )
    .await
    .ok();
    let updated = ws.recv().await.unwrap()["payload"]["data"]["customerChanged"].clone();
    assert_eq!(updated["type"], "UPDATED");
    assert_eq!(updated["fields"], json!(["companyName"]));

    // A refused write publishes nothing.
    let refused = app
        .gql(
            "acme",
            "mutation { createCustomer(input: { email: \"not an email\" }) { created } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert!(ws.quiet().await);

    app.delete_customer("acme", &ana).await;
    let deleted = ws.recv().await.unwrap()["payload"]["data"]["customerChanged"].clone();
    assert_eq!(
        deleted,
        json!({ "type": "DELETED", "customerId": ana, "fields": [], "customer": null })
    );
}

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

async fn a_slow_subscriber_loses_its_oldest_events_and_is_told(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &["--jwt-secret", SECRET, "--subscription-buffer", "8"],
    )
    .await;
    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    ws.subscribe("a", "subscription { activityAdded { id } }", json!({}))
        .await;
    app.until_listening(1).await;

    // 300 customers in one import: 300 timeline entries at once.
    let rows: Vec<Value> = (0..300)
        .map(|i| json!({ "email": format!("c{i}@acme.example") }))
        .collect();
    app.gql(
        "acme",
        "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { created } }",
        json!({ "c": rows }),
    )
    .await
    .ok();

    let (mut delivered, mut dropped, mut notices) = (0, 0, 0);
    while let Some(message) = ws.within(Duration::from_secs(2)).await {
        assert_eq!(message["type"], "next", "{message}");
        match message["payload"]["errors"][0]["extensions"]["dropped"].as_u64() {
            Some(n) => {
                assert_eq!(
                    message["payload"]["errors"][0]["extensions"]["code"],
                    "RATE_LIMITED"
                );
                dropped += n;
                notices += 1;
            }
            None => {
                assert!(message["payload"]["data"]["activityAdded"]["id"].is_string());
                delivered += 1;
            }
        }
    }
    assert!(notices > 0, "a subscriber 8 events deep fell behind 300");
    assert_eq!(
        delivered + dropped,
        300,
        "every event delivered or counted as dropped"
    );
}

async fn sockets_running_the_same_subscription_share_it_independently(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let mut one = Ws::ready(&app, &app.token("acme")).await;
    let mut two = Ws::ready(&app, &app.token("acme")).await;
    one.subscribe("a", ACTIVITY, json!({ "c": ana })).await;
    two.subscribe("b", ACTIVITY, json!({ "c": ana })).await;
    app.until_listening(1).await;

    record(&app, "acme", &ana, "Both hear this").await;
    for (ws, id) in [(&mut one, "a"), (&mut two, "b")] {
        let got = ws.recv().await.unwrap();
        assert_eq!(got["id"], id, "each under its own id");
        assert_eq!(
            got["payload"]["data"]["activityAdded"]["title"],
            "Both hear this"
        );
    }
    // One leaves; the other still hears.
    one.send(json!({ "id": "a", "type": "complete" })).await;
    one.handled().await;
    record(&app, "acme", &ana, "Only two").await;
    assert_eq!(
        two.recv().await.unwrap()["payload"]["data"]["activityAdded"]["title"],
        "Only two"
    );
    assert!(one.quiet().await);
    // A viewer with other scopes runs its own: refused, without touching
    // the others.
    let mut three = Ws::ready(&app, &app.token_with("acme", "read:segments")).await;
    three.subscribe("c", ACTIVITY, json!({ "c": ana })).await;
    assert_eq!(three.recv().await.unwrap()["type"], "error");
    record(&app, "acme", &ana, "Still two").await;
    assert_eq!(
        two.recv().await.unwrap()["payload"]["data"]["activityAdded"]["title"],
        "Still two"
    );
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
    sigterm_closes_sockets_with_1001_and_finishes_requests,
    a_slow_subscriber_loses_its_oldest_events_and_is_told,
    sockets_running_the_same_subscription_share_it_independently,
    subscribers_receive_their_tenants_activity_as_it_is_recorded,
    customer_changes_are_published_after_they_commit,
    the_protocol_refuses_with_its_close_codes,
    a_socket_closes_when_its_token_expires,
    a_query_over_the_socket_is_cut_off_at_the_time_limit,
    data_requests_are_followed_as_they_progress,
);

const REQUESTS: &str = "subscription($id: ID) { removalRequestUpdated(id: $id) { id type status customerId audit { removed { customers } } } }";

/// The statuses a subscriber hears for one request, until it completes.
async fn statuses_until_completed(ws: &mut Ws, request: &str) -> Vec<String> {
    let mut statuses = Vec::new();
    while statuses.last().map(String::as_str) != Some("COMPLETED") {
        let got = ws.recv().await.expect("the request completes");
        let seen = &got["payload"]["data"]["removalRequestUpdated"];
        assert_eq!(seen["id"], request, "{got}");
        statuses.push(seen["status"].as_str().unwrap().to_owned());
    }
    statuses
}

async fn data_requests_are_followed_as_they_progress(backend: Backend) {
    let app = spawn_app_with(backend, &["--jwt-secret", SECRET, "--worker-poll", "50ms"]).await;
    let [ana, bea] = app
        .customers_by_email("acme", ["ana@acme.example", "bea@acme.example"])
        .await;
    let mut all = Ws::ready(&app, &app.token("acme")).await;
    all.subscribe("1", REQUESTS, json!({})).await;
    let mut stranger = Ws::ready(&app, &app.token("globex")).await;
    stranger.subscribe("1", REQUESTS, json!({})).await;
    let mut unscoped = Ws::ready(&app, &app.token_with("acme", "read:customers")).await;
    unscoped.subscribe("1", REQUESTS, json!({})).await;
    let refused = unscoped.recv().await.unwrap();
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    app.until_listening(2).await;

    let first = app.request_data("acme", &ana, "ERASURE", "").await;
    let statuses = statuses_until_completed(&mut all, &first).await;
    // Each status at most once, in order (one that has moved on by the time
    // it is read is skipped for its successor).
    let order = ["PENDING", "PROCESSING", "COMPLETED"];
    let positions: Vec<usize> = statuses
        .iter()
        .map(|s| order.iter().position(|o| o == s).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{statuses:?}");
    assert!(stranger.quiet().await, "another tenant hears nothing");

    // Following one request hears no other.
    let mut one = Ws::ready(&app, &app.token("acme")).await;
    one.subscribe("1", REQUESTS, json!({ "id": first })).await;
    app.until_listening(3).await;
    let second = app.request_data("acme", &bea, "EXPORT", "").await;
    let statuses = statuses_until_completed(&mut all, &second).await;
    assert_eq!(statuses.last().unwrap(), "COMPLETED");
    assert!(one.quiet().await);
}

/// Two servers on one PostgreSQL: an activity recorded through one reaches
/// a subscriber of the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_cross_server_instances_on_postgres() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let a = spawn_app(backend).await;
    let b = a.another_instance().await;
    let ana = b
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let mut ws = Ws::ready(&a, &a.token("acme")).await;
    ws.subscribe("1", ACTIVITY, json!({ "c": ana })).await;
    a.until_listening(1).await;

    record(&b, "acme", &ana, "Recorded through B").await;
    let got = ws.recv().await.unwrap();
    assert_eq!(
        got["payload"]["data"]["activityAdded"]["title"], "Recorded through B",
        "{got}"
    );
}

/// When an instance's `LISTEN` connection drops, its subscribers are told
/// that events may have been missed, and hear new ones once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_are_told_when_the_event_listener_reconnects() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    let mut ws = Ws::ready(&app, &app.token("acme")).await;
    ws.subscribe("1", ACTIVITY, json!({ "c": ana })).await;
    app.until_listening(1).await;

    // This server's listener only: its channel names the test's schema.
    let channel = format!("%crm_events_{}%", app.db.schema().unwrap());
    let db = app.db.connect().await;
    until_listener(&db, &channel, 1).await;
    let stopped = sea_orm::ConnectionTrait::query_one_raw(
        &db,
        sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE $1",
            [channel.clone().into()],
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stopped.try_get_by_index::<i64>(0).unwrap(), 1);

    let notice = ws.recv().await.unwrap();
    assert_eq!(
        notice["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{notice}"
    );
    assert_eq!(
        notice["payload"]["errors"][0]["extensions"]["dropped"],
        Value::Null
    );
    // Listening again: a new connection waits on the channel.
    until_listener(&db, &channel, 1).await;
    record(&app, "acme", &ana, "After the reconnect").await;
    let got = ws.recv().await.unwrap();
    assert_eq!(
        got["payload"]["data"]["activityAdded"]["title"], "After the reconnect",
        "{got}"
    );
}

/// Waits until `n` connections listen on the events channel `like` names.
async fn until_listener(db: &sea_orm::DatabaseConnection, like: &str, n: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let row = sea_orm::ConnectionTrait::query_one_raw(
            db,
            sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                [like.into()],
            ),
        )
        .await
        .unwrap()
        .unwrap();
        if row.try_get_by_index::<i64>(0).unwrap() == n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no listener on {like}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! What subscribers hear: their tenant's activity and customer changes once
//! committed, each under its own id when sockets share a subscription, the
//! count of events a slow subscriber lost, and data requests' progress.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ACTIVITY, record};
use crate::helpers::ws::Ws;
use crate::helpers::{Backend, SECRET, spawn_app, spawn_app_with};

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
    app.import_customers("acme", rows).await;

    // Read until all 300 are accounted for (a busy machine may pause the
    // stream for seconds); a message missing for 30 s ends the wait.
    let (mut delivered, mut dropped, mut notices) = (0, 0, 0);
    while delivered + dropped < 300 {
        let Some(message) = ws.within(Duration::from_secs(30)).await else {
            break;
        };
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
    assert!(ws.quiet().await, "nothing beyond the 300");
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

backend_tests!(
    subscribers_receive_their_tenants_activity_as_it_is_recorded,
    customer_changes_are_published_after_they_commit,
    a_slow_subscriber_loses_its_oldest_events_and_is_told,
    sockets_running_the_same_subscription_share_it_independently,
    data_requests_are_followed_as_they_progress,
);

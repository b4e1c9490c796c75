//! Deliveries from the outbox: signed, retried with backoff until accepted
//! and recorded attempt by attempt; a gone receiver disables its endpoint,
//! the address is checked again at delivery, and a server killed while
//! sending delivers after a restart.

use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{Value, json};

use super::{deliveries, deliveries_until, endpoint, spawn};
use crate::helpers::receiver::{Receiver, verify};
use crate::helpers::{Backend, TestApp, TestDb, serve_process, until_healthy};

async fn deliveries_are_signed_and_retried_until_accepted(backend: Backend) {
    let app = spawn(
        backend,
        &[
            "--webhook-allow-private",
            "true",
            "--webhook-retry-base",
            "200ms",
        ],
    )
    .await;
    let receiver = Receiver::start(&[500, 500, 500, 200]).await;
    let (id, secret) = endpoint(&app, "acme", &receiver.url, &["customer.created"]).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() >= 6 + 48,
        "{secret}"
    );

    let ana = app
        .create_customer(
            "acme",
            json!({ "email": "ana@acme.example", "name": "Ana" }),
        )
        .await;
    let got = receiver.wait_for(4, Duration::from_secs(30)).await;
    let now = chrono::Utc::now().timestamp();
    for request in &got {
        assert!(
            verify(&secret, &request.signature, &request.body, now),
            "{request:?}"
        );
        assert!(!verify(
            "whsec_other",
            &request.signature,
            &request.body,
            now
        ));
        // A replay more than 300 s later is refused by the receiver.
        assert!(!verify(
            &secret,
            &request.signature,
            &request.body,
            now + 301
        ));
        assert_eq!(
            request.body, got[0].body,
            "every attempt sends the same event"
        );
    }
    let event = &got[0].json;
    assert_eq!(event["event"], "customer.created");
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event["data"]["id"], ana.as_str());
    assert_eq!(event["data"]["email"], "ana@acme.example");
    assert!(event["createdAt"].is_string());
    // Backoff: each wait at least as long as the one before (give or take
    // the worker's 10 ms poll).
    let waits: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    for pair in waits.windows(2) {
        assert!(pair[1] + Duration::from_millis(20) >= pair[0], "{waits:?}");
    }

    let seen = deliveries_until(&app, "acme", &id, |d| {
        d["deliveries"]["nodes"][0]["status"] == "SUCCEEDED"
    })
    .await;
    let delivery = &seen["deliveries"]["nodes"][0];
    assert_eq!(delivery["attemptCount"], 4);
    assert_eq!(delivery["eventId"], event["id"]);
    assert_eq!(delivery["event"], "customer.created");
    assert_eq!(delivery["payload"], *event);
    let codes: Vec<&Value> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["statusCode"])
        .collect();
    assert_eq!(codes, [&json!(500), &json!(500), &json!(500), &json!(200)]);

    // N changes, N events with distinct ids.
    for i in 0..3 {
        app.create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
            .await;
    }
    let got = receiver.wait_for(7, Duration::from_secs(30)).await;
    let mut ids: Vec<&str> = got.iter().map(|r| r.json["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "{ids:?}");
}

async fn a_gone_receiver_disables_its_endpoint(backend: Backend) {
    let app = spawn(backend, &["--webhook-allow-private", "true"]).await;
    let receiver = Receiver::start(&[410]).await;
    let (id, _) = endpoint(&app, "acme", &receiver.url, &["customer.created"]).await;
    app.create_customer("acme", json!({ "email": "a@acme.example" }))
        .await;
    let seen = deliveries_until(&app, "acme", &id, |d| d["enabled"] == false).await;
    assert_eq!(seen["disabledReason"], "the receiver answered 410 Gone");
    assert_eq!(seen["deliveries"]["nodes"][0]["status"], "FAILED");
    app.create_customer("acme", json!({ "email": "b@acme.example" }))
        .await;
    // Deliveries are written with the change they report: none was, so
    // none can be sent.
    assert_eq!(
        deliveries(&app, "acme", &id).await["deliveries"]["totalCount"],
        1
    );
    assert_eq!(receiver.received().len(), 1, "nothing more is sent");
}

/// An endpoint stored while private addresses were allowed is still not
/// reached by an instance that does not allow them: the check is made at
/// delivery too.
async fn deliveries_check_the_address_again(backend: Backend) {
    let app = spawn(
        backend,
        &["--webhook-allow-private", "true", "--worker", "false"],
    )
    .await;
    let receiver = Receiver::start(&[200]).await;
    let (id, _) = endpoint(&app, "acme", &receiver.url, &["customer.created"]).await;
    let named = receiver.url.replace("127.0.0.1", "localhost");
    let (by_name, _) = endpoint(&app, "acme", &named, &["customer.created"]).await;
    app.create_customer("acme", json!({ "email": "a@acme.example" }))
        .await;
    let strict = app
        .another_instance_with(&["--worker-poll", "10ms", "--webhook-retry-base", "1h"])
        .await;
    for endpoint in [&id, &by_name] {
        let seen = deliveries_until(&strict, "acme", endpoint, |d| {
            d["deliveries"]["nodes"][0]["attemptCount"] == 1
        })
        .await;
        let attempt = &seen["deliveries"]["nodes"][0]["attempts"][0];
        assert_eq!(attempt["statusCode"], Value::Null);
        assert!(
            attempt["error"].as_str().unwrap().starts_with("refused"),
            "{attempt}"
        );
    }
    assert!(receiver.received().is_empty());
}

/// `crm serve` as a process, for the webhook tests.
fn serve(db: &TestDb, port: u16, log: &std::path::Path) -> Child {
    serve_process(
        db,
        port,
        &[
            "--webhook-allow-private",
            "true",
            "--worker-poll",
            "50ms",
            "--job-lease",
            "3s",
            "--webhook-timeout",
            "2s",
        ],
        log,
    )
}

/// A server killed (SIGKILL) while sending a delivery: the event is sent
/// again after a restart, once the dead worker's lease ran out. Its logs
/// (debug level) hold none of the customer's data.
async fn a_killed_server_delivers_after_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let app = TestApp::client_for(&url, db).await;
    let receiver = Receiver::start(&[0, 200]).await;

    let mut first = serve(&app.db, port, &dir.path().join("first.log"));
    until_healthy(&app.client, &url).await;
    let (id, secret) = endpoint(
        &app,
        "acme",
        &receiver.url,
        &["customer.created", "customer.deleted"],
    )
    .await;
    let token = format!("pkx{}", &uuid::Uuid::now_v7().simple().to_string()[22..]);
    let customer = app
        .create_customer(
            "acme",
            json!({ "email": format!("{token}@example.org"), "name": format!("{token} Doe"), "metadata": { "k": token } }),
        )
        .await;
    receiver.wait_for(1, Duration::from_secs(20)).await;
    // The worker is waiting on the receiver, holding the job.
    first.kill().unwrap();
    first.wait().unwrap();

    let mut second = serve(&app.db, port, &dir.path().join("second.log"));
    until_healthy(&app.client, &url).await;
    let got = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(got[0].body, got[1].body, "the same event, again");
    assert!(verify(
        &secret,
        &got[1].signature,
        &got[1].body,
        chrono::Utc::now().timestamp()
    ));
    let seen = deliveries_until(&app, "acme", &id, |d| {
        d["deliveries"]["nodes"][0]["status"] == "SUCCEEDED"
    })
    .await;
    assert_eq!(
        seen["deliveries"]["nodes"][0]["attemptCount"], 1,
        "the killed attempt was never recorded"
    );

    // Erase the customer through the restarted server; then stop it.
    let erasure = app.request_data("acme", &customer, "ERASURE", "").await;
    assert_eq!(
        app.finished_request("acme", &erasure).await["status"],
        "COMPLETED"
    );
    receiver.wait_for(3, Duration::from_secs(20)).await;
    let stopped = Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(
        second.wait().unwrap().success(),
        "SIGTERM ends the server with 0"
    );

    for log in ["first.log", "second.log"] {
        let text = std::fs::read_to_string(dir.path().join(log)).unwrap();
        assert!(text.contains("background worker started"), "{log}: {text}");
        assert!(!text.contains(&token), "{log} holds customer data:\n{text}");
    }
}

backend_tests!(
    deliveries_are_signed_and_retried_until_accepted,
    a_gone_receiver_disables_its_endpoint,
    deliveries_check_the_address_again,
    a_killed_server_delivers_after_restart,
);

//! Events between instances, through PostgreSQL's `LISTEN`: they reach a
//! subscriber of another server, and subscribers are told when the
//! listener reconnects.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ACTIVITY, record};
use crate::helpers::ws::Ws;
use crate::helpers::{Backend, spawn_app};

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

//! The durable job queue: a dead worker's job goes to another once its
//! lease ran out, and instances sharing the queue carry out each request
//! once.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use super::spawn;
use crate::helpers::Backend;
use crate::helpers::receiver::Receiver;

/// A worker that took a job and died leaves it to another once its lease
/// has run out; each request is carried out once.
async fn a_dead_workers_job_is_done_exactly_once(backend: Backend) {
    let app = spawn(backend, &["--worker", "false"]).await;
    let mut requests = Vec::new();
    for i in 0..3 {
        let id = app
            .create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
            .await;
        requests.push(app.request_data("acme", &id, "ERASURE", "").await);
    }
    // A worker took the first job a moment ago and died holding it.
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let first = requests[0].trim_start_matches("drr_").to_owned();
    let lease_end = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .format("%Y-%m-%d %H:%M:%S%.6f+00:00")
        .to_string();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        if backend == DbBackend::Postgres {
            "UPDATE jobs SET lease_owner = 'dead', attempts = 1, run_at = $1::timestamptz WHERE subject_id = $2"
        } else {
            "UPDATE jobs SET lease_owner = 'dead', attempts = 1, run_at = ? WHERE subject_id = ?"
        },
        [lease_end.into(), first.clone().into()],
    ))
    .await
    .unwrap();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        if backend == DbBackend::Postgres {
            "UPDATE data_requests SET status = 'PROCESSING' WHERE id = $1"
        } else {
            "UPDATE data_requests SET status = 'PROCESSING' WHERE id = ?"
        },
        [first.into()],
    ))
    .await
    .unwrap();

    // Two workers come up on the database.
    let worker_args = ["--worker-poll", "50ms", "--job-lease", "20s"];
    let one = app.another_instance_with(&worker_args).await;
    let two = app.another_instance_with(&worker_args).await;
    for request in &requests {
        let done = one.finished_request("acme", request).await;
        assert_eq!(done["status"], "COMPLETED", "{done}");
        assert_eq!(done["audit"]["removed"]["customers"], 1);
    }
    let counts = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT (SELECT COUNT(*) FROM erasure_audits), (SELECT COUNT(*) FROM jobs)",
        ))
        .await
        .unwrap()
        .unwrap();
    let (audits, jobs): (i64, i64) = (
        counts.try_get_by_index(0).unwrap(),
        counts.try_get_by_index(1).unwrap(),
    );
    assert_eq!((audits, jobs), (3, 0));
    drop((one, two));
}

/// Many requests and two instances taking jobs at once: each request is
/// carried out once (one audit record, one completion event each).
async fn instances_share_the_queue_without_doing_a_job_twice(backend: Backend) {
    let app = spawn(backend, &["--worker", "false"]).await;
    let receiver = Receiver::start(&[200]).await;
    app.gql(
        "acme",
        "mutation($u: String!) { createWebhookEndpoint(url: $u, events: [\"data_request.completed\"]) { id } }",
        json!({ "u": receiver.url }),
    )
    .await
    .ok();
    let mut requests = Vec::new();
    for i in 0..20 {
        let id = app
            .create_customer("acme", json!({ "email": format!("c{i}@acme.example") }))
            .await;
        requests.push(app.request_data("acme", &id, "ERASURE", "").await);
    }
    let worker_args = ["--worker-poll", "20ms", "--webhook-allow-private", "true"];
    let one = app.another_instance_with(&worker_args).await;
    let two = app.another_instance_with(&worker_args).await;
    for request in &requests {
        assert_eq!(
            one.finished_request("acme", request).await["status"],
            "COMPLETED"
        );
    }
    let got = receiver.wait_for(20, Duration::from_secs(20)).await;
    // Every delivery settled and no job left: nothing more will be sent.
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let count = |sql: &'static str| {
        let db = &db;
        async move {
            let row = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while count("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'PENDING'").await
        + count("SELECT COUNT(*) FROM jobs").await
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never settled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (
            count("SELECT COUNT(*) FROM webhook_deliveries").await,
            count("SELECT COUNT(*) FROM webhook_attempts").await,
        ),
        (20, 20),
        "one delivery, sent once, for each request"
    );
    let mut completed: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.json["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    completed.sort();
    completed.dedup();
    assert_eq!(completed.len(), 20, "{got:#?}");
    assert_eq!(receiver.received().len(), 20, "one completion event each");
    drop((one, two));
}

backend_tests!(
    a_dead_workers_job_is_done_exactly_once,
    instances_share_the_queue_without_doing_a_job_twice,
);

//! The request timeout: a request past it is cut off and changes nothing,
//! and its statement stops (on PostgreSQL by `statement_timeout`, on
//! SQLite at once).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app, spawn_app_with};

async fn a_request_past_its_timeout_is_cut_off_and_changes_nothing(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            crate::helpers::SECRET,
            "--request-timeout",
            "1ms",
        ],
    )
    .await;
    let rows: Vec<Value> = (0..500)
        .map(|i| json!({ "email": format!("slow{i}@example.com") }))
        .collect();
    let started = Instant::now();
    let response = app
        .gql(
            "acme",
            "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created } }",
            json!({ "rows": rows }),
        )
        .await;
    assert_eq!(response.status, 503, "{:#}", response.body);
    assert_eq!(response.code(), "QUERY_TOO_COMPLEX");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The import's transaction was rolled back.
    let patient = app.another_instance().await;
    assert_eq!(patient.count("acme").await, 0);

    // A cut-off request leaves its statement to the database, which stops
    // it a second after the request's timeout (PostgreSQL's
    // `statement_timeout` on the server's connections).
    use sea_orm::ConnectionTrait as _;
    let db = &app.app.db;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let started = Instant::now();
        let err = db
            .execute_unprepared("SELECT pg_sleep(5)")
            .await
            .expect_err("the statement outlived the timeout");
        assert!(err.to_string().contains("statement timeout"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

/// A request cut off at its time limit stops its SQLite statement at once:
/// on a pool of one connection, the next statement runs straight after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_request_stops_its_sqlite_statement_and_frees_its_connection() {
    use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
    let app = spawn_app(Backend::Sqlite).await;
    let db = crm::db::connect(&crm::config::DatabaseArgs {
        database_url: app.db.url.clone(),
        db_pool: Some(1),
    })
    .await
    .unwrap();
    let endless =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let cancel = std::sync::Arc::new(crm::db::Cancel::default());
    let request = crm::db::working_for(
        cancel.clone(),
        db.query_one_raw(Statement::from_string(DbBackend::Sqlite, endless)),
    );
    // As the server does at a request's time limit: the request is dropped
    // and cancelled.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), request)
            .await
            .is_err()
    );
    cancel.cancel();
    let started = Instant::now();
    let next = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 1 AS one"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.try_get::<i32>("", "one").unwrap(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the connection came back after {:?}",
        started.elapsed()
    );
}

/// On PostgreSQL a request's reads run on a pool of their own, whose
/// connections go back without a test; a read cut off mid-reply leaves its
/// connection with the rest of that reply unread. On a pool of one
/// connection, the read after it gets its own answer, and both are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_cut_off_mid_reply_leaves_its_connection_ready_for_the_next() {
    use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let args = crm::config::DatabaseArgs {
        database_url: app.db.url.clone(),
        db_pool: Some(1),
    };
    let db = crm::db::connect(&args).await.unwrap();
    let count = crm::db::StatementCount::default();
    let reads = crm::db::Reads::open(&args, &db, None, &count).unwrap();
    assert!(matches!(reads, crm::db::Reads::Own(_)));
    // A hundred rows, one every 10 ms: cut off after the first few.
    let slow = reads.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT n, pg_sleep(0.01) FROM generate_series(1, 100) n",
    ));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), slow)
            .await
            .is_err()
    );
    let next = reads
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT 42 AS answer UNION ALL SELECT 43",
        ))
        .await
        .unwrap();
    let answers: Vec<i32> = next
        .iter()
        .map(|row| row.try_get::<i32>("", "answer").unwrap())
        .collect();
    assert_eq!(answers, [42, 43]);
    assert_eq!(count.get(), 2);
    assert_eq!(count.writes(), 0);
}

backend_tests!(a_request_past_its_timeout_is_cut_off_and_changes_nothing);

//! One tenant cannot take the server from the others: its expensive
//! requests, however many it sends within its budget, hold a bounded share
//! of the connections and stop at the time limit, while another tenant's
//! reads keep their latency.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, crm_on, spawn_app_alone};

/// A dynamic segment of 50 rules under `ANY`, as expensive as rules get:
/// substrings of text, metadata, a list of 100 tags.
fn heavy_segment(i: usize) -> Value {
    let mut rules = vec![
        json!({ "field": "tags", "operator": "in", "value": (0..100).map(|t| format!("t{i}-{t}")).collect::<Vec<_>>() }),
    ];
    for r in 0..49 {
        rules.push(match r % 4 {
            0 => json!({ "field": "name", "operator": "contains", "value": format!("zz{i}{r}") }),
            1 => json!({ "field": "email", "operator": "contains", "value": format!("q{r}x{i}") }),
            2 => json!({ "field": "metadata.region", "operator": "eq", "value": format!("p{r}") }),
            _ => json!({ "field": "total_spent", "operator": "gt", "value": 1_000_000 + r }),
        });
    }
    json!({ "name": format!("Heavy {i}"), "match": "ANY", "rules": rules })
}

const HEAVY: &str = "{ segments(first: 10) { nodes { memberCount } } }";

/// The connections of the server's pool in use now.
fn busy_connections(app: &TestApp) -> u32 {
    let db = &app.app.db;
    let (size, idle) = if app.app.config.db.is_sqlite() {
        let pool = db.get_sqlite_connection_pool();
        (pool.size(), pool.num_idle())
    } else {
        let pool = db.get_postgres_connection_pool();
        (pool.size(), pool.num_idle())
    };
    size.saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX))
}

async fn a_tenant_at_the_edge_of_its_budget_leaves_the_others_their_latency(backend: Backend) {
    // Alone on the machine: other tests' servers would be noise in B's
    // latency.
    let app = spawn_app_alone(
        backend,
        &[
            "--jwt-secret",
            SECRET,
            "--worker",
            "false",
            "--rfm-refresh",
            "1h",
            "--request-timeout",
            "2s",
            "--rate-bucket",
            "3000",
            "--rate-restore",
            "300",
        ],
    )
    .await;
    crm_on(
        &app,
        &[
            "seed-demo",
            "--tenant",
            "big",
            "--customers",
            "10000",
            "--seed",
            "5",
        ],
    );
    for i in 0..10 {
        app.gql(
            "big",
            "mutation($s: SegmentInput!) { createSegment(input: $s) { id } }",
            json!({ "s": heavy_segment(i) }),
        )
        .await
        .ok();
    }
    let small = app
        .create_customer(
            "small",
            json!({ "email": "ana@small.example", "tags": ["vip"] }),
        )
        .await;

    // Tenant A: six callers sending the expensive query back to back for
    // four seconds; most are refused by its budget or its slots.
    let stop_at = Instant::now() + Duration::from_secs(4);
    let callers: Vec<_> = (0..6)
        .map(|_| {
            let (client, url, token) = (app.client.clone(), app.url.clone(), app.token("big"));
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                while Instant::now() < stop_at {
                    let response = client
                        .post(format!("{url}/graphql"))
                        .bearer_auth(&token)
                        .json(&json!({ "query": HEAVY }))
                        .send()
                        .await
                        .unwrap();
                    statuses.push(response.status().as_u16());
                }
                statuses
            })
        })
        .collect();

    // Tenant B meanwhile: simple reads, twenty a second (well within its
    // own budget).
    let mut latencies = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(50));
    while Instant::now() < stop_at {
        pace.tick().await;
        let started = Instant::now();
        let read = app
            .gql(
                "small",
                "query($id: ID!) { customer(id: $id) { id email tags } customers(first: 10) { nodes { id } } }",
                json!({ "id": small }),
            )
            .await
            .ok();
        latencies.push(started.elapsed());
        assert_eq!(read["customer"]["email"], "ana@small.example");
    }
    let mut statuses = Vec::new();
    for caller in callers {
        statuses.extend(caller.await.unwrap());
    }
    let stopped = Instant::now();
    assert!(statuses.contains(&200), "A's requests ran: {statuses:?}");
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 429 | 503)),
        "{statuses:?}"
    );
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99).div_ceil(100) - 1];
    assert!(
        p99 < Duration::from_millis(200),
        "B's p99 {p99:?} over {} reads",
        latencies.len()
    );

    // Within the time limit after A stopped, nothing of A's runs on.
    loop {
        if busy_connections(&app) == 0 {
            break;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(3),
            "{} connections still busy",
            busy_connections(&app)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

backend_tests!(a_tenant_at_the_edge_of_its_budget_leaves_the_others_their_latency);

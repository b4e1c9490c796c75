//! The per-tenant cost budget: a burst is refused with `Retry-After`, the
//! budget refills at its restore rate, and instances on one PostgreSQL
//! share it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app_with};

/// `customers(first: 49) { edges { node { id } } }`: 2 + 49 × 2 = 100.
const COSTS_100: &str = "{ customers(first: 49) { edges { node { id } } } }";

async fn the_budget_refuses_a_burst_and_recovers_at_the_restore_rate(backend: Backend) {
    let shared = matches!(backend, Backend::Postgres(_));
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            crate::helpers::SECRET,
            "--rate-bucket",
            "1000",
            "--rate-restore",
            "50",
        ],
    )
    .await;
    // Another tenant spends at the same time, on its own budget.
    let other = {
        let client = app.client.clone();
        let url = app.url.clone();
        let token = app.token("globex");
        tokio::spawn(async move {
            let mut refused = 0;
            for _ in 0..9 {
                let response = client
                    .post(format!("{url}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": COSTS_100 }))
                    .send()
                    .await
                    .unwrap();
                refused += u32::from(response.status() == 429);
            }
            refused
        })
    };
    for i in 0..10 {
        let response = app.gql("acme", COSTS_100, json!({})).await;
        assert_eq!(response.status, 200, "request {i}: {:#}", response.body);
        assert_eq!(
            response.body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"],
            1000.0
        );
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .json(&json!({ "query": COSTS_100 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
    assert!(body.get("data").is_none());
    let refused_at = Instant::now();
    let left = body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap();
    assert!(left < 100.0, "{body:#}");
    assert_eq!(other.await.unwrap(), 0, "another tenant is not throttled");

    // After Retry-After, the next request runs; the budget refilled at 50
    // points a second meanwhile (a cost-0 query reads it).
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let free = app.gql("acme", "{ __typename }", json!({})).await;
    let elapsed = refused_at.elapsed().as_secs_f64();
    let now = free.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap();
    let rate = (now - left) / elapsed;
    assert!((45.0..=55.0).contains(&rate), "restored {rate} points/s");
    let again = app.gql("acme", COSTS_100, json!({})).await;
    assert_eq!(again.status, 200, "{:#}", again.body);

    // On PostgreSQL the budget is the tenant's across instances.
    if shared {
        let second = app
            .another_instance_with(&["--rate-bucket", "1000", "--rate-restore", "50"])
            .await;
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(second.gql("acme", COSTS_100, json!({})).await.status);
        }
        assert!(
            statuses.iter().filter(|s| **s == 429).count() >= 3,
            "the second instance draws on the same budget: {statuses:?}"
        );
    }
}

/// Two instances on one PostgreSQL spend one tenant's budget between them:
/// never more than the bucket and its refill, and all but what each holds
/// leased and unspent (under a request's cost) and what the shared bucket
/// keeps under a request's cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_tenant_budget_within_a_request_each() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let budget = ["--rate-bucket", "1000", "--rate-restore", "1"];
    let mut args = vec!["--jwt-secret", crate::helpers::SECRET];
    args.extend(budget);
    let first = spawn_app_with(backend, &args).await;
    let second = first.another_instance_with(&budget).await;
    let started = Instant::now();
    let (mut granted, mut cost, mut refused) = (0.0, 0.0, [false, false]);
    for i in 0..40 {
        let instance = if i % 2 == 0 { &first } else { &second };
        let response = instance.gql("acme", COSTS_100, json!({})).await;
        cost = response.body["extensions"]["cost"]["requestedQueryCost"]
            .as_f64()
            .unwrap();
        match response.status {
            200 => granted += cost,
            429 => refused[i % 2] = true,
            other => panic!("{other}: {:#}", response.body),
        }
        if refused == [true, true] {
            break;
        }
    }
    assert_eq!(refused, [true, true], "both instances refuse in the end");
    let refill = started.elapsed().as_secs_f64();
    assert!(
        granted <= 1000.0 + refill,
        "granted {granted} of 1,000 and {refill:.1} refilled"
    );
    assert!(
        granted > 1000.0 - 3.0 * cost,
        "granted {granted} of 1,000 at {cost} a request"
    );
}

backend_tests!(the_budget_refuses_a_burst_and_recovers_at_the_restore_rate);

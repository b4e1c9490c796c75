//! `crm seed-demo`: realistic customers with their histories, the same
//! for the same seed.

use serde_json::json;

use crate::helpers::{Backend, crm_on, spawn_app};

/// `crm seed-demo --tenant demo` with a size and a seed.
fn seed_demo(app: &crate::helpers::TestApp, customers: &str, seed: &str) {
    crm_on(
        app,
        &[
            "seed-demo",
            "--tenant",
            "demo",
            "--customers",
            customers,
            "--seed",
            seed,
        ],
    );
}

async fn seed_demo_is_realistic_and_deterministic(backend: Backend) {
    let app = spawn_app(backend).await;
    // Three batches, written two at a time on PostgreSQL.
    seed_demo(&app, "2500", "7");
    let query = "{ customerCount customers(first: 100) { nodes { id name email country: address { country } tags metadata orders { totalCount } activity { totalCount } } } }";
    let first = app.gql("demo", query, json!({})).await.ok();
    assert_eq!(first["customerCount"], 2500);
    seed_demo(&app, "2500", "7");
    let again = app.gql("demo", query, json!({})).await.ok();
    assert_eq!(
        again, first,
        "the same seed gives the same customers, once, and their histories once"
    );

    let nodes = first["customers"]["nodes"].as_array().unwrap();
    let countries: std::collections::HashSet<&str> = nodes
        .iter()
        .filter_map(|n| n["country"]["country"].as_str())
        .collect();
    assert!(countries.len() >= 5, "several cultures: {countries:?}");
    assert!(
        nodes
            .iter()
            .all(|n| n["name"].is_string() && n["metadata"]["plan"].is_string())
    );
    assert!(
        nodes
            .iter()
            .any(|n| !n["tags"].as_array().unwrap().is_empty())
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["orders"]["totalCount"].as_i64() > Some(0)
                && n["activity"]["totalCount"].as_i64() > Some(0)),
        "histories came with the customers"
    );
    let accented = app
        .gql(
            "demo",
            r#"{ customerCount(filter: { search: "garcia" }) }"#,
            json!({}),
        )
        .await
        .ok();
    assert!(
        accented["customerCount"].as_i64().unwrap() > 0,
        "accented names are searchable without accents"
    );

    seed_demo(&app, "100", "8");
    assert_eq!(app.count("demo").await, 2600);
}

backend_tests!(seed_demo_is_realistic_and_deterministic);

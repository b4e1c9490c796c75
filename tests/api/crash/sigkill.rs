//! A server killed with SIGKILL while writes are under way keeps every
//! write it acknowledged, and none half-written, ten times in a row on each
//! backend (`CRM_CRASH_ROUNDS` for longer runs: see `bench/crash.sh`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::watch;

use super::workload::{Acknowledged, EVERYTHING, tags_of, write_until_killed};
use crate::helpers::{Backend, TestApp, TestDb, free_port, serve_process, until_healthy};

async fn acknowledged_writes_survive_sigkill_ten_times(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let app = TestApp::client_for(&url, db).await;
    let options = [
        "--worker",
        "false",
        "--max-cost",
        "100000000",
        "--rate-bucket",
        "1e12",
        "--rate-restore",
        "1e12",
    ];
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let mut segment = None;
    let rounds: usize = std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    for round in 0..rounds {
        let mut server = serve_process(
            &app.db,
            port,
            &options,
            &dir.path().join(format!("serve-{round}.log")),
        );
        until_healthy(&app.client, &url).await;
        let segment = match &segment {
            Some(id) => id,
            None => {
                let created = app
                    .gql("acme", "mutation { createSegment(input: { name: \"Called\", type: STATIC }) { id } }", json!({}))
                    .await
                    .ok();
                segment.insert(created["createSegment"]["id"].as_str().unwrap().to_owned())
            }
        };
        let shared = Arc::new((app.client.clone(), url.clone(), app.token("acme")));
        let (progress, mut watched) = watch::channel(acked.lock().unwrap().count);
        let start = *watched.borrow();
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                tokio::spawn(write_until_killed(
                    shared.clone(),
                    round,
                    writer,
                    segment.clone(),
                    acked.clone(),
                    progress.clone(),
                ))
            })
            .collect();
        // Killed once forty more writes were acknowledged, others in flight.
        watched
            .wait_for(|count| *count >= start + 40)
            .await
            .unwrap();
        server.kill().unwrap();
        server.wait().unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
    }

    let mut server = serve_process(&app.db, port, &options, &dir.path().join("serve-last.log"));
    until_healthy(&app.client, &url).await;
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    let mut customers: HashMap<String, Value> = HashMap::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql("acme", EVERYTHING, json!({ "after": after }))
            .await
            .ok();
        for node in page["customers"]["nodes"].as_array().unwrap() {
            customers.insert(node["email"].as_str().unwrap().to_owned(), node.clone());
        }
        if page["customers"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["customers"]["pageInfo"]["endCursor"].clone();
    }
    let members: BTreeSet<String> = customers
        .values()
        .filter(|c| {
            c["segments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == json!(segment))
        })
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();

    // Every acknowledged write is there.
    for (email, id) in &acked.customers {
        let found = &customers
            .get(email)
            .unwrap_or_else(|| panic!("{email} lost"));
        assert_eq!(found["id"], json!(id));
    }
    let orders: BTreeSet<(String, String)> = customers
        .values()
        .flat_map(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            c["orders"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |o| (id.clone(), o["externalId"].as_str().unwrap().to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        acked.orders.is_subset(&orders),
        "an acknowledged order was lost"
    );
    let notes: BTreeSet<String> = customers
        .values()
        .flat_map(|c| {
            c["notes"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        acked.notes.is_subset(&notes),
        "an acknowledged note was lost"
    );
    assert!(
        acked.members.is_subset(&members),
        "an acknowledged member was lost"
    );
    assert!(
        acked.count >= 40 * rounds,
        "{} writes acknowledged",
        acked.count
    );
    eprintln!(
        "{}: {rounds} kills, {} writes acknowledged ({} customers, {} orders, {} notes, {} members), \
         all found among {} customers, {} orders, {} notes, {} members",
        app.db.url.split(':').next().unwrap_or_default(),
        acked.count,
        acked.customers.len(),
        acked.orders.len(),
        acked.notes.len(),
        acked.members.len(),
        customers.len(),
        orders.len(),
        notes.len(),
        members.len()
    );

    // Nothing is half-written: every customer has the tags it was created
    // with, totals that add up its orders, a timeline entry for each order
    // and note.
    for (email, customer) in &customers {
        assert_eq!(customer["tags"], json!(tags_of(email)), "{email}");
        let orders = customer["orders"]["nodes"].as_array().unwrap();
        assert_eq!(customer["totalOrders"], orders.len(), "{email}");
        let cents = orders.len() * 1250;
        assert_eq!(
            customer["totalSpent"],
            format!("{}.{:02}", cents / 100, cents % 100),
            "{email}"
        );
        let timeline = customer["activity"]["nodes"].as_array().unwrap();
        let notes = customer["notes"]["nodes"].as_array().unwrap().len();
        assert_eq!(
            timeline.iter().filter(|a| a["type"] == "ORDER").count(),
            orders.len(),
            "{email}"
        );
        assert_eq!(
            timeline.iter().filter(|a| a["type"] == "NOTE").count(),
            notes,
            "{email}"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

backend_tests!(acknowledged_writes_survive_sigkill_ten_times);

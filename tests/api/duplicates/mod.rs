//! The duplicate finder: `duplicateCustomers` proposes the pairs of a
//! labelled, generated set with a measured precision and recall, keeps
//! them current as customers change, forgets dismissed pairs for good,
//! and keeps each tenant's to itself.

mod labelled;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, crm_on, spawn_app, spawn_app_with};

const PAIRS: &str = "query($first: Int, $after: String, $min: Float) { duplicateCustomers(first: $first, after: $after, minScore: $min) { totalCount pageInfo { hasNextPage endCursor } nodes { customer { id email } other { id email } score reasons } } }";
const DISMISS: &str =
    "mutation($c: ID!, $o: ID!) { dismissDuplicate(customerId: $c, otherId: $o) }";
const UPDATE: &str =
    "mutation($id: ID!, $i: CustomerUpdateInput!) { updateCustomer(id: $id, input: $i) { id } }";

/// Every pair proposed with at least `min`, as they come, paging by 100.
async fn all_pairs(app: &TestApp, tenant: &str, min: f64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app
            .gql(
                tenant,
                PAIRS,
                json!({ "first": 100, "after": after, "min": min }),
            )
            .await
            .ok()["duplicateCustomers"]
            .clone();
        out.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// How many customers the finder has yet to file.
async fn pending(app: &TestApp, tenant: &str) -> i64 {
    app.gql(tenant, "{ duplicateCustomersPending }", json!({}))
        .await
        .ok()["duplicateCustomersPending"]
        .as_i64()
        .unwrap()
}

/// Waits until the finder has filed every customer an import wrote.
pub async fn filed(app: &TestApp, tenant: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = pending(app, tenant).await;
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} customers still to file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn import(app: &TestApp, tenant: &str, rows: &[Value]) {
    let imported = app
        .gql(
            tenant,
            "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { created failed { index message } } }",
            json!({ "c": rows }),
        )
        .await
        .ok();
    assert_eq!(
        imported["importCustomers"]["failed"],
        json!([]),
        "{imported}"
    );
}

/// The pairs as sets of the two customers' emails.
fn by_email(pairs: &[Value]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|p| {
            let (a, b) = (
                p["customer"]["email"].as_str().unwrap().to_owned(),
                p["other"]["email"].as_str().unwrap().to_owned(),
            );
            if a < b { (a, b) } else { (b, a) }
        })
        .collect()
}

async fn a_labelled_set_is_found_with_high_precision_and_recall(backend: Backend) {
    let app = spawn_app(backend).await;
    let set = labelled::generate(7);
    assert!(set.rows.len() >= 1_000, "{}", set.rows.len());
    for chunk in set.rows.chunks(1_000) {
        import(&app, "acme", chunk).await;
    }
    filed(&app, "acme").await;
    let pairs = all_pairs(&app, "acme", labelled::THRESHOLD).await;
    // Best first.
    let scores: Vec<f64> = pairs.iter().map(|p| p["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let found = by_email(&pairs);
    let truth = set.truth();
    let hits = found.intersection(&truth).count() as f64;
    let precision = hits / found.len() as f64;
    let recall = hits / truth.len() as f64;
    eprintln!(
        "duplicates: {} customers, {} true pairs, {} proposed at {}: precision {precision:.3}, recall {recall:.3}",
        set.rows.len(),
        truth.len(),
        found.len(),
        labelled::THRESHOLD
    );
    assert!(
        precision >= 0.9,
        "precision {precision}: {:?}",
        found.difference(&truth).take(10).collect::<Vec<_>>()
    );
    assert!(
        recall >= 0.85,
        "recall {recall}: {:?}",
        truth.difference(&found).take(10).collect::<Vec<_>>()
    );

    // Found again from scratch, the same pairs.
    crm_on(&app, &["find-duplicates", "--tenant", "acme"]);
    let rebuilt = by_email(&all_pairs(&app, "acme", labelled::THRESHOLD).await);
    assert_eq!(rebuilt, found);
}

async fn pairs_follow_changes_and_dismissed_pairs_stay_away(backend: Backend) {
    let app = spawn_app(backend).await;
    let jonathan = app
        .create_customer(
            "acme",
            json!({ "firstName": "Jonathan", "lastName": "Smith", "email": "jsmith@initech.example" }),
        )
        .await;
    let jon = app
        .create_customer(
            "acme",
            json!({ "firstName": "Jon", "lastName": "Smith", "email": "jon@initech.example" }),
        )
        .await;
    // A colleague shares the domain and no name: not proposed.
    app.create_customer(
        "acme",
        json!({ "firstName": "Maria", "lastName": "Garcia", "email": "maria@initech.example" }),
    )
    .await;
    let pairs = all_pairs(&app, "acme", 0.0).await;
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    let ids: BTreeSet<&str> = [&pairs[0]["customer"]["id"], &pairs[0]["other"]["id"]]
        .into_iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([jonathan.as_str(), jon.as_str()]));
    assert_eq!(
        pairs[0]["reasons"],
        json!(["SIMILAR_NAME", "SAME_EMAIL_DOMAIN"])
    );
    let score = pairs[0]["score"].as_f64().unwrap();
    assert!((0.7..0.9).contains(&score), "{score}");

    // Kept current: apart when the name changes, together again after.
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": jon, "i": { "lastName": "Jones" } }),
    )
    .await
    .ok();
    assert!(all_pairs(&app, "acme", 0.0).await.is_empty());
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": jon, "i": { "lastName": "Smith" } }),
    )
    .await
    .ok();
    assert_eq!(all_pairs(&app, "acme", 0.0).await.len(), 1);
    // A higher bar leaves it out.
    assert!(all_pairs(&app, "acme", 0.9).await.is_empty());

    // Another tenant sees none of it and cannot dismiss it.
    assert!(all_pairs(&app, "globex", 0.0).await.is_empty());
    let foreign = app
        .gql("globex", DISMISS, json!({ "c": jonathan, "o": jon }))
        .await;
    assert_eq!(foreign.code(), "NOT_FOUND");
    assert_eq!(all_pairs(&app, "acme", 0.0).await.len(), 1);

    // Bad input changes nothing.
    let same = app
        .gql("acme", DISMISS, json!({ "c": jon, "o": jon }))
        .await;
    assert_eq!(same.code(), "BAD_USER_INPUT");
    let bad = app.gql("acme", PAIRS, json!({ "min": 2.0 })).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");

    // Dismissed: gone, and not proposed again whatever changes, nor by a
    // search from scratch.
    let dismissed = app
        .gql("acme", DISMISS, json!({ "c": jon, "o": jonathan }))
        .await
        .ok();
    assert_eq!(dismissed["dismissDuplicate"], true);
    assert!(all_pairs(&app, "acme", 0.0).await.is_empty());
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": jon, "i": { "firstName": "Johnny" } }),
    )
    .await
    .ok();
    crm_on(&app, &["find-duplicates", "--tenant", "acme"]);
    assert!(all_pairs(&app, "acme", 0.0).await.is_empty());

    // A deleted customer's pairs go with it.
    let twin = app
        .create_customer(
            "acme",
            json!({ "firstName": "Maria", "lastName": "Garcia", "email": "m.garcia@initech.example" }),
        )
        .await;
    assert_eq!(all_pairs(&app, "acme", 0.0).await.len(), 1);
    app.delete_customer("acme", &twin).await;
    assert!(all_pairs(&app, "acme", 0.0).await.is_empty());
}

async fn an_import_is_filed_in_the_background(backend: Backend) {
    // No worker here: the import's customers wait to be filed.
    let app = spawn_app_with(backend, &["--jwt-secret", SECRET, "--worker", "false"]).await;
    import(
        &app,
        "acme",
        &[
            json!({ "firstName": "Jonathan", "lastName": "Smith", "email": "jsmith@initech.example" }),
            json!({ "firstName": "Jon", "lastName": "Smith", "email": "jon@initech.example" }),
            json!({ "firstName": "Maria", "lastName": "Garcia", "email": "maria@initech.example" }),
        ],
    )
    .await;
    assert_eq!(pending(&app, "acme").await, 3);
    assert_eq!(pending(&app, "globex").await, 0);
    assert!(all_pairs(&app, "acme", 0.0).await.is_empty());

    // A search from scratch files them all.
    crm_on(&app, &["find-duplicates", "--tenant", "acme"]);
    assert_eq!(pending(&app, "acme").await, 0);
    assert_eq!(all_pairs(&app, "acme", 0.0).await.len(), 1);

    // So does a worker, of any instance, and the new pair joins the old.
    import(
        &app,
        "acme",
        &[json!({ "firstName": "Maria", "lastName": "Garcia", "email": "m.garcia@initech.example" })],
    )
    .await;
    assert_eq!(pending(&app, "acme").await, 1);
    let worker = app.another_instance().await;
    filed(&worker, "acme").await;
    let pairs = by_email(&all_pairs(&app, "acme", 0.0).await);
    assert_eq!(
        pairs,
        BTreeSet::from([
            (
                "jon@initech.example".to_owned(),
                "jsmith@initech.example".to_owned()
            ),
            (
                "m.garcia@initech.example".to_owned(),
                "maria@initech.example".to_owned()
            ),
        ])
    );
    assert!(all_pairs(&app, "globex", 0.0).await.is_empty());
}

backend_tests!(
    a_labelled_set_is_found_with_high_precision_and_recall,
    an_import_is_filed_in_the_background,
    pairs_follow_changes_and_dismissed_pairs_stay_away,
);

//! Customers entering and leaving dynamic segments: told on
//! `segmentMembershipChanged` and as `segment.entered` / `segment.exited`
//! webhooks once the change (to the customer or its orders) is rechecked;
//! the members a segment had when it was defined are not told; another
//! tenant hears nothing.

use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::{Value, json};

use crate::helpers::receiver::Receiver;
use crate::helpers::ws::Ws;
use crate::helpers::{Backend, SECRET, TestApp, record_order, spawn_app_with};

async fn segment(app: &TestApp, name: &str, query: &str) -> String {
    app.gql(
        "acme",
        "mutation($i: SegmentInput!) { createSegment(input: $i) { id } }",
        json!({ "i": { "name": name, "query": query } }),
    )
    .await
    .ok()["createSegment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The next `n` changes a socket hears, as `(type, segment, customer)`.
async fn heard(ws: &mut Ws, n: usize) -> BTreeSet<(String, String, String)> {
    let mut all = BTreeSet::new();
    while all.len() < n {
        let message = ws
            .within(Duration::from_secs(30))
            .await
            .expect("a membership change");
        let change = &message["payload"]["data"]["segmentMembershipChanged"];
        all.insert((
            change["type"].as_str().unwrap().to_owned(),
            change["segmentId"].as_str().unwrap().to_owned(),
            change["customerId"].as_str().unwrap().to_owned(),
        ));
    }
    all
}

async fn entering_and_leaving_are_told(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            SECRET,
            "--worker-poll",
            "10ms",
            "--webhook-allow-private",
            "true",
        ],
    )
    .await;
    let receiver = Receiver::start(&[200, 200, 200, 200]).await;
    app.gql(
        "acme",
        "mutation($u: String!, $e: [String!]!) { createWebhookEndpoint(url: $u, events: $e) { id } }",
        json!({ "u": receiver.url, "e": ["segment.entered", "segment.exited"] }),
    )
    .await
    .ok();
    // A member before the segment exists: in its baseline, never told.
    let old = app
        .create_customer(
            "acme",
            json!({ "email": "old@acme.example", "tags": ["vip"] }),
        )
        .await;
    // With no dynamic segment yet, a change leaves nothing to recheck.
    let conn = app.db.connect().await;
    let marked = entity::segment_recheck::Entity::find()
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(marked, 0, "no dynamic segment, no recheck marks");
    let vip = segment(&app, "VIP", "tag:vip").await;
    let big = segment(&app, "Big spenders", "total_spent:>100").await;

    let mut all = Ws::ready(&app, &app.token("acme")).await;
    all.subscribe(
        "a",
        "subscription { segmentMembershipChanged { type segmentId customerId } }",
        json!({}),
    )
    .await;
    let mut only_big = Ws::ready(&app, &app.token("acme")).await;
    only_big
        .subscribe(
            "b",
            "subscription($s: ID) { segmentMembershipChanged(segmentId: $s) { type segmentId customerId } }",
            json!({ "s": big }),
        )
        .await;
    let mut other = Ws::ready(&app, &app.token("other")).await;
    other
        .subscribe(
            "c",
            "subscription { segmentMembershipChanged { type segmentId customerId } }",
            json!({}),
        )
        .await;
    app.until_listening(3).await;

    let bo = app
        .create_customer(
            "acme",
            json!({ "email": "bo@acme.example", "tags": ["vip"] }),
        )
        .await;
    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { tags: [] }) { id } }",
        json!({ "id": old }),
    )
    .await
    .ok();
    record_order(
        &app,
        "acme",
        &bo,
        json!({ "externalId": "o-1", "amount": "150.00", "currency": "EUR" }),
    )
    .await;
    // The other tenant's look-alike moves nothing of acme's.
    app.create_customer(
        "other",
        json!({ "email": "bo@other.example", "tags": ["vip"] }),
    )
    .await;

    let told = |kind: &str, segment: &str, customer: &str| {
        (kind.to_owned(), segment.to_owned(), customer.to_owned())
    };
    assert_eq!(
        heard(&mut all, 3).await,
        BTreeSet::from([
            told("ENTERED", &vip, &bo),
            told("EXITED", &vip, &old),
            told("ENTERED", &big, &bo),
        ])
    );
    assert_eq!(
        heard(&mut only_big, 1).await,
        BTreeSet::from([told("ENTERED", &big, &bo)])
    );
    assert!(all.quiet().await && only_big.quiet().await && other.quiet().await);

    let got = receiver.wait_for(3, Duration::from_secs(30)).await;
    let hooks: BTreeSet<(String, String, String)> = got
        .iter()
        .map(|r| {
            let data: &Value = &r.json["data"];
            (
                r.json["event"].as_str().unwrap().to_owned(),
                data["segmentId"].as_str().unwrap().to_owned(),
                data["customerId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        hooks,
        BTreeSet::from([
            told("segment.entered", &vip, &bo),
            told("segment.exited", &vip, &old),
            told("segment.entered", &big, &bo),
        ])
    );
}

/// More marked customers than one recheck takes (500), in three waves,
/// the last below the keys already rechecked: every one is rechecked.
async fn many_changes_are_all_rechecked(backend: Backend) {
    let app = spawn_app_with(backend, &["--jwt-secret", SECRET, "--worker-poll", "10ms"]).await;
    segment(&app, "Wave", "tag:wave").await;
    let conn = app.db.connect().await;
    let settled = |members: u64| {
        let conn = &conn;
        async move {
            let since = std::time::Instant::now();
            loop {
                let now = entity::segment_membership::Entity::find()
                    .count(conn)
                    .await
                    .unwrap();
                let marks = entity::segment_recheck::Entity::find()
                    .count(conn)
                    .await
                    .unwrap();
                if now == members && marks == 0 {
                    return;
                }
                assert!(
                    since.elapsed() < Duration::from_secs(60),
                    "{now} of {members} members, {marks} marks left"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    for (wave, n, members) in [("a", 900, 900), ("b", 700, 1_600)] {
        let rows: Vec<Value> = (0..n)
            .map(|i| json!({ "email": format!("{wave}{i}@acme.example"), "tags": ["wave"] }))
            .collect();
        app.import_customers("acme", rows).await;
        settled(members).await;
    }
    // The first customers leave: their keys are the lowest.
    let first = app
        .gql(
            "acme",
            "{ customers(first: 100, sort: { field: CREATED_AT, direction: ASC }) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok();
    let ids: Vec<Value> = first["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    app.gql(
        "acme",
        "mutation($ids: [ID!]!) { tagCustomers(ids: $ids, remove: [\"wave\"]) { id } }",
        json!({ "ids": ids }),
    )
    .await
    .ok();
    settled(1_500).await;
}

backend_tests!(
    entering_and_leaving_are_told,
    many_changes_are_all_rechecked
);

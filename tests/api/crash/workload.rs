//! The writes both crash tests make: writers that create customers with
//! tags, orders, notes and segment members until the server goes away,
//! keeping what was acknowledged; and the query that reads it all back.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::watch;

/// Requests acknowledged with their data: what must survive.
#[derive(Default)]
pub(super) struct Acknowledged {
    /// Customer id by email.
    pub(super) customers: HashMap<String, String>,
    /// (customer id, external id) of each recorded order.
    pub(super) orders: BTreeSet<(String, String)>,
    /// Note ids.
    pub(super) notes: BTreeSet<String>,
    /// Customers added to the segment.
    pub(super) members: BTreeSet<String>,
    /// How many requests were acknowledged.
    pub(super) count: usize,
}

/// The tags a customer is created with, read back from its email.
pub(super) fn tags_of(email: &str) -> Vec<String> {
    let parts: Vec<&str> = email.split(['-', '@']).collect();
    let mut tags = vec![
        format!("round-{}", parts[1]),
        format!("writer-{}", parts[2]),
    ];
    tags.sort();
    tags
}

/// POSTs one operation; its data when the server acknowledged it.
async fn acknowledged(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Option<Value> {
    let response = client
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .ok()?;
    let body: Value = response.json().await.ok()?;
    match body.get("errors") {
        None => Some(body["data"].clone()),
        Some(_) => None,
    }
}

/// One writer: customers with tags, each with an order, a note and a place
/// in the segment, until the server goes away.
pub(super) async fn write_until_killed(
    app: Arc<(reqwest::Client, String, String)>,
    round: usize,
    writer: usize,
    segment: String,
    acked: Arc<Mutex<Acknowledged>>,
    progress: watch::Sender<usize>,
) {
    let (client, url, token) = (&app.0, app.1.as_str(), app.2.as_str());
    let ack = |f: &dyn Fn(&mut Acknowledged)| {
        let mut acked = acked.lock().unwrap();
        f(&mut acked);
        acked.count += 1;
        progress.send_replace(acked.count);
    };
    for i in 0.. {
        let email = format!("c-{round}-{writer}-{i}@crash.example");
        let Some(created) = acknowledged(
            client,
            url,
            token,
            "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }",
            json!({ "i": { "email": email, "tags": tags_of(&email) } }),
        )
        .await
        else {
            return;
        };
        let id = created["createCustomer"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ack(&|a| {
            a.customers.insert(email.clone(), id.clone());
        });
        let external = format!("o-{round}-{writer}-{i}");
        let order =
            "mutation($c: ID!, $i: OrderInput!) { recordOrder(customerId: $c, input: $i) { id } }";
        if acknowledged(client, url, token, order, json!({ "c": id, "i": { "externalId": external, "amount": "12.50", "currency": "EUR" } })).await.is_none() {
            return;
        }
        ack(&|a| {
            a.orders.insert((id.clone(), external.clone()));
        });
        let Some(note) = acknowledged(
            client,
            url,
            token,
            "mutation($c: ID!) { addNote(customerId: $c, body: \"called\") { id } }",
            json!({ "c": id }),
        )
        .await
        else {
            return;
        };
        let note = note["addNote"]["id"].as_str().unwrap().to_owned();
        ack(&|a| {
            a.notes.insert(note.clone());
        });
        let member =
            "mutation($s: ID!, $c: [ID!]!) { addSegmentMembers(id: $s, customerIds: $c) { id } }";
        if acknowledged(
            client,
            url,
            token,
            member,
            json!({ "s": segment, "c": [id] }),
        )
        .await
        .is_none()
        {
            return;
        }
        ack(&|a| {
            a.members.insert(id.clone());
        });
    }
}

/// Every customer with all that hangs off them, a page at a time.
pub(super) const EVERYTHING: &str = "query($after: String) { customers(first: 100, after: $after) {
    nodes { id email tags totalOrders totalSpent segments { id }
      orders(first: 100) { nodes { externalId amount status } }
      notes(first: 100) { nodes { id } }
      activity(first: 100, types: [ORDER, NOTE]) { nodes { type } } }
    pageInfo { hasNextPage endCursor } } }";

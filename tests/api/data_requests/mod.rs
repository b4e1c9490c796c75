//! API.md §9: erasure and export requests, carried out by the background
//! worker from the durable job queue.
//!
//! Beside the tests: a server for them, and a customer marked in every
//! field, for finding what is left of them.

mod access;
mod erasure;
mod export;
mod queue;

use serde_json::json;

use crate::helpers::{Backend, SECRET, TestApp, record_order, spawn_app_with};

/// A server whose webhooks may go to local receivers and whose worker
/// looks for work often.
async fn spawn(backend: Backend, extra: &[&str]) -> TestApp {
    let mut args = vec![
        "--jwt-secret",
        SECRET,
        "--webhook-allow-private",
        "true",
        "--webhook-retry-base",
        "100ms",
        "--worker-poll",
        "50ms",
    ];
    args.extend_from_slice(extra);
    spawn_app_with(backend, &args).await
}

/// A customer with a unique marker in every field that can hold one, and
/// in everything that hangs off them.
struct Marked {
    id: String,
    token: String,
    phone: String,
}

async fn marked_customer(app: &TestApp, tenant: &str) -> Marked {
    let token = format!("mk{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
    let phone = format!("+1415555{:04}", rand_digits());
    let id = app
        .create_customer(
            tenant,
            json!({
                "firstName": "Zoe",
                "lastName": format!("{token}ln"),
                "email": format!("{token}@example.org"),
                "phone": phone,
                "companyName": format!("{token} ltd"),
                "tags": [format!("{token}tag")],
                "address": { "line1": format!("1 {token} street"), "city": format!("{token}ville"), "postalCode": "94107", "country": "US" },
                "metadata": { "nickname": format!("{token}meta") },
            }),
        )
        .await;
    app.gql(
        tenant,
        "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
        json!({ "c": id, "b": format!("called {token} about a refund") }),
    )
    .await
    .ok();
    app.gql(
        tenant,
        "mutation($c: ID!, $i: ActivityInput!) { recordActivity(customerId: $c, input: $i) { id } }",
        json!({ "c": id, "i": { "type": "SUPPORT", "title": format!("{token} title"), "data": { "said": format!("{token}data") } } }),
    )
    .await
    .ok();
    record_order(
        app,
        tenant,
        &id,
        json!({ "externalId": format!("#{}", rand_digits()), "amount": "120.50", "currency": "EUR" }),
    )
    .await;
    Marked { id, token, phone }
}

fn rand_digits() -> u32 {
    uuid::Uuid::now_v7().as_u128() as u32 % 10_000
}

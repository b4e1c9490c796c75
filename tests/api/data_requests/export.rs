//! An export holds everything the API shows of the customer and nothing of
//! anyone else; it is fetched with the tenant's token or a signed link,
//! which cannot be tampered with and expires.

use std::time::Duration;

use serde_json::{Value, json};

use super::{marked_customer, spawn};
use crate::helpers::{Backend, segments};

async fn export_holds_everything_about_the_customer_and_nothing_else(backend: Backend) {
    let app = spawn(backend, &["--export-link-ttl", "3s"]).await;
    let zoe = marked_customer(&app, "acme").await;
    for i in 0..3 {
        app.gql(
            "acme",
            "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
            json!({ "c": zoe.id, "b": format!("note {i}") }),
        )
        .await
        .ok();
    }
    let bob = marked_customer(&app, "acme").await;
    let stranger = marked_customer(&app, "globex").await;
    segments::create(
        &app,
        "acme",
        json!({ "name": "Everyone", "type": "DYNAMIC", "rules": [{ "field": "status", "operator": "eq", "value": "ACTIVE" }] }),
    )
    .await;
    let export = app.request_data("acme", &zoe.id, "EXPORT", "").await;
    let done = app.finished_request("acme", &export).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let link = done["downloadUrl"].as_str().unwrap().to_owned();
    assert!(link.starts_with(&format!("/exports/{export}?")), "{link}");

    // With the bearer token of the tenant…
    let by_token = app
        .client
        .get(format!("{}/exports/{export}", app.url))
        .bearer_auth(app.token("acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 200);
    let archive: Value = by_token.json().await.unwrap();
    // …and with the signed link alone.
    let by_link = app
        .client
        .get(format!("{}{link}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(by_link.status(), 200);
    assert_eq!(by_link.json::<Value>().await.unwrap(), archive);

    // Field for field what the API returns.
    let api = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { id name firstName lastName email phone companyName avatarUrl status source tags address { line1 line2 city state postalCode country } metadata createdAt updatedAt totalOrders totalSpent lastOrderAt metrics { rfm { recencyScore frequencyScore monetaryScore segment } lifetimeValue averageOrderValue totalOrders totalSpent purchaseFrequencyDays churnRisk firstOrderAt lastOrderAt } segments { id name } notes(first: 100) { nodes { id body author createdAt updatedAt } } orders(first: 100) { nodes { id externalId amount currency status placedAt } } activity(first: 100) { nodes { id type title data occurredAt } } } }",
            json!({ "id": zoe.id }),
        )
        .await
        .ok()["customer"]
        .clone();
    let exported = &archive["customer"];
    for (field, value) in api.as_object().unwrap() {
        match field.as_str() {
            "notes" | "orders" | "activity" => {
                assert_eq!(&archive[field], &value["nodes"], "{field}");
            }
            "metrics" => {
                for (name, metric) in value.as_object().unwrap() {
                    let archived = &exported["metrics"][name];
                    if name == "churnRisk" {
                        // Grows with every second since the last order.
                        let (a, b) = (archived.as_f64().unwrap(), metric.as_f64().unwrap());
                        assert!((a - b).abs() < 1e-6, "churnRisk {a} vs {b}");
                    } else {
                        assert_eq!(archived, metric, "metrics.{name}");
                    }
                }
            }
            "segments" => {
                let names: Vec<&Value> = exported["segments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| &s["name"])
                    .collect();
                assert_eq!(names, vec![&json!("Everyone")]);
            }
            _ => assert_eq!(&exported[field], value, "{field}"),
        }
    }
    assert_eq!(archive["notes"].as_array().unwrap().len(), 4);
    assert_eq!(archive["orders"].as_array().unwrap().len(), 1);
    // Nothing of anyone else.
    let text = archive.to_string();
    assert!(text.contains(&zoe.token));
    for other in [&bob.token, &bob.id, &stranger.token, &stranger.id] {
        assert!(!text.contains(other.as_str()), "the archive holds {other}");
    }

    // Another tenant's token finds nothing; so does an unknown id.
    for (url, token) in [
        (format!("{}/exports/{export}", app.url), app.token("globex")),
        (
            format!("{}/exports/drr_{}", app.url, uuid::Uuid::now_v7().simple()),
            app.token("acme"),
        ),
    ] {
        let response = app.client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }
    // No token: 401; a token without the scope: 403.
    let anonymous = app
        .client
        .get(format!("{}/exports/{export}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let unscoped = app
        .client
        .get(format!("{}/exports/{export}", app.url))
        .bearer_auth(app.token_with("acme", "read:customers"))
        .send()
        .await
        .unwrap();
    assert_eq!(unscoped.status(), 403);
    // A tampered link, one moved to another tenant or request: 403.
    let tampered = [
        link.replace("sig=", "sig=00"),
        link.replace("tenant=acme", "tenant=globex"),
        link.replace("expires=", "expires=9"),
    ];
    for bad in tampered {
        let response = app
            .client
            .get(format!("{}{bad}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{bad}");
    }
    // The link expires (3 s here).
    tokio::time::sleep(Duration::from_millis(4_100)).await;
    let expired = app
        .client
        .get(format!("{}{link}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 403);
}

backend_tests!(export_holds_everything_about_the_customer_and_nothing_else);

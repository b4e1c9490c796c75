//! API.md §4: keyset pagination under every sort, forward and backward,
//! never skipping or repeating a row, even while rows are inserted.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_unlimited};

const FIELDS: [&str; 9] = [
    "CREATED_AT",
    "UPDATED_AT",
    "NAME",
    "EMAIL",
    "LAST_ORDER_AT",
    "TOTAL_SPENT",
    "TOTAL_ORDERS",
    "FIRST_ORDER_AT",
    "AVERAGE_ORDER_VALUE",
];
const PAGE: &str =
    "query($first: Int, $after: String, $last: Int, $before: String, $sort: CustomerSort) {
  customers(first: $first, after: $after, last: $last, before: $before, sort: $sort) {
    edges { cursor node { id name email createdAt updatedAt lastOrderAt totalSpent totalOrders metrics { firstOrderAt } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

/// 250 customers: some with only a name, some with only an email, and
/// duplicate names, so NULLs and ties are exercised.
async fn seed(app: &TestApp, n: usize) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let mutations: Vec<String> = chunk
            .iter()
            .map(|i| {
                let input = match i % 3 {
                    0 => format!(
                        r#"{{ name: "Name {:03}", email: "c{i}@example.com" }}"#,
                        i % 40
                    ),
                    1 => format!(r#"{{ email: "only{i}@example.com" }}"#),
                    _ => format!(r#"{{ name: "name {:03}" }}"#, i % 40),
                };
                format!("c{i}: createCustomer(input: {input}) {{ created }}")
            })
            .collect();
        app.gql(
            "acme",
            &format!("mutation {{ {} }}", mutations.join("\n")),
            json!({}),
        )
        .await
        .ok();
    }
}

/// Gives three of four customers order totals and a last order date
/// (written directly until orders can be recorded through the API), with
/// ties, so every sort has NULLs, equal keys and distinct keys.
async fn seed_order_totals(app: &TestApp) {
    use entity::customer::{Column, Entity};
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let db = app.db.connect().await;
    let base = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut ids: Vec<String> = all_ids(app).await.into_iter().collect();
    ids.sort();
    let with_orders = ids.len() - ids.len().div_ceil(4);
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 4 != 0) {
        Entity::update_many()
            .col_expr(
                Column::LastOrderAt,
                Expr::val(base + chrono::Duration::days((i % 37) as i64)),
            )
            .col_expr(
                Column::TotalSpentCents,
                Expr::val(((i % 23) * 1000 + i % 3) as i64),
            )
            .col_expr(Column::TotalOrders, Expr::val((i % 7) as i64))
            .col_expr(
                Column::FirstOrderAt,
                Expr::val(base - chrono::Duration::days((i % 11) as i64)),
            )
            .filter(Column::Id.eq(id.trim_start_matches("cus_")))
            .exec(&db)
            .await
            .unwrap();
    }
    db.close().await.unwrap();
    let count = app
        .gql(
            "acme",
            r#"{ customerCount(filter: { lastOrderAfter: "2000-01-01T00:00:00Z" }) }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(count["customerCount"], with_orders);
}

/// The node's value of a sort field, comparable as text; NULL sorts first.
fn key(node: &Value, field: &str) -> (bool, String) {
    if field == "AVERAGE_ORDER_VALUE" {
        // Whole cents, rounded half up, as `averageOrderValue` shows it.
        let orders = node["totalOrders"].as_i64().unwrap();
        let spent = node["totalSpent"].as_str().unwrap().replace('.', "");
        let spent: i64 = spent.parse().unwrap();
        return match orders {
            0 => (false, String::new()),
            n => (true, format!("{:0>20}", (2 * spent + n) / (2 * n))),
        };
    }
    let value = match field {
        "FIRST_ORDER_AT" => &node["metrics"]["firstOrderAt"],
        "CREATED_AT" => &node["createdAt"],
        "UPDATED_AT" => &node["updatedAt"],
        "NAME" => &node["name"],
        "EMAIL" => &node["email"],
        "LAST_ORDER_AT" => &node["lastOrderAt"],
        "TOTAL_SPENT" => &node["totalSpent"],
        _ => &node["totalOrders"],
    };
    match value {
        Value::Null => (false, String::new()),
        Value::String(s) if field == "NAME" => (true, s.to_lowercase()),
        Value::String(s) if field == "TOTAL_SPENT" => (true, format!("{s:0>20}")),
        Value::String(s) => (true, s.clone()),
        other => (true, format!("{:0>20}", other)),
    }
}

async fn page(app: &TestApp, vars: Value) -> (Vec<Value>, Value) {
    let data = app.gql("acme", PAGE, vars).await.ok();
    let edges = data["customers"]["edges"].as_array().unwrap().clone();
    (edges, data["customers"]["pageInfo"].clone())
}

async fn every_sort_pages_forward_and_backward_without_gaps(backend: Backend) {
    let app = spawn_app_unlimited(backend).await;
    seed(&app, 250).await;
    seed_order_totals(&app).await;
    for field in FIELDS {
        for direction in ["ASC", "DESC"] {
            let sort = json!({ "field": field, "direction": direction });
            let mut forward: Vec<Value> = Vec::new();
            let mut after = Value::Null;
            loop {
                let (edges, info) =
                    page(&app, json!({ "first": 25, "after": after, "sort": sort })).await;
                assert!(edges.len() <= 25);
                forward.extend(edges.iter().map(|e| e["node"].clone()));
                if info["hasNextPage"] == false {
                    break;
                }
                after = info["endCursor"].clone();
            }
            let ids: Vec<&str> = forward.iter().map(|n| n["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), 250, "{field} {direction}");
            assert_eq!(
                ids.iter().collect::<HashSet<_>>().len(),
                250,
                "{field} {direction}: a row repeated"
            );

            let mut expected = forward.clone();
            expected.sort_by(|a, b| {
                let ordering = key(a, field)
                    .cmp(&key(b, field))
                    .then_with(|| a["id"].as_str().cmp(&b["id"].as_str()));
                if direction == "ASC" {
                    ordering
                } else {
                    ordering.reverse()
                }
            });
            assert_eq!(forward, expected, "{field} {direction}: out of order");

            let mut backward: Vec<Value> = Vec::new();
            let mut before = Value::Null;
            loop {
                let (edges, info) =
                    page(&app, json!({ "last": 25, "before": before, "sort": sort })).await;
                let mut nodes: Vec<Value> = edges.iter().map(|e| e["node"].clone()).collect();
                nodes.extend(backward);
                backward = nodes;
                if info["hasPreviousPage"] == false {
                    break;
                }
                before = info["startCursor"].clone();
            }
            assert_eq!(
                backward, forward,
                "{field} {direction}: backward differs from forward"
            );
        }
    }
}

async fn paging_survives_inserts_and_deletes_between_pages(backend: Backend) {
    let app = spawn_app_unlimited(backend).await;
    seed(&app, 250).await;
    seed_order_totals(&app).await;
    for (field, direction) in [("NAME", "ASC"), ("NAME", "DESC"), ("LAST_ORDER_AT", "DESC")] {
        let sort = json!({ "field": field, "direction": direction });
        let mut expected: HashSet<String> = all_ids(&app).await;
        let mut seen: Vec<String> = Vec::new();
        let mut after = Value::Null;
        let mut inserted = 0;
        loop {
            let (edges, info) =
                page(&app, json!({ "first": 25, "after": after, "sort": sort })).await;
            seen.extend(
                edges
                    .iter()
                    .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
            );
            for name in ["Aaron Early", "Zed Late", "Name 020"] {
                inserted += 1;
                let email = format!("new{field}{direction}{inserted}@example.com");
                app.create_customer("acme", json!({ "name": name, "email": email }))
                    .await;
            }
            // Delete the cursor's own row and a row not reached yet.
            let unseen = expected.iter().find(|id| !seen.contains(id)).cloned();
            for id in seen.last().cloned().into_iter().chain(unseen) {
                app.delete_customer("acme", &id).await;
                expected.remove(&id);
            }
            if info["hasNextPage"] == false {
                break;
            }
            after = info["endCursor"].clone();
        }
        let unique: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{field} {direction}: a row repeated"
        );
        let skipped: Vec<&String> = expected.difference(&unique).collect();
        assert!(
            skipped.is_empty(),
            "{field} {direction}: rows skipped: {skipped:?}"
        );
    }
}

async fn all_ids(app: &TestApp) -> HashSet<String> {
    let mut ids = HashSet::new();
    let mut after = Value::Null;
    loop {
        let (edges, info) = page(app, json!({ "first": 100, "after": after })).await;
        ids.extend(
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()),
        );
        if info["hasNextPage"] == false {
            return ids;
        }
        after = info["endCursor"].clone();
    }
}

async fn page_arguments_are_checked(backend: Backend) {
    let app = spawn_app_unlimited(backend).await;
    seed(&app, 30).await;
    let (edges, info) = page(&app, json!({})).await;
    assert_eq!(edges.len(), 25, "the default page is 25");
    assert_eq!(info["hasNextPage"], true);

    let name_cursor = page(&app, json!({ "first": 1, "sort": { "field": "NAME" } }))
        .await
        .1["endCursor"]
        .clone();
    let cases = [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "last": 101 }), "last"),
        (json!({ "first": 10, "last": 10 }), "last"),
        (json!({ "last": 10, "after": name_cursor }), "after"),
        (json!({ "first": 10, "before": name_cursor }), "first"),
        (json!({ "after": "not-a-cursor" }), "after"),
        (json!({ "last": 5, "before": "bm9wZQ" }), "before"),
        (json!({ "after": name_cursor }), "after"),
    ];
    for (vars, field) in cases {
        let response = app.gql("acme", PAGE, vars.clone()).await;
        assert_eq!(
            (response.code(), response.field()),
            ("BAD_USER_INPUT", field),
            "{vars}"
        );
    }
}

backend_tests!(
    every_sort_pages_forward_and_backward_without_gaps,
    paging_survives_inserts_and_deletes_between_pages,
    page_arguments_are_checked,
);

//! `customersPage`: numbered pages of the same list as `customers`, with
//! the total and the page count, refused past 10,000 rows.

use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

const PAGE: &str = "query($p: Int, $s: Int, $f: CustomerFilter, $o: CustomerSort) { customersPage(page: $p, pageSize: $s, filter: $f, sort: $o) { totalCount totalPages page pageSize nodes { email } } }";

fn emails(page: &Value) -> Vec<String> {
    page["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["email"].as_str().unwrap_or("-").to_owned())
        .collect()
}

async fn numbered_pages_follow_the_list(backend: Backend) {
    let app = spawn_app(backend).await;
    let names = ["Gil", "Ana", "Eva", "Bo", "Dan", "Fay", "Cy"];
    for (i, name) in names.iter().enumerate() {
        let tags = if i % 2 == 0 {
            json!(["even"])
        } else {
            json!([])
        };
        app.create_customer(
            "acme",
            json!({ "email": format!("{}@acme.example", name.to_lowercase()), "firstName": name, "tags": tags }),
        )
        .await;
    }
    app.create_customer("other", json!({ "email": "olga@other.example" }))
        .await;
    // The cursor list's order, newest first.
    let listed = app
        .gql(
            "acme",
            "{ customers(first: 100) { nodes { email } } }",
            json!({}),
        )
        .await
        .ok();
    let all = emails(&listed["customers"]);
    assert_eq!(all.len(), 7);

    let mut paged = Vec::new();
    for p in 1..=3 {
        let page = app.gql("acme", PAGE, json!({ "p": p, "s": 3 })).await.ok();
        let page = &page["customersPage"];
        assert_eq!(page["totalCount"], 7);
        assert_eq!(page["totalPages"], 3);
        assert_eq!(
            (page["page"].clone(), page["pageSize"].clone()),
            (json!(p), json!(3))
        );
        paged.extend(emails(page));
    }
    assert_eq!(paged, all);
    let past = app.gql("acme", PAGE, json!({ "p": 4, "s": 3 })).await.ok();
    assert_eq!(past["customersPage"]["nodes"], json!([]));
    assert_eq!(past["customersPage"]["totalPages"], 3);

    // Defaults, a filter and a sort.
    let first = app
        .gql(
            "acme",
            "{ customersPage { page pageSize totalPages nodes { email } } }",
            json!({}),
        )
        .await
        .ok();
    assert_eq!(first["customersPage"]["page"], 1);
    assert_eq!(first["customersPage"]["pageSize"], 25);
    assert_eq!(emails(&first["customersPage"]), all);
    let even = app
        .gql("acme", PAGE, json!({ "p": 2, "s": 2, "f": { "tags": ["even"] }, "o": { "field": "NAME", "direction": "ASC" } }))
        .await
        .ok();
    let even = &even["customersPage"];
    assert_eq!(
        (even["totalCount"].clone(), even["totalPages"].clone()),
        (json!(4), json!(2))
    );
    // Even positions by name: Cy, Eva, Gil, Dan → sorted Cy, Dan, Eva, Gil.
    assert_eq!(emails(even), ["eva@acme.example", "gil@acme.example"]);

    let none = app
        .gql("acme", PAGE, json!({ "f": { "tags": ["absent"] } }))
        .await
        .ok();
    assert_eq!(none["customersPage"]["totalCount"], 0);
    assert_eq!(none["customersPage"]["totalPages"], 1);
}

async fn pages_out_of_range_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for (variables, field, says) in [
        (json!({ "p": 0 }), "page", "from 1"),
        (json!({ "s": 0 }), "pageSize", "between 1 and 100"),
        (json!({ "s": 101 }), "pageSize", "between 1 and 100"),
        (json!({ "p": 401, "s": 25 }), "page", "cursors"),
        (json!({ "p": 101, "s": 100 }), "page", "cursors"),
    ] {
        let refused = app.gql("acme", PAGE, variables.clone()).await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{variables}");
        assert_eq!(refused.field(), field, "{variables}");
        assert!(
            refused.body.to_string().contains(says),
            "{variables}: {}",
            refused.body
        );
    }
    // The deepest page allowed.
    let deepest = app
        .gql("acme", PAGE, json!({ "p": 100, "s": 100 }))
        .await
        .ok();
    assert_eq!(deepest["customersPage"]["nodes"], json!([]));
}

/// A numbered page is priced like a cursor page of the same size: its rows
/// (and what each asks for) once per row asked for.
async fn a_numbered_page_costs_its_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut costs = Vec::new();
    for query in [
        "{ customersPage(pageSize: 10) { nodes { orders(first: 5) { nodes { id } } } } }",
        "{ customersPage(pageSize: 100) { nodes { orders(first: 5) { nodes { id } } } } }",
        "{ customers(first: 100) { nodes { orders(first: 5) { nodes { id } } } } }",
    ] {
        let response = app.gql("acme", query, json!({})).await;
        costs.push(
            response.body["extensions"]["cost"]["requestedQueryCost"]
                .as_u64()
                .unwrap(),
        );
    }
    let [small, large, cursors] = costs[..] else {
        unreachable!()
    };
    assert!(large > 9 * small, "{small} {large}");
    assert!(large >= cursors, "{large} {cursors}");
}

backend_tests!(
    numbered_pages_follow_the_list,
    pages_out_of_range_are_refused,
    a_numbered_page_costs_its_rows,
);

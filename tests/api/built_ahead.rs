//! Pages built ahead: `customers` and `customer` answer a selection of
//! plain fields, tags, notes and orders with a value built from their rows
//! at once. Each selection here is asked twice, once as it is and once
//! with a field the plans do not know (`address`) beside its fields, which
//! leaves the whole selection to the executor: both answers must be the
//! same, field for field, that field aside.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, record_order, spawn_app_unlimited};

const CUSTOMER_FIELDS: &str = "__typename id name firstName lastName email phone emails phones
    companyName locale currency avatarUrl status source tags metadata createdAt updatedAt
    totalOrders totalSpent lastOrderAt";

/// The alias of the field that sends a selection to the executor.
const EXECUTOR_ONLY: &str = "executorOnly";

/// `value` without the field that sent it to the executor.
fn without_executor_only(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .filter(|(k, _)| k != EXECUTOR_ONLY)
                .map(|(k, v)| (k, without_executor_only(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_executor_only).collect()),
        other => other,
    }
}

/// How many list fields the server built ahead so far (every test's: a
/// rise shows that one of them was).
async fn built_ahead(app: &TestApp, list: &str) -> u64 {
    let text = app.get_text("/metrics").await;
    let series = format!("crm_graphql_built_ahead_total{{list=\"{list}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(series.as_str()))
        .map_or(0, |n| n.trim().parse().unwrap())
}

/// The answer to `query` built ahead and the executor's, which must match;
/// `{D}` in the query marks where the field the plans do not know goes.
async fn same_both_ways(app: &TestApp, list: &str, query: &str, variables: Value) -> Value {
    let before = built_ahead(app, list).await;
    let ahead = app
        .gql("acme", &query.replace("{D}", ""), variables.clone())
        .await
        .ok();
    assert!(
        built_ahead(app, list).await > before,
        "{list} was not built ahead: {query}"
    );
    let executed = app
        .gql(
            "acme",
            &query.replace("{D}", &format!("{EXECUTOR_ONLY}: address {{ city }}")),
            variables,
        )
        .await
        .ok();
    assert_eq!(ahead, without_executor_only(executed), "{query}");
    ahead
}

/// Eight customers: every kind of field set or left empty, tags on some,
/// up to seven notes and orders of every status.
async fn seed(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..8 {
        let input = match i % 4 {
            0 => json!({
                "firstName": "Ana", "lastName": format!("Díaz {i}"),
                "email": format!("ana{i}@example.com"), "phone": format!("+1415555000{i}"),
                "additionalEmails": [format!("ana{i}@work.example")],
                "companyName": "Acme", "locale": "es", "currency": "EUR",
                "avatarUrl": "https://example.com/a.png", "source": "import",
                "tags": ["vip", "b2b"], "metadata": { "plan": "pro", "seats": i, "nested": { "a": [1, 2.5, null] } },
            }),
            1 => json!({ "name": format!("Only name {i}") }),
            2 => {
                json!({ "email": format!("mail{i}@example.com"), "tags": ["zeta"], "status": "ARCHIVED" })
            }
            _ => json!({ "phone": format!("+1415555001{i}"), "metadata": {} }),
        };
        ids.push(app.create_customer("acme", input).await);
    }
    for (i, id) in ids.iter().enumerate() {
        for n in 0..i {
            app.gql(
                "acme",
                "mutation($c: ID!, $b: String!) { addNote(customerId: $c, body: $b) { id } }",
                json!({ "c": id, "b": format!("Note {n}\nline two") }),
            )
            .await
            .ok();
        }
        for n in 0..(i % 5) {
            let status = ["PAID", "PENDING", "REFUNDED", "CANCELLED"][n % 4];
            record_order(
                app,
                "acme",
                id,
                json!({ "externalId": format!("o-{i}-{n}"), "amount": format!("{}.{:02}", 10 * n + 1, n * 7), "currency": "EUR", "status": status }),
            )
            .await;
        }
    }
    ids
}

async fn a_page_built_ahead_is_what_the_executor_answers(backend: Backend) {
    let app = spawn_app_unlimited(backend).await;
    let ids = seed(&app).await;

    // The peer benchmark's page: every scalar, newest notes and orders.
    let page = same_both_ways(
        &app,
        "customers",
        &format!(
            "query($n: Int!) {{ customers(first: $n, sort: {{ field: CREATED_AT, direction: ASC }}) {{
                nodes {{ {CUSTOMER_FIELDS} id2: id {{D}}
                    notes(first: 5) {{ nodes {{ id body createdAt }} }}
                    orders(first: 5) {{ nodes {{ id amount status placedAt }} }} }}
                pageInfo {{ hasNextPage endCursor }} }} }}"
        ),
        json!({ "n": 6 }),
    )
    .await;
    let nodes = page["customers"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 6);
    assert_eq!(nodes[0]["tags"], json!(["b2b", "vip"]));
    assert_eq!(nodes[5]["notes"]["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(page["customers"]["pageInfo"]["hasNextPage"], true);

    // Edges, cursors, every page field, aliases, a fragment, and the same
    // list twice under two pages.
    let cursor = page["customers"]["pageInfo"]["endCursor"].clone();
    same_both_ways(
        &app,
        "customers",
        "query($after: String) { customers(first: 5, after: $after, sort: { field: CREATED_AT, direction: ASC }) {
            __typename
            edges { __typename cursor node { ...Who {D} recent: notes(first: 1) { nodes { body } }
                older: notes(last: 2) { edges { cursor node { __typename id author updatedAt } }
                    pageInfo { hasPreviousPage hasNextPage startCursor endCursor } }
                orders(first: 2) { __typename nodes { __typename externalId currency amount status } pageInfo { hasNextPage startCursor } } } }
            nodes { email }
            pageInfo { __typename hasPreviousPage hasNextPage startCursor endCursor } } }
        fragment Who on Customer { id name tags ... on Customer { emails phones } }",
        json!({ "after": cursor }),
    )
    .await;

    // Backward, newest first, under a filter: tags read apart from rows.
    same_both_ways(
        &app,
        "customers",
        "{ customers(last: 3, filter: { search: \"example\" }) { nodes { id email tags {D} totalSpent }
            pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }",
        json!({}),
    )
    .await;
    same_both_ways(
        &app,
        "customers",
        "{ customers(first: 4, query: \"tag:vip OR status:archived\") { edges { node { email tags {D} status } } } }",
        json!({}),
    )
    .await;

    // Only the columns the fields ask for are read, the sort's key among
    // them: under a key with NULLs (names), a filter the sort's index
    // tests, an email prefix, and tags (on SQLite, a window of rows first),
    // with the next page from each cursor.
    for (list, args) in [
        (
            "name",
            "sort: { field: NAME, direction: ASC }, filter: { status: ACTIVE }",
        ),
        (
            "prefix",
            "filter: { emailStartsWith: \"ANA\" }, sort: { field: EMAIL, direction: DESC }",
        ),
        (
            "tags",
            "filter: { tags: [\"vip\"] }, sort: { field: TOTAL_SPENT, direction: DESC }",
        ),
        ("orders", "sort: { field: LAST_ORDER_AT, direction: DESC }"),
    ] {
        let query = format!(
            "query($after: String) {{ customers(first: 2, after: $after, {args}) {{
                edges {{ cursor node {{ id name email lastOrderAt totalSpent {{D}} }} }}
                pageInfo {{ hasNextPage endCursor }} }} }}"
        );
        let first = same_both_ways(&app, "customers", &query, json!({ "after": null })).await;
        let cursor = &first["customers"]["pageInfo"]["endCursor"];
        assert!(cursor.is_string(), "{list}: {first}");
        let next = same_both_ways(&app, "customers", &query, json!({ "after": cursor })).await;
        assert_ne!(first, next, "{list}");
    }

    // One customer by ID.
    let one = same_both_ways(
        &app,
        "customer",
        &format!(
            "query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} {{D}}
                notes(first: 2) {{ nodes {{ body }} pageInfo {{ hasNextPage }} }}
                orders(last: 1) {{ nodes {{ externalId status }} }} }} }}"
        ),
        json!({ "id": ids[4] }),
    )
    .await;
    assert_eq!(one["customer"]["id"], ids[4]);
    assert_eq!(one["customer"]["tags"], json!(["b2b", "vip"]));
    assert_eq!(one["customer"]["notes"]["pageInfo"]["hasNextPage"], true);

    // A child page's cursors (made from the key column read for them) lead
    // to the next child page, for both lists and both directions.
    for list in [
        "notes(first: 2, after: $after)",
        "orders(last: 2, before: $after)",
    ] {
        let query = format!(
            "query($id: ID!, $after: String) {{ customer(id: $id) {{ id {{D}}
                page: {list} {{ edges {{ cursor node {{ id }} }}
                    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }} }}"
        );
        let page = |after: Value| json!({ "id": ids[4], "after": after });
        let first = same_both_ways(&app, "customer", &query, page(Value::Null)).await;
        let info = &first["customer"]["page"]["pageInfo"];
        let cursor = if list.starts_with("notes") {
            info["endCursor"].clone()
        } else {
            info["startCursor"].clone()
        };
        assert!(cursor.is_string(), "{list}: {first}");
        let next = same_both_ways(&app, "customer", &query, page(cursor)).await;
        let ids_of = |answer: &Value| -> Vec<Value> {
            let edges = answer["customer"]["page"]["edges"].as_array().unwrap();
            edges.iter().map(|e| e["node"]["id"].clone()).collect()
        };
        let (before, after) = (ids_of(&first), ids_of(&next));
        assert!(!after.is_empty(), "{list}: {next}");
        assert!(
            after.iter().all(|id| !before.contains(id)),
            "{list}: {first} {next}"
        );
    }
}

backend_tests!(a_page_built_ahead_is_what_the_executor_answers);

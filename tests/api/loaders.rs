//! Nested fields load in one statement per level, however many parents:
//! the statements a request runs are counted at the server's pool.

use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, TestApp, record_order, spawn_app_with};

/// No background refresh or worker to add statements, and no cost limit.
const QUIET: &[&str] = &[
    "--jwt-secret",
    SECRET,
    "--rfm-refresh",
    "1h",
    "--worker",
    "false",
    "--max-cost",
    "100000000",
];

const NESTED: &str = "query($n: Int!) { customers(first: $n) { nodes { id tags
    metrics { rfm { segment } churnRisk averageOrderValue }
    orders(first: 3) { totalCount nodes { externalId customer { id } } }
    activity(first: 3) { totalCount nodes { type customer { id } } }
    notes(first: 3) { totalCount nodes { body customer { id } } }
    segments { id memberCount } } } }";

/// The statements one request runs, and its data.
/// Gives each of these customers `orders` orders of `amount` and a note.
async fn orders_and_a_note(
    app: &TestApp,
    customers: impl Iterator<Item = &String>,
    orders: usize,
    amount: &str,
) {
    for (i, id) in customers.enumerate() {
        for j in 0..orders {
            record_order(
                app,
                "acme",
                id,
                json!({ "externalId": format!("{i}-{j}"), "amount": amount, "currency": "EUR" }),
            )
            .await;
        }
        app.gql(
            "acme",
            "mutation($c: ID!) { addNote(customerId: $c, body: \"hello\") { id } }",
            json!({ "c": id }),
        )
        .await
        .ok();
    }
}

async fn counted(app: &TestApp, n: i64) -> (u64, Value) {
    let before = app.app.statements.get();
    let data = app.gql("acme", NESTED, json!({ "n": n })).await.ok();
    (app.app.statements.get() - before, data)
}

async fn nested_lists_cost_one_statement_per_level(backend: Backend) {
    // No background refresh or worker during the count. A level's batch
    // goes once the request has yielded, however slow its resolvers.
    let app = spawn_app_with(backend, QUIET).await;
    let rows: Vec<Value> = (0..120)
        .map(|i| json!({ "email": format!("c{i}@acme.example"), "tags": ["t"] }))
        .collect();
    app.import_customers("acme", rows).await;
    let ids: Vec<String> = app
        .gql(
            "acme",
            "{ customers(first: 100) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok()["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    orders_and_a_note(&app, ids.iter().step_by(7), 4, "12.00").await;
    let listed: Vec<&String> = ids.iter().step_by(3).collect();
    let list = crate::helpers::segments::create(
        &app,
        "acme",
        json!({ "name": "Listed", "type": "STATIC", "customerIds": listed }),
    )
    .await;
    let buyers = crate::helpers::segments::create(
        &app,
        "acme",
        json!({ "name": "Tagged buyers", "rules": [
            { "field": "tags", "operator": "contains", "value": "t" },
            { "field": "rfm_segment", "operator": "neq", "value": "NONE" }
        ] }),
    )
    .await;
    counted(&app, 5).await; // the tenant's RFM breakpoints get computed

    let (ten, small) = counted(&app, 10).await;
    let (hundred, large) = counted(&app, 100).await;
    assert_eq!(
        ten, hundred,
        "10 customers: {ten} statements, 100: {hundred}"
    );
    // customers, tags, breakpoints (2), orders, order counts, activity,
    // activity counts, notes, note counts, the customers of the nested
    // nodes; the customers' segments (segments, static members, breakpoints
    // (2), dynamic matches) and their member counts (segments, static
    // counts, breakpoints (2), dynamic counts).
    assert!(hundred <= 21, "{hundred} statements");

    let nodes = large["customers"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 100);
    assert_eq!(small["customers"]["nodes"].as_array().unwrap().len(), 10);
    let with_orders = nodes
        .iter()
        .filter(|n| n["orders"]["totalCount"] == 4)
        .count();
    assert!(with_orders > 0);
    for node in nodes {
        let orders = node["orders"]["nodes"].as_array().unwrap();
        let total = node["orders"]["totalCount"].as_u64().unwrap();
        assert_eq!(
            orders.len() as u64,
            total.min(3),
            "each parent has its own page"
        );
        assert!(orders.iter().all(|o| o["customer"]["id"] == node["id"]));
        assert!(
            node["activity"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["customer"]["id"] == node["id"])
        );
        assert!(!node["activity"]["nodes"].as_array().unwrap().is_empty());
        let segments: Vec<&str> = node["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        let id = node["id"].as_str().unwrap().to_owned();
        let in_list = listed.contains(&&id);
        let buyer = node["orders"]["totalCount"] == 4;
        let expected: Vec<&str> = [(in_list, list.as_str()), (buyer, buyers.as_str())]
            .into_iter()
            .filter_map(|(member, seg)| member.then_some(seg))
            .collect();
        assert_eq!(segments, expected, "segments of {id}");
    }
    let counts: Vec<&Value> = nodes
        .iter()
        .flat_map(|n| n["segments"].as_array().unwrap())
        .map(|s| &s["memberCount"])
        .collect();
    assert!(
        counts
            .iter()
            .all(|c| **c == json!(listed.len()) || **c == json!(ids.iter().step_by(7).count()))
    );
}

/// The benchmark's three reads ((a) a page with each customer's newest
/// notes and orders, (b) one customer, (c) a page of a search or of an
/// email prefix).
const PAGE_WITH_CHILDREN: &str = "query($n: Int!) { customers(first: $n, sort: { field: CREATED_AT, direction: ASC }) { nodes { id email firstName tags metadata totalSpent createdAt notes(first: 5) { nodes { id body createdAt } } orders(first: 5) { nodes { id amount status placedAt } } } pageInfo { hasNextPage endCursor } } }";
const BY_ID: &str = "query($id: ID!) { customer(id: $id) { id email firstName tags metadata totalSpent createdAt } }";
const SEARCHED: &str = "query($n: Int!, $f: CustomerFilter) { customers(first: $n, filter: $f, sort: { field: CREATED_AT, direction: ASC }) { nodes { id email createdAt } pageInfo { hasNextPage endCursor } } }";

/// Statements and writes of one request, and its data.
async fn counted_request(app: &TestApp, query: &str, variables: Value) -> (u64, u64, Value) {
    let (before, writes) = (app.app.statements.get(), app.app.statements.writes());
    let data = app.gql("acme", query, variables).await.ok();
    (
        app.app.statements.get() - before,
        app.app.statements.writes() - writes,
        data,
    )
}

async fn the_benchmark_reads_run_a_fixed_number_of_statements_and_write_nothing(backend: Backend) {
    let app = spawn_app_with(backend, QUIET).await;
    let rows: Vec<Value> = (0..130)
        .map(|i| json!({ "email": format!("ana.{i}@acme.example"), "firstName": "Ana", "tags": ["t"], "metadata": { "n": i } }))
        .chain((0..20).map(|i| json!({ "email": format!("li.{i}@acme.example") })))
        .collect();
    app.import_customers("acme", rows).await;
    let page = app
        .gql("acme", PAGE_WITH_CHILDREN, json!({ "n": 100 }))
        .await
        .ok();
    let ids: Vec<String> = page["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    orders_and_a_note(&app, ids.iter().step_by(3), 6, "9.50").await;
    let reads: [(&str, &str, Value); 4] = [
        ("(a)", PAGE_WITH_CHILDREN, json!({})),
        ("(c) search", SEARCHED, json!({ "f": { "search": "ana." } })),
        (
            "(c) prefix",
            SEARCHED,
            json!({ "f": { "emailStartsWith": "ana." } }),
        ),
        ("(b)", BY_ID, json!({ "id": ids[4] })),
    ];
    for (name, query, variables) in reads {
        let at = |n: i64| {
            let mut variables = variables.clone();
            variables["n"] = json!(n);
            variables
        };
        // The instance's first request of the tenant leases budget and
        // reads the tenant's size; the counted ones come after.
        app.gql("acme", query, at(1)).await.ok();
        let (few, few_writes, small) = counted_request(&app, query, at(5)).await;
        let (many, many_writes, large) = counted_request(&app, query, at(100)).await;
        assert_eq!(few, many, "{name}: {few} statements for 5, {many} for 100");
        assert_eq!((few_writes, many_writes), (0, 0), "{name} writes nothing");
        if name == "(b)" {
            assert_eq!(few, 1, "{name}: one statement");
            assert_eq!(large["customer"]["id"], json!(ids[4]));
            assert_eq!(large["customer"]["tags"], json!(["t"]));
            continue;
        }
        let (small, large) = (
            small["customers"]["nodes"].as_array().unwrap(),
            large["customers"]["nodes"].as_array().unwrap(),
        );
        assert_eq!(small.len(), 5, "{name}");
        assert_eq!(large.len(), 100, "{name}");
        assert!(
            large
                .iter()
                .all(|n| name == "(a)" || n["email"].as_str().unwrap().starts_with("ana.")),
            "{name}"
        );
        if name == "(a)" {
            // customers with their tags, then their notes and their orders.
            assert!(few <= 3, "{name}: {few} statements");
            for node in large {
                let tagged = node["email"].as_str().unwrap().starts_with("ana.");
                let tags = if tagged { json!(["t"]) } else { json!([]) };
                assert_eq!(node["tags"], tags, "{name}: {}", node["email"]);
            }
            let with_orders = large
                .iter()
                .filter(|n| n["orders"]["nodes"].as_array().unwrap().len() == 5)
                .count();
            assert_eq!(with_orders, ids.iter().step_by(3).count(), "{name}");
        }
    }
}

/// A nested page read for many parents at once is each parent's own page,
/// forward, backward and after a cursor: newest order first, ties on
/// `placedAt` broken by ID.
async fn each_parent_gets_its_own_page_of_a_nested_list(backend: Backend) {
    /// An order's `placedAt` and ID, which order it.
    type Placed = (String, String);
    let app = spawn_app_with(backend, QUIET).await;
    let mut expected: Vec<(String, Vec<Placed>)> = Vec::new();
    for c in 0..6 {
        let customer = app
            .gql(
                "acme",
                "mutation($e: String!) { createCustomer(input: { email: $e }) { customer { id } } }",
                json!({ "e": format!("p{c}@acme.example") }),
            )
            .await
            .ok()["createCustomer"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut orders = Vec::new();
        // Customer c has c orders; two of each share a placedAt.
        for o in 0..c {
            let placed = format!("2026-0{}-01T00:00:00Z", 1 + o / 2);
            let order = record_order(
                &app,
                "acme",
                &customer,
                json!({ "externalId": format!("{c}-{o}"), "amount": "1.00", "currency": "EUR", "placedAt": placed }),
            )
            .await;
            orders.push((placed, order["id"].as_str().unwrap().to_owned()));
        }
        orders.sort();
        orders.reverse();
        expected.push((customer, orders));
    }
    let page = |args: &str| {
        format!(
            "query{} {{ customers(first: 10, sort: {{ field: CREATED_AT, direction: ASC }}) {{ nodes {{ id orders({args}) {{ nodes {{ id }} }} }} }} }}",
            if args.contains("$a") {
                "($a: String)"
            } else {
                ""
            }
        )
    };
    let read = |data: &Value| -> Vec<Vec<String>> {
        data["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                n["orders"]["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    let ids = |pick: &dyn Fn(&[Placed]) -> Vec<Placed>| -> Vec<Vec<String>> {
        expected
            .iter()
            .map(|(_, orders)| pick(orders).into_iter().map(|(_, id)| id).collect())
            .collect()
    };

    let first = app.gql("acme", &page("first: 3"), json!({})).await.ok();
    assert_eq!(read(&first), ids(&|o| o.iter().take(3).cloned().collect()));
    let last = app.gql("acme", &page("last: 2"), json!({})).await.ok();
    assert_eq!(
        read(&last),
        ids(&|o| o[o.len().saturating_sub(2)..].to_vec())
    );
    // One cursor for every parent: the position of the fifth customer's
    // second newest order, after which each parent's older orders follow.
    let (fifth, _) = &expected[5];
    let cursor = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { orders(first: 2) { edges { cursor } } } }",
            json!({ "c": fifth }),
        )
        .await
        .ok()["customer"]["orders"]["edges"][1]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let position = expected[5].1[1].clone();
    let after = app
        .gql("acme", &page("first: 2, after: $a"), json!({ "a": cursor }))
        .await
        .ok();
    assert_eq!(
        read(&after),
        ids(&|o| o
            .iter()
            .filter(|x| **x < position)
            .take(2)
            .cloned()
            .collect())
    );
}

/// A page of every customer reads its customers' tags in its own
/// statement, through `nodes` or `edges`, on every page of it and right
/// after a write to them.
async fn a_page_of_every_customer_reads_its_tags_with_it(backend: Backend) {
    let app = spawn_app_with(backend, QUIET).await;
    let rows: Vec<Value> = (0..5)
        .map(|i| {
            let tags: Vec<String> = (0..i).map(|t| format!("t{t}")).rev().collect();
            json!({ "email": format!("c{i}@acme.example"), "tags": tags })
        })
        .collect();
    app.import_customers("acme", rows).await;
    let by_edges = "query($after: String) { customers(first: 2, after: $after, sort: { field: CREATED_AT, direction: ASC }) { edges { cursor node { id email tags } } } }";
    let by_nodes = "{ customers(first: 10, sort: { field: CREATED_AT, direction: ASC }) { nodes { id email tags } } }";
    app.gql("acme", by_nodes, json!({})).await.ok();
    let before = app.app.statements.get();
    let all = app.gql("acme", by_nodes, json!({})).await.ok();
    assert_eq!(app.app.statements.get() - before, 1, "one statement");
    let nodes = all["customers"]["nodes"].as_array().unwrap().clone();
    // c{i} has the tags t0 … t{i-1}, given in reverse, listed sorted.
    let number = |node: &Value| -> usize {
        let email = node["email"].as_str().unwrap();
        email[1..email.find('@').unwrap()].parse().unwrap()
    };
    let tags_of = |i: usize| json!((0..i).map(|t| format!("t{t}")).collect::<Vec<_>>());
    assert_eq!(nodes.len(), 5);
    for node in &nodes {
        assert_eq!(node["tags"], tags_of(number(node)), "{}", node["email"]);
    }
    let mut after = Value::Null;
    let mut paged = Vec::new();
    loop {
        let page = app
            .gql("acme", by_edges, json!({ "after": after }))
            .await
            .ok();
        let edges = page["customers"]["edges"].as_array().unwrap().clone();
        let Some(last) = edges.last() else { break };
        after = last["cursor"].clone();
        paged.extend(edges.into_iter().map(|e| e["node"].clone()));
    }
    assert_eq!(
        paged, nodes,
        "the pages of two hold the same customers and tags"
    );

    let c1 = nodes.iter().find(|n| number(n) == 1).unwrap()["id"].clone();
    app.gql(
        "acme",
        "mutation($ids: [ID!]!) { tagCustomers(ids: $ids, add: [\"new\"], remove: [\"t0\"]) { id } }",
        json!({ "ids": [c1] }),
    )
    .await
    .ok();
    let after_write = app.gql("acme", by_nodes, json!({})).await.ok();
    for node in after_write["customers"]["nodes"].as_array().unwrap() {
        let expected = match number(node) {
            1 => json!(["new"]),
            i => tags_of(i),
        };
        assert_eq!(node["tags"], expected, "{} after the write", node["email"]);
    }
}

backend_tests!(
    a_page_of_every_customer_reads_its_tags_with_it,
    nested_lists_cost_one_statement_per_level,
    the_benchmark_reads_run_a_fixed_number_of_statements_and_write_nothing,
    each_parent_gets_its_own_page_of_a_nested_list,
);

//! API.md §12: query limits (depth, aliases, fields, cost), the per-tenant
//! cost budget, the request timeout, persisted queries, and what operators
//! see (`/metrics`, `x-request-id`).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::helpers::{Backend, Gql, TestApp, spawn_app, spawn_app_with};

/// graphql-js's `getIntrospectionQuery()`, as GraphiQL sends it: 15 levels.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

/// 12 field levels (connections take three a hop).
const DEPTH_12: &str = "{ customers(first: 1) { edges { node { orders(first: 1) { edges { node { customer { notes(first: 1) { edges { node { customer { id } } } } } } } } } } } }";
/// 13 levels.
const DEPTH_13: &str = "{ customers(first: 1) { edges { node { orders(first: 1) { edges { node { customer { notes(first: 1) { edges { node { customer { segments { id } } } } } } } } } } } } }";

/// A server whose only statements are the requests' own (no background
/// worker polling the queue), so a test can see that nothing ran.
async fn quiet_app(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        &["--jwt-secret", crate::helpers::SECRET, "--worker", "false"],
    )
    .await
}

/// Posts `query` with an `Accept` header; the status and body.
async fn post_as(app: &TestApp, accept: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .header("accept", accept)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Asserts a refusal before execution: the code, no `data`, and no SQL
/// statement run by the server, under both media types.
async fn refused(app: &TestApp, query: &str, code: &str) -> Value {
    let before = app.app.statements.get();
    let (status, body) = post_as(app, "application/json", json!({ "query": query })).await;
    assert_eq!(status, 200, "{body:#}");
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body:#}");
    assert!(body.get("data").is_none(), "{body:#}");
    let (status, again) = post_as(
        app,
        "application/graphql-response+json",
        json!({ "query": query }),
    )
    .await;
    assert_eq!(status, 400, "{again:#}");
    assert_eq!(again["errors"][0]["extensions"]["code"], code);
    assert_eq!(
        app.app.statements.get(),
        before,
        "a refused query runs nothing"
    );
    body
}

async fn depth_counts_fields_through_fragments_and_exempts_introspection(backend: Backend) {
    let app = quiet_app(backend).await;
    app.gql("acme", DEPTH_12, json!({})).await.ok();
    let body = refused(&app, DEPTH_13, "QUERY_TOO_DEEP").await;
    assert_eq!(
        body["errors"][0]["message"],
        "Query depth limit of 12 exceeded, found 13."
    );

    // The same depth built from named and inline fragments, and from a
    // fragment and an operation named `__schema`.
    let fragments = "query __schema { customers(first: 1) { ...__schema } }
        fragment __schema on CustomerConnection { edges { node { orders(first: 1) { edges { node { ... on Order { customer { notes(first: 1) { edges { node { customer { ...Deeper } } } } } } } } } } } }
        fragment Deeper on Customer { segments { id } }";
    refused(&app, fragments, "QUERY_TOO_DEEP").await;
    // Introspection is exempt by its field only: a deep query under an
    // alias named `__schema` is not.
    let aliased = DEPTH_13.replacen("customers(", "__schema: customers(", 1);
    refused(&app, &aliased, "QUERY_TOO_DEEP").await;
    // 40 levels of nesting.
    let mut deep = "id".to_owned();
    for _ in 0..13 {
        deep = format!("customer {{ {deep} }}");
        deep = format!("edges {{ node {{ {deep} }} }}");
        deep = format!("orders(first: 1) {{ {deep} }}");
    }
    let deep = format!("{{ customer(id: \"cus_x\") {{ {deep} }} }}");
    refused(&app, &deep, "QUERY_TOO_DEEP").await;

    // GraphiQL's introspection query (15 levels) runs, and costs what
    // writing out the type system does.
    let schema = app.gql("acme", INTROSPECTION, json!({})).await;
    assert_eq!(
        schema.body["extensions"]["cost"]["requestedQueryCost"],
        crm::limits::analysis::SCHEMA_COST
    );
    assert!(schema.ok()["__schema"]["types"].as_array().unwrap().len() > 50);
    // Introspection by the dozen is refused, by its cost.
    let many: Vec<String> = (0..11)
        .map(|i| format!("s{i}: __schema {{ types {{ name fields {{ name }} }} }}"))
        .collect();
    refused(
        &app,
        &format!("{{ {} }}", many.join(" ")),
        "QUERY_TOO_COMPLEX",
    )
    .await;
    // Introspection that nests a type-system list within itself does not.
    refused(
        &app,
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        "QUERY_TOO_COMPLEX",
    )
    .await;
}

async fn aliases_and_fields_are_capped(backend: Backend) {
    let app = quiet_app(backend).await;
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let thirty = app.gql("acme", &aliases(30), json!({})).await.ok();
    assert_eq!(thirty["a29"], "Query");
    let body = refused(&app, &aliases(31), "QUERY_TOO_COMPLEX").await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("31 aliases")
    );
    // graphql-cop's probes: 101 aliases, 500 duplicated fields, and a
    // document of 10,000 unknown fields, answered with one short error.
    refused(&app, &aliases(101), "QUERY_TOO_COMPLEX").await;
    let duplicated = format!("{{ {} }}", vec!["__typename"; 500].join(" "));
    refused(&app, &duplicated, "QUERY_TOO_COMPLEX").await;
    let unknown: Vec<String> = (0..10_000).map(|i| format!("f{i}")).collect();
    let body = refused(
        &app,
        &format!("{{ {} }}", unknown.join(" ")),
        "QUERY_TOO_COMPLEX",
    )
    .await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    assert!(body.to_string().len() < 64 * 1024);
    // Ten copies of a directive on one field: one error, not ten.
    let directives = app
        .gql(
            "acme",
            &format!("{{ __typename {} }}", ["@aa"; 10].join("")),
            json!({}),
        )
        .await;
    assert!(directives.body["errors"].as_array().unwrap().len() < 10);
}

async fn queries_cost_their_connections_and_every_response_says_so(backend: Backend) {
    let app = quiet_app(backend).await;
    let wide = "{ customers(first: 100) { edges { node { orders(first: 100) { edges { node { id } } } } } } }";
    let body = refused(&app, wide, "QUERY_TOO_COMPLEX").await;
    assert_eq!(
        body["errors"][0]["message"],
        "Query cost is 20402, which exceeds the single query max cost limit (1000)."
    );
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["requestedQueryCost"], 20402);

    let page = "{ customers(first: 49) { edges { node { id email } } } }";
    let mut costs = Vec::new();
    for _ in 0..5 {
        let response = app.gql("acme", page, json!({})).await;
        costs.push(response.body["extensions"]["cost"]["requestedQueryCost"].clone());
    }
    assert!(costs.iter().all(|c| *c == 100), "{costs:?}");
    // Variables count as literals do; a mutation adds 10.
    let by_variable = app
        .gql(
            "acme",
            "query($n: Int) { customers(first: $n) { nodes { id } } }",
            json!({ "n": 10 }),
        )
        .await;
    assert_eq!(
        by_variable.body["extensions"]["cost"]["requestedQueryCost"],
        12
    );
    let mutation = app
        .gql(
            "acme",
            r#"mutation { createCustomer(input: { email: "c@example.com" }) { customer { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        mutation.body["extensions"]["cost"]["requestedQueryCost"],
        12
    );
    // Errors carry it too, with the budget's status.
    let error = app
        .gql("acme", "{ customer(id: \"nope\") { id } }", json!({}))
        .await;
    let status = &error.body["extensions"]["cost"]["throttleStatus"];
    assert!(status["maximumAvailable"].as_f64().is_some(), "{error:?}");
    assert!(status["currentlyAvailable"].as_f64().is_some());
    assert!(status["restoreRate"].as_f64().is_some());
}

/// `customers(first: 49) { edges { node { id } } }`: 2 + 49 × 2 = 100.
const COSTS_100: &str = "{ customers(first: 49) { edges { node { id } } } }";

async fn the_budget_refuses_a_burst_and_recovers_at_the_restore_rate(backend: Backend) {
    let shared = matches!(backend, Backend::Postgres(_));
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            crate::helpers::SECRET,
            "--rate-bucket",
            "1000",
            "--rate-restore",
            "50",
        ],
    )
    .await;
    // Another tenant spends at the same time, on its own budget.
    let other = {
        let client = app.client.clone();
        let url = app.url.clone();
        let token = app.token("globex");
        tokio::spawn(async move {
            let mut refused = 0;
            for _ in 0..9 {
                let response = client
                    .post(format!("{url}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": COSTS_100 }))
                    .send()
                    .await
                    .unwrap();
                refused += u32::from(response.status() == 429);
            }
            refused
        })
    };
    for i in 0..10 {
        let response = app.gql("acme", COSTS_100, json!({})).await;
        assert_eq!(response.status, 200, "request {i}: {:#}", response.body);
        assert_eq!(
            response.body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"],
            1000.0
        );
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .json(&json!({ "query": COSTS_100 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
    assert!(body.get("data").is_none());
    let refused_at = Instant::now();
    let left = body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap();
    assert!(left < 100.0, "{body:#}");
    assert_eq!(other.await.unwrap(), 0, "another tenant is not throttled");

    // After Retry-After, the next request runs; the budget refilled at 50
    // points a second meanwhile (a cost-0 query reads it).
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let free = app.gql("acme", "{ __typename }", json!({})).await;
    let elapsed = refused_at.elapsed().as_secs_f64();
    let now = free.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap();
    let rate = (now - left) / elapsed;
    assert!((45.0..=55.0).contains(&rate), "restored {rate} points/s");
    let again = app.gql("acme", COSTS_100, json!({})).await;
    assert_eq!(again.status, 200, "{:#}", again.body);

    // On PostgreSQL the budget is the tenant's across instances.
    if shared {
        let second = app
            .another_instance_with(&["--rate-bucket", "1000", "--rate-restore", "50"])
            .await;
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(second.gql("acme", COSTS_100, json!({})).await.status);
        }
        assert!(
            statuses.iter().filter(|s| **s == 429).count() >= 3,
            "the second instance draws on the same budget: {statuses:?}"
        );
    }
}

async fn a_request_past_its_timeout_is_cut_off_and_changes_nothing(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            crate::helpers::SECRET,
            "--request-timeout",
            "1ms",
        ],
    )
    .await;
    let rows: Vec<Value> = (0..500)
        .map(|i| json!({ "email": format!("slow{i}@example.com") }))
        .collect();
    let started = Instant::now();
    let response = app
        .gql(
            "acme",
            "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created } }",
            json!({ "rows": rows }),
        )
        .await;
    assert_eq!(response.status, 503, "{:#}", response.body);
    assert_eq!(response.code(), "QUERY_TOO_COMPLEX");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The import's transaction was rolled back.
    let patient = app.another_instance().await;
    assert_eq!(patient.count("acme").await, 0);

    // A cut-off request leaves its statement to the database, which stops
    // it a second after the request's timeout (PostgreSQL's
    // `statement_timeout` on the server's connections).
    use sea_orm::ConnectionTrait as _;
    let db = &app.app.db;
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let started = Instant::now();
        let err = db
            .execute_unprepared("SELECT pg_sleep(5)")
            .await
            .expect_err("the statement outlived the timeout");
        assert!(err.to_string().contains("statement timeout"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

/// A request cut off at its time limit stops its SQLite statement at once:
/// on a pool of one connection, the next statement runs straight after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_request_stops_its_sqlite_statement_and_frees_its_connection() {
    use sea_orm::{ConnectionTrait as _, DbBackend, Statement};
    let app = spawn_app(Backend::Sqlite).await;
    let db = crm::db::connect(&crm::config::DatabaseArgs {
        database_url: app.db.url.clone(),
        db_pool: Some(1),
    })
    .await
    .unwrap();
    let endless =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let cancel = std::sync::Arc::new(crm::db::Cancel::default());
    let request = crm::db::working_for(
        cancel.clone(),
        db.query_one_raw(Statement::from_string(DbBackend::Sqlite, endless)),
    );
    // As the server does at a request's time limit: the request is dropped
    // and cancelled.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), request)
            .await
            .is_err()
    );
    cancel.cancel();
    let started = Instant::now();
    let next = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 1 AS one"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.try_get::<i32>("", "one").unwrap(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the connection came back after {:?}",
        started.elapsed()
    );
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn persisted(app: &TestApp, tenant: &str, query: Option<&str>, hash: &str) -> Gql {
    let mut body =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token(tenant))
        .json(&body)
        .send()
        .await
        .unwrap();
    Gql {
        status: response.status().as_u16(),
        body: response.json().await.unwrap(),
    }
}

async fn persisted_queries_run_by_hash_within_a_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer("acme", json!({ "email": "apq@example.com" }))
        .await;
    let query = "{ customers { totalCount } }";
    let hash = sha256(query);

    let unknown = persisted(&app, "acme", None, &hash).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert_eq!(unknown.code(), "BAD_USER_INPUT");

    let registered = persisted(&app, "acme", Some(query), &hash).await.ok();
    assert_eq!(registered["customers"]["totalCount"], 1);
    let by_hash = persisted(&app, "acme", None, &hash).await.ok();
    assert_eq!(by_hash["customers"]["totalCount"], 1);

    // Another tenant cannot run (or learn of) acme's query by its hash.
    let other = persisted(&app, "globex", None, &hash).await;
    assert_eq!(other.body["errors"][0]["message"], "PersistedQueryNotFound");
    // A hash that is not the query's is refused.
    let wrong = persisted(&app, "acme", Some("{ __typename }"), &hash).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.field(), "extensions.persistedQuery");

    // Over GET, a persisted mutation is still refused (405).
    let mutation =
        r#"mutation { createCustomer(input: { email: "get@example.com" }) { created } }"#;
    persisted(&app, "acme", Some(mutation), &sha256(mutation))
        .await
        .ok();
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(mutation) } });
    let response = app
        .client
        .get(format!("{}/graphql", app.url))
        .query(&[("extensions", extensions.to_string())])
        .bearer_auth(app.token("acme"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(app.count("acme").await, 2);
}

async fn metrics_and_request_ids_show_what_the_server_does(backend: Backend) {
    let app = quiet_app(backend).await;
    app.gql("acme", "{ customers { totalCount } }", json!({}))
        .await
        .ok();
    app.gql("acme", "{ customer(id: \"cus_nope\") { id } }", json!({}))
        .await;
    refused(&app, DEPTH_13, "QUERY_TOO_DEEP").await;

    let response = app
        .client
        .post(format!("{}/graphql", app.url))
        .bearer_auth(app.token("acme"))
        .header("x-request-id", "req-from-client-42")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-from-client-42");
    let generated = app
        .client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");

    let metrics = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for expected in [
        r#"crm_graphql_requests_total{kind="query",operation="customers",outcome="ok"}"#,
        r#"crm_graphql_requests_total{kind="query",operation="customers",outcome="rejected"}"#,
        r#"crm_graphql_errors_total{code="QUERY_TOO_DEEP"}"#,
        r#"crm_graphql_request_duration_seconds_bucket{le="0.001",kind="query",operation="customer"}"#,
        "crm_db_connections_in_use ",
        "crm_db_connections_idle ",
        "crm_rate_limited_total ",
        "crm_subscriptions_open ",
        "crm_websockets_open ",
        "crm_jobs_due ",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

/// Found by the fuzz pass: PostgreSQL cannot hold U+0000 in text or
/// JSON, and the largest double must come back as it went in.
async fn nul_characters_are_refused_and_extreme_numbers_round_trip(backend: Backend) {
    let app = quiet_app(backend).await;
    let customer = app
        .create_customer("acme", json!({ "email": "edge@example.com" }))
        .await;
    let literal = app
        .gql(
            "acme",
            r#"mutation { createCustomer(input: { name: "x", metadata: { a: "\u0000" } }) { created } }"#,
            json!({}),
        )
        .await;
    assert_eq!(literal.code(), "BAD_USER_INPUT", "{:#}", literal.body);
    assert_eq!(literal.field(), "input");
    let variable = app
        .gql(
            "acme",
            "query($f: CustomerFilter) { customerCount(filter: $f) }",
            json!({ "f": { "search": "abc\u{0}" } }),
        )
        .await;
    assert_eq!(variable.code(), "BAD_USER_INPUT", "{:#}", variable.body);
    assert_eq!(variable.field(), "f");
    let key = app
        .gql(
            "acme",
            "mutation($c: ID!, $d: JSON) { recordActivity(customerId: $c, input: { type: CUSTOM, data: $d }) { id } }",
            json!({ "c": customer, "d": { "a\u{0}": 1 } }),
        )
        .await;
    assert_eq!(key.code(), "BAD_USER_INPUT");
    assert_eq!(app.count("acme").await, 1);

    let max = json!({ "x": f64::MAX, "tiny": 5e-324, "big": 1.5e308 });
    let recorded = app
        .gql(
            "acme",
            "mutation($c: ID!, $d: JSON) { recordActivity(customerId: $c, input: { type: CUSTOM, data: $d }) { data } }",
            json!({ "c": customer, "d": max }),
        )
        .await
        .ok();
    assert_eq!(recorded["recordActivity"]["data"], max);
    let read = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { activity(first: 5, types: [CUSTOM]) { nodes { data } } } }",
            json!({ "c": customer }),
        )
        .await
        .ok();
    assert_eq!(read["customer"]["activity"]["nodes"][0]["data"], max);
}

/// Two instances on one PostgreSQL spend one tenant's budget between them:
/// never more than the bucket and its refill, and all but what each holds
/// leased and unspent (under a request's cost) and what the shared bucket
/// keeps under a request's cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_tenant_budget_within_a_request_each() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let budget = ["--rate-bucket", "1000", "--rate-restore", "1"];
    let mut args = vec!["--jwt-secret", crate::helpers::SECRET];
    args.extend(budget);
    let first = spawn_app_with(backend, &args).await;
    let second = first.another_instance_with(&budget).await;
    let started = Instant::now();
    let (mut granted, mut cost, mut refused) = (0.0, 0.0, [false, false]);
    for i in 0..40 {
        let instance = if i % 2 == 0 { &first } else { &second };
        let response = instance.gql("acme", COSTS_100, json!({})).await;
        cost = response.body["extensions"]["cost"]["requestedQueryCost"]
            .as_f64()
            .unwrap();
        match response.status {
            200 => granted += cost,
            429 => refused[i % 2] = true,
            other => panic!("{other}: {:#}", response.body),
        }
        if refused == [true, true] {
            break;
        }
    }
    assert_eq!(refused, [true, true], "both instances refuse in the end");
    let refill = started.elapsed().as_secs_f64();
    assert!(
        granted <= 1000.0 + refill,
        "granted {granted} of 1,000 and {refill:.1} refilled"
    );
    assert!(
        granted > 1000.0 - 3.0 * cost,
        "granted {granted} of 1,000 at {cost} a request"
    );
}

backend_tests!(
    nul_characters_are_refused_and_extreme_numbers_round_trip,
    depth_counts_fields_through_fragments_and_exempts_introspection,
    aliases_and_fields_are_capped,
    queries_cost_their_connections_and_every_response_says_so,
    the_budget_refuses_a_burst_and_recovers_at_the_restore_rate,
    a_request_past_its_timeout_is_cut_off_and_changes_nothing,
    persisted_queries_run_by_hash_within_a_tenant,
    metrics_and_request_ids_show_what_the_server_does,
);

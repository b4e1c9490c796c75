//! Query limits, refused before anything runs: depth (through fragments;
//! introspection exempt by its field only), aliases and fields, and cost,
//! which every response reports.

use serde_json::json;

use super::{DEPTH_13, quiet_app, refused};
use crate::helpers::Backend;

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

backend_tests!(
    depth_counts_fields_through_fragments_and_exempts_introspection,
    aliases_and_fields_are_capped,
    queries_cost_their_connections_and_every_response_says_so,
);

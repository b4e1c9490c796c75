//! Companies: their customers, totals, lookup by domain, and how merges,
//! deletions and erasure keep them consistent.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, days_ago, record_order, spawn_app};

const CREATE: &str = "mutation($input: CompanyInput!) { createCompany(input: $input) { id name domain industry size address { city country } metadata createdAt } }";
const UPDATE: &str = "mutation($id: ID!, $input: CompanyUpdateInput!) { updateCompany(id: $id, input: $input) { name domain size } }";
const DELETE: &str = "mutation($id: ID!) { deleteCompany(id: $id) { deletedId } }";
const COMPANY: &str = "query($id: ID!) { company(id: $id) { name customerCount totalOrders totalSpent lastOrderAt customers(first: 10) { totalCount nodes { email companyName } } } }";
const BY_DOMAIN: &str = "query($d: String!) { companyByDomain(domain: $d) { id name } }";
const LIST: &str = "query($search: String, $after: String) { companies(first: 2, after: $after, search: $search) { totalCount pageInfo { hasNextPage endCursor } nodes { name } } }";
const CUSTOMER: &str = "query($id: ID!) { customer(id: $id) { companyName company { id name } } }";
const UPDATE_CUSTOMER: &str = "mutation($id: ID!, $input: CustomerUpdateInput!) { updateCustomer(id: $id, input: $input) { companyName company { name } } }";

async fn company(app: &TestApp, tenant: &str, input: Value) -> String {
    app.gql(tenant, CREATE, json!({ "input": input }))
        .await
        .ok()["createCompany"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn customers_belong_to_a_company_with_its_totals(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app
        .gql(
            "acme",
            CREATE,
            json!({ "input": { "name": "Initech", "domain": "https://www.Initech.example/about", "industry": "Software", "size": 120, "address": { "city": "Austin", "country": "us" }, "metadata": { "tier": "gold" } } }),
        )
        .await
        .ok()["createCompany"]
        .clone();
    let initech = created["id"].as_str().unwrap().to_owned();
    assert!(initech.starts_with("com_"));
    assert_eq!(created["domain"], "initech.example");
    assert_eq!(
        created["address"],
        json!({ "city": "Austin", "country": "US" })
    );

    let peter = app
        .create_customer("acme", json!({ "email": "peter@initech.example", "companyName": "typo", "companyId": initech }))
        .await;
    let milton = app
        .create_customer("acme", json!({ "email": "milton@initech.example" }))
        .await;
    let linked = app
        .gql(
            "acme",
            UPDATE_CUSTOMER,
            json!({ "id": milton, "input": { "companyId": initech } }),
        )
        .await
        .ok();
    assert_eq!(
        linked["updateCustomer"],
        json!({ "companyName": "Initech", "company": { "name": "Initech" } })
    );
    record_order(&app, "acme", &peter, json!({ "externalId": "P-1", "amount": "100.00", "currency": "EUR", "placedAt": days_ago(2.0) })).await;
    record_order(&app, "acme", &milton, json!({ "externalId": "M-1", "amount": "20.50", "currency": "EUR", "placedAt": days_ago(1.0) })).await;

    let data = app
        .gql("acme", COMPANY, json!({ "id": initech }))
        .await
        .ok()["company"]
        .clone();
    assert_eq!(data["customerCount"], 2);
    assert_eq!(data["totalOrders"], 2);
    assert_eq!(data["totalSpent"], "120.50");
    assert!(data["lastOrderAt"].is_string());
    assert_eq!(data["customers"]["totalCount"], 2);
    assert_eq!(data["customers"]["nodes"][0]["companyName"], "Initech");

    // Found by domain in any form, and by node.
    for d in [
        "initech.example",
        "HTTPS://initech.example/",
        "www.initech.example",
    ] {
        let found = app.gql("acme", BY_DOMAIN, json!({ "d": d })).await.ok();
        assert_eq!(found["companyByDomain"]["id"], initech.as_str(), "{d}");
    }
    let node = app
        .gql(
            "acme",
            "query($id: ID!) { node(id: $id) { id ... on Company { name } } }",
            json!({ "id": initech }),
        )
        .await
        .ok();
    assert_eq!(node["node"]["name"], "Initech");

    // A rename reaches the customers (and their search); companyName alone
    // cannot drift from the company's.
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": initech, "input": { "name": "Initrode" } }),
    )
    .await
    .ok();
    assert_eq!(
        app.count_where("acme", json!({ "search": "initrode" }))
            .await,
        2
    );
    let r = app
        .gql(
            "acme",
            UPDATE_CUSTOMER,
            json!({ "id": peter, "input": { "companyName": "Other" } }),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("BAD_USER_INPUT", "input.companyName")
    );

    // Out of the company: the name stays.
    let out = app
        .gql(
            "acme",
            UPDATE_CUSTOMER,
            json!({ "id": peter, "input": { "companyId": null } }),
        )
        .await
        .ok();
    assert_eq!(
        out["updateCustomer"],
        json!({ "companyName": "Initrode", "company": null })
    );
    let data = app
        .gql("acme", COMPANY, json!({ "id": initech }))
        .await
        .ok()["company"]
        .clone();
    assert_eq!(
        (data["customerCount"].clone(), data["totalSpent"].clone()),
        (json!(1), json!("20.50"))
    );
}

async fn companies_are_listed_searched_and_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    for name in ["Émile & Co", "Acme", "Globex", "acme labs", "Hooli"] {
        company(&app, "acme", json!({ "name": name })).await;
    }
    company(
        &app,
        "acme",
        json!({ "name": "Umbrella", "domain": "umbrella.example" }),
    )
    .await;

    let mut names = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.gql("acme", LIST, json!({ "after": after })).await.ok()["companies"].clone();
        assert_eq!(page["totalCount"], 6);
        names.extend(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["name"].as_str().unwrap().to_owned()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        names,
        [
            "Acme",
            "acme labs",
            "Émile & Co",
            "Globex",
            "Hooli",
            "Umbrella"
        ]
    );
    let found = app
        .gql("acme", LIST, json!({ "search": "ACME" }))
        .await
        .ok()["companies"]
        .clone();
    assert_eq!(found["totalCount"], 2);
    let found = app
        .gql("acme", LIST, json!({ "search": "emile" }))
        .await
        .ok()["companies"]
        .clone();
    assert_eq!(found["nodes"], json!([{ "name": "Émile & Co" }]));
    let found = app
        .gql("acme", LIST, json!({ "search": "umbrella.ex" }))
        .await
        .ok()["companies"]
        .clone();
    assert_eq!(found["totalCount"], 1);

    for (input, code, field) in [
        (json!({ "name": " " }), "BAD_USER_INPUT", "input.name"),
        (
            json!({ "name": "X", "domain": "not a domain" }),
            "BAD_USER_INPUT",
            "input.domain",
        ),
        (
            json!({ "name": "X", "size": -1 }),
            "BAD_USER_INPUT",
            "input.size",
        ),
        (
            json!({ "name": "X", "address": { "country": "XX" } }),
            "BAD_USER_INPUT",
            "input.address.country",
        ),
        (
            json!({ "name": "X", "metadata": [1] }),
            "BAD_USER_INPUT",
            "input.metadata",
        ),
        (
            json!({ "name": "Umbrella 2", "domain": "UMBRELLA.example" }),
            "CONFLICT",
            "input.domain",
        ),
    ] {
        let r = app.gql("acme", CREATE, json!({ "input": input })).await;
        assert_eq!((r.code(), r.field()), (code, field), "{input}");
    }
    let r = app
        .gql("acme", "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }", json!({ "i": { "email": "a@b.example", "companyId": "com_0000000000000000000000000000dead" } }))
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "input.companyId"));
    let r = app
        .gql("acme", "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }", json!({ "i": { "email": "a@b.example", "companyId": "cus_0000000000000000000000000000dead" } }))
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "input.companyId"));
    assert_eq!(app.count("acme").await, 0);
}

async fn companies_stay_within_their_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let initech = company(
        &app,
        "acme",
        json!({ "name": "Initech", "domain": "initech.example" }),
    )
    .await;
    assert_eq!(
        app.gql("globex", COMPANY, json!({ "id": initech }))
            .await
            .ok()["company"],
        Value::Null
    );
    assert_eq!(
        app.gql("globex", BY_DOMAIN, json!({ "d": "initech.example" }))
            .await
            .ok()["companyByDomain"],
        Value::Null
    );
    assert_eq!(
        app.gql("globex", LIST, json!({})).await.ok()["companies"]["totalCount"],
        0
    );
    for (query, vars) in [
        (
            UPDATE,
            json!({ "id": initech, "input": { "name": "Mine" } }),
        ),
        (DELETE, json!({ "id": initech })),
    ] {
        assert_eq!(app.gql("globex", query, vars).await.code(), "NOT_FOUND");
    }
    let r = app
        .gql(
            "globex",
            "mutation($i: CustomerInput!) { createCustomer(input: $i) { customer { id } } }",
            json!({ "i": { "email": "a@b.example", "companyId": initech } }),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "input.companyId"));
    // The same domain is another tenant's own.
    company(
        &app,
        "globex",
        json!({ "name": "Initech", "domain": "initech.example" }),
    )
    .await;
    let reader = app.token_with("acme", "read:customers");
    let r = app
        .gql_as(&reader, CREATE, json!({ "input": { "name": "X" } }))
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
}

async fn merge_delete_and_erasure_keep_companies_consistent(backend: Backend) {
    let app = spawn_app(backend).await;
    let initech = company(&app, "acme", json!({ "name": "Initech" })).await;
    let keep = app
        .create_customer(
            "acme",
            json!({ "email": "keep@x.example", "companyName": "Freelance" }),
        )
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "email": "dup@x.example", "companyId": initech }),
        )
        .await;
    app.gql(
        "acme",
        "mutation($k: ID!, $m: ID!) { mergeCustomers(keepId: $k, mergeId: $m) { id } }",
        json!({ "k": keep, "m": dup }),
    )
    .await
    .ok();
    let merged = app.gql("acme", CUSTOMER, json!({ "id": keep })).await.ok()["customer"].clone();
    assert_eq!(
        merged,
        json!({ "companyName": "Initech", "company": { "id": initech, "name": "Initech" } })
    );
    assert_eq!(
        app.gql("acme", COMPANY, json!({ "id": initech }))
            .await
            .ok()["company"]["customerCount"],
        1
    );

    // Erased, a customer leaves its company's count and totals.
    let other = app
        .create_customer(
            "acme",
            json!({ "email": "other@x.example", "companyId": initech }),
        )
        .await;
    record_order(&app, "acme", &other, json!({ "externalId": "O-1", "amount": "5.00", "currency": "EUR", "placedAt": days_ago(1.0) })).await;
    let request = app
        .request_data("acme", &other, "ERASURE", "asked by the customer")
        .await;
    app.finished_request("acme", &request).await;
    let data = app
        .gql("acme", COMPANY, json!({ "id": initech }))
        .await
        .ok()["company"]
        .clone();
    assert_eq!(
        (data["customerCount"].clone(), data["totalOrders"].clone()),
        (json!(1), json!(0))
    );

    // Deleted, the company lets its customers go with the name they had.
    app.gql("acme", DELETE, json!({ "id": initech })).await.ok();
    let after = app.gql("acme", CUSTOMER, json!({ "id": keep })).await.ok()["customer"].clone();
    assert_eq!(after, json!({ "companyName": "Initech", "company": null }));
    assert_eq!(
        app.gql("acme", DELETE, json!({ "id": initech }))
            .await
            .code(),
        "NOT_FOUND"
    );
}

backend_tests!(
    customers_belong_to_a_company_with_its_totals,
    companies_are_listed_searched_and_checked,
    companies_stay_within_their_tenant,
    merge_delete_and_erasure_keep_companies_consistent,
);

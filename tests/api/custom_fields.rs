//! Custom field definitions: typed values in `metadata`, filters, sorts
//! and segment rules on them.

use crm::profiles::fields::column::{self, Class};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{
    ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement, TransactionTrait,
};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, segments, spawn_app};

const DEFINE: &str = "mutation($input: CustomFieldDefinitionInput!) { createCustomFieldDefinition(input: $input) { key label type options required description archived createdAt updatedAt } }";
const CHANGE: &str = "mutation($key: String!, $input: CustomFieldDefinitionUpdateInput!) { updateCustomFieldDefinition(key: $key, input: $input) { key label options required description archived } }";
const ARCHIVE: &str =
    "mutation($key: String!) { archiveCustomFieldDefinition(key: $key) { key archived } }";
const LIST: &str =
    "query($all: Boolean) { customFieldDefinitions(includeArchived: $all) { key type archived } }";
const CREATE: &str = "mutation($input: CustomerInput!) { createCustomer(input: $input) { customer { id metadata } } }";
const UPDATE: &str = "mutation($id: ID!, $input: CustomerUpdateInput!) { updateCustomer(id: $id, input: $input) { metadata } }";
const IMPORT: &str = "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created failed { index field code } } }";
const LIST_CUSTOMERS: &str = "query($filter: CustomerFilter, $sort: CustomerSort, $after: String) { customers(first: 2, after: $after, filter: $filter, sort: $sort) { pageInfo { hasNextPage endCursor } nodes { email } } }";

async fn define(app: &TestApp, tenant: &str, input: Value) -> Value {
    app.gql(tenant, DEFINE, json!({ "input": input }))
        .await
        .ok()["createCustomFieldDefinition"]
        .clone()
}

/// The CRM's usual fields: a plan (select), seats (number), a renewal
/// date, a health score (decimal), channels (multi-select), a flag.
async fn define_usual(app: &TestApp, tenant: &str) {
    for input in [
        json!({ "key": "plan", "label": "Plan", "type": "SINGLE_SELECT", "options": ["free", "pro", "enterprise"] }),
        json!({ "key": "seats", "label": "Seats", "type": "NUMBER" }),
        json!({ "key": "renewal_date", "label": "Renewal date", "type": "DATE" }),
        json!({ "key": "health", "label": "Health", "type": "DECIMAL" }),
        json!({ "key": "channels", "label": "Channels", "type": "MULTI_SELECT", "options": ["web", "store", "phone"] }),
        json!({ "key": "vip", "label": "VIP", "type": "BOOLEAN" }),
        json!({ "key": "last_call", "label": "Last call", "type": "DATETIME" }),
        json!({ "key": "billing_email", "label": "Billing email", "type": "EMAIL" }),
    ] {
        define(app, tenant, input).await;
    }
}

async fn metadata_error(app: &TestApp, metadata: Value) -> (String, String) {
    let r = app
        .gql(
            "acme",
            CREATE,
            json!({ "input": { "email": "x@acme.example", "metadata": metadata } }),
        )
        .await;
    (r.code().to_owned(), r.field().to_owned())
}

/// The emails of every customer of a filtered, sorted list, page by page.
async fn emails(app: &TestApp, filter: Value, sort: Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .gql(
                "acme",
                LIST_CUSTOMERS,
                json!({ "filter": filter, "sort": sort, "after": after }),
            )
            .await
            .ok();
        let page = &data["customers"];
        for node in page["nodes"].as_array().unwrap() {
            out.push(node["email"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn definitions_are_created_changed_archived_and_kept_per_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let plan = define(
        &app,
        "acme",
        json!({ "key": "plan", "label": " Plan ", "type": "SINGLE_SELECT", "options": ["free", "pro"], "required": false, "description": "What they pay for" }),
    )
    .await;
    assert_eq!(plan["label"], "Plan");
    assert_eq!(plan["type"], "SINGLE_SELECT");
    assert_eq!(plan["options"], json!(["free", "pro"]));
    assert_eq!(plan["archived"], false);

    for (input, code, field) in [
        (
            json!({ "key": "Plan", "label": "x", "type": "TEXT" }),
            "BAD_USER_INPUT",
            "input.key",
        ),
        (
            json!({ "key": "2fa", "label": "x", "type": "TEXT" }),
            "BAD_USER_INPUT",
            "input.key",
        ),
        (
            json!({ "key": "tier", "label": "x", "type": "SINGLE_SELECT" }),
            "BAD_USER_INPUT",
            "input.options",
        ),
        (
            json!({ "key": "tier", "label": "x", "type": "MULTI_SELECT", "options": ["a", "a"] }),
            "BAD_USER_INPUT",
            "input.options",
        ),
        (
            json!({ "key": "tier", "label": "x", "type": "NUMBER", "options": ["a"] }),
            "BAD_USER_INPUT",
            "input.options",
        ),
        (
            json!({ "key": "tier", "label": " ", "type": "TEXT" }),
            "BAD_USER_INPUT",
            "input.label",
        ),
        (
            json!({ "key": "plan", "label": "Again", "type": "TEXT" }),
            "CONFLICT",
            "input.key",
        ),
    ] {
        let r = app.gql("acme", DEFINE, json!({ "input": input })).await;
        assert_eq!((r.code(), r.field()), (code, field), "{input}");
    }

    let changed = app
        .gql("acme", CHANGE, json!({ "key": "plan", "input": { "label": "Plan tier", "options": ["free", "pro", "team"], "required": true, "description": null } }))
        .await
        .ok()["updateCustomFieldDefinition"]
        .clone();
    assert_eq!(
        changed,
        json!({ "key": "plan", "label": "Plan tier", "options": ["free", "pro", "team"], "required": true, "description": null, "archived": false })
    );
    let r = app
        .gql(
            "acme",
            CHANGE,
            json!({ "key": "plan", "input": { "options": [] } }),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "input.options"));

    // Another tenant neither sees nor changes it, and may define its own.
    assert_eq!(
        app.gql("globex", LIST, json!({})).await.ok()["customFieldDefinitions"],
        json!([])
    );
    let r = app.gql("globex", ARCHIVE, json!({ "key": "plan" })).await;
    assert_eq!(r.code(), "NOT_FOUND");
    define(
        &app,
        "globex",
        json!({ "key": "plan", "label": "Plan", "type": "TEXT" }),
    )
    .await;

    // A token without write:customers reads but cannot define.
    let reader = app.token_with("acme", "read:customers");
    let r = app
        .gql_as(
            &reader,
            DEFINE,
            json!({ "input": { "key": "tier", "label": "x", "type": "TEXT" } }),
        )
        .await;
    assert_eq!(r.code(), "FORBIDDEN");
    assert_eq!(
        app.gql_as(&reader, LIST, json!({})).await.ok()["customFieldDefinitions"][0]["key"],
        "plan"
    );

    // Archived: listed only when asked, and back with archived: false.
    app.gql("acme", ARCHIVE, json!({ "key": "plan" }))
        .await
        .ok();
    assert_eq!(
        app.gql("acme", LIST, json!({})).await.ok()["customFieldDefinitions"],
        json!([])
    );
    assert_eq!(
        app.gql("acme", LIST, json!({ "all": true })).await.ok()["customFieldDefinitions"],
        json!([{ "key": "plan", "type": "SINGLE_SELECT", "archived": true }])
    );
    app.gql(
        "acme",
        CHANGE,
        json!({ "key": "plan", "input": { "archived": false } }),
    )
    .await
    .ok();
    assert_eq!(
        app.gql("acme", LIST, json!({})).await.ok()["customFieldDefinitions"][0]["archived"],
        false
    );
}

async fn values_of_defined_fields_are_checked_and_kept_in_normal_form(backend: Backend) {
    let app = spawn_app(backend).await;
    define_usual(&app, "acme").await;

    for (metadata, field) in [
        (json!({ "plan": "gold" }), "input.metadata.plan"),
        (json!({ "seats": 2.5 }), "input.metadata.seats"),
        (json!({ "seats": "many" }), "input.metadata.seats"),
        (
            json!({ "renewal_date": "2027-02-30" }),
            "input.metadata.renewal_date",
        ),
        (json!({ "health": true }), "input.metadata.health"),
        (
            json!({ "channels": ["web", "mail"] }),
            "input.metadata.channels",
        ),
        (json!({ "vip": "yes" }), "input.metadata.vip"),
        (
            json!({ "last_call": "yesterday" }),
            "input.metadata.last_call",
        ),
        (
            json!({ "billing_email": "not an email" }),
            "input.metadata.billing_email",
        ),
    ] {
        assert_eq!(
            metadata_error(&app, metadata.clone()).await,
            ("BAD_USER_INPUT".to_owned(), field.to_owned()),
            "{metadata}"
        );
    }
    assert_eq!(
        app.count("acme").await,
        0,
        "a refused write changes nothing"
    );

    let created = app
        .gql(
            "acme",
            CREATE,
            json!({ "input": { "email": "ana@acme.example", "metadata": {
                "plan": "pro", "seats": "12", "renewal_date": "2027-01-31", "health": "0.75",
                "channels": ["phone", "web", "phone"], "vip": "true",
                "last_call": "2026-12-01T10:00:00+02:00", "billing_email": " Billing@ACME.example ",
                "shoe_size": "free metadata stays as given", "plan_note": null
            } } }),
        )
        .await
        .ok();
    let ana = created["createCustomer"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created["createCustomer"]["customer"]["metadata"],
        json!({
            "plan": "pro", "seats": 12, "renewal_date": "2027-01-31", "health": 0.75,
            "channels": ["web", "phone"], "vip": true, "last_call": "2026-12-01T08:00:00.000Z",
            "billing_email": "billing@acme.example",
            "shoe_size": "free metadata stays as given", "plan_note": null
        })
    );

    // Null (or an empty value) removes a defined field; a bad value in an
    // update changes nothing.
    let r = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": ana, "input": { "metadata": { "plan": "gold" } } }),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("BAD_USER_INPUT", "input.metadata.plan")
    );
    let after = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": ana, "input": { "metadata": { "plan": null, "seats": 3, "vip": "" } } }),
        )
        .await
        .ok()["updateCustomer"]["metadata"]
        .clone();
    assert_eq!(after, json!({ "seats": 3 }));

    // Import rows are checked the same way, each row on its own.
    let imported = app
        .gql(
            "acme",
            IMPORT,
            json!({ "rows": [
            { "email": "bo@acme.example", "metadata": { "plan": "free" } },
            { "email": "cy@acme.example", "metadata": { "plan": "platinum" } },
        ] }),
        )
        .await
        .ok()["importCustomers"]
        .clone();
    assert_eq!(imported["created"], 1);
    assert_eq!(
        imported["failed"],
        json!([{ "index": 1, "field": "metadata.plan", "code": "BAD_USER_INPUT" }])
    );

    // A required field: needed on create and whenever metadata is written.
    app.gql(
        "acme",
        CHANGE,
        json!({ "key": "seats", "input": { "required": true } }),
    )
    .await
    .ok();
    assert_eq!(
        metadata_error(&app, json!({ "plan": "pro" })).await,
        (
            "BAD_USER_INPUT".to_owned(),
            "input.metadata.seats".to_owned()
        )
    );
    let r = app
        .gql(
            "acme",
            UPDATE,
            json!({ "id": ana, "input": { "metadata": { "seats": null } } }),
        )
        .await;
    assert_eq!(
        (r.code(), r.field()),
        ("BAD_USER_INPUT", "input.metadata.seats")
    );
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana, "input": { "name": "Ana" } }),
    )
    .await
    .ok();

    // Archived, a key is free metadata again; another tenant's keys are
    // its own.
    app.gql("acme", ARCHIVE, json!({ "key": "plan" }))
        .await
        .ok();
    app.gql(
        "acme",
        UPDATE,
        json!({ "id": ana, "input": { "metadata": { "seats": 3, "plan": "gold" } } }),
    )
    .await
    .ok();
    let other = app
        .gql(
            "globex",
            CREATE,
            json!({ "input": { "email": "ana@globex.example", "metadata": { "seats": "many" } } }),
        )
        .await
        .ok();
    assert_eq!(
        other["createCustomer"]["customer"]["metadata"]["seats"],
        "many"
    );
}

async fn defined_fields_filter_with_ranges_and_sort(backend: Backend) {
    let app = spawn_app(backend).await;
    define_usual(&app, "acme").await;
    for (email, metadata) in [
        (
            "a@acme.example",
            json!({ "plan": "pro", "seats": 5, "renewal_date": "2027-01-10", "health": 0.9, "channels": ["web"], "vip": true }),
        ),
        (
            "b@acme.example",
            json!({ "plan": "free", "seats": 1, "renewal_date": "2026-12-20", "health": 0.2, "channels": ["store", "phone"], "vip": false }),
        ),
        (
            "c@acme.example",
            json!({ "plan": "enterprise", "seats": 250, "renewal_date": "2027-03-01", "health": 0.55, "channels": ["web", "phone"] }),
        ),
        (
            "d@acme.example",
            json!({ "plan": "pro", "seats": 12, "health": 0.55 }),
        ),
        ("e@acme.example", json!({})),
    ] {
        app.create_customer("acme", json!({ "email": email, "metadata": metadata }))
            .await;
    }
    // A value written before its field was defined matches nothing.
    app.create_customer(
        "acme",
        json!({ "email": "f@acme.example", "metadata": { "legacy": "12" } }),
    )
    .await;
    define(
        &app,
        "acme",
        json!({ "key": "legacy", "label": "Legacy", "type": "NUMBER" }),
    )
    .await;

    let cases = [
        (
            json!([{ "key": "renewal_date", "gte": "2027-01-01", "lt": "2027-02-01" }]),
            vec!["a"],
        ),
        (
            json!([{ "key": "renewal_date", "lt": "2027-01-01" }]),
            vec!["b"],
        ),
        (json!([{ "key": "seats", "gt": 4 }]), vec!["a", "c", "d"]),
        (
            json!([{ "key": "seats", "gte": "5", "lte": 12 }]),
            vec!["a", "d"],
        ),
        (json!([{ "key": "health", "equals": 0.55 }]), vec!["c", "d"]),
        (
            json!([{ "key": "plan", "in": ["pro", "enterprise"] }]),
            vec!["a", "c", "d"],
        ),
        (
            json!([{ "key": "channels", "equals": "phone" }]),
            vec!["b", "c"],
        ),
        (
            json!([{ "key": "channels", "in": ["store", "web"] }]),
            vec!["a", "b", "c"],
        ),
        (json!([{ "key": "vip", "equals": false }]), vec!["b"]),
        (
            json!([{ "key": "renewal_date", "exists": false }]),
            vec!["d", "e", "f"],
        ),
        (json!([{ "key": "legacy", "exists": true }]), vec![]),
        (
            json!([{ "key": "plan", "equals": "pro" }, { "key": "seats", "gt": 10 }]),
            vec!["d"],
        ),
    ];
    for (fields, expected) in cases {
        let filter = json!({ "fields": fields });
        let mut got: Vec<String> = emails(&app, filter.clone(), Value::Null).await;
        got.sort();
        let expected: Vec<String> = expected
            .iter()
            .map(|e| format!("{e}@acme.example"))
            .collect();
        assert_eq!(got, expected, "{filter}");
        assert_eq!(
            app.count_where("acme", filter.clone()).await,
            expected.len() as i64,
            "{filter}"
        );
    }

    for (fields, field) in [
        (
            json!([{ "key": "nope", "equals": 1 }]),
            "filter.fields[0].key",
        ),
        (
            json!([{ "key": "plan", "gt": "free" }]),
            "filter.fields[0].gt",
        ),
        (
            json!([{ "key": "plan", "equals": "gold" }]),
            "filter.fields[0].equals",
        ),
        (
            json!([{ "key": "seats", "lt": "soon" }]),
            "filter.fields[0].lt",
        ),
    ] {
        let r = app
            .gql(
                "acme",
                LIST_CUSTOMERS,
                json!({ "filter": { "fields": fields } }),
            )
            .await;
        assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", field), "{fields}");
    }

    // Sorted by a field, two at a time through cursors; customers without
    // a value last descending, first ascending; ties by id.
    let by = |key: &str, direction: &str| json!({ "fieldKey": key, "direction": direction });
    let desc = emails(&app, Value::Null, by("seats", "DESC")).await;
    assert_eq!(
        &desc[..4],
        [
            "c@acme.example",
            "d@acme.example",
            "a@acme.example",
            "b@acme.example"
        ]
    );
    let asc = emails(&app, Value::Null, by("renewal_date", "ASC")).await;
    assert_eq!(
        &asc[3..],
        ["b@acme.example", "a@acme.example", "c@acme.example"]
    );
    assert_eq!(asc.len(), 6);
    let health = emails(&app, Value::Null, by("health", "DESC")).await;
    assert_eq!(&health[..2], ["a@acme.example", health[1].as_str()]);
    assert_eq!(health.len(), 6);
    // `customFields`, the deprecated first name of `fields`, still works.
    let vip = emails(
        &app,
        json!({ "customFields": [{ "key": "vip", "exists": true }] }),
        by("vip", "DESC"),
    )
    .await;
    assert_eq!(vip, ["a@acme.example", "b@acme.example"]);
    let r = app
        .gql(
            "acme",
            LIST_CUSTOMERS,
            json!({ "sort": by("channels", "ASC") }),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "sort.fieldKey"));
    let r = app
        .gql("acme", LIST_CUSTOMERS, json!({ "sort": by("nope", "ASC") }))
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "sort.fieldKey"));
    // A cursor made under one field's sort is refused under another's.
    let first = app
        .gql(
            "acme",
            LIST_CUSTOMERS,
            json!({ "sort": by("seats", "DESC") }),
        )
        .await
        .ok();
    let cursor = first["customers"]["pageInfo"]["endCursor"].clone();
    let r = app
        .gql(
            "acme",
            LIST_CUSTOMERS,
            json!({ "sort": by("health", "DESC"), "after": cursor }),
        )
        .await;
    assert_eq!(r.code(), "BAD_USER_INPUT");
}

async fn segment_rules_use_defined_fields_with_their_types(backend: Backend) {
    let app = spawn_app(backend).await;
    define_usual(&app, "acme").await;
    app.create_customer(
        "acme",
        json!({ "email": "a@acme.example", "metadata": { "plan": "pro", "renewal_date": "2027-01-10", "channels": ["web"], "last_call": "2026-11-01T09:00:00Z" } }),
    )
    .await;
    let b = app
        .create_customer(
            "acme",
            json!({ "email": "b@acme.example", "metadata": { "plan": "free", "renewal_date": "2026-12-20", "channels": ["store", "phone"], "last_call": "2026-12-01T09:00:00Z" } }),
        )
        .await;
    let renewing = segments::create(
        &app,
        "acme",
        json!({ "name": "Renewing soon", "rules": [{ "field": "metadata.renewal_date", "operator": "before", "value": "2027-01-01" }] }),
    )
    .await;
    assert_eq!(
        segments::members(&app, "acme", &renewing).await,
        vec![b.clone()]
    );
    let by_phone = segments::create(
        &app,
        "acme",
        json!({ "name": "Phone", "rules": [{ "field": "metadata.channels", "operator": "contains", "value": "phone" }] }),
    )
    .await;
    assert_eq!(
        segments::members(&app, "acme", &by_phone).await,
        vec![b.clone()]
    );
    // A time is compared in UTC whatever offset the rule was written in.
    let called = segments::create(
        &app,
        "acme",
        json!({ "name": "Called lately", "rules": [{ "field": "metadata.last_call", "operator": "after", "value": "2026-11-30T23:00:00-02:00" }] }),
    )
    .await;
    assert_eq!(
        segments::members(&app, "acme", &called).await,
        vec![b.clone()]
    );

    for (rule, field) in [
        (
            json!({ "field": "metadata.plan", "operator": "eq", "value": "gold" }),
            "input.rules.0.value",
        ),
        (
            json!({ "field": "metadata.plan", "operator": "gt", "value": "free" }),
            "input.rules.0.operator",
        ),
        (
            json!({ "field": "metadata.renewal_date", "operator": "before", "value": "soon" }),
            "input.rules.0.value",
        ),
        (
            json!({ "field": "metadata.channels", "operator": "eq", "value": "web" }),
            "input.rules.0.operator",
        ),
    ] {
        let r = app
            .gql(
                "acme",
                segments::CREATE,
                json!({ "i": { "name": "Bad", "rules": [rule] } }),
            )
            .await;
        assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", field), "{rule}");
    }
}

/// The plan of `sql` on the app's database, with sequential scans and
/// sorts discouraged on PostgreSQL (its tables here are tiny).
async fn plan(app: &TestApp, sql: &str) -> String {
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let txn = db.begin().await.unwrap();
    let explain = if backend == sea_orm::DbBackend::Postgres {
        // Costs of a tiny table hardly differ: what is left is a plan that
        // reads the rows in the field's order without sorting them.
        txn.execute_unprepared("SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off")
            .await
            .unwrap();
        format!("EXPLAIN {sql}")
    } else {
        format!("EXPLAIN QUERY PLAN {sql}")
    };
    let rows = txn
        .query_all_raw(Statement::from_string(backend, explain))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    rows.iter()
        .map(|row| {
            let column = if backend == sea_orm::DbBackend::Postgres {
                0
            } else {
                3
            };
            row.try_get_by_index::<String>(column).unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn a_defined_field_gets_an_index_that_ranges_and_sorts_use(backend: Backend) {
    let app = spawn_app(backend).await;
    define(
        &app,
        "acme",
        json!({ "key": "renewal_date", "label": "Renewal date", "type": "DATE" }),
    )
    .await;
    let db = app.db.connect().await;
    let backend = db.get_database_backend();
    let (name, _) = column::index("renewal_date", Class::Text, backend);
    let listed = if backend == sea_orm::DbBackend::Postgres {
        format!(
            "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '{name}'"
        )
    } else {
        format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'")
    };
    // The worker makes it: wait until it is there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let n: i64 = db
            .query_one_raw(Statement::from_string(backend, listed.clone()))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index(0)
            .unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no index {name}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The query a range sorted by the field runs reads that index.
    let tenant = crm::tenancy::TenantId::parse("acme").unwrap();
    let value = || column::value("renewal_date", Class::Text, backend);
    let query = crm::tenancy::select::<entity::customer::Entity>(&tenant)
        .filter(value().gte("2027-01-01"))
        // As the list orders a nullable key: NULLs first ascending.
        .order_by_with_nulls(
            value(),
            sea_orm::Order::Asc,
            sea_orm::sea_query::NullOrdering::First,
        )
        .limit(25);
    // An index built concurrently serves a transaction once the ones older
    // than the build have ended (other tests' here): until then, wait.
    let sql = query.build(backend).to_string();
    loop {
        let plan = plan(&app, &sql).await;
        if plan.contains(&name) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{plan}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

backend_tests!(
    a_defined_field_gets_an_index_that_ranges_and_sorts_use,
    definitions_are_created_changed_archived_and_kept_per_tenant,
    values_of_defined_fields_are_checked_and_kept_in_normal_form,
    defined_fields_filter_with_ranges_and_sort,
    segment_rules_use_defined_fields_with_their_types,
);

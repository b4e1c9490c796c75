//! API.md §5 at scale: importCustomers, tagCustomers, mergeCustomers and
//! search.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};

const IMPORT: &str = "mutation($rows: [CustomerInput!]!, $mode: ImportMode) {
  importCustomers(customers: $rows, mode: $mode) { created updated skipped failed { index code message field } }
}";

/// Row `i` of a 5,000-row file; every 100th row (offset 37) is bad, in one
/// of five ways, with the field it names.
fn row(i: usize) -> (Value, Option<&'static str>) {
    let good = json!({
        "firstName": format!("First{i}"),
        "lastName": "Importer",
        "email": format!("person{i}@import.example"),
        "tags": ["imported", format!("batch{}", i / 1000)],
        "metadata": { "row": i },
        "address": { "city": "Lagos", "country": "NG" },
    });
    if i % 100 != 37 {
        return (good, None);
    }
    let mut bad = good;
    let field = match (i / 100) % 5 {
        0 => {
            bad["email"] = json!("not an email");
            "email"
        }
        1 => {
            bad["phone"] = json!("12");
            "phone"
        }
        2 => {
            bad["address"] = json!({ "country": "QQ" });
            "address.country"
        }
        3 => {
            bad["tags"] = json!(["x".repeat(65)]);
            "tags"
        }
        _ => {
            bad["metadata"] = json!("not an object");
            "metadata"
        }
    };
    (bad, Some(field))
}

async fn import_file(app: &TestApp, mode: &str) -> (i64, i64, i64, Vec<Value>) {
    let (mut created, mut updated, mut skipped, mut failed) = (0, 0, 0, Vec::new());
    for batch in 0..5 {
        let rows: Vec<Value> = (batch * 1000..(batch + 1) * 1000)
            .map(|i| row(i).0)
            .collect();
        let data = app
            .gql("acme", IMPORT, json!({ "rows": rows, "mode": mode }))
            .await
            .ok();
        let r = &data["importCustomers"];
        created += r["created"].as_i64().unwrap();
        updated += r["updated"].as_i64().unwrap();
        skipped += r["skipped"].as_i64().unwrap();
        for f in r["failed"].as_array().unwrap() {
            let mut f = f.clone();
            f["index"] = json!(f["index"].as_i64().unwrap() + (batch * 1000) as i64);
            failed.push(f);
        }
    }
    (created, updated, skipped, failed)
}

async fn import_takes_the_good_rows_and_reports_each_bad_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let (created, updated, skipped, failed) = import_file(&app, "UPSERT").await;
    assert_eq!((created, updated, skipped), (4950, 0, 0));
    assert_eq!(failed.len(), 50);
    for f in &failed {
        let index = f["index"].as_u64().unwrap() as usize;
        let expected = row(index)
            .1
            .unwrap_or_else(|| panic!("row {index} was good: {f}"));
        assert_eq!(f["code"], "BAD_USER_INPUT", "{f}");
        assert_eq!(f["field"], expected, "{f}");
    }
    assert_eq!(app.count("acme").await, 4950);
    let sample = app
        .gql("acme", r#"{ customerLookup(email: "PERSON4242@import.example") { name tags metadata address { country } } }"#, json!({}))
        .await
        .ok();
    assert_eq!(
        sample["customerLookup"],
        json!({ "name": "First4242 Importer", "tags": ["batch4", "imported"], "metadata": { "row": 4242 }, "address": { "country": "NG" } })
    );

    for mode in ["UPSERT", "CREATE_ONLY"] {
        let (created, updated, skipped, failed) = import_file(&app, mode).await;
        assert_eq!(
            (created, updated, skipped, failed.len()),
            (0, 0, 4950, 50),
            "{mode} again"
        );
    }
    assert_eq!(
        app.count("acme").await,
        4950,
        "importing again creates nothing"
    );
}

async fn import_handles_duplicates_within_a_call(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer(
        "acme",
        json!({ "email": "old@example.com", "name": "Old", "tags": ["keep"] }),
    )
    .await;
    let rows = json!([
        { "email": "new@example.com", "name": "First", "tags": ["a"] },
        { "email": "NEW@example.com", "phone": "+14155552671", "addTags": ["b"] },
        { "phone": "+1 415 555 2671", "companyName": "Same Person Inc" },
        { "email": "old@example.com", "name": "Old Renamed", "addTags": ["more"] },
        { "email": "old@example.com", "phone": "+14155552671" },
        { "name": "No Key" },
    ]);
    let data = app.gql("acme", IMPORT, json!({ "rows": rows })).await.ok();
    let r = &data["importCustomers"];
    assert_eq!(
        (
            r["created"].clone(),
            r["updated"].clone(),
            r["skipped"].clone()
        ),
        (json!(2), json!(3), json!(0)),
        "{r}"
    );
    assert_eq!(
        r["failed"],
        json!([{ "index": 4, "code": "CONFLICT", "message": "another customer has this phone", "field": "phone" }])
    );
    assert_eq!(app.count("acme").await, 3);
    let new = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "new@example.com") { name phone companyName tags } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        new["customerLookup"],
        json!({ "name": "First", "phone": "+14155552671", "companyName": "Same Person Inc", "tags": ["a", "b"] })
    );
    let old = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "old@example.com") { name phone tags } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        old["customerLookup"],
        json!({ "name": "Old Renamed", "phone": null, "tags": ["keep", "more"] })
    );

    // An exact repeat of a row changes nothing the second time.
    let twice = json!([{ "email": "twice@example.com", "name": "Twice" }, { "email": "twice@example.com", "name": "Twice" }]);
    let data = app.gql("acme", IMPORT, json!({ "rows": twice })).await.ok();
    let r = &data["importCustomers"];
    assert_eq!(
        (
            r["created"].clone(),
            r["updated"].clone(),
            r["skipped"].clone()
        ),
        (json!(1), json!(0), json!(1))
    );

    // One customer gives up an email that another takes, in one call, whatever
    // order the two are written in.
    let b = app
        .create_customer("acme", json!({ "phone": "+4930901820", "name": "B" }))
        .await;
    let a = app
        .create_customer(
            "acme",
            json!({ "email": "x@example.com", "phone": "+8613812345678", "name": "A" }),
        )
        .await;
    let moves = json!([
        { "phone": "+8613812345678", "email": "z@example.com" },
        { "phone": "+4930901820", "email": "x@example.com" },
    ]);
    let data = app.gql("acme", IMPORT, json!({ "rows": moves })).await.ok();
    assert_eq!(data["importCustomers"]["updated"], 2, "{data}");
    assert_eq!(data["importCustomers"]["failed"], json!([]));
    let emails = app
        .gql("acme", "query($a: ID!, $b: ID!) { a: customer(id: $a) { email } b: customer(id: $b) { email } }", json!({ "a": a, "b": b }))
        .await
        .ok();
    assert_eq!(
        emails,
        json!({ "a": { "email": "z@example.com" }, "b": { "email": "x@example.com" } })
    );
    let before = app.count("acme").await;

    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({ "name": format!("n{i}") }))
        .collect();
    let refused = app.gql("acme", IMPORT, json!({ "rows": too_many })).await;
    assert_eq!(
        (refused.code(), refused.field()),
        ("BAD_USER_INPUT", "customers")
    );
    assert_eq!(app.count("acme").await, before);
}

const TAG: &str = "mutation($ids: [ID!]!, $add: [String!], $remove: [String!]) { tagCustomers(ids: $ids, add: $add, remove: $remove) { id tags } }";

async fn tag_customers_adds_and_removes_without_replacing(backend: Backend) {
    let app = spawn_app(backend).await;
    let a = app
        .create_customer("acme", json!({ "name": "A", "tags": ["old", "stay"] }))
        .await;
    let b = app.create_customer("acme", json!({ "name": "B" })).await;
    let data = app
        .gql(
            "acme",
            TAG,
            json!({ "ids": [b, a], "add": ["new", " vip "], "remove": ["old"] }),
        )
        .await
        .ok();
    assert_eq!(
        data["tagCustomers"],
        json!([{ "id": b, "tags": ["new", "vip"] }, { "id": a, "tags": ["new", "stay", "vip"] }])
    );

    let other = app
        .create_customer("other", json!({ "name": "Theirs", "tags": ["t"] }))
        .await;
    for ids in [
        json!([a, other]),
        json!([a, crate::helpers::unknown_customer_id()]),
    ] {
        let response = app
            .gql("acme", TAG, json!({ "ids": ids, "add": ["x"] }))
            .await;
        assert_eq!(response.code(), "NOT_FOUND");
    }
    let unchanged = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { tags } }",
            json!({ "id": a }),
        )
        .await
        .ok();
    assert_eq!(
        unchanged["customer"]["tags"],
        json!(["new", "stay", "vip"]),
        "a refused call changes nothing"
    );
    let theirs = app
        .gql(
            "other",
            "query($id: ID!) { customer(id: $id) { tags } }",
            json!({ "id": other }),
        )
        .await
        .ok();
    assert_eq!(theirs["customer"]["tags"], json!(["t"]));

    let many: Vec<String> = (0..251).map(|_| a.clone()).collect();
    let response = app
        .gql("acme", TAG, json!({ "ids": many, "add": ["x"] }))
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "ids")
    );
    let response = app
        .gql("acme", TAG, json!({ "ids": [a], "add": [""] }))
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "add")
    );
    let hundred: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let response = app
        .gql("acme", TAG, json!({ "ids": [a], "add": hundred }))
        .await;
    assert_eq!(
        (response.code(), response.field()),
        ("BAD_USER_INPUT", "add")
    );

    let calls =
        (0..50).map(|i| app.gql("acme", TAG, json!({ "ids": [b], "add": [format!("c{i}")] })));
    for response in join_all(calls).await {
        response.ok();
    }
    let tags = app
        .gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { tags } }",
            json!({ "id": b }),
        )
        .await
        .ok();
    assert_eq!(
        tags["customer"]["tags"].as_array().unwrap().len(),
        52,
        "no concurrent tag was lost"
    );
}

const MERGE: &str = "mutation($keep: ID!, $merge: ID!) { mergeCustomers(keepId: $keep, mergeId: $merge) { id name email phone companyName tags metadata address { city country } } }";

async fn merge_moves_everything_and_deletes_the_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    let keep = app
        .create_customer("acme", json!({ "name": "Ana Silva", "phone": "+14155552671", "tags": ["vip"], "metadata": { "plan": "pro" } }))
        .await;
    let dup = app
        .create_customer(
            "acme",
            json!({ "name": "A. Silva", "email": "ana@example.com", "companyName": "Acme", "tags": ["eu", "vip"],
                    "metadata": { "plan": "free", "seats": 3 }, "address": { "city": "Porto", "country": "PT" } }),
        )
        .await;
    for (customer, external_id, amount) in [(&keep, "K-1", "10.00"), (&dup, "D-1", "32.50")] {
        crate::helpers::record_order(
            &app,
            "acme",
            customer,
            json!({ "externalId": external_id, "amount": amount, "currency": "EUR" }),
        )
        .await;
    }
    app.gql(
        "acme",
        "mutation($c: ID!) { addNote(customerId: $c, body: \"met at the fair\") { id } }",
        json!({ "c": dup }),
    )
    .await
    .ok();
    let merged = app
        .gql("acme", MERGE, json!({ "keep": keep, "merge": dup }))
        .await
        .ok();
    let moved = app
        .gql("acme", "query($id: ID!) { customer(id: $id) { totalOrders totalSpent orders { nodes { externalId customer { id } } } notes { nodes { body customer { id } } } activity { totalCount nodes { type title } } } }", json!({ "id": keep }))
        .await
        .ok()["customer"]
        .clone();
    assert_eq!(moved["totalOrders"], 2);
    assert_eq!(moved["totalSpent"], "42.50");
    let externals: Vec<&str> = moved["orders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(externals, ["D-1", "K-1"]);
    assert!(
        moved["orders"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["customer"]["id"] == keep.as_str())
    );
    assert_eq!(
        moved["notes"]["nodes"][0],
        json!({ "body": "met at the fair", "customer": { "id": keep } })
    );
    // Both timelines (2 creations, 2 orders, a note) and the merge itself.
    assert_eq!(moved["activity"]["totalCount"], 6);
    assert_eq!(moved["activity"]["nodes"][0]["title"], "Customer merged");
    assert_eq!(
        merged["mergeCustomers"],
        json!({ "id": keep, "name": "Ana Silva", "email": "ana@example.com", "phone": "+14155552671", "companyName": "Acme",
                "tags": ["eu", "vip"], "metadata": { "plan": "pro", "seats": 3 }, "address": { "city": "Porto", "country": "PT" } })
    );
    assert_eq!(
        app.gql(
            "acme",
            "query($id: ID!) { customer(id: $id) { id } }",
            json!({ "id": dup })
        )
        .await
        .ok()["customer"],
        Value::Null
    );
    assert_eq!(
        app.gql("acme", MERGE, json!({ "keep": keep, "merge": dup }))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql(
            "acme",
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }",
            json!({ "id": dup })
        )
        .await
        .code(),
        "NOT_FOUND"
    );
    let found = app
        .gql(
            "acme",
            r#"{ customerLookup(email: "ana@example.com") { id } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        found["customerLookup"]["id"], keep,
        "the email now leads to the kept customer"
    );
    assert_eq!(app.count("acme").await, 1);
    let search = app
        .gql(
            "acme",
            r#"{ customerCount(filter: { search: "acme" }) }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(
        search["customerCount"], 1,
        "the search index follows the merge"
    );

    let self_merge = app
        .gql("acme", MERGE, json!({ "keep": keep, "merge": keep }))
        .await;
    assert_eq!(
        (self_merge.code(), self_merge.field()),
        ("BAD_USER_INPUT", "mergeId")
    );

    let theirs = app
        .create_customer(
            "other",
            json!({ "name": "Theirs", "email": "theirs@example.com" }),
        )
        .await;
    for (tenant, k, m) in [
        ("acme", &keep, &theirs),
        ("acme", &theirs, &keep),
        ("other", &theirs, &keep),
        ("other", &keep, &theirs),
    ] {
        assert_eq!(
            app.gql(tenant, MERGE, json!({ "keep": k, "merge": m }))
                .await
                .code(),
            "NOT_FOUND",
            "{tenant}"
        );
    }
    assert_eq!((app.count("acme").await, app.count("other").await), (1, 1));
}

async fn search_is_substring_case_and_accent_insensitive(backend: Backend) {
    let sqlite = matches!(backend, Backend::Sqlite);
    let app = spawn_app(backend).await;
    let jonathan = app
        .create_customer(
            "acme",
            json!({ "name": "Jonathan Smithers", "email": "jonathan.smithers@example.com" }),
        )
        .await;
    let jose = app
        .create_customer(
            "acme",
            json!({ "firstName": "José", "lastName": "Álvarez Núñez", "phone": "+34 612 345 678" }),
        )
        .await;
    let li = app
        .create_customer(
            "acme",
            json!({ "name": "李小龍", "companyName": "Dragon Ltd", "phone": "+14155552671" }),
        )
        .await;
    app.create_customer(
        "other",
        json!({ "name": "Jonathan Other", "email": "jonathan.smithers@other.example" }),
    )
    .await;
    let query =
        "query($q: String) { customers(first: 100, filter: { search: $q }) { nodes { id } } }";
    let cases = [
        ("than.smi", vec![&jonathan]),
        ("SMITHERS@EXAMPLE", vec![&jonathan]),
        ("jose alvarez", vec![&jose]),
        ("NUNEZ", vec![&jose]),
        ("álvarez", vec![&jose]),
        ("612 345", vec![&jose]),
        ("555267", vec![&li]),
        ("(415) 555", vec![&li]),
        ("dragon", vec![&li]),
        ("a", vec![&jonathan, &jose, &li]),
        // Name, email, phone and company are searched apart, accents or not.
        ("nunezjose", vec![]),
        ("678346", vec![]),
        ("zz", vec![]),
        ("\"quoted\"", vec![]),
    ];
    for (q, expected) in cases {
        let data = app.gql("acme", query, json!({ "q": q })).await.ok();
        let mut got: Vec<String> = data["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = expected.into_iter().cloned().collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{q}");
    }
    // The index follows updates and deletes.
    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { name: \"Jon Renamed\" }) { id } }",
        json!({ "id": jonathan }),
    )
    .await
    .ok();
    let count = |q: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "acme",
                "query($q: String) { customerCount(filter: { search: $q }) }",
                json!({ "q": q }),
            )
            .await
            .ok()["customerCount"]
                .clone()
        }
    };
    assert_eq!(count("renamed").await, 1);
    assert_eq!(count("smithers").await, 1, "the email still matches");
    assert_eq!(count("jonathan s").await, 0);
    app.delete_customer("acme", &jonathan).await;
    assert_eq!(count("smithers").await, 0);
    if sqlite {
        // The FTS5 index holds exactly what the customers table does.
        use sea_orm::ConnectionTrait;
        let db = app.db.connect().await;
        db.execute_unprepared(
            "INSERT INTO customer_search (customer_search, rank) VALUES ('integrity-check', 1)",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    }
}

/// The filters `customerCount` answers from its maintained counts.
const FACETS: &[&str] = &[
    r#"{}"#,
    r#"{ "status": "ACTIVE" }"#,
    r#"{ "status": "ARCHIVED" }"#,
    r#"{ "country": "ES" }"#,
    r#"{ "country": "de" }"#,
    r#"{ "country": "PT" }"#,
    r#"{ "country": "" }"#,
    r#"{ "tags": ["vip"] }"#,
    r#"{ "tags": [" b2b "] }"#,
    r#"{ "tagsAny": ["new"] }"#,
    r#"{ "tags": ["eu"] }"#,
];

/// Each facet's count, checked against the same filter counted row by row
/// (a `createdAfter` bound every customer meets makes the filter one the
/// maintained counts do not answer) and against the connection's
/// `totalCount`.
async fn facet_counts(app: &TestApp, tenant: &str) -> Vec<i64> {
    let query = "query($f: CustomerFilter, $g: CustomerFilter) { kept: customerCount(filter: $f) scanned: customerCount(filter: $g) customers(first: 1, filter: $f) { totalCount } }";
    let mut counts = Vec::new();
    for facet in FACETS {
        let filter: Value = serde_json::from_str(facet).unwrap();
        let mut scanned = filter.clone();
        scanned["createdAfter"] = json!("2000-01-01T00:00:00Z");
        let data = app
            .gql(tenant, query, json!({ "f": filter, "g": scanned }))
            .await
            .ok();
        assert_eq!(data["kept"], data["scanned"], "{tenant} {facet}");
        assert_eq!(
            data["customers"]["totalCount"], data["scanned"],
            "{tenant} {facet}"
        );
        counts.push(data["kept"].as_i64().unwrap());
    }
    counts
}

/// The counts after each write path, on PostgreSQL also after folding the
/// delta rows (which leaves one row a key).
async fn counts_follow(app: &TestApp, step: &str, acme: &[i64]) {
    assert_eq!(facet_counts(app, "acme").await, acme, "after {step}");
    assert_eq!(
        facet_counts(app, "other").await,
        [1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0],
        "another tenant's writes never count here (after {step})"
    );
    if app.db.schema().is_some() {
        use sea_orm::ConnectionTrait as _;
        let db = app.db.connect().await;
        crm::profiles::counts::compact_customer_counts(&db)
            .await
            .unwrap();
        let keys: Vec<(String, i64)> = db
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT facet || ':' || value AS key, COUNT(*) AS n FROM customer_counts GROUP BY facet, value, tenant_id HAVING COUNT(*) > 1",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.try_get("", "key").unwrap(), row.try_get("", "n").unwrap()))
            .collect();
        assert_eq!(keys, [], "one row a key after folding");
        assert_eq!(
            facet_counts(app, "acme").await,
            acme,
            "folded, after {step}"
        );
    }
}

async fn maintained_counts_follow_every_write(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_customer(
        "other",
        json!({ "name": "Theirs", "tags": ["vip"], "address": { "country": "ES" } }),
    )
    .await;
    //                 all act arch ES DE PT none vip b2b new eu
    counts_follow(&app, "nothing", &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).await;

    let a = app
        .create_customer(
            "acme",
            json!({ "name": "A", "email": "a@x.example", "tags": ["vip", "eu"], "address": { "country": "ES" } }),
        )
        .await;
    let b = app
        .create_customer(
            "acme",
            json!({ "name": "B", "email": "b@x.example", "tags": ["vip"], "address": { "country": "FR" } }),
        )
        .await;
    let c = app.create_customer("acme", json!({ "name": "C" })).await;
    counts_follow(&app, "creates", &[3, 3, 0, 1, 0, 0, 1, 2, 0, 0, 1]).await;

    let rows = json!([
        { "name": "E", "email": "e@x.example", "tags": ["vip", "b2b"], "address": { "country": "ES" } },
        { "email": "b@x.example", "tags": ["b2b"], "address": { "country": "DE" } },
        { "name": "F", "email": "f@x.example", "address": { "country": "DE" } },
    ]);
    let data = app
        .gql("acme", IMPORT, json!({ "rows": rows, "mode": "UPSERT" }))
        .await
        .ok();
    assert_eq!(data["importCustomers"]["created"], 2, "{data}");
    counts_follow(&app, "an import", &[5, 5, 0, 2, 2, 0, 1, 2, 2, 0, 1]).await;

    app.gql(
        "acme",
        "mutation($id: ID!) { updateCustomer(id: $id, input: { status: ARCHIVED, address: { country: \"PT\" } }) { id } }",
        json!({ "id": a }),
    )
    .await
    .ok();
    counts_follow(&app, "an update", &[5, 4, 1, 1, 2, 1, 1, 2, 2, 0, 1]).await;

    app.gql(
        "acme",
        TAG,
        json!({ "ids": [a, c], "add": ["new", "vip"], "remove": ["eu"] }),
    )
    .await
    .ok();
    counts_follow(&app, "tagging", &[5, 4, 1, 1, 2, 1, 1, 3, 2, 2, 0]).await;

    let e = app
        .gql(
            "acme",
            "{ customers(first: 1, filter: { search: \"e@x.example\" }) { nodes { id } } }",
            json!({}),
        )
        .await
        .ok()["customers"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql("acme", MERGE, json!({ "keep": c, "merge": e }))
        .await
        .ok();
    counts_follow(&app, "a merge", &[4, 3, 1, 1, 2, 1, 0, 2, 2, 2, 0]).await;

    app.delete_customer("acme", &b).await;
    counts_follow(&app, "a delete", &[3, 2, 1, 1, 1, 1, 0, 2, 1, 2, 0]).await;

    let request = app.request_data("acme", &a, "ERASURE", "asked").await;
    assert_eq!(
        app.finished_request("acme", &request).await["status"],
        "COMPLETED"
    );
    let after = facet_counts(&app, "acme").await;
    assert_eq!(after[0], 2, "the erased customer is gone from every count");
    counts_follow(&app, "an erasure", &after).await;
}

/// Imports keep PostgreSQL's statistics in step with a growing tenant, so
/// lookups by email and phone stay index lookups: after 1,500 customers
/// arrive in a tenant the planner knew nothing of, it expects more than a
/// tenth of them (untouched, it would expect a handful).
async fn imports_keep_the_planner_statistics_current(backend: Backend) {
    let app = spawn_app(backend).await;
    // Statistics are refreshed from 10,000 customers on.
    for call in 0..11 {
        let rows: Vec<Value> = (call * 1000..call * 1000 + 1000)
            .map(|i| json!({ "name": format!("Grower {i}"), "email": format!("grower{i}@example.com") }))
            .collect();
        let created = app.gql("acme", IMPORT, json!({ "rows": rows })).await.ok()["importCustomers"]["created"].clone();
        assert_eq!(created, 1000);
    }
    let db = app.db.connect().await;
    let planned = crm::db::planned_customers(&db, "acme").await.unwrap();
    db.close().await.unwrap();
    match planned {
        None => assert!(
            app.db.schema().is_none(),
            "only SQLite plans without statistics"
        ),
        Some(rows) => assert!(
            rows >= 1100.0,
            "the planner expects {rows} of 11,000 customers"
        ),
    }
}

backend_tests!(
    imports_keep_the_planner_statistics_current,
    import_takes_the_good_rows_and_reports_each_bad_one,
    import_handles_duplicates_within_a_call,
    tag_customers_adds_and_removes_without_replacing,
    merge_moves_everything_and_deletes_the_duplicate,
    search_is_substring_case_and_accent_insensitive,
    maintained_counts_follow_every_write,
);

/// A server on the same machine as PostgreSQL talks to it without TLS
/// (nothing to protect there, and TLS records held back by Nagle's
/// algorithm cost bulk writes 40 ms a statement), unless the URL asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_postgresql_connection_goes_without_tls() {
    use sea_orm::ConnectionTrait as _;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    assert!(
        app.db.url.contains("127.0.0.1") || app.db.url.contains("localhost"),
        "the test database is on this machine: {}",
        app.db.url
    );
    let row = app
        .app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(!row.try_get_by_index::<bool>(0).unwrap());
}

/// On PostgreSQL every index compares its keys byte by byte (`"C"`), as
/// SQLite does, whatever the database's locale: only the free text of the
/// search index and segment names keep the locale's collation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_index_keys_compare_byte_by_byte() {
    use sea_orm::ConnectionTrait as _;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let rows = app
        .app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT c.relname::text || '.' || coalesce(a.attname::text, 'expression') AS key
             FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indcollation::oid[]) AS k(attnum, collid)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
             JOIN pg_collation coll ON coll.oid = k.collid
             WHERE n.nspname = current_schema() AND coll.collname <> 'C'
               AND c.relname <> 'seaql_migrations_pkey'
             ORDER BY 1",
        ))
        .await
        .unwrap();
    let keys: Vec<String> = rows
        .iter()
        .map(|row| row.try_get_by_index(0).unwrap())
        .collect();
    assert_eq!(
        keys,
        ["customers_search_trgm.search_text", "segments_name.name"]
    );
}

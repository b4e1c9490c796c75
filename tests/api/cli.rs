//! The `crm` binary: `schema` matches `schema.graphql`, and `token` mints a
//! token the server accepts.

use serde_json::json;

use crate::helpers::{Backend, SECRET, crm, crm_on, spawn_app};

#[test]
fn schema_graphql_is_what_crm_schema_prints() {
    let output = crm().arg("schema").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

async fn a_token_from_crm_token_works_against_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let output = crm()
        .args([
            "token",
            "--tenant",
            "acme",
            "--sub",
            "script",
            "--scopes",
            "read:customers write:customers",
            "--ttl",
            "10m",
        ])
        .env("CRM_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let created = app
        .gql_as(
            &token,
            r#"mutation { createCustomer(input: { email: "cli@example.com" }) { created } }"#,
            json!({}),
        )
        .await
        .ok();
    assert_eq!(created["createCustomer"]["created"], true);
    assert_eq!(app.count("acme").await, 1);
}

#[test]
fn crm_token_refuses_a_short_secret() {
    let output = crm()
        .args(["token", "--tenant", "acme"])
        .env("CRM_JWT_SECRET", "short")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least 32"));
}

#[test]
fn crm_token_refuses_a_lifetime_the_server_would_refuse() {
    let output = crm()
        .args(["token", "--tenant", "acme", "--ttl", "48h"])
        .env("CRM_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("CRM_JWT_MAX_TTL"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let longer = crm()
        .args(["token", "--tenant", "acme", "--ttl", "48h"])
        .env("CRM_JWT_SECRET", SECRET)
        .env("CRM_JWT_MAX_TTL", "7d")
        .output()
        .unwrap();
    assert!(longer.status.success());
}

async fn crm_import_streams_a_csv_and_reports_each_rejected_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    let mut csv = String::from("Name,Email,phone,tags,city,country,plan,notes\n");
    let mut bad = 0;
    for i in 0..2500 {
        let line = match i % 250 {
            10 => {
                bad += 1;
                format!("Bad Email {i},not-an-email,,vip,Lagos,NG,pro,\n")
            }
            20 => {
                bad += 1;
                format!("No Key {i},,,vip,Lagos,NG,pro,\n")
            }
            30 => {
                bad += 1;
                format!("Bad Country {i},bc{i}@example.com,,vip,Nowhere,QQ,pro,\n")
            }
            40 => {
                bad += 1;
                // Formulas, were a spreadsheet to run them.
                format!("=cmd|' /C calc'!A{i},@SUM(1),,+vip,-2+3,QQ,pro,\n")
            }
            _ => format!(
                "Person {i},p{i}@example.com,+1415{:07},vip; eu|b{},Lagos,NG,pro,\"said \"\"hi\"\", twice\"\n",
                2_000_000 + i,
                i % 3
            ),
        };
        csv.push_str(&line);
    }
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();

    let first = crm_on(&app, &["import", path, "--tenant", "acme"]);
    let summary = String::from_utf8(first.stdout).unwrap();
    assert!(
        summary.contains(&format!("{} created", 2500 - bad)),
        "{summary}"
    );
    assert!(summary.contains(&format!("{bad} rejected")), "{summary}");
    assert_eq!(app.count("acme").await, 2500 - bad);
    let person = app
        .gql("acme", r#"{ customerLookup(email: "p42@example.com") { name phone tags metadata address { city country } } }"#, json!({}))
        .await
        .ok();
    assert_eq!(
        person["customerLookup"],
        json!({ "name": "Person 42", "phone": "+14152000042", "tags": ["b0", "eu", "vip"],
                "metadata": { "plan": "pro", "notes": "said \"hi\", twice" }, "address": { "city": "Lagos", "country": "NG" } })
    );
    let rejected = std::fs::read_to_string(dir.path().join("people.rejected.csv")).unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), bad as usize + 1, "{rejected}");
    assert!(lines[0].starts_with("line,error,"));
    assert!(
        rejected.contains("email: \"not-an-email\" is not a valid email address")
            || rejected.contains("not a valid email"),
        "{rejected}"
    );
    assert!(rejected.contains("needs an email or a phone"), "{rejected}");
    assert!(rejected.contains("address.country"), "{rejected}");
    let formulas: Vec<&str> = lines
        .iter()
        .filter(|l| l.contains("cmd|"))
        .copied()
        .collect();
    assert_eq!(formulas.len(), 10, "{rejected}");
    for line in formulas {
        let cells: Vec<&str> = line.split(',').collect();
        for cell in &cells[1..] {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a live formula in {line}"
            );
        }
        assert!(
            line.contains("'=cmd|")
                && line.contains("'@SUM(1)")
                && line.contains("'+vip")
                && line.contains("'-2+3"),
            "{line}"
        );
    }

    let again = crm_on(
        &app,
        &["import", path, "--tenant", "acme", "--mode", "upsert"],
    );
    let summary = String::from_utf8(again.stdout).unwrap();
    assert!(summary.contains("0 created, 0 updated"), "{summary}");
    assert_eq!(
        app.count("acme").await,
        2500 - bad,
        "a second run duplicates nothing"
    );
}

/// Consent, locale and currency columns, as other stores export them.
async fn crm_import_reads_consent_locale_and_currency(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("consent.csv");
    std::fs::write(
        &file,
        "email,Accepts Email Marketing,sms_consent,locale,currency,phone\n\
         ana@example.com,yes,pending,pt-br,eur,+14155552671\n\
         bo@example.com,no,,,,\n\
         cy@example.com,maybe,,,,\n",
    )
    .unwrap();
    let run = crm_on(
        &app,
        &["import", file.to_str().unwrap(), "--tenant", "acme"],
    );
    let summary = String::from_utf8(run.stdout).unwrap();
    assert!(
        summary.contains("2 created") && summary.contains("1 rejected"),
        "{summary}"
    );
    let rejected = std::fs::read_to_string(dir.path().join("consent.rejected.csv")).unwrap();
    assert!(
        rejected.contains("accepts_email_marketing:") && rejected.contains("maybe"),
        "{rejected}"
    );
    let lookup = |email: &'static str| {
        app.lookup(
            "acme",
            email,
            "emailConsent { state source } smsConsent { state } locale currency",
        )
    };
    assert_eq!(
        lookup("ana@example.com").await,
        json!({ "emailConsent": { "state": "SUBSCRIBED", "source": "import" },
                "smsConsent": { "state": "PENDING" }, "locale": "pt-BR", "currency": "EUR" })
    );
    assert_eq!(
        lookup("bo@example.com").await["emailConsent"]["state"],
        "UNSUBSCRIBED"
    );
}

/// `crm import` writes batches two at a time on PostgreSQL (one at a time
/// on SQLite), yet a later row naming a customer lands after an earlier one: by an existing customer's email in
/// one batch and its phone in the next (batches written at once; the first
/// has 1,000 phones to check, the second one row), and by the same email in
/// three batches (each waits for the one before).
async fn crm_import_applies_rows_in_file_order_across_batches(backend: Backend) {
    let app = spawn_app(backend).await;
    app.gql(
        "acme",
        r#"mutation { createCustomer(input: { name: "Known", email: "known@example.com", phone: "+14155550100" }) { customer { id } } }"#,
        json!({}),
    )
    .await
    .ok();
    let dir = tempfile::tempdir().unwrap();
    let import = |name: &str, rows: Vec<String>| {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("name,email,phone,city\n{}", rows.concat())).unwrap();
        let output = crm_on(
            &app,
            &[
                "import",
                file.to_str().unwrap(),
                "--tenant",
                "acme",
                "--mode",
                "upsert",
            ],
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let city = |email: &'static str| {
        let app = &app;
        async move {
            app.gql(
                "acme",
                "query($e: String!) { customerLookup(email: $e) { address { city } } }",
                json!({ "e": email }),
            )
            .await
            .ok()["customerLookup"]["address"]["city"]
                .clone()
        }
    };

    let rows = (0..1001)
        .map(|i| match i {
            7 => "Known,known@example.com,,By email\n".to_owned(),
            1000 => "Known,,+1 415 555 0100,By phone\n".to_owned(),
            _ => format!(
                "Row {i},row{i}@example.com,+1415{:07},Lyon\n",
                3_000_000 + i
            ),
        })
        .collect();
    let summary = import("linked.csv", rows);
    assert!(summary.contains("999 created, 2 updated"), "{summary}");
    assert_eq!(city("known@example.com").await, "By phone");

    let rows = (0..2500)
        .map(|i| match i {
            500 => "Twice,twice@example.com,,First\n".to_owned(),
            1500 => "Twice,TWICE@example.com,,Second\n".to_owned(),
            2200 => "Twice,twice@example.com,,Third\n".to_owned(),
            _ => format!("Other {i},other{i}@example.com,,Lyon\n"),
        })
        .collect();
    let summary = import("repeated.csv", rows);
    assert!(summary.contains("2498 created, 2 updated"), "{summary}");
    assert_eq!(city("twice@example.com").await, "Third");
    assert_eq!(app.count("acme").await, 1 + 999 + 2498);
}

/// `crm seed-demo --tenant demo` with a size and a seed.
fn seed_demo(app: &crate::helpers::TestApp, customers: &str, seed: &str) {
    crm_on(
        app,
        &[
            "seed-demo",
            "--tenant",
            "demo",
            "--customers",
            customers,
            "--seed",
            seed,
        ],
    );
}

async fn seed_demo_is_realistic_and_deterministic(backend: Backend) {
    let app = spawn_app(backend).await;
    // Three batches, written two at a time on PostgreSQL.
    seed_demo(&app, "2500", "7");
    let query = "{ customerCount customers(first: 100) { nodes { id name email country: address { country } tags metadata orders { totalCount } activity { totalCount } } } }";
    let first = app.gql("demo", query, json!({})).await.ok();
    assert_eq!(first["customerCount"], 2500);
    seed_demo(&app, "2500", "7");
    let again = app.gql("demo", query, json!({})).await.ok();
    assert_eq!(
        again, first,
        "the same seed gives the same customers, once, and their histories once"
    );

    let nodes = first["customers"]["nodes"].as_array().unwrap();
    let countries: std::collections::HashSet<&str> = nodes
        .iter()
        .filter_map(|n| n["country"]["country"].as_str())
        .collect();
    assert!(countries.len() >= 5, "several cultures: {countries:?}");
    assert!(
        nodes
            .iter()
            .all(|n| n["name"].is_string() && n["metadata"]["plan"].is_string())
    );
    assert!(
        nodes
            .iter()
            .any(|n| !n["tags"].as_array().unwrap().is_empty())
    );
    assert!(
        nodes
            .iter()
            .any(|n| n["orders"]["totalCount"].as_i64() > Some(0)
                && n["activity"]["totalCount"].as_i64() > Some(0)),
        "histories came with the customers"
    );
    let accented = app
        .gql(
            "demo",
            r#"{ customerCount(filter: { search: "garcia" }) }"#,
            json!({}),
        )
        .await
        .ok();
    assert!(
        accented["customerCount"].as_i64().unwrap() > 0,
        "accented names are searchable without accents"
    );

    seed_demo(&app, "100", "8");
    assert_eq!(app.count("demo").await, 2600);
}

/// A tenant `demo` of `MATCHES_FROM` customers (seed 7, orders but no
/// other activity) beside a tenant `other` of 2,000.
fn seed_large_tenant(app: &crate::helpers::TestApp) {
    let large = crm::profiles::counts::MATCHES_FROM.to_string();
    for (tenant, customers, seed) in [("other", "2000", "3"), ("demo", large.as_str(), "7")] {
        crm_on(
            app,
            &[
                "seed-demo",
                "--tenant",
                tenant,
                "--customers",
                customers,
                "--seed",
                seed,
                "--activities",
                "0",
            ],
        );
    }
}

/// In a tenant of `MATCHES_FROM` customers and more, SQLite counts a search
/// from the search index's matches, which span every tenant: the counts
/// are the tenant's own, and what its rows say.
async fn a_search_in_a_large_tenant_counts_only_its_own_matches(backend: Backend) {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app(backend).await;
    seed_large_tenant(&app);
    // Each term, and the folded substrings whose rows it matches.
    let cases: [(&str, &[&str]); 6] = [
        ("garcia", &["garcia"]),
        ("Müller", &["muller"]),
        ("SMITH", &["smith"]),
        ("example", &["example"]),
        ("+34 61", &["+34 61", "3461"]),
        ("ma", &["ma"]),
    ];
    let query = "query($q: String, $f: CustomerFilter) { customerCount(filter: { search: $q }) customers(first: 1, filter: $f) { totalCount } }";
    let rows_where = |condition: String| {
        let db = &app.app.db;
        async move {
            db.query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT count(*) AS n FROM customers WHERE {condition}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        }
    };
    for tenant in ["demo", "other"] {
        for (term, substrings) in cases {
            let like = substrings
                .iter()
                .map(|s| format!("search_text LIKE '%{s}%'"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let expected = rows_where(format!("tenant_id = '{tenant}' AND ({like})")).await;
            assert!(expected > 0, "{tenant} has customers matching {term:?}");
            let data = app
                .gql(
                    tenant,
                    query,
                    json!({ "q": term, "f": { "search": term, "status": "ACTIVE" } }),
                )
                .await
                .ok();
            assert_eq!(data["customerCount"], expected, "{tenant}: {term:?}");
            let active = rows_where(format!(
                "tenant_id = '{tenant}' AND status = 'ACTIVE' AND ({like})"
            ))
            .await;
            assert_eq!(
                data["customers"]["totalCount"], active,
                "{tenant}: {term:?} and ACTIVE"
            );
        }
    }
}

/// Pages of a search, common or rare, in a tenant larger than the window
/// PostgreSQL probes before it turns to the search's index: every match
/// once, in the sort's order, under a NOT NULL and a nullable key, paged
/// forward and backward.
async fn a_search_in_a_large_tenant_pages_through_every_match_in_order(backend: Backend) {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app(backend).await;
    seed_large_tenant(&app);
    // The tenant is larger than the window.
    const {
        assert!(crm::profiles::counts::MATCHES_FROM > crm::graphql::pagination::PROBE_WINDOW);
    }
    let forward = "query($f: CustomerFilter, $s: CustomerSort, $at: String) { customers(first: 25, after: $at, filter: $f, sort: $s) { nodes { id } pageInfo { more: hasNextPage next: endCursor } } }";
    let backward = "query($f: CustomerFilter, $s: CustomerSort, $at: String) { customers(last: 25, before: $at, filter: $f, sort: $s) { nodes { id } pageInfo { more: hasPreviousPage next: startCursor } } }";
    let sorts = [
        ("CREATED_AT", "ASC", "created_at ASC, id ASC"),
        ("CREATED_AT", "DESC", "created_at DESC, id DESC"),
        (
            "LAST_ORDER_AT",
            "ASC",
            "last_order_at ASC NULLS FIRST, id ASC",
        ),
        (
            "LAST_ORDER_AT",
            "DESC",
            "last_order_at DESC NULLS LAST, id DESC",
        ),
    ];
    // About 1.3 % of the tenant, 1 %, six customers, and about 8 % (more
    // than PostgreSQL sorts from the search index at once in a tenant
    // this size, so the page is probed for).
    for term in ["garcia", ".12", "1234", "an."] {
        for (field, direction, order) in sorts {
            let rows = app
                .app
                .db
                .query_all_raw(sea_orm::Statement::from_string(
                    app.app.db.get_database_backend(),
                    format!(
                        "SELECT id FROM customers WHERE tenant_id = 'demo' AND search_text LIKE '%{term}%' ORDER BY {order}"
                    ),
                ))
                .await
                .unwrap();
            let expected: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "id").unwrap())
                .collect();
            assert!(!expected.is_empty(), "{term:?} matches");
            for query in [forward, backward] {
                let mut pages = Vec::new();
                let mut at = serde_json::Value::Null;
                loop {
                    let data = app
                        .gql(
                            "demo",
                            query,
                            json!({
                                "f": { "search": term },
                                "s": { "field": field, "direction": direction },
                                "at": at,
                            }),
                        )
                        .await
                        .ok();
                    let page = &data["customers"];
                    pages.push(
                        page["nodes"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|n| {
                                crm::ids::decode(
                                    crm::ids::Kind::Customer,
                                    n["id"].as_str().unwrap(),
                                )
                                .unwrap()
                            })
                            .collect::<Vec<_>>(),
                    );
                    if page["pageInfo"]["more"] != true {
                        break;
                    }
                    at = page["pageInfo"]["next"].clone();
                }
                let way = if query == backward {
                    pages.reverse();
                    "backward"
                } else {
                    "forward"
                };
                let got: Vec<String> = pages.concat();
                assert_eq!(got, expected, "{term:?} by {field} {direction}, {way}");
            }
        }
    }
}

backend_tests!(
    a_search_in_a_large_tenant_counts_only_its_own_matches,
    a_search_in_a_large_tenant_pages_through_every_match_in_order,
    a_token_from_crm_token_works_against_the_server,
    crm_import_streams_a_csv_and_reports_each_rejected_row,
    crm_import_applies_rows_in_file_order_across_batches,
    crm_import_reads_consent_locale_and_currency,
    seed_demo_is_realistic_and_deterministic,
);

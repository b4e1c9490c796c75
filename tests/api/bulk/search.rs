//! The customers' search (`filter: { search }`): substrings, whatever the
//! case and the accents, following updates and deletes; and, in a tenant
//! of `MATCHES_FROM` customers and more, counts of the tenant's own
//! matches and pages through every one of them in order.

use serde_json::json;

use crate::helpers::{Backend, crm_on, spawn_app};

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

/// The keys of the (first `limit`) customers of tenant `demo` whose search
/// text holds `term` (as folded), in `order`: the oracle of a search.
async fn matching_ids(
    app: &crate::helpers::TestApp,
    term: &str,
    order: &str,
    limit: Option<u64>,
) -> Vec<String> {
    use sea_orm::ConnectionTrait as _;
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let rows = app
        .app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.app.db.get_database_backend(),
            format!(
                "SELECT id FROM customers WHERE tenant_id = 'demo' AND search_text LIKE '%{term}%' ORDER BY {order}{limit}"
            ),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "id").unwrap())
        .collect()
}

/// Pages of a search, common or rare, in a tenant larger than the window
/// PostgreSQL probes before it turns to the search's index: every match
/// once, in the sort's order, under a NOT NULL and a nullable key, paged
/// forward and backward.
async fn a_search_in_a_large_tenant_pages_through_every_match_in_order(backend: Backend) {
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
            let expected = matching_ids(&app, term, order, None).await;
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

/// A term of two characters (which no trigram index answers) in a large
/// tenant, asked after rare terms have been, as a search box sends them:
/// its first pages are its first matches in the sort's order.
async fn a_short_search_after_rare_ones_reads_its_first_matches(backend: Backend) {
    let app = spawn_app(backend).await;
    seed_large_tenant(&app);
    let query = "query($f: CustomerFilter, $s: CustomerSort, $at: String) { customers(first: 25, after: $at, filter: $f, sort: $s) { nodes { id } pageInfo { next: endCursor } } }";
    for term in [
        "garcia", "1234", "garcia", "1234", "garcia", "1234", "garcia",
    ] {
        app.gql("demo", query, json!({ "f": { "search": term } }))
            .await
            .ok();
    }
    for (field, direction, order) in [
        ("CREATED_AT", "ASC", "created_at ASC, id ASC"),
        (
            "LAST_ORDER_AT",
            "DESC",
            "last_order_at DESC NULLS LAST, id DESC",
        ),
    ] {
        let expected = matching_ids(&app, "an", order, Some(50)).await;
        assert_eq!(expected.len(), 50, "\"an\" matches");
        let mut got = Vec::new();
        let mut at = serde_json::Value::Null;
        for _ in 0..2 {
            let data = app
                .gql(
                    "demo",
                    query,
                    json!({
                        "f": { "search": "AN" },
                        "s": { "field": field, "direction": direction },
                        "at": at,
                    }),
                )
                .await
                .ok();
            let page = &data["customers"];
            for node in page["nodes"].as_array().unwrap() {
                let id = node["id"].as_str().unwrap();
                got.push(crm::ids::decode(crm::ids::Kind::Customer, id).unwrap());
            }
            at = page["pageInfo"]["next"].clone();
        }
        assert_eq!(got, expected, "\"AN\" by {field} {direction}");
    }
}

backend_tests!(
    search_is_substring_case_and_accent_insensitive,
    a_search_in_a_large_tenant_counts_only_its_own_matches,
    a_search_in_a_large_tenant_pages_through_every_match_in_order,
    a_short_search_after_rare_ones_reads_its_first_matches,
);

//! Customer benchmarks against a real server: import rates, search, counts
//! and pages under every sort. Prints a Markdown report.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench \
//!   cargo bench --bench customers -- --customers 1000000
//! DATABASE_URL='sqlite:///tmp/crm-bench.db?mode=rwc' \
//!   cargo bench --bench customers -- --customers 100000
//! ```
#![expect(clippy::unwrap_used, reason = "a benchmark stops at the first failure")]

use std::time::{Duration, Instant};

use clap::Parser;
use crm::cli::Cli;
use crm::customers::csv;
use crm::customers::import::ImportMode;
use crm::graphql::pagination::Cursor;
use crm::profiles::CustomerSortField;
use crm::tenancy::TenantId;
use entity::customer;
use sea_orm::{ConnectionTrait, PaginatorTrait, QueryOrder, QuerySelect};
use serde_json::{Value, json};

const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";
const BIG: &str = "bench-big";
const SAMPLES: usize = 100;

#[derive(Parser)]
struct Args {
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Customers in the big tenant (nine smaller ones get 2% each).
    #[arg(long, default_value_t = 100_000)]
    customers: usize,
    /// Rows imported through `importCustomers` and through `crm import`.
    #[arg(long, default_value_t = 100_000)]
    import_rows: usize,
    /// Run only these parts: `import`, `reads`, `queries`, `segments`
    /// (all when absent).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Passed by `cargo bench`.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Args {
    fn runs(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

struct Report(Vec<String>);

impl Report {
    fn row(&mut self, what: &str, value: String) {
        println!("| {what} | {value} |");
        self.0.push(format!("| {what} | {value} |"));
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let cli = Cli::try_parse_from([
        "crm",
        "--database-url",
        &args.database_url,
        "--listen",
        "127.0.0.1:0",
        "--jwt-secret",
        SECRET,
        "--db-pool",
        "8",
        // Latency is measured one request at a time, faster than a
        // tenant's default budget restores: the limiter is not measured.
        "--rate-restore",
        "1000000",
    ])
    .unwrap();
    // Seeding and vacuuming a million rows take longer than the server's
    // statement timeout: they get a connection of their own.
    let db = crm::db::connect(&cli.serve.db).await.unwrap();
    let application = crm::app::Application::build(cli.serve).await.unwrap();
    let url = format!("http://127.0.0.1:{}/graphql", application.port());
    let app = application.app();
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::new();
    let mut report = Report(Vec::new());
    println!("| measure | result |\n|---|---|");

    // Data: the big tenant and nine smaller ones, by crm seed-demo.
    let started = Instant::now();
    let mut seeded = 0;
    for (tenant, n, seed) in std::iter::once((BIG.to_owned(), args.customers, 1))
        .chain((1..=9).map(|k| (format!("bench-small-{k}"), args.customers / 50, 100 + k)))
    {
        let tenant = TenantId::parse(&tenant).unwrap();
        let have = crm::tenancy::select::<customer::Entity>(&tenant)
            .count(&db)
            .await
            .unwrap() as usize;
        if have < n {
            crm::seed::seed(&db, &tenant, n, seed as u64, 0)
                .await
                .unwrap();
            seeded += n - have;
        }
    }
    if seeded > 0 {
        let secs = started.elapsed().as_secs_f64();
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            // What autovacuum does after a bulk load: index-only scans need
            // the visibility map.
            for table in ["customers", "customer_tags"] {
                db.execute_unprepared(&format!("VACUUM ANALYZE {table}"))
                    .await
                    .unwrap();
            }
        }
        report.row(
            "`crm seed-demo` (all tenants)",
            format!(
                "{seeded} customers in {secs:.1} s ({:.0}/s)",
                seeded as f64 / secs
            ),
        );
    }

    if args.runs("import") {
        import(&app, &client, &url, &args, &mut report).await;
    }
    if args.runs("reads") {
        reads(&app, &client, &url, &mut report).await;
    }
    if args.runs("queries") {
        queries(&app, &client, &url, &mut report).await;
    }
    if args.runs("segments") {
        segments(&app, &client, &url, &mut report).await;
    }
}

/// A GraphQL client for one token that fails on any error.
fn client_for(
    client: &reqwest::Client,
    url: &str,
    token: String,
) -> impl Fn(String, Value) -> std::pin::Pin<Box<dyn std::future::Future<Output = Value>>> {
    let (client, url) = (client.clone(), url.to_owned());
    move |query: String, variables: Value| {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        Box::pin(async move {
            let body = json!({ "query": query, "variables": variables });
            let response: Value = client
                .post(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(response.get("errors").is_none(), "{response}");
            response
        })
    }
}

/// `importCustomers` and `crm import` rates.
async fn import(
    app: &crm::http::App,
    client: &reqwest::Client,
    url: &str,
    args: &Args,
    report: &mut Report,
) {
    let db = &app.db;
    // Import through the API: 1,000 rows a call.
    let token = app
        .keys
        .mint(
            "bench-import",
            "bench",
            "read:customers write:customers",
            Duration::from_secs(3600),
        )
        .unwrap();
    let run = Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id());
    let call = |batch: usize, clients: usize| {
        let rows: Vec<Value> = (0..1000)
            .map(|i| {
                let n = batch * 1000 + i;
                json!({ "firstName": format!("Api{n}"), "lastName": "Bench", "email": format!("api{run}.{clients}.{n}@bench.example"),
                        "tags": ["bench", format!("b{}", n % 7)], "metadata": { "n": n }, "address": { "city": "Lyon", "country": "FR" } })
            })
            .collect();
        let body = json!({ "query": "mutation($rows: [CustomerInput!]!) { importCustomers(customers: $rows) { created failed { index } } }", "variables": { "rows": rows } });
        let request = client.post(url).bearer_auth(&token).json(&body);
        async move {
            let response: Value = request.send().await.unwrap().json().await.unwrap();
            assert_eq!(
                response["data"]["importCustomers"]["created"], 1000,
                "{response}"
            );
        }
    };
    // One client, then two calling at once (each call its own transaction).
    for clients in [1, 2] {
        let started = Instant::now();
        let batches = args.import_rows / 1000;
        for first in (0..batches).step_by(clients) {
            futures_util::future::join_all(
                (first..(first + clients).min(batches)).map(|batch| call(batch, clients)),
            )
            .await;
        }
        let secs = started.elapsed().as_secs_f64();
        report.row(
            &format!("`importCustomers` (1,000 rows a call, {clients} client(s))"),
            format!(
                "{} rows in {secs:.1} s: **{:.0} rows/s**",
                args.import_rows,
                args.import_rows as f64 / secs
            ),
        );
    }

    // Import through `crm import`'s code path, from a CSV file.
    let dir = std::env::temp_dir().join(format!("crm-bench-{run}"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("customers.csv");
    let mut text = String::from("first_name,last_name,email,phone,tags,city,country,plan\n");
    for n in 0..args.import_rows {
        text.push_str(&format!(
            "Csv{n},Bench,csv{run}.{n}@bench.example,,bench;b{},Lyon,FR,pro\n",
            n % 7
        ));
    }
    std::fs::write(&file, text).unwrap();
    let tenant = TenantId::parse("bench-csv").unwrap();
    let summary = csv::import_file(
        db,
        &tenant,
        &file,
        ImportMode::Upsert,
        &dir.join("rejected.csv"),
        false,
    )
    .await
    .unwrap();
    assert_eq!(summary.created as usize, args.import_rows);
    let secs = summary.elapsed.as_secs_f64();
    report.row(
        "`crm import` (CSV, 1,000 rows a transaction)",
        format!(
            "{} rows in {secs:.1} s: **{:.0} rows/s**",
            args.import_rows,
            args.import_rows as f64 / secs
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Search, counts and pages in the big tenant.
async fn reads(app: &crm::http::App, client: &reqwest::Client, url: &str, report: &mut Report) {
    let (db, big) = (&app.db, TenantId::parse(BIG).unwrap());
    let token = app
        .keys
        .mint(BIG, "bench", "read:customers", Duration::from_secs(3600))
        .unwrap();
    let gql = client_for(client, url, token);
    let terms = [
        "garcia",
        "ngozi",
        "smith",
        "muller",
        "sharma.1.",
        "@mail.exa",
        "0001234",
        "zhang",
        "jose.fer",
        "okafor.1.4",
    ];
    let search = "query($q: String) { customers(first: 25, filter: { search: $q }) { edges { node { id name email } } } }";
    let times = sample(|i| gql(search.to_owned(), json!({ "q": terms[i % terms.len()] }))).await;
    report.row("`search`, first 25 matches (10 terms)", percentiles(&times));
    for term in terms {
        let times = sample(|_| gql(search.to_owned(), json!({ "q": term }))).await;
        report.row(&format!("`search` \"{term}\""), percentiles(&times));
    }

    for (name, filter) in [
        ("status ARCHIVED", json!({ "status": "ARCHIVED" })),
        ("country ES", json!({ "country": "ES" })),
        ("tag vip", json!({ "tags": ["vip"] })),
        ("search \"garcia\"", json!({ "search": "garcia" })),
    ] {
        let query = "query($f: CustomerFilter) { customerCount(filter: $f) }";
        let times = sample(|_| gql(query.to_owned(), json!({ "f": filter }))).await;
        report.row(&format!("`customerCount`, {name}"), percentiles(&times));
    }

    // The record a customer screen shows: the default address, the
    // company and the five defined fields the seed writes (in `metadata`),
    // unfiltered and narrowed by typed ranges.
    let record = "query($f: CustomerFilter, $sort: CustomerSort) { customers(first: 25, filter: $f, sort: $sort) { nodes { id name email address { city country } company { name domain } metadata } } }";
    for (name, filter, sort) in [
        (
            "page of 25 with address, company and 5 defined fields",
            Value::Null,
            Value::Null,
        ),
        (
            "the same, `seats` 10..20 (NUMBER range), newest first",
            json!({ "fields": [{ "key": "seats", "gte": 10, "lte": 20 }] }),
            Value::Null,
        ),
        (
            "the same, `renewal_date` in one month (DATE range), by `renewal_date`",
            json!({ "fields": [{ "key": "renewal_date", "gte": "2026-03-01", "lt": "2026-04-01" }] }),
            json!({ "fieldKey": "renewal_date", "direction": "ASC" }),
        ),
        (
            "the same, `renewal_date` in one month (DATE range), newest first",
            json!({ "fields": [{ "key": "renewal_date", "gte": "2026-03-01", "lt": "2026-04-01" }] }),
            Value::Null,
        ),
        (
            "the same, `plan` = pro and `seats` > 40, newest first",
            json!({ "fields": [{ "key": "plan", "equals": "pro" }, { "key": "seats", "gt": 40 }] }),
            Value::Null,
        ),
    ] {
        let times = sample(|_| gql(record.to_owned(), json!({ "f": filter, "sort": sort }))).await;
        report.row(name, percentiles(&times));
    }

    let page = "query($after: String, $sort: CustomerSort) { customers(first: 25, after: $after, sort: $sort) { edges { cursor node { id name email totalSpent } } pageInfo { hasNextPage } } }";
    let total = crm::tenancy::select::<customer::Entity>(&big)
        .count(db)
        .await
        .unwrap();
    for field in [
        CustomerSortField::CreatedAt,
        CustomerSortField::UpdatedAt,
        CustomerSortField::Name,
        CustomerSortField::Email,
        CustomerSortField::LastOrderAt,
        CustomerSortField::TotalSpent,
        CustomerSortField::TotalOrders,
    ] {
        let key = field.key();
        for (direction, ascending) in [("ASC", true), ("DESC", false)] {
            let sort = json!({ "field": key.name, "direction": direction });
            let first = sample(|_| gql(page.to_owned(), json!({ "sort": sort }))).await;
            // A cursor halfway down the list.
            let mut select = crm::tenancy::select::<customer::Entity>(&big);
            select = if ascending {
                select
                    .order_by_asc(key.expr())
                    .order_by_asc(customer::Column::Id)
            } else {
                select
                    .order_by_desc(key.expr())
                    .order_by_desc(customer::Column::Id)
            };
            let middle = select
                .offset(total / 2)
                .limit(1)
                .one(db)
                .await
                .unwrap()
                .unwrap();
            let cursor = Cursor::of(&key, &middle, &middle.id).encode();
            let deep =
                sample(|_| gql(page.to_owned(), json!({ "sort": sort, "after": cursor }))).await;
            report.row(
                &format!(
                    "page of 25, {} {direction}: first / {}-deep",
                    key.name,
                    total / 2
                ),
                format!("{} / {}", percentiles(&first), percentiles(&deep)),
            );
        }
    }
}

/// The text query language: a three-clause query's first page, and
/// `customersCount` (limit 10,000) of filters from narrow to the whole
/// tenant.
async fn queries(app: &crm::http::App, client: &reqwest::Client, url: &str, report: &mut Report) {
    let token = app
        .keys
        .mint(BIG, "bench", "read:customers", Duration::from_secs(3600))
        .unwrap();
    let gql = client_for(client, url, token);
    let page = "query($q: String) { customers(first: 25, query: $q) { nodes { id name email totalSpent } pageInfo { hasNextPage } } }";
    for query in [
        "tag:vip country:DE total_spent:>100",
        "status:active orders:2..5 created_at:>=2025-01-01",
        "(tag:vip OR tag:b2b) -status:archived email:a*",
    ] {
        let times = sample(|_| gql(page.to_owned(), json!({ "q": query }))).await;
        report.row(&format!("first page of 25, `{query}`"), percentiles(&times));
    }
    let count = "query($q: String) { customersCount(query: $q) { count precision } }";
    for query in [
        "*",
        "status:archived",
        "country:ES",
        "tag:vip",
        "garcia",
        "tag:vip country:DE total_spent:>100",
        "orders:2..5",
        "total_spent:100..500",
        "rfm_segment:champions",
        "churn_risk:>0.7",
        "tag:vip OR tag:b2b -status:archived",
    ] {
        // `*`: no query, every customer.
        let q = if query == "*" {
            Value::Null
        } else {
            json!(query)
        };
        let answer = gql(count.to_owned(), json!({ "q": q })).await;
        let counted = &answer["data"]["customersCount"];
        let times = sample(|_| gql(count.to_owned(), json!({ "q": q }))).await;
        report.row(
            &format!(
                "`customersCount`, `{query}` ({} {})",
                counted["count"],
                counted["precision"].as_str().unwrap_or_default()
            ),
            percentiles(&times),
        );
    }
}

/// A three-rule dynamic segment in the big tenant: its count and its first
/// page of members.
async fn segments(app: &crm::http::App, client: &reqwest::Client, url: &str, report: &mut Report) {
    let token = app
        .keys
        .mint(
            BIG,
            "bench",
            "read:customers read:segments write:segments",
            Duration::from_secs(3600),
        )
        .unwrap();
    let gql = client_for(client, url, token);
    let name = format!("bench {}", uuid::Uuid::now_v7());
    let rules = json!([
        { "field": "total_spent", "operator": "gte", "value": 300 },
        { "field": "last_order_at", "operator": "before", "value": "90_days_ago" },
        { "field": "tags", "operator": "in", "value": ["vip", "loyalty", "b2b"] }
    ]);
    let created = gql(
        "mutation($i: SegmentInput!) { createSegment(input: $i) { id memberCount } }".to_owned(),
        json!({ "i": { "name": name, "rules": rules } }),
    )
    .await;
    let segment = created["data"]["createSegment"]["id"].clone();
    let members = &created["data"]["createSegment"]["memberCount"];
    let count = "query($s: ID!) { segment(id: $s) { memberCount } }";
    let times = sample(|_| gql(count.to_owned(), json!({ "s": segment }))).await;
    report.row(
        &format!("`memberCount`, spend ≥ 300, last order before 90 days ago, tag in 3 ({members} members)"),
        percentiles(&times),
    );
    let page = "query($s: ID!) { segment(id: $s) { members(first: 25) { nodes { id name totalSpent } } } }";
    let times = sample(|_| gql(page.to_owned(), json!({ "s": segment }))).await;
    report.row("`members(first: 25)`, same segment", percentiles(&times));
    gql(
        "mutation($s: ID!) { deleteSegment(id: $s) { deletedId } }".to_owned(),
        json!({ "s": segment }),
    )
    .await;
}

/// Runs `SAMPLES` requests one after another (after five to warm up) and
/// returns their latencies.
async fn sample<F, Fut>(mut request: F) -> Vec<Duration>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    for i in 0..5 {
        request(i).await;
    }
    let mut times = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let started = Instant::now();
        request(i).await;
        times.push(started.elapsed());
    }
    times.sort();
    times
}

fn percentiles(sorted: &[Duration]) -> String {
    let at = |p: f64| sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    format!(
        "p50 {:.2} ms, p99 {:.2} ms",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    )
}

//! `spawn_app(backend)`: a real server on port 0 with a fresh database, and
//! a client that speaks GraphQL to it.

mod db;
pub mod receiver;
pub mod ws;

use std::time::Duration;

use clap::Parser;
use crm::auth::{Keys, Scope};
use crm::cli::Cli;
use crm::config::ServeArgs;
use serde_json::{Value, json};

pub use db::{Backend, TestDb};

/// The HS256 secret test servers run with.
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Generates `sqlite::name` and `postgres::name` from `async fn name(Backend)`.
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::Backend::postgres() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    /// The app's database, kept for the life of the app (and of any other
    /// instance on it).
    pub db: std::sync::Arc<TestDb>,
    /// The server's shared state (its statement count, say).
    pub app: std::sync::Arc<crm::http::App>,
    keys: Keys,
}

/// A server with the test secret.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--jwt-secret", SECRET]).await
}

/// A server without the per-query limits, for tests whose fixtures are
/// built with large documents (tens of aliased mutations, wide pages).
pub async fn spawn_app_unlimited(backend: Backend) -> TestApp {
    spawn_app_with(
        backend,
        &[
            "--jwt-secret",
            SECRET,
            "--max-cost",
            "100000000",
            "--max-aliases",
            "100000",
        ],
    )
    .await
}

/// A server with extra command-line options (auth configuration).
pub async fn spawn_app_with(backend: Backend, extra: &[&str]) -> TestApp {
    spawn_on(TestDb::new(backend).await, extra).await
}

/// [`spawn_app_with`] for a test that measures latency: no other test runs
/// beside it ([`TestDb::alone`]).
pub async fn spawn_app_alone(backend: Backend, extra: &[&str]) -> TestApp {
    spawn_on(TestDb::alone(backend).await, extra).await
}

async fn spawn_on(db: TestDb, extra: &[&str]) -> TestApp {
    // Server logs (internal errors above all) show with a failing test.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("CRM_LOG").unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .try_init();
    let db = std::sync::Arc::new(db);
    let args = serve_args(&db, extra);
    let keys = match extra.iter().position(|a| *a == "--jwt-secret") {
        Some(i) => Keys::hs256(
            extra[i + 1].as_bytes(),
            flag(extra, "--jwt-issuer"),
            flag(extra, "--jwt-audience"),
        )
        .unwrap(),
        None => Keys::hs256(SECRET.as_bytes(), None, None).unwrap(),
    };
    let application = crm::app::Application::build(args).await.unwrap();
    let url = format!("http://127.0.0.1:{}", application.port());
    let app = application.app();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        url,
        client: reqwest::Client::new(),
        db,
        app,
        keys,
    }
}

fn flag(args: &[&str], name: &str) -> Option<String> {
    args.iter()
        .position(|a| *a == name)
        .map(|i| args[i + 1].to_owned())
}

/// `crm serve` options for a test database on a free port.
pub fn serve_args(db: &TestDb, extra: &[&str]) -> ServeArgs {
    let mut argv = vec![
        "crm",
        "--database-url",
        &db.url,
        "--listen",
        "127.0.0.1:0",
        "--db-pool",
        "5",
    ];
    // Tests measure the API, not the cost budget: unless a test sets
    // its own, the budget is out of reach.
    if !extra.contains(&"--rate-bucket") {
        argv.extend_from_slice(&["--rate-bucket", "1e12", "--rate-restore", "1e12"]);
    }
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).unwrap().serve
}

/// A GraphQL response.
#[derive(Debug)]
pub struct Gql {
    pub status: u16,
    pub body: Value,
}

impl Gql {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// Panics unless the response has no errors.
    pub fn ok(self) -> Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        self.body["data"].clone()
    }

    /// The first error's `extensions.code`.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("<no error>")
    }

    /// The first error's `extensions.field`.
    pub fn field(&self) -> &str {
        self.body["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or("<no field>")
    }
}

impl TestApp {
    /// Another server on the same database (as when several `crm serve`
    /// instances share one PostgreSQL).
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_with(&[]).await
    }

    /// Another server on the same database, with extra options.
    pub async fn another_instance_with(&self, extra: &[&str]) -> TestApp {
        let mut argv = vec!["--jwt-secret", SECRET];
        argv.extend_from_slice(extra);
        let args = serve_args(&self.db, &argv);
        let application = crm::app::Application::build(args).await.unwrap();
        let url = format!("http://127.0.0.1:{}", application.port());
        let app = application.app();
        tokio::spawn(application.run_until_stopped());
        TestApp {
            url,
            client: reqwest::Client::new(),
            db: self.db.clone(),
            app,
            keys: Keys::hs256(SECRET.as_bytes(), None, None).unwrap(),
        }
    }

    /// A token of `tenant` with every scope.
    pub fn token(&self, tenant: &str) -> String {
        self.token_with(tenant, &Scope::all_joined())
    }

    pub fn token_with(&self, tenant: &str, scopes: &str) -> String {
        self.token_for(tenant, scopes, Duration::from_secs(600))
    }

    /// A token that expires after `ttl`.
    pub fn token_for(&self, tenant: &str, scopes: &str, ttl: Duration) -> String {
        self.keys.mint(tenant, "tester", scopes, ttl).unwrap()
    }

    /// POSTs a query with variables as `tenant` (every scope).
    pub async fn gql(&self, tenant: &str, query: &str, variables: Value) -> Gql {
        self.gql_as(&self.token(tenant), query, variables).await
    }

    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Gql {
        let response = self
            .client
            .post(format!("{}/graphql", self.url))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        Gql {
            status,
            body: response.json().await.unwrap(),
        }
    }

    /// Creates a customer in `tenant` and returns its id.
    /// Creates a customer of each email, returning their IDs in order.
    pub async fn customers_by_email<const N: usize>(
        &self,
        tenant: &str,
        emails: [&str; N],
    ) -> [String; N] {
        let mut ids = Vec::with_capacity(N);
        for email in emails {
            ids.push(
                self.create_customer(tenant, json!({ "email": email }))
                    .await,
            );
        }
        ids.try_into().unwrap()
    }

    /// Deletes a customer, which must exist.
    pub async fn delete_customer(&self, tenant: &str, id: &str) {
        self.gql(
            tenant,
            "mutation($id: ID!) { deleteCustomer(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    }

    pub async fn create_customer(&self, tenant: &str, input: Value) -> String {
        let data = self
            .gql(
                tenant,
                "mutation($input: CustomerInput!) { createCustomer(input: $input) { created customer { id } } }",
                json!({ "input": input }),
            )
            .await
            .ok();
        assert_eq!(data["createCustomer"]["created"], true, "{data}");
        data["createCustomer"]["customer"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until exactly `n` subscriptions hear this instance's events
    /// (sockets running the same one count once): a subscription sent is
    /// live from then on, a completed one gone.
    pub async fn until_listening(&self, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.app.bus.listeners() != n {
            assert!(
                std::time::Instant::now() < deadline,
                "{} subscriptions listening, not {n}",
                self.app.bus.listeners()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// How many of `tenant`'s customers `filter` matches.
    pub async fn count_where(&self, tenant: &str, filter: Value) -> i64 {
        self.gql(
            tenant,
            "query($f: CustomerFilter) { customerCount(filter: $f) }",
            json!({ "f": filter }),
        )
        .await
        .ok()["customerCount"]
            .as_i64()
            .unwrap()
    }

    /// `customerLookup` by email, with the fields `selection` names.
    pub async fn lookup(&self, tenant: &str, email: &str, selection: &str) -> Value {
        self.gql(
            tenant,
            &format!("query($e: String) {{ customerLookup(email: $e) {{ {selection} }} }}"),
            json!({ "e": email }),
        )
        .await
        .ok()["customerLookup"]
            .clone()
    }

    /// How many customers `tenant` has.
    pub async fn count(&self, tenant: &str) -> i64 {
        self.gql(tenant, "{ customerCount }", json!({})).await.ok()["customerCount"]
            .as_i64()
            .unwrap()
    }
}

impl TestApp {
    /// A client of a server this test runs some other way (a `crm serve`
    /// process at `url`) on `db`. The process's state is out of reach: an
    /// application built on the same database (never run) stands in.
    pub async fn client_for(url: &str, db: TestDb) -> TestApp {
        let args = serve_args(&db, &["--jwt-secret", SECRET, "--worker", "false"]);
        let idle = crm::app::Application::build(args).await.unwrap();
        TestApp {
            url: url.to_owned(),
            client: reqwest::Client::new(),
            db: std::sync::Arc::new(db),
            app: idle.app(),
            keys: Keys::hs256(SECRET.as_bytes(), None, None).unwrap(),
        }
    }

    /// Polls a data request until it is `COMPLETED` or `FAILED` (panics
    /// after 30 s) and returns it.
    pub async fn finished_request(&self, tenant: &str, id: &str) -> Value {
        let until = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let data = self
                .gql(
                    tenant,
                    "query($id: ID!) { removalRequest(id: $id) { id status error downloadUrl completedAt audit { requestedBy erasedAt removed { customers tags notes activities segmentMemberships ordersAnonymized webhookEvents exports } } } }",
                    json!({ "id": id }),
                )
                .await
                .ok();
            let request = data["removalRequest"].clone();
            if matches!(request["status"].as_str(), Some("COMPLETED" | "FAILED")) {
                return request;
            }
            assert!(
                std::time::Instant::now() < until,
                "request {id} is still {request}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Creates a data request of `kind` (`ERASURE`, `EXPORT`) and returns its id.
    pub async fn request_data(
        &self,
        tenant: &str,
        customer: &str,
        kind: &str,
        reason: &str,
    ) -> String {
        let data = self
            .gql(
                tenant,
                "mutation($c: ID!, $i: RemovalRequestInput!) { createRemovalRequest(customerId: $c, input: $i) { id status type } }",
                json!({ "c": customer, "i": { "type": kind, "reason": reason } }),
            )
            .await
            .ok();
        data["createRemovalRequest"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// `recordOrder`, returning the order with its customer.
pub const RECORD_ORDER: &str = "mutation($c: ID!, $i: OrderInput!) { recordOrder(customerId: $c, input: $i) { id externalId amount currency status placedAt customer { id } } }";

/// An RFC 3339 time `days` days ago.
pub fn days_ago(days: f64) -> String {
    let t = chrono::Utc::now() - chrono::Duration::milliseconds((days * 86_400_000.0) as i64);
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Records an order and returns it.
pub async fn record_order(app: &TestApp, tenant: &str, customer: &str, input: Value) -> Value {
    app.gql(tenant, RECORD_ORDER, json!({ "c": customer, "i": input }))
        .await
        .ok()["recordOrder"]
        .clone()
}

/// A well-formed customer ID that never existed.
pub fn unknown_customer_id() -> String {
    format!("cus_{}", uuid::Uuid::now_v7().simple())
}

/// `crm serve` as a process (the test secret, debug logs into `log`).
pub fn serve_process(
    db: &TestDb,
    port: u16,
    extra: &[&str],
    log: &std::path::Path,
) -> std::process::Child {
    use std::process::{Command, Stdio};
    Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(["serve", "--database-url", &db.url, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--jwt-secret", SECRET])
        .args(extra)
        .env("CRM_LOG", "debug")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::from(std::fs::File::create(log).unwrap()))
        .stderr(Stdio::from(
            std::fs::OpenOptions::new().append(true).open(log).unwrap(),
        ))
        .spawn()
        .unwrap()
}

/// A free local port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `url` answers `/healthz`.
pub async fn until_healthy(client: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if client
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} never came up");
}

/// Waits until the log a `serve_process` writes holds `needle` (it logs at
/// debug level, each line inside its request's and operation's spans).
pub async fn until_logged(log: &std::path::Path, needle: &str) {
    for _ in 0..500 {
        if std::fs::read_to_string(log).is_ok_and(|text| text.contains(needle)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{needle:?} never appeared in {}", log.display());
}

//! `spawn_app(backend)`: a real server on port 0 with a fresh database, and
//! a client that speaks GraphQL to it.
//!
//! Beside it: customers and orders arranged through the API
//! ([`customers`]), data requests ([`data_requests`]), segments
//! ([`segments`]), the `crm` binary as a process ([`process`]), a
//! WebSocket client ([`ws`]) and a webhook receiver ([`receiver`]).

mod customers;
mod data_requests;
mod db;
mod process;
pub mod receiver;
pub mod segments;
pub mod ws;

use std::time::Duration;

use clap::Parser;
use crm::auth::{Keys, Scope};
use crm::cli::Cli;
use crm::config::ServeArgs;
use serde_json::{Value, json};

pub use customers::{RECORD_ORDER, days_ago, record_order, unknown_customer_id};
pub use db::{Backend, TestDb};
pub use process::{crm, crm_on, free_port, serve_process, until_healthy, until_logged};

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

    /// A token of `tenant` with every scope, confined to a location
    /// (`loc_…`).
    pub fn token_in(&self, tenant: &str, location: &str) -> String {
        self.keys
            .mint_in(
                tenant,
                Some(location),
                "clerk",
                &Scope::all_joined(),
                Duration::from_secs(600),
            )
            .unwrap()
    }

    /// A token that expires after `ttl`.
    pub fn token_for(&self, tenant: &str, scopes: &str, ttl: Duration) -> String {
        self.keys.mint(tenant, "tester", scopes, ttl).unwrap()
    }

    /// The body of a GET of `path`, from the server's root (`/metrics`).
    pub async fn get_text(&self, path: &str) -> String {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
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
}

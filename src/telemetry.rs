//! Logs (tracing to stderr, filtered by `CRM_LOG`, as text or JSON lines)
//! and the Prometheus metrics served at `/metrics`.

use std::sync::OnceLock;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object a line, with the span (request id, operation) of
    /// each event.
    Json,
}

pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: a log piped to a file or a collector
    // stays plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// What became of a request.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    /// Ran, with no error.
    Ok,
    /// Ran, with errors in some fields.
    Error,
    /// Refused before running: syntax, validation, depth, cost, aliases.
    Rejected,
    /// Refused by the tenant's cost budget.
    Throttled,
    /// No valid token.
    Unauthenticated,
    /// Cut off at the request timeout.
    Timeout,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
            Outcome::Throttled => "throttled",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::Timeout => "timeout",
        }
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// `query`, `mutation` or `subscription`.
    pub kind: String,
    /// The first root field (`customers`, `createCustomer`, …), or
    /// `unknown`: bounded by the schema, never a client's operation name.
    pub operation: String,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub kind: String,
    pub operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabels {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListLabels {
    pub list: String,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<OperationLabels, Histogram>,
    pub errors: Family<CodeLabels, Counter>,
    pub rate_limited: Counter,
    /// List fields answered with a value built ahead (`graphql::ready`).
    pub built_ahead: Family<ListLabels, Counter>,
    /// Set at each scrape.
    pub db_connections_in_use: Gauge,
    pub db_connections_idle: Gauge,
    pub websockets_open: Gauge,
    pub subscriptions_open: Gauge,
    pub jobs_due: Gauge,
}

/// The metrics, registered on first use.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("crm");
        let latency = Family::<OperationLabels, Histogram>::new_with_constructor(|| {
            // 1 ms to about 16 s.
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        let metrics = Metrics {
            registry: Registry::default(),
            requests: Family::default(),
            latency,
            errors: Family::default(),
            rate_limited: Counter::default(),
            built_ahead: Family::default(),
            db_connections_in_use: Gauge::default(),
            db_connections_idle: Gauge::default(),
            websockets_open: Gauge::default(),
            subscriptions_open: Gauge::default(),
            jobs_due: Gauge::default(),
        };
        let m = &metrics;
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation and outcome",
            m.requests.clone(),
        );
        registry.register(
            "graphql_request_duration_seconds",
            "Time from a request's arrival to its response, by operation",
            m.latency.clone(),
        );
        registry.register(
            "graphql_errors",
            "Errors in responses, by extensions.code",
            m.errors.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a tenant's cost budget",
            m.rate_limited.clone(),
        );
        registry.register(
            "graphql_built_ahead",
            "List fields whose whole value was built from their rows at once, by list",
            m.built_ahead.clone(),
        );
        registry.register(
            "db_connections_in_use",
            "Database connections serving a statement or transaction",
            m.db_connections_in_use.clone(),
        );
        registry.register(
            "db_connections_idle",
            "Open database connections waiting in the pool",
            m.db_connections_idle.clone(),
        );
        registry.register(
            "websockets_open",
            "GraphQL WebSocket connections open",
            m.websockets_open.clone(),
        );
        registry.register(
            "subscriptions_open",
            "Subscriptions running on this instance's sockets",
            m.subscriptions_open.clone(),
        );
        registry.register(
            "jobs_due",
            "Background jobs due and not yet taken (every tenant, the whole queue)",
            m.jobs_due.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Counts a list field answered with a value built ahead.
    pub fn count_built_ahead(&self, list: &str) {
        self.built_ahead
            .get_or_create(&ListLabels { list: list.into() })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

//! Configuration: every option is a flag and an environment variable, and
//! each doc comment is its `--help` text.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::auth::{JwtAlgorithm, Keys};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://crm.db?mode=rwc";

#[derive(clap::Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// `sqlite://…` (embedded) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Most database connections the server holds open [default: 4 on
    /// SQLite, 16 on PostgreSQL]. SQLite writes one transaction at a time,
    /// and each connection keeps its own page cache: more connections wait
    /// longer for the write lock and hold more memory.
    #[arg(long, env = "CRM_DB_POOL", value_parser = clap::value_parser!(u32).range(1..))]
    pub db_pool: Option<u32>,
}

impl DatabaseArgs {
    /// The pool's size: the one configured, or the backend's default.
    pub fn pool_size(&self) -> u32 {
        self.db_pool
            .unwrap_or(if self.is_sqlite() { 4 } else { 16 })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Where the development secret lives: beside the SQLite file, or in the
    /// working directory for PostgreSQL and in-memory databases.
    pub fn dev_secret_path(&self) -> PathBuf {
        let file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or_default())
            .filter(|path| !path.is_empty() && !path.contains(":memory:"));
        match file {
            Some(path) => PathBuf::from(format!("{path}.jwt-secret")),
            None => PathBuf::from("crm-dev.jwt-secret"),
        }
    }
}

#[derive(clap::Args, Clone)]
pub struct AuthArgs {
    /// HS256 secret (at least 32 bytes). With no key configured at all,
    /// `serve` creates a development secret beside the database.
    #[arg(long, env = "CRM_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// The one algorithm tokens may use.
    #[arg(long, env = "CRM_JWT_ALGORITHM", value_enum, default_value = "HS256")]
    pub jwt_algorithm: JwtAlgorithm,

    /// Path to a PEM public key, for RS256 / ES256.
    #[arg(long, env = "CRM_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,

    /// Required `iss` claim, checked when set.
    #[arg(long, env = "CRM_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` claim, checked when set (unset: `aud` is ignored).
    #[arg(long, env = "CRM_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// The longest a token may be valid for: one whose `exp` lies further
    /// ahead is refused (and `crm token` will not mint it).
    #[arg(long, env = "CRM_JWT_MAX_TTL", default_value = "24h", value_parser = humantime::parse_duration)]
    pub jwt_max_ttl: Duration,
}

/// How the server's keys were found.
pub enum KeySource {
    Configured,
    /// The development secret at this path (no key was configured).
    DevSecret(PathBuf),
}

impl AuthArgs {
    /// True when a key is configured (not the development secret).
    pub fn configured(&self) -> bool {
        self.jwt_secret.is_some() || self.jwt_public_key.is_some()
    }

    /// Loads the configured keys, or the development secret (created when
    /// `create` is set and none exists yet).
    pub fn keys(&self, db: &DatabaseArgs, create: bool) -> anyhow::Result<(Keys, KeySource)> {
        let (keys, source) = self.found_keys(db, create)?;
        Ok((keys.with_max_ttl(self.jwt_max_ttl), source))
    }

    fn found_keys(&self, db: &DatabaseArgs, create: bool) -> anyhow::Result<(Keys, KeySource)> {
        let (iss, aud) = (self.jwt_issuer.clone(), self.jwt_audience.clone());
        if let Some(path) = &self.jwt_public_key {
            let pem = std::fs::read(path)
                .with_context(|| format!("reading CRM_JWT_PUBLIC_KEY {}", path.display()))?;
            let keys = Keys::public_pem(self.jwt_algorithm, &pem, iss, aud)?;
            return Ok((keys, KeySource::Configured));
        }
        if self.jwt_algorithm != JwtAlgorithm::HS256 {
            anyhow::bail!(
                "CRM_JWT_ALGORITHM={:?} needs CRM_JWT_PUBLIC_KEY",
                self.jwt_algorithm
            );
        }
        if let Some(secret) = &self.jwt_secret {
            return Ok((
                Keys::hs256(secret.as_bytes(), iss, aud)?,
                KeySource::Configured,
            ));
        }
        let path = db.dev_secret_path();
        let secret = dev_secret(&path, create)?;
        Ok((
            Keys::hs256(secret.as_bytes(), iss, aud)?,
            KeySource::DevSecret(path),
        ))
    }
}

/// Reads the development secret, creating it (mode 0600) when asked.
fn dev_secret(path: &Path, create: bool) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(secret) => Ok(secret.trim().to_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && create => {
            let bytes: [u8; 32] = rand::random();
            let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            write_private(path, &secret)
                .with_context(|| format!("creating the development secret {}", path.display()))?;
            Ok(secret)
        }
        Err(err) => Err(err).with_context(|| {
            format!(
                "no CRM_JWT_SECRET is set and the development secret {} cannot be read (run `crm serve` once to create it)",
                path.display()
            )
        }),
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[derive(clap::Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    #[command(flatten)]
    pub auth: AuthArgs,

    /// Address to serve on.
    #[arg(long, env = "CRM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Comma-separated origins allowed to call the API from a browser.
    #[arg(long, env = "CRM_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// `false` turns introspection and field suggestions off.
    #[arg(long, env = "CRM_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// How often the RFM breakpoints of large tenants (over 20,000 paying
    /// customers) are recomputed; smaller tenants are exact on every read.
    #[arg(long, env = "CRM_RFM_REFRESH", default_value = "1m", value_parser = humantime::parse_duration)]
    pub rfm_refresh: Duration,

    /// A mirror GraphiQL's page loads React and GraphiQL from instead of
    /// the copies the binary serves at `/assets/`: a base URL laid out like
    /// unpkg.com (`graphiql@4/graphiql.min.js`,
    /// `react@18/umd/react.production.min.js`, …).
    #[arg(long, env = "CRM_GRAPHIQL_ASSETS")]
    pub graphiql_assets: Option<String>,

    /// `true` serves the reference console (`examples/console/`, built
    /// with `npm run build`) at `/console/`.
    #[arg(long, env = "CRM_CONSOLE", default_value_t = false, action = clap::ArgAction::Set)]
    pub console: bool,

    /// The console's built files, served at `/console/` when `CRM_CONSOLE`
    /// is `true`.
    #[arg(long, env = "CRM_CONSOLE_DIR", default_value = "examples/console/dist")]
    pub console_dir: std::path::PathBuf,

    /// Events a subscription may fall behind by; beyond that its oldest
    /// undelivered events are dropped and it is told how many.
    #[arg(long, env = "CRM_SUBSCRIPTION_BUFFER", default_value_t = 1024, value_parser = clap::value_parser!(u16).range(1..))]
    pub subscription_buffer: u16,

    /// The base URL clients reach this server at (`https://crm.example.com`),
    /// for absolute links such as an export's `downloadUrl`; without it,
    /// links are paths.
    #[arg(long, env = "CRM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long a merge can be undone (`undoMerge`); deleting or erasing
    /// the customer kept ends it sooner.
    #[arg(long, env = "CRM_MERGE_UNDO_WINDOW", default_value = "30d", value_parser = humantime::parse_duration)]
    pub merge_undo_window: Duration,

    #[command(flatten)]
    pub jobs: JobArgs,

    #[command(flatten)]
    pub webhooks: WebhookArgs,

    #[command(flatten)]
    pub exports: ExportArgs,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one request may ask for, and each tenant's cost budget.
#[derive(clap::Args, Clone, Debug)]
pub struct LimitArgs {
    /// Points in each tenant's cost bucket.
    #[arg(long, env = "CRM_RATE_BUCKET", default_value_t = 1000.0, value_parser = positive)]
    pub rate_bucket: f64,

    /// Points restored to each tenant's bucket a second.
    #[arg(long, env = "CRM_RATE_RESTORE", default_value_t = 50.0, value_parser = positive)]
    pub rate_restore: f64,

    /// Most field-nesting levels in one query (fragments flattened;
    /// `__schema` and `__type` exempt).
    #[arg(long, env = "CRM_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,

    /// Most points one query may cost.
    #[arg(long, env = "CRM_MAX_COST", default_value_t = 1000)]
    pub max_cost: u64,

    /// Most aliases in one query.
    #[arg(long, env = "CRM_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: u64,

    /// How long a request may run before it is cut off (503). On PostgreSQL,
    /// plus one second, also the limit of each statement the server runs.
    #[arg(long, env = "CRM_REQUEST_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub request_timeout: Duration,

    /// How many of one tenant's requests this instance runs at once; the
    /// tenant's next ones wait (up to the request timeout, then 429), so
    /// one tenant cannot hold all the database connections [default: half
    /// the pool, at least one].
    #[arg(long, env = "CRM_TENANT_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..))]
    pub tenant_concurrency: Option<u32>,
}

fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(format!("{text:?} is not a positive number")),
    }
}

/// The background worker and its job queue.
#[derive(clap::Args, Clone, Debug)]
pub struct JobArgs {
    /// `false` runs no background worker on this instance: data requests
    /// and webhook deliveries are then left to other instances.
    #[arg(long, env = "CRM_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub worker: bool,

    /// How often the worker looks for due jobs (this instance's own writes
    /// also wake it at once).
    #[arg(long, env = "CRM_WORKER_POLL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub worker_poll: Duration,

    /// How long a worker holds a job it took; a job whose worker died is
    /// taken again after this. Longer than the webhook timeout.
    #[arg(long, env = "CRM_JOB_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub job_lease: Duration,
}

/// Webhook deliveries.
#[derive(clap::Args, Clone, Debug)]
pub struct WebhookArgs {
    /// Allow webhook URLs on loopback, private and link-local addresses
    /// (refused by default, at creation and at every delivery).
    #[arg(long, env = "CRM_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// How long one delivery attempt may take.
    #[arg(long, env = "CRM_WEBHOOK_TIMEOUT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    /// The delay before the first retry, doubled at each further one (with
    /// jitter) up to `--webhook-retry-cap`.
    #[arg(long, env = "CRM_WEBHOOK_RETRY_BASE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub webhook_retry_base: Duration,

    /// The longest delay between two attempts.
    #[arg(long, env = "CRM_WEBHOOK_RETRY_CAP", default_value = "12h", value_parser = humantime::parse_duration)]
    pub webhook_retry_cap: Duration,

    /// Attempts before a delivery is given up (the default spreads them
    /// over about two and a half days).
    #[arg(long, env = "CRM_WEBHOOK_MAX_ATTEMPTS", default_value_t = 15, value_parser = clap::value_parser!(u16).range(1..))]
    pub webhook_max_attempts: u16,
}

/// Export archives.
#[derive(clap::Args, Clone, Debug)]
pub struct ExportArgs {
    /// How long an export's `downloadUrl` stays valid after it is read.
    #[arg(long, env = "CRM_EXPORT_LINK_TTL", default_value = "1h", value_parser = humantime::parse_duration)]
    pub export_link_ttl: Duration,

    /// How long a completed export's archive is kept.
    #[arg(long, env = "CRM_EXPORT_RETENTION", default_value = "7d", value_parser = humantime::parse_duration)]
    pub export_retention: Duration,
}

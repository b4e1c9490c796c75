//! The `crm` command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::auth::Scope;
use crate::config::{AuthArgs, DatabaseArgs, ServeArgs};
use crate::customers::import::ImportMode;

#[derive(Parser)]
#[command(
    name = "crm",
    version,
    about = "A multi-tenant customer CRM served as one GraphQL API"
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Options of `serve`, which runs when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,

    /// Tracing filter, e.g. `info` or `crm=debug,sqlx=warn`.
    /// Resolver spans (`async_graphql=info`) are off unless asked for.
    #[arg(
        long,
        env = "CRM_LOG",
        default_value = "info,async_graphql=warn",
        global = true
    )]
    pub log: String,

    /// `json` writes one JSON object a line (with the request's span).
    #[arg(
        long,
        env = "CRM_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run migrations, then serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Apply migrations and exit.
    Migrate(DatabaseArgs),
    /// Print a signed token.
    Token(TokenArgs),
    /// Manage a tenant's API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    Schema,
    /// Import customers from a CSV file of any size, with progress.
    Import(ImportArgs),
    /// Export a tenant's customers (all, or those a query selects) as CSV
    /// or JSON Lines, with progress.
    Export(ExportArgs),
    /// Fill a tenant with realistic, deterministic demo customers.
    SeedDemo(SeedArgs),
    /// Find a tenant's likely duplicate customers from scratch (the
    /// writes keep them current after that), and print how many pairs.
    FindDuplicates(FindDuplicatesArgs),
}

#[derive(clap::Args)]
pub struct FindDuplicatesArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    /// The tenant whose customers to compare.
    #[arg(long)]
    pub tenant: String,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    /// The CSV file: a header row, then one customer a row.
    pub file: PathBuf,

    /// The tenant to import into.
    #[arg(long)]
    pub tenant: String,

    /// `upsert` updates customers the file names by email or phone;
    /// `create-only` skips them.
    #[arg(long, value_enum, default_value = "upsert")]
    pub mode: ImportMode,

    /// Where rejected rows go, each with its reason (default:
    /// `FILE.rejected.csv` beside the file).
    #[arg(long)]
    pub rejected: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    /// The tenant to export from.
    #[arg(long)]
    pub tenant: String,

    /// Which customers, in the query language (`docs/query-language.md`);
    /// every customer when omitted.
    #[arg(long)]
    pub query: Option<String>,

    /// The file's format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormat,

    /// Comma-separated columns by their API names (`email,name,tags`,
    /// or `EMAIL,TOTAL_SPENT`, or `total_spent`); `id,email,name` when
    /// omitted.
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,

    /// Where the file goes; standard output when omitted.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// The format of `crm export`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    /// RFC 4180, with a header row.
    Csv,
    /// One JSON object a line.
    Jsonl,
}

#[derive(clap::Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    /// The tenant to fill.
    #[arg(long)]
    pub tenant: String,

    /// How many customers.
    #[arg(long, default_value_t = 1000)]
    pub customers: usize,

    /// The same seed gives the same customers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Timeline entries a customer gets on average besides its orders'
    /// (emails, page views, support contacts).
    #[arg(long, default_value_t = 3)]
    pub activities: usize,
}

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    #[command(flatten)]
    pub auth: AuthArgs,

    /// The tenant the token confines its bearer to.
    #[arg(long)]
    pub tenant: String,

    /// Who acts (shown as the author of notes and in audit records).
    #[arg(long, default_value = "cli")]
    pub sub: String,

    /// Space-separated scopes; every scope when omitted.
    #[arg(long, default_value_t = Scope::all_joined())]
    pub scopes: String,

    /// Confines the bearer to this location of the tenant (`loc_…`).
    #[arg(long)]
    pub location: Option<String>,

    /// How long the token is valid, e.g. `1h`, `30m`, `7d`.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub ttl: Duration,

    /// PEM private key, to sign RS256 / ES256 tokens.
    #[arg(long, env = "CRM_JWT_PRIVATE_KEY")]
    pub private_key: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print its secret (shown this once).
    Create(ApiKeyArgs),
}

#[derive(clap::Args)]
pub struct ApiKeyArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,

    /// The tenant the key belongs to.
    #[arg(long)]
    pub tenant: String,

    /// What the key is for.
    #[arg(long)]
    pub name: String,

    /// Space-separated scopes; every scope when omitted.
    #[arg(long)]
    pub scopes: Option<String>,

    /// Confines the key to this location of the tenant (`loc_…`).
    #[arg(long)]
    pub location: Option<String>,

    /// How long the key works, e.g. `90d`; it never expires when omitted.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub expires_in: Option<Duration>,
}

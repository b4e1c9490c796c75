//! What each `crm` subcommand does.

use anyhow::Context as _;

use crate::app::Application;
use crate::auth::Scope;
use crate::cli::{ApiKeyArgs, ImportArgs, SeedArgs, TokenArgs};
use crate::config::{DatabaseArgs, ServeArgs};
use crate::customers::csv;
use crate::tenancy::TenantId;

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let application = Application::build(args).await?;
    let app = application.app();
    let url = format!("http://{}:{}", app.config.listen.ip(), application.port());
    if let Some(path) = &app.dev_secret {
        // As long as a token may live (CRM_JWT_MAX_TTL).
        let ttl = app.config.auth.jwt_max_ttl;
        let token = app
            .keys
            .mint("demo", "developer", &Scope::all_joined(), ttl)?;
        println!(
            "No CRM_JWT_SECRET is set: using the development secret in {}.",
            path.display()
        );
        println!(
            "A token for tenant `demo` with every scope (valid {}):\n\n  {token}\n",
            humantime::format_duration(ttl)
        );
        println!("GraphiQL, with a token for tenant `demo` filled in: {url}/");
    }
    tracing::info!(%url, "serving GraphQL at {url}/graphql");
    application.run_until_stopped().await?;
    Ok(())
}

pub async fn migrate(db: DatabaseArgs) -> anyhow::Result<()> {
    let conn = crate::db::connect(&db).await?;
    crate::db::migrate(&conn).await?;
    println!("migrations applied");
    Ok(())
}

pub fn token(args: TokenArgs) -> anyhow::Result<()> {
    let (mut keys, _) = args.auth.keys(&args.db, false)?;
    if let Some(path) = &args.private_key {
        let pem = std::fs::read(path)
            .with_context(|| format!("reading the private key {}", path.display()))?;
        keys = keys.with_private_pem(&pem)?;
    }
    println!(
        "{}",
        keys.mint_in(
            &args.tenant,
            args.location.as_deref(),
            &args.sub,
            &args.scopes,
            args.ttl
        )?
    );
    Ok(())
}

fn tenant(raw: &str) -> anyhow::Result<TenantId> {
    TenantId::parse(raw).context("a tenant is 1-64 letters, digits, '-', '_' or '.'")
}

pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let tenant = tenant(&args.tenant)?;
    let conn = crate::db::connect(&args.db).await?;
    crate::db::migrate(&conn).await?;
    let rejected = args
        .rejected
        .clone()
        .unwrap_or_else(|| csv::default_rejected_path(&args.file));
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let summary =
        csv::import_file(&conn, &tenant, &args.file, args.mode, &rejected, progress).await?;
    csv::print_summary(&summary, &rejected, &mut std::io::stdout())?;
    Ok(())
}

pub async fn seed_demo(args: SeedArgs) -> anyhow::Result<()> {
    let tenant = tenant(&args.tenant)?;
    let conn = crate::db::connect(&args.db).await?;
    crate::db::migrate(&conn).await?;
    let seeded =
        crate::seed::seed(&conn, &tenant, args.customers, args.seed, args.activities).await?;
    println!(
        "seeded {} customers into tenant {tenant} in {:.1}s",
        seeded.customers,
        seeded.elapsed.as_secs_f64()
    );
    Ok(())
}

pub async fn create_api_key(args: ApiKeyArgs) -> anyhow::Result<()> {
    let tenant = tenant(&args.tenant)?;
    let expires_at = args
        .expires_in
        .map(|ttl| chrono::Duration::from_std(ttl).map(|ttl| chrono::Utc::now() + ttl))
        .transpose()
        .context("--expires-in is too long")?;
    let scopes = args
        .scopes
        .map(|s| s.split_ascii_whitespace().map(str::to_owned).collect());
    let granted = crate::auth::ScopeSet::parse(&Scope::all_joined());
    let key = crate::api_keys::NewKey::check("key", args.name, scopes, expires_at, granted)
        .map_err(crate::error::AppError::into_anyhow)?;
    let conn = crate::db::connect(&args.db).await?;
    crate::db::migrate(&conn).await?;
    let key = key
        .within(&conn, &tenant, "--location", args.location.as_deref())
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    let (_, secret) = key
        .create(&conn, &tenant, "cli")
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    println!("{secret}");
    Ok(())
}

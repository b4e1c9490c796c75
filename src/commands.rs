//! What each `crm` subcommand does.

use anyhow::Context as _;

use crate::app::Application;
use crate::auth::Scope;
use crate::cli::{
    ApiKeyArgs, ExportArgs, ExportFormat, FindDuplicatesArgs, ImportArgs, SeedArgs, TokenArgs,
};
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

/// `crm export`: a bulk export run here, batch by batch, with a progress
/// bar on a terminal; the file is written once the run has ended.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    use crate::bulk::columns::Column;
    use crate::bulk::input::{
        BulkExportFormat, BulkOperationAction, BulkOperationInput, BulkSelectionInput, plan,
    };
    let tenant = tenant(&args.tenant)?;
    let columns = args
        .columns
        .iter()
        .map(|name| {
            Column::named(name.trim()).with_context(|| {
                format!(
                    "no column is named {name:?}; the columns: {}",
                    Column::names().join(", ")
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let input = BulkOperationInput {
        action: BulkOperationAction::Export,
        selection: BulkSelectionInput {
            filter: args.query.is_none().then(Default::default),
            query: args.query,
            ..Default::default()
        },
        tags: None,
        status: None,
        segment_id: None,
        format: Some(match args.format {
            ExportFormat::Csv => BulkExportFormat::Csv,
            ExportFormat::Jsonl => BulkExportFormat::Jsonl,
        }),
        columns: (!columns.is_empty()).then_some(columns),
    };
    let planned = plan(input).map_err(crate::error::AppError::into_anyhow)?;
    let conn = crate::db::connect(&args.db).await?;
    crate::db::migrate(&conn).await?;
    crate::bulk::check(&conn, &tenant, &planned)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    let op = crate::bulk::start(&conn, &tenant, "cli", planned, false)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} customers ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    crate::bulk::run_here(&conn, &tenant, &op.id, |done, total| {
        bar.set_length(u64::try_from(total.max(done)).unwrap_or(0));
        bar.set_position(u64::try_from(done).unwrap_or(0));
    })
    .await
    .map_err(crate::error::AppError::into_anyhow)?;
    bar.finish_and_clear();
    let ended = crate::tenancy::find::<entity::bulk_operation::Entity>(&conn, &tenant, &op.id)
        .await
        .map_err(crate::error::AppError::into_anyhow)?
        .context("the export's record is gone")?;
    if ended.status != entity::bulk_operation::BulkStatus::Completed {
        anyhow::bail!("the export ended {:?}: {}", ended.status, ended.errors);
    }
    let body = crate::bulk::export_body(&conn, &tenant, &op.id)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &body).with_context(|| format!("writing {}", path.display()))?;
            eprintln!(
                "exported {} customers to {}",
                ended.processed,
                path.display()
            );
        }
        None => {
            use std::io::Write as _;
            std::io::stdout().write_all(body.as_bytes())?;
        }
    }
    Ok(())
}

pub async fn seed_demo(args: SeedArgs) -> anyhow::Result<()> {
    let tenant = tenant(&args.tenant)?;
    let conn = crate::db::connect(&args.db).await?;
    crate::db::migrate(&conn).await?;
    let seeded =
        crate::seed::seed(&conn, &tenant, args.customers, args.seed, args.activities).await?;
    // Seeded rows bypass the writes that file them for the finder.
    crate::duplicates::rebuild(&conn, &tenant)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    println!(
        "seeded {} customers into tenant {tenant} in {:.1}s",
        seeded.customers,
        seeded.elapsed.as_secs_f64()
    );
    Ok(())
}

pub async fn find_duplicates(args: FindDuplicatesArgs) -> anyhow::Result<()> {
    let tenant = tenant(&args.tenant)?;
    let conn = crate::db::connect(&args.db).await?;
    crate::db::migrate(&conn).await?;
    let started = std::time::Instant::now();
    let pairs = crate::duplicates::rebuild(&conn, &tenant)
        .await
        .map_err(crate::error::AppError::into_anyhow)?;
    println!(
        "found {pairs} likely duplicate pairs in tenant {tenant} in {:.1}s",
        started.elapsed().as_secs_f64()
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

//! Bulk import: up to 1,000 customers a call, in one transaction and a
//! handful of statements (two lookups, one tag read, multi-row writes).
//!
//! Rows are applied as if one after another: a row whose email (or phone)
//! names a customer, existing or created by an earlier row of the same call,
//! updates it under `UPSERT` and is skipped under `CREATE_ONLY`. A row that
//! would change nothing is counted as skipped. A bad row fails alone, with
//! its index and field; the others go in.

mod apply;
mod rows;

use std::sync::Mutex;

use sea_orm::DatabaseConnection;
use tokio::sync::oneshot;

use crate::db::retry_on_race;
use crate::error::{AppError, AppResult, bad_input, conflict};
use crate::profiles::counts;
use crate::profiles::history::Actor;
use crate::profiles::input::CustomerInput;
use crate::profiles::patch::Patch;
use crate::tenancy::TenantId;

/// Most rows one call takes.
pub const MAX_ROWS: usize = 1000;
const ATTEMPTS: usize = 4;

/// What an import does with a row naming an existing customer (by email,
/// then phone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum, clap::ValueEnum)]
pub enum ImportMode {
    /// Create new customers; rows naming an existing one are skipped.
    CreateOnly,
    /// Create new customers and update existing ones.
    Upsert,
}

/// Why one row was not imported.
#[derive(Clone, Debug, async_graphql::SimpleObject)]
pub struct ImportFailure {
    /// The row's position in the call, from 0.
    pub index: i32,
    /// The error's code, as in `extensions.code`, such as `BAD_USER_INPUT`
    /// or `CONFLICT`.
    pub code: String,
    /// What is wrong with the row, in words.
    pub message: String,
    /// The row's field at fault (`email`, `address.country`), if one is.
    pub field: Option<String>,
}

/// What an import did.
#[derive(Clone, Debug, Default, async_graphql::SimpleObject)]
pub struct ImportPayload {
    /// Rows that created a customer.
    pub created: i32,
    /// Rows that updated an existing customer.
    pub updated: i32,
    /// Rows that changed nothing, or named an existing customer under
    /// `CREATE_ONLY`.
    pub skipped: i32,
    /// Rows that were refused, each with why; the other rows went in.
    pub failed: Vec<ImportFailure>,
}

impl ImportFailure {
    pub(super) fn from_error(index: usize, err: AppError) -> Self {
        let field = match &err {
            AppError::BadUserInput { field, .. } | AppError::Conflict { field, .. } => {
                Some(field.clone()).filter(|f| !f.is_empty())
            }
            _ => None,
        };
        ImportFailure {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            code: err.code().to_owned(),
            message: err.message(),
            field,
        }
    }
}

/// Where an import stands among imports of one file that run at once, so
/// that they apply in file order: it looks customers up only once `after`
/// fires (the previous import holds the customers it updates), and fires
/// `locked` once it holds its own. An import that needs a customer an
/// earlier one holds then waits for that one to commit, and a later row
/// naming the same customer lands last. (Rows naming the same email or
/// phone must still go to the same import: a customer both would create
/// is held by neither until written.)
#[derive(Debug, Default)]
pub struct Turn {
    pub after: Option<oneshot::Receiver<()>>,
    pub locked: Option<oneshot::Sender<()>>,
}

/// Imports `rows` into the tenant.
pub async fn import(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    rows: Vec<CustomerInput>,
    mode: ImportMode,
) -> AppResult<ImportPayload> {
    import_in_turn(db, tenant, actor, rows, mode, Turn::default()).await
}

/// [`import`], taking its turn among imports of one file that run at once.
#[tracing::instrument(skip_all, fields(tenant = %tenant, rows = rows.len()))]
pub async fn import_in_turn(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &Actor,
    rows: Vec<CustomerInput>,
    mode: ImportMode,
    turn: Turn,
) -> AppResult<ImportPayload> {
    if rows.len() > MAX_ROWS {
        return Err(bad_input(
            "customers",
            format!("at most {MAX_ROWS} customers a call"),
        ));
    }
    let mut failed = Vec::new();
    let mut patches = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        match Patch::from_input(row, "", true).map(Patch::imported) {
            Ok(patch) if patch.identifies_nobody() => failed.push(ImportFailure::from_error(
                index,
                bad_input(
                    "",
                    "a customer needs at least one of name, firstName, lastName, email or phone",
                ),
            )),
            Ok(patch) => patches.push((index, patch)),
            Err(err) => failed.push(ImportFailure::from_error(index, err)),
        }
    }
    let turn = Mutex::new(turn);
    let mut payload = retry_on_race(
        ATTEMPTS,
        || apply::attempt(db, tenant, actor, &patches, mode, &turn),
        || {
            conflict(
                "customers",
                "the customers are being written concurrently; try again",
            )
        },
    )
    .await?;
    payload.failed.extend(failed);
    payload.failed.sort_by_key(|f| f.index);
    if payload.created > 0 {
        keep_statistics(db, tenant).await;
    }
    Ok(payload)
}

/// Tenants smaller than this are cheap to read whatever the plan, while
/// refreshing the statistics samples the whole table.
const STATISTICS_FROM: u64 = 10_000;

/// Keeps PostgreSQL's statistics in step with a tenant that imports grow.
/// A tenant that grew from nothing inside a large shared table looks empty
/// to the planner until `ANALYZE` runs (autovacuum's threshold is a share
/// of the whole table, so it may never run for one tenant's rows), and the
/// planner then answers every lookup by email or phone, the import's own
/// included, by reading the tenant's rows: each batch slower than the last.
/// After an import creates customers, statistics are gathered again when
/// the planner expects fewer than a tenth of the tenant's customers, so at
/// most once each time the tenant grows tenfold.
async fn keep_statistics(db: &DatabaseConnection, tenant: &TenantId) {
    let refreshed = async {
        let Some(planned) = crate::db::planned_customers(db, tenant.as_str()).await? else {
            return Ok::<bool, AppError>(false);
        };
        let all = counts::Counting::Kept(counts::Facet::all());
        let actual = counts::count(db, tenant, &all, sea_orm::Condition::all()).await?;
        #[expect(
            clippy::cast_precision_loss,
            reason = "a row count, compared by order of magnitude"
        )]
        let stale = actual >= STATISTICS_FROM && planned * 10.0 < actual as f64;
        Ok(stale && crate::db::analyze(db, crate::db::Analyzed::Customers).await?)
    };
    match refreshed.await {
        Ok(true) => {
            tracing::info!(tenant = %tenant, "refreshed customer statistics after an import")
        }
        Ok(false) => {}
        Err(err) => {
            tracing::warn!(tenant = %tenant, error = %err.message(), "checking customer statistics failed")
        }
    }
}

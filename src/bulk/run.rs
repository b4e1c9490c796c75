//! The job of a bulk operation: one batch a turn, in one transaction with
//! the operation row locked (see the invariants in [`super`]).

use entity::bulk_operation::{self, BulkAction, BulkStatus};
use entity::{bulk_export_chunk, customer, job};
use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveEnum as _, ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait as _, IntoActiveModel as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, Set,
};
use serde_json::{Value, json};

use super::columns::{self, Column};
use super::input::BulkExportFormat;
use super::{BATCH, KIND, MAX_ERRORS, selection};
use crate::customers::{status, tagging, upsert};
use crate::db::begin_write;
use crate::error::{AppError, AppResult};
use crate::ids::{CustomerId, SegmentId};
use crate::jobs;
use crate::profiles::history::{Actor, ChangeSource};
use crate::profiles::input::{CustomerStatus, MAX_TAGS};
use crate::profiles::repo as customers;
use crate::tenancy::{self, TenantId};

/// Runs bulk operations: the worker's handler of their jobs.
pub struct BulkOperations {
    pub db: DatabaseConnection,
    /// How long an export's file is kept after its operation ended.
    pub retention: std::time::Duration,
}

impl jobs::Handler for BulkOperations {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(turn(&self.db, job))
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            if let Err(err) = super::retention::sweep(&self.db, self.retention).await {
                tracing::warn!(error = ?err, "removing expired bulk export files failed");
            }
        })
    }
}

/// What a batch did: the customers it failed, with why.
type Failures = Vec<(String, String)>;

/// One batch of the job's operation, or its end.
async fn turn(db: &DatabaseConnection, job: &job::Model) -> AppResult<()> {
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(db, job).await?;
        return Ok(());
    };
    step(db, &tenant, &job.subject_id, Some(job)).await?;
    Ok(())
}

/// Where an operation stands after a step.
pub enum Step {
    /// A batch was done: customers processed so far, and the total.
    Batch { processed: i64, total: i64 },
    /// It has ended (or there is no such operation).
    Ended,
}

/// Runs operation `key` to its end here, without the worker (`crm
/// export`), telling `progress` after each batch.
pub async fn run_here(
    db: &DatabaseConnection,
    tenant: &TenantId,
    key: &str,
    mut progress: impl FnMut(i64, i64),
) -> AppResult<()> {
    while let Step::Batch { processed, total } = step(db, tenant, key, None).await? {
        progress(processed, total);
    }
    Ok(())
}

/// One batch of operation `key`, or its end; `job`, when the worker runs
/// it, is finished or given back in the batch's transaction.
async fn step(
    db: &DatabaseConnection,
    tenant: &TenantId,
    key: &str,
    job: Option<&job::Model>,
) -> AppResult<Step> {
    let tenant = tenant.clone();
    let txn = begin_write(db).await?;
    let Some(op) = tenancy::find_for_update::<bulk_operation::Entity>(&txn, &tenant, key).await?
    else {
        if let Some(job) = job {
            jobs::finish(&txn, job).await?;
        }
        txn.commit().await?;
        return Ok(Step::Ended);
    };
    if !matches!(op.status, BulkStatus::Queued | BulkStatus::Running) {
        if let Some(job) = job {
            jobs::finish(&txn, job).await?;
        }
        txn.commit().await?;
        return Ok(Step::Ended);
    }
    // Read in the transaction: on SQLite another connection could wait
    // for a pool slot held by writers queued behind this one.
    let condition = match selection::condition(&txn, &tenant, &op.selection).await {
        Ok(condition) => condition,
        Err(err @ (AppError::Internal(_) | AppError::Unavailable(_))) => return Err(err),
        Err(err) => return end(txn, job, op, BulkStatus::Failed, Some(err.message())).await,
    };
    let mut op = op.into_active_model();
    if op.status.as_ref() == &BulkStatus::Queued {
        let total = customers::count(&txn, &tenant, condition.clone(), false).await?;
        op.status = Set(BulkStatus::Running);
        op.total = Set(i64::try_from(total).unwrap_or(i64::MAX));
        if op.action.as_ref() == &BulkAction::Export {
            op.link_key = Set(Some(crate::data_requests::download::new_link_key()));
            let (format, columns) = export_params(op.params.as_ref());
            if format == BulkExportFormat::Csv {
                chunk(&txn, &tenant, key, 0, columns::header(&columns)).await?;
            }
        }
    }
    let after = op.cursor.as_ref().clone();
    let mut next = tenancy::select::<customer::Entity>(&tenant)
        .select_only()
        .column(customer::Column::Id)
        .filter(condition)
        .order_by_asc(customer::Column::Id)
        .limit(BATCH);
    if let Some(after) = &after {
        next = next.filter(customer::Column::Id.gt(after.as_str()));
    }
    let keys: Vec<String> = next.into_tuple().all(&txn).await?;
    let Some(last) = keys.last().cloned() else {
        let op = op.update(&txn).await?;
        return end(txn, job, op, BulkStatus::Completed, None).await;
    };
    let processed = *op.processed.as_ref();
    let failures = apply(&txn, &tenant, &op, &keys, processed).await?;
    let mut errors: Vec<Value> = op.errors.as_ref().as_array().cloned().unwrap_or_default();
    for (key, message) in &failures {
        if errors.len() < MAX_ERRORS {
            errors.push(json!({
                "customerId": crate::ids::encode(crate::ids::Kind::Customer, key).0,
                "message": message,
            }));
        }
    }
    op.processed = Set(processed + keys.len() as i64);
    op.failed = Set(op.failed.as_ref() + failures.len() as i64);
    op.errors = Set(Value::Array(errors));
    op.cursor = Set(Some(last));
    op.updated_at = Set(crate::db::now());
    let op = op.update(&txn).await?;
    // Given back at once: the next batch is the next turn.
    if let Some(job) = job
        && !jobs::reschedule(&txn, job, crate::db::now()).await?
    {
        return Ok(Step::Ended);
    }
    txn.commit().await?;
    crate::events::bulk_operation(&tenant, &op.id, &op.status.to_value());
    Ok(Step::Batch {
        processed: op.processed,
        total: op.total,
    })
}

/// Ends the operation with `status` and removes its job.
async fn end(
    txn: DatabaseTransaction,
    job: Option<&job::Model>,
    op: bulk_operation::Model,
    status: BulkStatus,
    error: Option<String>,
) -> AppResult<Step> {
    let tenant = TenantId::parse(&op.tenant_id).ok_or(AppError::Internal(anyhow::anyhow!(
        "a bulk operation without a tenant"
    )))?;
    let now = crate::db::now();
    let mut active = op.into_active_model();
    if let Some(message) = error {
        let mut errors: Vec<Value> = active
            .errors
            .as_ref()
            .as_array()
            .cloned()
            .unwrap_or_default();
        errors.push(json!({ "customerId": null, "message": message }));
        active.errors = Set(Value::Array(errors));
    }
    active.status = Set(status);
    active.updated_at = Set(now);
    active.completed_at = Set(Some(now));
    let op = active.update(&txn).await?;
    if let Some(job) = job
        && !jobs::finish(&txn, job).await?
    {
        return Ok(Step::Ended);
    }
    txn.commit().await?;
    crate::events::bulk_operation(&tenant, &op.id, &op.status.to_value());
    Ok(Step::Ended)
}

/// The action on one batch of customers (their keys, ascending); the
/// ones it could not do, with why.
async fn apply(
    txn: &DatabaseTransaction,
    tenant: &TenantId,
    op: &bulk_operation::ActiveModel,
    keys: &[String],
    processed: i64,
) -> AppResult<Failures> {
    let params = op.params.as_ref();
    let text_list = |name: &str| -> Vec<String> {
        params[name]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let segment = || SegmentId::of_row(params["segmentId"].as_str().unwrap_or_default().to_owned());
    let ids = || -> Vec<CustomerId> { keys.iter().cloned().map(CustomerId::of_row).collect() };
    let mut failures = Failures::new();
    let actor = Actor::new(op.created_by.as_ref().clone(), ChangeSource::BulkOperation);
    match op.action.as_ref() {
        BulkAction::Tag => {
            let tags = text_list("tags");
            let rows = customers::lock_many(txn, tenant, keys).await?;
            let held = customers::tags(txn, tenant, keys).await?;
            let mut fits = Vec::new();
            for row in &rows {
                let holds = held.get(&row.id).map_or(&[][..], Vec::as_slice);
                if tagging::tags_after(holds, &tags, &[]).len() > MAX_TAGS {
                    failures.push((
                        row.id.clone(),
                        format!("a customer has at most {MAX_TAGS} tags"),
                    ));
                } else {
                    fits.push(row.id.clone());
                }
            }
            if !fits.is_empty() {
                tagging::tag_held(txn, tenant, &actor, &fits, &held, &tags, &[]).await?;
            }
        }
        BulkAction::Untag => {
            customers::lock_many(txn, tenant, keys).await?;
            tagging::tag_in(txn, tenant, &actor, keys, &[], &text_list("tags")).await?;
        }
        BulkAction::SetStatus => {
            let status = if params["status"] == "ARCHIVED" {
                CustomerStatus::Archived
            } else {
                CustomerStatus::Active
            };
            let rows = customers::lock_many(txn, tenant, keys).await?;
            status::set_status_in(txn, tenant, &actor, &rows, status).await?;
        }
        BulkAction::AddToSegment => {
            crate::segments::repo::add_members(txn, tenant, &segment(), &ids(), crate::db::now())
                .await?;
        }
        BulkAction::RemoveFromSegment => {
            crate::segments::repo::remove_members(txn, tenant, &segment(), &ids()).await?;
        }
        BulkAction::Delete => {
            for id in ids() {
                // Each customer in a savepoint: one a rule blocks is
                // counted, the others go.
                let one = sea_orm::TransactionTrait::begin(txn).await?;
                match upsert::delete_in(&one, tenant, &id).await {
                    Ok(()) => {
                        one.commit().await?;
                        crate::events::customer_deleted(tenant, id.as_str());
                    }
                    Err(err @ (AppError::Internal(_) | AppError::Unavailable(_))) => {
                        return Err(err);
                    }
                    Err(err) => {
                        one.rollback().await?;
                        failures.push((id.into_string(), err.message()));
                    }
                }
            }
        }
        BulkAction::Export => {
            let (format, columns) = export_params(params);
            let mut rows = tenancy::find_many::<customer::Entity>(txn, tenant, keys).await?;
            rows.sort_by(|a, b| a.id.cmp(&b.id));
            let tags = if columns.contains(&Column::Tags) {
                customers::tags(txn, tenant, keys).await?
            } else {
                Default::default()
            };
            let none = Vec::new();
            let body: String = rows
                .iter()
                .map(|row| {
                    let tags = tags.get(&row.id).unwrap_or(&none);
                    columns::line(format == BulkExportFormat::Csv, &columns, row, tags)
                })
                .collect();
            chunk(txn, tenant, op.id.as_ref(), processed + 1, body).await?;
        }
    }
    Ok(failures)
}

/// An export's format and columns, as stored.
fn export_params(params: &Value) -> (BulkExportFormat, Vec<Column>) {
    let format = BulkExportFormat::named(params["format"].as_str().unwrap_or_default());
    let columns = params["columns"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .filter_map(Column::named)
                .collect()
        })
        .unwrap_or_default();
    (format, columns)
}

/// Stores one piece of an export at `seq`.
async fn chunk(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    operation: &str,
    seq: i64,
    body: String,
) -> AppResult<()> {
    bulk_export_chunk::Entity::insert(
        bulk_export_chunk::Model {
            tenant_id: tenant.as_str().to_owned(),
            operation_id: operation.to_owned(),
            seq,
            body,
        }
        .into_active_model(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// The pieces of an export, in order, joined.
pub async fn export_body(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    operation: &str,
) -> AppResult<String> {
    let pieces: Vec<String> = tenancy::select::<bulk_export_chunk::Entity>(tenant)
        .select_only()
        .column(bulk_export_chunk::Column::Body)
        .filter(bulk_export_chunk::Column::OperationId.eq(operation))
        .order_by_asc(bulk_export_chunk::Column::Seq)
        .into_tuple()
        .all(db)
        .await?;
    Ok(pieces.concat())
}

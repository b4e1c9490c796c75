//! Data requests (GDPR / CCPA, API.md §9): a customer's erasure or export,
//! carried out by the background worker from the job queue.
//!
//! - `createRemovalRequest` stores the request `PENDING` and enqueues its
//!   job in one transaction.
//! - The worker marks it `PROCESSING`, then does the work and marks it
//!   `COMPLETED` (or `FAILED`) in one transaction that also removes the
//!   job, after checking, with the request row locked, that no one has
//!   completed it meanwhile: a request is carried out exactly once even
//!   when a lease runs out under a slow worker.
//! - ERASURE ([`erase`]) removes the customer's personal data everywhere
//!   and writes an audit record of counts. EXPORT ([`export`]) stores a
//!   JSON archive served at `/exports/{id}` ([`download`]).

pub mod download;
mod erase;
mod export;
mod graphql;
pub mod loader;
pub mod repo;
mod subscription;

pub use erase::{Removed, forget_copies, reassign};
pub use export::Queries;
pub use graphql::{DataRequestMutation, DataRequestQuery, RemovalRequest};
pub use subscription::DataRequestSubscription;

use std::sync::Arc;

use entity::data_request::{RequestKind, RequestStatus};
use entity::{data_request, erasure_audit, export as export_row, job};
use futures_util::future::BoxFuture;
use sea_orm::ActiveEnum as _;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};

use crate::db::begin_write;
use crate::error::{AppResult, not_found};
use crate::events::{Change, Event};
use crate::ids::CustomerId;
use crate::jobs;
use crate::tenancy::{self, TenantId};

/// GDPR Art. 12(3): a request is answered within one month.
pub const DEADLINE_DAYS: i64 = 30;
/// Runs of a request's job before it is marked `FAILED`.
const MAX_ATTEMPTS: i32 = 5;

/// What `createRemovalRequest` asks for.
pub struct NewRequest {
    pub kind: RequestKind,
    pub reason: Option<String>,
    pub notify_customer: bool,
    pub format: &'static str,
}

/// Stores a request for the tenant's customer `customer` and enqueues its
/// job, in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &str,
    customer: &CustomerId,
    new: NewRequest,
) -> AppResult<data_request::Model> {
    let txn = begin_write(db).await?;
    crate::profiles::repo::find(&txn, tenant, customer)
        .await?
        .ok_or(not_found("customer"))?;
    let now = crate::db::now();
    let row = repo::insert(
        &txn,
        data_request::Model {
            tenant_id: tenant.as_str().to_owned(),
            id: crate::ids::new_key(),
            customer_id: customer.as_str().to_owned(),
            kind: new.kind,
            status: RequestStatus::Pending,
            reason: new.reason,
            notify_customer: new.notify_customer,
            format: new.format.to_owned(),
            actor: actor.to_owned(),
            error: None,
            created_at: now,
            updated_at: now,
            estimated_completion: now + chrono::Duration::days(DEADLINE_DAYS),
            completed_at: None,
        },
    )
    .await?;
    jobs::enqueue(&txn, vec![jobs::new_job(tenant, KIND, &row.id, now)]).await?;
    txn.commit().await?;
    crate::events::record(event(&row));
    Ok(row)
}

fn event(row: &data_request::Model) -> Event {
    Event {
        tenant: row.tenant_id.clone(),
        customer: row.customer_id.clone(),
        change: Change::DataRequest {
            id: row.id.clone(),
            status: row.status.to_value(),
        },
    }
}

/// The kind of a data request's job (`subject_id` is the request's key).
const KIND: &str = "data_request";

/// Carries out data requests: the worker's handler of their jobs.
pub struct DataRequests {
    pub db: DatabaseConnection,
    /// Runs the export's queries.
    pub queries: Arc<dyn Queries>,
    /// How long an export's archive is kept.
    pub retention: std::time::Duration,
}

impl jobs::Handler for DataRequests {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(process(self, job))
    }

    fn sweep(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {
            if let Err(err) = sweep_expired_exports(&self.db).await {
                tracing::warn!(error = ?err, "removing expired exports failed");
            }
            // Copies of merged customers, kept for an undo, go when it
            // can no longer be.
            if let Err(err) = crate::profiles::merges::sweep_expired(&self.db).await {
                tracing::warn!(error = ?err, "removing ended merge windows failed");
            }
        })
    }
}

/// Runs the job of a data request.
async fn process(app: &DataRequests, job: &job::Model) -> AppResult<()> {
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(&app.db, job).await?;
        return Ok(());
    };
    let key = job.subject_id.as_str();
    let request = match tenancy::find::<entity::data_request::Entity>(&app.db, &tenant, key).await?
    {
        Some(row) if !row.status.finished() => row,
        _ => {
            jobs::finish(&app.db, job).await?;
            return Ok(());
        }
    };
    if job.attempts > MAX_ATTEMPTS {
        return fail(
            app,
            &tenant,
            job,
            "the request could not be carried out; create it again",
        )
        .await;
    }
    if repo::mark_processing(&app.db, &tenant, key).await? {
        let mut processing = request.clone();
        processing.status = RequestStatus::Processing;
        crate::events::record(event(&processing));
        crate::events::flush().await;
    }
    tracing::info!(request = %key, kind = ?request.kind, "carrying out a data request");
    if request.kind == RequestKind::Erasure {
        erasure(app, &tenant, job, key).await
    } else {
        export(app, &tenant, job, &request).await
    }
}

async fn erasure(
    app: &DataRequests,
    tenant: &TenantId,
    job: &job::Model,
    key: &str,
) -> AppResult<()> {
    let txn = begin_write(&app.db).await?;
    let Some(mut request) =
        tenancy::find_for_update::<entity::data_request::Entity>(&txn, tenant, key).await?
    else {
        return Ok(());
    };
    if request.status.finished() {
        jobs::finish(&txn, job).await?;
        txn.commit().await?;
        return Ok(());
    }
    let customer = CustomerId::of_row(request.customer_id.clone());
    let removed = erase::erase(&txn, tenant, &customer).await?;
    let existed = removed.customers > 0;
    let now = crate::db::now();
    request.reason = None;
    repo::insert_audit(
        &txn,
        erasure_audit::Model {
            tenant_id: tenant.as_str().to_owned(),
            request_id: key.to_owned(),
            actor: request.actor.clone(),
            erased_at: now,
            removed: serde_json::to_value(&removed).unwrap_or_default(),
        },
    )
    .await?;
    request.status = RequestStatus::Completed;
    request.error = None;
    request.updated_at = now;
    request.completed_at = Some(now);
    let request = repo::save(&txn, request).await?;
    if existed {
        crate::webhooks::outbox::customer_deleted(&txn, tenant, customer.as_str()).await?;
    }
    crate::webhooks::outbox::data_request_completed(&txn, tenant, &request).await?;
    if !jobs::finish(&txn, job).await? {
        // Another worker took the job over; it will find the request as
        // it was.
        txn.rollback().await?;
        return Ok(());
    }
    txn.commit().await?;
    crate::db::scrub_free_space(&app.db).await;
    tracing::info!(request = %key, "erasure completed");
    if existed {
        crate::events::customer_deleted(tenant, customer.as_str());
    }
    crate::events::record(event(&request));
    Ok(())
}

async fn export(
    app: &DataRequests,
    tenant: &TenantId,
    job: &job::Model,
    request: &data_request::Model,
) -> AppResult<()> {
    let archive = export::archive(
        app.queries.as_ref(),
        tenant,
        &request.actor,
        &request.id,
        &request.customer_id,
    )
    .await?;
    let txn = begin_write(&app.db).await?;
    let Some(mut request) =
        tenancy::find_for_update::<entity::data_request::Entity>(&txn, tenant, &request.id).await?
    else {
        return Ok(());
    };
    if request.status.finished() {
        jobs::finish(&txn, job).await?;
        txn.commit().await?;
        return Ok(());
    }
    // The customer still exists now (locked, on PostgreSQL): an erasure
    // cannot have removed them since the archive was read.
    let exists = crate::profiles::repo::find_for_update(
        &txn,
        tenant,
        &CustomerId::of_row(request.customer_id.clone()),
    )
    .await?
    .is_some();
    let now = crate::db::now();
    request.updated_at = now;
    match archive {
        Some(archive) if exists => {
            let retention =
                chrono::Duration::from_std(app.retention).unwrap_or(chrono::Duration::days(7));
            repo::insert_export(
                &txn,
                export_row::Model {
                    tenant_id: tenant.as_str().to_owned(),
                    request_id: request.id.clone(),
                    customer_id: request.customer_id.clone(),
                    archive: serde_json::to_string_pretty(&archive)
                        .map_err(|err| crate::error::AppError::Internal(err.into()))?,
                    link_key: download::new_link_key(),
                    created_at: now,
                    expires_at: now + retention,
                },
            )
            .await?;
            request.status = RequestStatus::Completed;
            request.completed_at = Some(now);
        }
        _ => {
            request.status = RequestStatus::Failed;
            request.error = Some("the customer no longer exists".to_owned());
        }
    }
    let request = repo::save(&txn, request).await?;
    if request.status == RequestStatus::Completed {
        crate::webhooks::outbox::data_request_completed(&txn, tenant, &request).await?;
    }
    if !jobs::finish(&txn, job).await? {
        txn.rollback().await?;
        return Ok(());
    }
    txn.commit().await?;
    tracing::info!(request = %request.id, status = ?request.status, "export finished");
    crate::events::record(event(&request));
    Ok(())
}

/// Marks a request `FAILED` with a message for the client.
async fn fail(
    app: &DataRequests,
    tenant: &TenantId,
    job: &job::Model,
    message: &str,
) -> AppResult<()> {
    let txn = begin_write(&app.db).await?;
    let Some(mut request) =
        tenancy::find_for_update::<entity::data_request::Entity>(&txn, tenant, &job.subject_id)
            .await?
    else {
        return Ok(());
    };
    if !request.status.finished() {
        request.status = RequestStatus::Failed;
        request.error = Some(message.to_owned());
        request.updated_at = crate::db::now();
        request = repo::save(&txn, request).await?;
    }
    if !jobs::finish(&txn, job).await? {
        txn.rollback().await?;
        return Ok(());
    }
    txn.commit().await?;
    tracing::warn!(request = %request.id, "data request failed");
    crate::events::record(event(&request));
    Ok(())
}

/// Removes the export archives whose retention has passed (all tenants).
async fn sweep_expired_exports(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(tenancy::across_tenants_delete::<export_row::Entity>()
        .filter(export_row::Column::ExpiresAt.lte(crate::db::now()))
        .exec(db)
        .await?
        .rows_affected)
}

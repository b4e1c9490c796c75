//! Bulk operations: one action (tag, untag, set status, delete, add to or
//! remove from a static segment, export) on every customer a selection
//! holds, run by the job worker in batches.
//!
//! Invariants:
//! - `startBulkOperation` stores the operation `QUEUED` and enqueues its
//!   job in one transaction; the job runs one batch a turn and gives
//!   itself back, so progress is published between batches and other
//!   jobs get their turn;
//! - a batch takes the next [`BATCH`] selected customers by key after the
//!   operation's `cursor`, applies the action, and advances `cursor`,
//!   `processed` and `failed` in one transaction with the operation row
//!   locked: a run killed mid-batch leaves no trace of that batch, and the
//!   next run (after the job's lease ends) goes on from the cursor, so
//!   each customer is done once;
//! - `cancelBulkOperation` marks it `CANCELLED`; the next batch sees it
//!   and stops; what was done stays done;
//! - every read and write is the operation's tenant's: the job's tenant
//!   is the job row's own.

pub mod columns;
mod graphql;
pub mod input;
mod object;
mod retention;
mod run;
mod selection;
mod subscription;

pub use graphql::{BulkOperationMutation, BulkOperationQuery};
pub use object::BulkOperation;
pub use run::{BulkOperations, export_body, run_here};
pub use subscription::BulkOperationSubscription;

use entity::bulk_operation::{self, BulkStatus};
use sea_orm::{ActiveEnum as _, ActiveModelTrait as _, DatabaseConnection, IntoActiveModel as _};
use serde_json::json;

use crate::db::begin_write;
use crate::error::{AppResult, bad_input, not_found};
use crate::ids::BulkOperationId;
use crate::jobs;
use crate::tenancy::{self, TenantId};
use input::Planned;

/// Customers a batch takes.
pub const BATCH: u64 = 500;
/// Failures an operation keeps the reasons of.
pub const MAX_ERRORS: usize = 50;
/// The kind of a bulk operation's job (`subject_id` is its key).
const KIND: &str = "bulk_operation";

/// Refuses a planned operation whose selection does not compile (a bad
/// filter or query, an unknown segment) or names an unknown customer,
/// before anything is stored.
pub async fn check(db: &DatabaseConnection, tenant: &TenantId, planned: &Planned) -> AppResult<()> {
    selection::condition(db, tenant, &planned.selection).await?;
    selection::check_ids(db, tenant, &planned.selection).await
}

/// Stores a planned operation `QUEUED` and, when `queued`, enqueues its
/// job (otherwise the caller runs it: [`run_here`]).
pub async fn start(
    db: &DatabaseConnection,
    tenant: &TenantId,
    actor: &str,
    planned: Planned,
    queued: bool,
) -> AppResult<bulk_operation::Model> {
    let now = crate::db::now();
    let row = bulk_operation::Model {
        tenant_id: tenant.as_str().to_owned(),
        id: crate::ids::new_key(),
        action: planned.action,
        status: BulkStatus::Queued,
        selection: planned.selection,
        params: planned.params,
        total: 0,
        processed: 0,
        failed: 0,
        errors: json!([]),
        cursor: None,
        link_key: None,
        created_by: actor.to_owned(),
        created_at: now,
        updated_at: now,
        completed_at: None,
    };
    let txn = begin_write(db).await?;
    let row = row.into_active_model().reset_all().insert(&txn).await?;
    if queued {
        jobs::enqueue(&txn, vec![jobs::new_job(tenant, KIND, &row.id, now)]).await?;
    }
    txn.commit().await?;
    crate::events::bulk_operation(tenant, &row.id, &row.status.to_value());
    Ok(row)
}

/// Marks a queued or running operation `CANCELLED`; one that has ended is
/// `BAD_USER_INPUT`.
pub async fn cancel(
    db: &DatabaseConnection,
    tenant: &TenantId,
    key: &BulkOperationId,
) -> AppResult<bulk_operation::Model> {
    let txn = begin_write(db).await?;
    let row = tenancy::find_for_update::<bulk_operation::Entity>(&txn, tenant, key.as_str())
        .await?
        .ok_or(not_found("bulk operation"))?;
    if !matches!(row.status, BulkStatus::Queued | BulkStatus::Running) {
        return Err(bad_input(
            "id",
            format!("the operation has ended ({})", row.status.to_value()),
        ));
    }
    let now = crate::db::now();
    let mut active = row.into_active_model();
    active.status = sea_orm::Set(BulkStatus::Cancelled);
    active.updated_at = sea_orm::Set(now);
    active.completed_at = sea_orm::Set(Some(now));
    let row = active.update(&txn).await?;
    txn.commit().await?;
    crate::events::bulk_operation(tenant, &row.id, &row.status.to_value());
    Ok(row)
}

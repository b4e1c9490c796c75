//! The durable job queue: rows of `jobs`, taken by the background worker
//! of every `crm serve` instance.
//!
//! - A job is due when its `run_at` has passed. Taking a job moves `run_at`
//!   to the end of a lease and adds one to `attempts`, in one statement
//!   (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so instances never take the
//!   same job; SQLite: one writer at a time). A worker that dies leaves the
//!   job to be taken again when the lease runs out.
//! - `(lease_owner, attempts)` identify one taking of a job: finishing or
//!   rescheduling it only succeeds for the worker that still holds it, in
//!   the same transaction as the job's own writes.
//! - Jobs are enqueued in the transaction of the change that needs them, so
//!   a job exists exactly when its change committed.

pub mod marks;
pub mod worker;

pub use worker::{Handler, Worker};

use std::sync::Arc;
use std::time::Duration;

use entity::job;
use sea_orm::sea_query::{Expr, ExprTrait as _, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use tokio::sync::Notify;

use crate::db::begin_write;
use crate::error::AppResult;
use crate::ids;
use crate::tenancy::{self, TenantId};

/// Rows per multi-row insert.
const ROWS_PER_STATEMENT: usize = 1000;

/// A job row to enqueue.
pub fn new_job(
    tenant: &TenantId,
    kind: &'static str,
    subject: &str,
    run_at: chrono::DateTime<chrono::Utc>,
) -> job::Model {
    job::Model {
        tenant_id: tenant.as_str().to_owned(),
        id: ids::new_key(),
        kind: kind.to_owned(),
        subject_id: subject.to_owned(),
        run_at,
        attempts: 0,
        lease_owner: None,
        created_at: crate::db::now(),
    }
}

/// Enqueues jobs, in the caller's transaction. The worker of this instance
/// is woken by [`Wake`] once that transaction has committed.
pub async fn enqueue(db: &impl ConnectionTrait, jobs: Vec<job::Model>) -> AppResult<()> {
    crate::db::insert_rows::<job::Entity>(db, &jobs, ROWS_PER_STATEMENT, crate::db::Taken::Fail)
        .await?;
    Ok(())
}

/// Tells this process's worker that jobs may be due now (it also looks
/// every poll interval, which is how other instances' jobs are found, and
/// whenever one of its own jobs ends).
#[derive(Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    /// Waits for [`Wake::wake`].
    pub async fn woken(&self) {
        self.0.notified().await;
    }
}

/// How many jobs of every tenant are due and not taken (`/metrics`).
pub async fn due(db: &DatabaseConnection) -> AppResult<u64> {
    let count = tenancy::across_tenants::<job::Entity>()
        .filter(job::Column::RunAt.lte(crate::db::now()))
        .count(db)
        .await?;
    Ok(count)
}

/// Takes up to `limit` due jobs of any tenant for `owner`, leased for
/// `lease`.
pub async fn claim(
    db: &DatabaseConnection,
    owner: &str,
    lease: Duration,
    limit: u64,
) -> AppResult<Vec<job::Model>> {
    let now = crate::db::now();
    // A read first: an idle queue costs no write transaction.
    let any_due = tenancy::across_tenants::<job::Entity>()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::RunAt.lte(now))
        .limit(1)
        .into_tuple::<String>()
        .one(db)
        .await?;
    if any_due.is_none() {
        return Ok(Vec::new());
    }
    let lease_end = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let due = tenancy::across_tenants::<job::Entity>()
        .select_only()
        .column(job::Column::TenantId)
        .column(job::Column::Id)
        .filter(job::Column::RunAt.lte(now))
        .order_by_asc(job::Column::RunAt)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_query();
    let txn = begin_write(db).await?;
    let taken = tenancy::across_tenants_update::<job::Entity>()
        .col_expr(job::Column::RunAt, Expr::val(lease_end))
        .col_expr(job::Column::LeaseOwner, Expr::val(owner))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .filter(
            Expr::tuple([Expr::col(job::Column::TenantId), Expr::col(job::Column::Id)])
                .in_subquery(due),
        )
        .exec_with_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(taken)
}

/// Removes a job this worker holds, in the caller's transaction; false
/// when it no longer holds it (its lease ran out and another worker took
/// it), in which case the caller must roll back.
pub async fn finish(db: &impl ConnectionTrait, held: &job::Model) -> AppResult<bool> {
    let Some(tenant) = tenant_of(held) else {
        return Ok(false);
    };
    let result = tenancy::delete::<job::Entity>(&tenant)
        .filter(held_condition(held))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Extends the lease of a job this worker holds (a heartbeat while it
/// runs); false when it no longer holds it.
pub async fn extend(
    db: &DatabaseConnection,
    held: &job::Model,
    lease: Duration,
) -> AppResult<bool> {
    let lease_end =
        crate::db::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let Some(tenant) = tenant_of(held) else {
        return Ok(false);
    };
    let result = tenancy::update::<job::Entity>(&tenant)
        .col_expr(job::Column::RunAt, Expr::val(lease_end))
        .filter(held_condition(held))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Gives a held job back, due again at `at`; false when it is no longer
/// held.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    held: &job::Model,
    at: chrono::DateTime<chrono::Utc>,
) -> AppResult<bool> {
    let Some(tenant) = tenant_of(held) else {
        return Ok(false);
    };
    let result = tenancy::update::<job::Entity>(&tenant)
        .col_expr(job::Column::RunAt, Expr::val(at))
        .col_expr(job::Column::LeaseOwner, Expr::val(Option::<String>::None))
        .filter(held_condition(held))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

fn held_condition(held: &job::Model) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(job::Column::Id.eq(held.id.as_str()))
        .add(job::Column::LeaseOwner.eq(held.lease_owner.clone()))
        .add(job::Column::Attempts.eq(held.attempts))
}

/// The tenant a job belongs to: the job row's own, never another source.
pub fn tenant_of(job: &job::Model) -> Option<TenantId> {
    TenantId::parse(&job.tenant_id)
}

/// The delay before retry `attempt` (1, 2, …): `base` doubled at each
/// attempt up to `cap`, with "equal jitter" (a random half on top of a
/// fixed half), so retries of many jobs spread out while each job's
/// delays never shrink before the cap.
pub fn backoff(base: Duration, attempt: i32, cap: Duration) -> Duration {
    let doublings = Ord::min(u32::try_from(attempt.saturating_sub(1)).unwrap_or(0), 30);
    let full = Ord::min(base.saturating_mul(1 << doublings), cap);
    let half = full / 2;
    half + half.mul_f64(rand::random::<f64>())
}

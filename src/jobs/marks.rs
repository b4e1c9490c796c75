//! Work marked per customer: a table of `(tenant_id, customer_id)` rows
//! written in the transaction of each change, and one job per tenant that
//! takes them in batches (segment rechecks, the duplicate finder's
//! filing).
//!
//! A tenant's marks are taken in key order from where this instance's last
//! batch stopped, and from the first key again when none are left past it:
//! the marks already taken are deleted rows, which a scan from the first
//! key would step over, again and again, until the table is vacuumed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use entity::job;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseTransaction, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, QueryTrait as _,
};

use crate::db::{Taken, TenantWork, insert_rows, try_lock_tenant};
use crate::error::AppResult;
use crate::tenancy::{self, TenantId, TenantOwned};

/// When the job runs after a change marks customers.
#[derive(Clone, Copy, Debug)]
pub struct Delay {
    /// The job waits until no change has marked customers for this long
    /// (a bulk write marks them batch by batch: the job runs once it is
    /// over, instead of competing with it).
    pub settle: Duration,
    /// But waits no longer than this after its first mark.
    pub at_most: Duration,
}

impl Delay {
    /// At once.
    pub const NONE: Delay = Delay {
        settle: Duration::ZERO,
        at_most: Duration::ZERO,
    };
}

/// Marks `rows` (built by the caller from the keys) and enqueues the
/// tenant's job of `kind` unless one waits, due after `delay`, in the
/// caller's transaction.
pub async fn mark<E>(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    kind: &'static str,
    rows: &[E::Model],
    delay: Delay,
) -> AppResult<()>
where
    E: TenantOwned,
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    // A mark already there is locked, not skipped: a batch taking it
    // meanwhile waits for this change to commit, and so sees it. Skipped,
    // the mark could be taken and removed before this change was seen.
    insert_rows::<E>(db, rows, 1000, Taken::Lock).await?;
    // One waiting job is enough: it takes every marked customer.
    let waiting = tenancy::select::<job::Entity>(tenant)
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::LeaseOwner.is_null())
        .one(db)
        .await?;
    let now = crate::db::now();
    let later = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    match waiting {
        None => {
            let job = super::new_job(tenant, kind, "", now + later(delay.settle));
            super::enqueue(db, vec![job]).await?;
        }
        Some(job) => {
            let due = (now + later(delay.settle)).min(job.created_at + later(delay.at_most));
            if due > job.run_at {
                // Unless another change holds the job's row: it is
                // putting the job off itself, and waiting for it could
                // close a circle of waits with the marks.
                let free = tenancy::select::<job::Entity>(tenant)
                    .select_only()
                    .column(job::Column::Id)
                    .filter(job::Column::Id.eq(job.id.as_str()))
                    .filter(job::Column::LeaseOwner.is_null())
                    .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                    .into_query();
                tenancy::update::<job::Entity>(tenant)
                    .col_expr(job::Column::RunAt, Expr::val(due))
                    .filter(job::Column::Id.in_subquery(free))
                    .exec(db)
                    .await?;
            }
        }
    }
    Ok(())
}

/// The marks of one table, taken `batch` at a time from a cursor per
/// tenant.
pub struct Marks<E: TenantOwned> {
    customer: E::Column,
    batch: u64,
    /// Per tenant, the last key this instance took.
    cursors: Mutex<HashMap<String, String>>,
}

/// Marked customers taken for one run of the job.
pub struct Batch {
    pub keys: Vec<String>,
    /// Whether marks may be left: a full batch, or one taken past the
    /// cursor (only a batch short of full from the first key says none
    /// are left).
    pub more: bool,
}

impl<E: TenantOwned> Marks<E> {
    pub fn new(customer: E::Column, batch: u64) -> Self {
        Marks {
            customer,
            batch,
            cursors: Mutex::default(),
        }
    }

    /// The next batch of the tenant's marks, locked until the
    /// transaction ends.
    pub async fn take(&self, txn: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<Batch> {
        let cursor = {
            let cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
            cursors.get(tenant.as_str()).cloned()
        };
        let mut keys = self.after(txn, tenant, cursor.as_deref()).await?;
        let from_first = cursor.is_none() || keys.is_empty();
        if cursor.is_some() && keys.is_empty() {
            keys = self.after(txn, tenant, None).await?;
        }
        let more = keys.len() as u64 == self.batch || !from_first;
        Ok(Batch { keys, more })
    }

    /// Deletes the batch's marks, in the transaction that took them.
    pub async fn remove(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &TenantId,
        batch: &Batch,
    ) -> AppResult<()> {
        for chunk in batch.keys.chunks(1000) {
            tenancy::delete::<E>(tenant)
                .filter(self.customer.is_in(chunk.iter().cloned()))
                .exec(txn)
                .await?;
        }
        Ok(())
    }

    /// Moves the tenant's cursor past a batch whose transaction
    /// committed.
    pub fn advance(&self, tenant: &TenantId, batch: &Batch) {
        if let Some(last) = batch.keys.last() {
            let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
            cursors.insert(tenant.as_str().to_owned(), last.clone());
        }
    }

    async fn after(
        &self,
        txn: &impl ConnectionTrait,
        tenant: &TenantId,
        after: Option<&str>,
    ) -> AppResult<Vec<String>> {
        let mut marks = tenancy::select::<E>(tenant)
            .select_only()
            .column(self.customer)
            .order_by_asc(self.customer)
            .limit(self.batch)
            .lock_exclusive();
        if let Some(after) = after {
            marks = marks.filter(self.customer.gt(after));
        }
        Ok(marks.into_tuple().all(txn).await?)
    }
}

/// Ends a run that took `batch`: the job comes back at once when marks
/// may be left, and is finished otherwise; false when the job is no
/// longer held (the caller rolls back).
pub async fn end(db: &impl ConnectionTrait, job: &job::Model, batch: &Batch) -> AppResult<bool> {
    if batch.more {
        super::reschedule(db, job, crate::db::now()).await
    } else {
        super::finish(db, job).await
    }
}

/// Takes the tenant's lock for `work` in `txn`: one run of a tenant's job
/// at a time, since two would wait on each other's marks, each holding a
/// worker. When another run holds it, the job comes back shortly and
/// `None` is returned.
pub async fn one_at_a_time(
    txn: DatabaseTransaction,
    job: &job::Model,
    work: TenantWork,
    tenant: &TenantId,
) -> AppResult<Option<DatabaseTransaction>> {
    if try_lock_tenant(&txn, work, tenant.as_str()).await? {
        return Ok(Some(txn));
    }
    let later = crate::db::now() + chrono::Duration::milliseconds(200);
    if super::reschedule(&txn, job, later).await? {
        txn.commit().await?;
    }
    Ok(None)
}

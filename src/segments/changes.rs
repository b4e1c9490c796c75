//! Who enters and who leaves a dynamic segment: the customers marked for
//! a recheck ([`crate::profiles::rechecks`]) are evaluated against every
//! dynamic segment of their tenant, 500 at a time in one statement, and
//! compared with their memberships as last computed; each difference is
//! stored, written to the webhook outbox (`segment.entered`,
//! `segment.exited`) and published (`segmentMembershipChanged`), in one
//! transaction with the job's end.
//!
//! A segment's memberships are computed in full (with no events) when it
//! is created or its definition changes: its events tell changes from
//! then on. Conditions on the clock (`last_order_at before
//! "90_days_ago"`) change without a write, and are told at the
//! customer's next change.
//!
//! Marks are taken in key order from where the instance's last recheck of
//! the tenant stopped, and from the first key again when none are left
//! past it: the marks already rechecked are deleted rows, which a scan
//! from the first key would step over, again and again, until the table
//! is vacuumed.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use entity::{customer, job, segment, segment_membership, segment_recheck};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, QueryFilter as _, QueryOrder as _,
    QuerySelect as _, QueryTrait as _,
};

use super::Definition;
use super::loader;
use crate::db::{TenantWork, begin_write, try_lock_tenant};
use crate::error::AppResult;
use crate::events::{Change, Event};
use crate::jobs;
use crate::profiles::rechecks;
use crate::tenancy::{self, TenantId};
use crate::webhooks::outbox;

/// Customers a recheck takes at once.
const BATCH: u64 = 500;

/// Rechecks marked customers: the worker's handler of their tenant's job.
pub struct MembershipRechecks {
    db: DatabaseConnection,
    /// Per tenant, the last key this instance rechecked.
    cursors: Mutex<HashMap<String, String>>,
}

impl MembershipRechecks {
    pub fn new(db: DatabaseConnection) -> Self {
        MembershipRechecks {
            db,
            cursors: Mutex::default(),
        }
    }

    fn cursor(&self, tenant: &TenantId) -> Option<String> {
        let cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        cursors.get(tenant.as_str()).cloned()
    }

    fn move_cursor(&self, tenant: &TenantId, last: &str) {
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        cursors.insert(tenant.as_str().to_owned(), last.to_owned());
    }
}

impl jobs::Handler for MembershipRechecks {
    fn kind(&self) -> &'static str {
        rechecks::KIND
    }

    fn run<'a>(&'a self, job: &'a job::Model) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(recheck(self, job))
    }
}

/// One membership change.
pub struct Moved {
    pub segment: String,
    pub customer: String,
    pub entered: bool,
}

/// Up to [`BATCH`] marked customers after `after` (from the first when
/// `None`), locked until the transaction ends.
async fn marked(
    txn: &impl ConnectionTrait,
    tenant: &TenantId,
    after: Option<&str>,
) -> AppResult<Vec<String>> {
    let mut marks = tenancy::select::<segment_recheck::Entity>(tenant)
        .select_only()
        .column(segment_recheck::Column::CustomerId)
        .order_by_asc(segment_recheck::Column::CustomerId)
        .limit(BATCH)
        .lock_exclusive();
    if let Some(after) = after {
        marks = marks.filter(segment_recheck::Column::CustomerId.gt(after));
    }
    Ok(marks.into_tuple().all(txn).await?)
}

async fn recheck(handler: &MembershipRechecks, job: &job::Model) -> AppResult<()> {
    let db = &handler.db;
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(db, job).await?;
        return Ok(());
    };
    let txn = begin_write(db).await?;
    // One recheck of a tenant at a time: two would wait on each other's
    // marks, each holding a worker. The other comes back shortly.
    if !try_lock_tenant(&txn, TenantWork::MembershipRecheck, tenant.as_str()).await? {
        let later = crate::db::now() + chrono::Duration::milliseconds(200);
        if jobs::reschedule(&txn, job, later).await? {
            txn.commit().await?;
        }
        return Ok(());
    }
    let cursor = handler.cursor(&tenant);
    let mut keys = marked(&txn, &tenant, cursor.as_deref()).await?;
    // From the first key when none are left past the cursor: only a batch
    // short of full from there says that no marks are left.
    let from_first = cursor.is_none() || keys.is_empty();
    if cursor.is_some() && keys.is_empty() {
        keys = marked(&txn, &tenant, None).await?;
    }
    if keys.is_empty() {
        if jobs::finish(&txn, job).await? {
            txn.commit().await?;
        }
        return Ok(());
    }
    let defs: Vec<Definition> = super::repo::all(&txn, &tenant)
        .await?
        .iter()
        .map(Definition::of)
        .collect::<AppResult<Vec<_>>>()?
        .into_iter()
        .filter(|d| d.dynamic)
        .collect();
    let env = loader::env(&txn, &tenant, &defs).await?;
    let conditions = loader::dynamic_conditions(&defs, &env)?;
    let now: HashSet<(String, String)> = super::repo::matches(&txn, &tenant, &keys, &conditions)
        .await?
        .into_iter()
        .collect();
    let dynamic: HashSet<&str> = defs.iter().map(|d| d.key.as_str()).collect();
    // By segment and customer: the memberships' key, in its order.
    let before: HashSet<(String, String)> = tenancy::select::<segment_membership::Entity>(&tenant)
        .filter(segment_membership::Column::SegmentId.is_in(dynamic.iter().copied()))
        .filter(segment_membership::Column::CustomerId.is_in(keys.iter().cloned()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.customer_id, m.segment_id))
        .collect();
    let mut moved: Vec<Moved> = now
        .difference(&before)
        .map(|(customer, segment)| Moved {
            segment: segment.clone(),
            customer: customer.clone(),
            entered: true,
        })
        .chain(before.difference(&now).map(|(customer, segment)| Moved {
            segment: segment.clone(),
            customer: customer.clone(),
            entered: false,
        }))
        .collect();
    moved.sort_by(|a, b| (&a.customer, &a.segment).cmp(&(&b.customer, &b.segment)));
    store(&txn, &tenant, &moved).await?;
    outbox::segment_memberships_changed(
        &txn,
        &tenant,
        moved
            .iter()
            .map(|m| (m.segment.as_str(), m.customer.as_str(), m.entered)),
    )
    .await?;
    tenancy::delete::<segment_recheck::Entity>(&tenant)
        .filter(segment_recheck::Column::CustomerId.is_in(keys.iter().cloned()))
        .exec(&txn)
        .await?;
    // A full batch, or one past the cursor, may leave more: the job's next
    // turn takes them.
    let held = if keys.len() as u64 == BATCH || !from_first {
        jobs::reschedule(&txn, job, crate::db::now()).await?
    } else {
        jobs::finish(&txn, job).await?
    };
    if !held {
        return Ok(());
    }
    txn.commit().await?;
    if let Some(last) = keys.last() {
        handler.move_cursor(&tenant, last);
    }
    for m in &moved {
        crate::events::record(Event {
            tenant: tenant.as_str().to_owned(),
            customer: m.customer.clone(),
            change: Change::SegmentMembership {
                segment: m.segment.clone(),
                entered: m.entered,
            },
        });
    }
    Ok(())
}

/// Stores the changes' memberships.
async fn store(db: &impl ConnectionTrait, tenant: &TenantId, moved: &[Moved]) -> AppResult<()> {
    let entered: Vec<segment_membership::Model> = moved
        .iter()
        .filter(|m| m.entered)
        .map(|m| segment_membership::Model {
            tenant_id: tenant.as_str().to_owned(),
            segment_id: m.segment.clone(),
            customer_id: m.customer.clone(),
        })
        .collect();
    crate::db::insert_rows::<segment_membership::Entity>(
        db,
        &entered,
        1000,
        crate::db::Taken::Skip,
    )
    .await?;
    // The exits, one statement a segment.
    let mut exited: HashMap<&str, Vec<&str>> = HashMap::new();
    for m in moved.iter().filter(|m| !m.entered) {
        exited.entry(&m.segment).or_default().push(&m.customer);
    }
    for (segment, customers) in exited {
        tenancy::delete::<segment_membership::Entity>(tenant)
            .filter(segment_membership::Column::SegmentId.eq(segment))
            .filter(segment_membership::Column::CustomerId.is_in(customers))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Computes a dynamic segment's memberships in full, with no events: when
/// it is created or its definition changes, in that transaction.
pub async fn baseline(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    row: &segment::Model,
) -> AppResult<()> {
    tenancy::delete::<segment_membership::Entity>(tenant)
        .filter(segment_membership::Column::SegmentId.eq(row.id.as_str()))
        .exec(db)
        .await?;
    let def = Definition::of(row)?;
    if !def.dynamic {
        return Ok(());
    }
    let env = loader::env(db, tenant, std::slice::from_ref(&def)).await?;
    let members = tenancy::select::<customer::Entity>(tenant)
        .select_only()
        .column_as(Expr::val(tenant.as_str()), "tenant_id")
        .column_as(Expr::val(row.id.as_str()), "segment_id")
        .column(customer::Column::Id)
        .filter(def.condition(&env)?)
        .into_query();
    let insert = Query::insert()
        .into_table(segment_membership::Entity)
        .columns([
            segment_membership::Column::TenantId,
            segment_membership::Column::SegmentId,
            segment_membership::Column::CustomerId,
        ])
        .select_from(members)
        .map_err(|e| crate::error::AppError::Internal(e.into()))?
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

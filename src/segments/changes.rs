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

use std::collections::{HashMap, HashSet};

use entity::{customer, job, segment, segment_membership, segment_recheck};
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DatabaseConnection, QueryFilter as _, QuerySelect as _,
    QueryTrait as _,
};

use super::Definition;
use super::loader;
use crate::db::{TenantWork, begin_write};
use crate::error::AppResult;
use crate::events::{Change, Event};
use crate::jobs::{
    self,
    marks::{self, Marks},
};
use crate::profiles::rechecks;
use crate::tenancy::{self, TenantId};
use crate::webhooks::outbox;

/// Customers a recheck takes at once.
const BATCH: u64 = 500;

/// Rechecks marked customers: the worker's handler of their tenant's job.
pub struct MembershipRechecks {
    db: DatabaseConnection,
    marks: Marks<segment_recheck::Entity>,
}

impl MembershipRechecks {
    pub fn new(db: DatabaseConnection) -> Self {
        MembershipRechecks {
            db,
            marks: Marks::new(segment_recheck::Column::CustomerId, BATCH),
        }
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

async fn recheck(handler: &MembershipRechecks, job: &job::Model) -> AppResult<()> {
    let db = &handler.db;
    let Some(tenant) = jobs::tenant_of(job) else {
        jobs::finish(db, job).await?;
        return Ok(());
    };
    let txn = begin_write(db).await?;
    let Some(txn) = marks::one_at_a_time(txn, job, TenantWork::MembershipRecheck, &tenant).await?
    else {
        return Ok(());
    };
    let batch = handler.marks.take(&txn, &tenant).await?;
    let keys = &batch.keys;
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
    let now: HashSet<(String, String)> = super::repo::matches(&txn, &tenant, keys, &conditions)
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
    handler.marks.remove(&txn, &tenant, &batch).await?;
    if !jobs::marks::end(&txn, job, &batch).await? {
        return Ok(());
    }
    txn.commit().await?;
    handler.marks.advance(&tenant, &batch);
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

//! Customers whose dynamic segment memberships may have changed: marked in
//! the transaction of each change to them or their orders, with a job of
//! [`KIND`] for the tenant when none waits; `segments` rechecks them and
//! tells who entered and who left. A tenant without a dynamic segment has
//! nothing to recheck: its writes mark nothing.

use entity::segment::SegmentKind;
use entity::{segment, segment_recheck};
use sea_orm::{ColumnTrait as _, ConnectionTrait, QueryFilter as _, QuerySelect as _};

use crate::error::AppResult;
use crate::jobs;
use crate::tenancy::{self, TenantId};

/// The kind of the tenant's recheck job.
pub const KIND: &str = "segment_recheck";

/// Marks `keys` for a recheck, in the caller's transaction.
pub async fn mark(db: &impl ConnectionTrait, tenant: &TenantId, keys: &[&str]) -> AppResult<()> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    let dynamic: Option<String> = tenancy::select::<segment::Entity>(tenant)
        .select_only()
        .column(segment::Column::Id)
        .filter(segment::Column::Kind.eq(SegmentKind::Dynamic))
        .into_tuple()
        .one(db)
        .await?;
    if dynamic.is_none() {
        return Ok(());
    }
    let rows: Vec<segment_recheck::Model> = keys
        .iter()
        .map(|key| segment_recheck::Model {
            tenant_id: tenant.as_str().to_owned(),
            customer_id: (*key).to_owned(),
        })
        .collect();
    jobs::marks::mark::<segment_recheck::Entity>(db, tenant, KIND, &rows, jobs::marks::Delay::NONE)
        .await
}

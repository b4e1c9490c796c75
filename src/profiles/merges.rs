//! Merges that can still be undone: what a merge keeps of both customers
//! and of everything it moved, until the undo window ends. Deleting or
//! erasing the kept customer ends the window (its rows cascade); the
//! worker deletes the rows of ended windows ([`sweep_expired`]).

use chrono::{DateTime, Utc};
use entity::{customer, customer_merge as merge};
use sea_orm::{ColumnTrait as _, ConnectionTrait, DatabaseConnection, QueryFilter as _};
use serde::{Deserialize, Serialize};

use crate::db::Taken;
use crate::error::{AppError, AppResult};
use crate::tenancy::{self, TenantId};

/// Everything an undo needs to put back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    /// The kept customer before the merge, and as the merge saved it: an
    /// undo puts back the fields that still hold what the merge wrote.
    pub keep_before: customer::Model,
    pub keep_after: customer::Model,
    /// The duplicate before the merge.
    pub merged: customer::Model,
    pub keep_tags: Vec<String>,
    pub merged_tags: Vec<String>,
    /// The keys of the duplicate's rows that moved to the kept customer.
    pub moved: Moved,
    /// The address the merge added to the kept customer's other addresses
    /// (a former default), taken away again.
    pub demoted_address: Option<String>,
    /// The kept customer's timeline entries the merge wrote.
    pub timeline_added: Vec<String>,
    /// The duplicate's static segments and locations, with when it joined
    /// each; the kept customer's before the merge.
    pub merged_segments: Vec<(String, DateTime<Utc>)>,
    pub keep_segments: Vec<String>,
    pub merged_locations: Vec<(String, DateTime<Utc>)>,
    pub keep_locations: Vec<String>,
    /// The pairs with the duplicate that users dismissed (deleted with
    /// it), dismissed again when it comes back. Absent from snapshots kept
    /// before they were recorded.
    #[serde(default)]
    pub merged_dismissals: Vec<Dismissal>,
}

/// A pair of customers a user said are not one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dismissal {
    pub customer_id: String,
    pub other_id: String,
    pub dismissed_at: DateTime<Utc>,
}

/// Keys of the duplicate's rows, by table, that a merge moved.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Moved {
    pub orders: Vec<String>,
    pub activities: Vec<String>,
    pub notes: Vec<String>,
    pub addresses: Vec<String>,
    pub history: Vec<String>,
    pub webhook_events: Vec<String>,
    pub data_requests: Vec<String>,
    /// Export archives, by their request's key.
    pub exports: Vec<String>,
}

/// Keeps a merge's snapshot until `expires_at`.
pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    snapshot: &Snapshot,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    let row = merge::Model {
        tenant_id: tenant.as_str().to_owned(),
        merged_id: snapshot.merged.id.clone(),
        keep_id: snapshot.keep_before.id.clone(),
        snapshot: serde_json::to_value(snapshot).map_err(|e| AppError::Internal(e.into()))?,
        merged_at: crate::db::now(),
        expires_at,
    };
    // A customer merged, brought back and merged again replaces its row.
    delete(db, tenant, &row.merged_id).await?;
    crate::db::insert_rows::<merge::Entity>(db, &[row], 1, Taken::Fail).await?;
    Ok(())
}

/// The snapshot of the merge of the duplicate `merged_id`, if it can still
/// be undone.
pub async fn find(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    merged_id: &str,
) -> AppResult<Option<Snapshot>> {
    let row = tenancy::select::<merge::Entity>(tenant)
        .filter(merge::Column::MergedId.eq(merged_id))
        .filter(merge::Column::ExpiresAt.gt(crate::db::now()))
        .one(db)
        .await?;
    row.map(|row| serde_json::from_value(row.snapshot).map_err(|e| AppError::Internal(e.into())))
        .transpose()
}

/// Forgets a merge (undone).
pub async fn delete(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    merged_id: &str,
) -> AppResult<()> {
    tenancy::delete::<merge::Entity>(tenant)
        .filter(merge::Column::MergedId.eq(merged_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes the merges whose window ended, across tenants: the copies of
/// merged customers they hold go with them.
pub async fn sweep_expired(db: &DatabaseConnection) -> AppResult<u64> {
    Ok(tenancy::across_tenants_delete::<merge::Entity>()
        .filter(merge::Column::ExpiresAt.lte(crate::db::now()))
        .exec(db)
        .await?
        .rows_affected)
}

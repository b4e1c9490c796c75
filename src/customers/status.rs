//! Archiving or restoring many customers at once (a bulk operation's
//! batch), with a timeline entry for each whose status changes.

use entity::customer;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait as _, QueryFilter as _};

use super::events;
use crate::error::AppResult;
use crate::profiles::history::Actor;
use crate::profiles::input::CustomerStatus;
use crate::profiles::repo;
use crate::tenancy::{self, TenantId};

/// Sets `status` on the customers `rows` (locked by the caller), in its
/// transaction; how many changed.
pub async fn set_status_in(
    txn: &impl ConnectionTrait,
    tenant: &TenantId,
    actor: &Actor,
    rows: &[customer::Model],
    status: CustomerStatus,
) -> AppResult<usize> {
    let changing: Vec<&customer::Model> = rows
        .iter()
        .filter(|row| row.status != status.as_str())
        .collect();
    if changing.is_empty() {
        return Ok(0);
    }
    let keys: Vec<String> = changing.iter().map(|row| row.id.clone()).collect();
    let now = crate::db::now();
    tenancy::update::<customer::Entity>(tenant)
        .col_expr(customer::Column::Status, Expr::val(status.as_str()))
        .col_expr(customer::Column::UpdatedAt, Expr::val(now))
        .filter(customer::Column::Id.is_in(keys.iter().cloned()))
        .exec(txn)
        .await?;
    let tags = repo::tags(txn, tenant, &keys).await?;
    let none = Vec::new();
    let mut changes = events::Changes::default();
    for before in changing {
        let mut after = before.clone();
        after.status = status.as_str().to_owned();
        after.updated_at = now;
        let tags = tags.get(&before.id).unwrap_or(&none);
        changes.updated(before, &after, tags, tags);
    }
    changes.write(txn, tenant, actor).await?;
    Ok(keys.len())
}

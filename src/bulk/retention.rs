//! How long a bulk export's file is kept: `CRM_EXPORT_RETENTION` after its
//! operation ended, as data export archives are. Then its link stops
//! working (`resultUrl` is null) and its lines are removed; the operation
//! itself stays, with its counts and errors.

use std::time::Duration;

use entity::bulk_export_chunk;
use entity::bulk_operation::{self, BulkAction};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{ColumnTrait as _, DatabaseConnection, QueryFilter as _};

use crate::error::AppResult;
use crate::tenancy;

/// Ends the files of the exports that ended more than `retention` ago
/// (all tenants); how many files' lines were removed.
pub async fn sweep(db: &DatabaseConnection, retention: Duration) -> AppResult<u64> {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
    let cutoff = crate::db::now() - retention;
    // The link first: no new download starts on lines about to go.
    tenancy::across_tenants_update::<bulk_operation::Entity>()
        .col_expr(
            bulk_operation::Column::LinkKey,
            Expr::value(Option::<String>::None),
        )
        .filter(bulk_operation::Column::Action.eq(BulkAction::Export))
        .filter(bulk_operation::Column::CompletedAt.lte(cutoff))
        .filter(bulk_operation::Column::LinkKey.is_not_null())
        .exec(db)
        .await?;
    let ended = Query::select()
        .columns([bulk_operation::Column::TenantId, bulk_operation::Column::Id])
        .from(bulk_operation::Entity)
        .and_where(bulk_operation::Column::CompletedAt.lte(cutoff))
        .to_owned();
    let removed = tenancy::across_tenants_delete::<bulk_export_chunk::Entity>()
        .filter(
            Expr::tuple([
                Expr::col(bulk_export_chunk::Column::TenantId),
                Expr::col(bulk_export_chunk::Column::OperationId),
            ])
            .in_subquery(ended),
        )
        .exec(db)
        .await?;
    Ok(removed.rows_affected)
}

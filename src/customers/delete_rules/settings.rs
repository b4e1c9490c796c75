//! The delete rules a tenant turned on, kept in its `tenant_settings` row.

use entity::tenant_setting;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, IntoActiveModel};
use serde_json::Value;

use super::DeleteRule;
use crate::error::AppResult;
use crate::tenancy::{self, TenantId};

/// The tenant's rules, in [`DeleteRule::ALL`]'s order; none until it
/// turns one on.
pub async fn rules(db: &impl ConnectionTrait, tenant: &TenantId) -> AppResult<Vec<DeleteRule>> {
    let row = tenancy::select::<tenant_setting::Entity>(tenant)
        .one(db)
        .await?;
    let names: Vec<String> = row
        .and_then(|row| serde_json::from_value(row.customer_delete_rules).ok())
        .unwrap_or_default();
    Ok(DeleteRule::ALL
        .into_iter()
        .filter(|rule| names.iter().any(|n| n == rule.as_str()))
        .collect())
}

/// Replaces the tenant's rules.
pub async fn set_rules(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    rules: &[DeleteRule],
) -> AppResult<()> {
    let names: Vec<Value> = DeleteRule::ALL
        .into_iter()
        .filter(|rule| rules.contains(rule))
        .map(|rule| Value::from(rule.as_str()))
        .collect();
    let row = tenant_setting::Model {
        tenant_id: tenant.as_str().to_owned(),
        customer_delete_rules: Value::Array(names),
        updated_at: crate::db::now(),
    };
    tenant_setting::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(tenant_setting::Column::TenantId)
                .update_columns([
                    tenant_setting::Column::CustomerDeleteRules,
                    tenant_setting::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

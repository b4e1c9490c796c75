//! Which customers belong to which locations.

use std::collections::HashMap;

use entity::customer_location;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::error::{AppResult, bad_input};
use crate::ids::LocationId;
use crate::tenancy::{self, TenantId};

/// The tenant's location with this ID, for an input naming it (`field`):
/// its row key, or `BAD_USER_INPUT` when the tenant has none such.
pub async fn require(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    field: &str,
    id: &LocationId,
) -> AppResult<String> {
    tenancy::find::<entity::location::Entity>(db, tenant, id.as_str())
        .await?
        .map(|row| row.id)
        .ok_or_else(|| bad_input(field, "no location of your tenant has this ID"))
}

/// Makes each customer a member of the location (a member already stays
/// one).
pub async fn join(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    location: &str,
    customers: &[String],
) -> AppResult<()> {
    if customers.is_empty() {
        return Ok(());
    }
    let now = crate::db::now();
    let rows = customers.iter().map(|customer| {
        customer_location::Model {
            tenant_id: tenant.as_str().to_owned(),
            location_id: location.to_owned(),
            customer_id: customer.clone(),
            created_at: now,
        }
        .into_active_model()
        .reset_all()
    });
    customer_location::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The location keys of each customer (absent: none), in the order it
/// joined them.
pub async fn of_customers(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    customers: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let rows = tenancy::select::<customer_location::Entity>(tenant)
        .filter(customer_location::Column::CustomerId.is_in(customers))
        .order_by_asc(customer_location::Column::CreatedAt)
        .order_by_asc(customer_location::Column::LocationId)
        .all(db)
        .await?;
    let mut found: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        found
            .entry(row.customer_id)
            .or_default()
            .push(row.location_id);
    }
    Ok(found)
}

/// Makes `to` a member of every location `from` is in, whatever location
/// the tenant is narrowed to: a merge's survivor keeps the duplicate's
/// locations.
pub async fn carry_over(
    db: &impl ConnectionTrait,
    tenant: &TenantId,
    from: &str,
    to: &str,
) -> AppResult<()> {
    let whole = tenant.whole();
    let locations: Vec<String> = tenancy::select::<customer_location::Entity>(&whole)
        .filter(customer_location::Column::CustomerId.eq(from))
        .select_only()
        .column(customer_location::Column::LocationId)
        .into_tuple()
        .all(db)
        .await?;
    for location in locations {
        join(db, &whole, &location, &[to.to_owned()]).await?;
    }
    Ok(())
}

use sea_orm::entity::prelude::*;

/// A customer's membership of a location: one row per location it was
/// created or upserted in. Goes with the customer and with the location.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

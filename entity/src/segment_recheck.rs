use sea_orm::entity::prelude::*;

/// A customer that changed since its dynamic segment memberships were
/// last computed.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segment_rechecks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
}

impl ActiveModelBehavior for ActiveModel {}

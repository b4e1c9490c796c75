use sea_orm::entity::prelude::*;

/// A customer's membership of a dynamic segment as last computed: what
/// the next recheck compares with to tell who entered and who left.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segment_memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub segment_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A pair a user said is not one person: never proposed again.
/// `customer_id` is the smaller key.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dismissed_duplicates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub other_id: String,
    pub dismissed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

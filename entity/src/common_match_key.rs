use sea_orm::entity::prelude::*;

/// A blocking key shared by too many of a tenant's customers to compare
/// them by it (a very common name): the finder no longer reads its block.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "common_match_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub match_key: String,
}

impl ActiveModelBehavior for ActiveModel {}

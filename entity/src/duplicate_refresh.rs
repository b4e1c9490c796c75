use sea_orm::entity::prelude::*;

/// A customer written since the duplicate finder last filed it (by an
/// import): the job worker files it and replaces its pairs.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_refreshes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
}

impl ActiveModelBehavior for ActiveModel {}

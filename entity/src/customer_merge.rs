use sea_orm::entity::prelude::*;

/// A merge that can still be undone: both customers as they were and
/// what moved (`snapshot`), until `expires_at`.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_merges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub merged_id: String,
    pub keep_id: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub snapshot: Json,
    pub merged_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "erasure_audits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: String,
    pub actor: String,
    pub erased_at: DateTimeUtc,
    #[sea_orm(column_type = "JsonBinary")]
    pub removed: Json,
}

impl ActiveModelBehavior for ActiveModel {}

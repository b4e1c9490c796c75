use sea_orm::entity::prelude::*;

/// A tenant's settings: one row a tenant, once it changed one.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    /// The delete rules the tenant turned on (`HAS_ORDERS`, …), a JSON
    /// array of their names.
    #[sea_orm(column_type = "JsonBinary")]
    pub customer_delete_rules: Json,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

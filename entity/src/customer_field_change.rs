use sea_orm::entity::prelude::*;

/// One field's change on a customer: the values before and after (null
/// once the customer is erased), who changed it and through what.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_field_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub field: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub old_value: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub new_value: Option<String>,
    pub actor: Option<String>,
    pub source: String,
    pub changed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

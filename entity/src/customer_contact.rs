use sea_orm::entity::prelude::*;

/// An additional email or phone of a customer (the primary ones are on the
/// customer row): one row each, so that a value is unique in the tenant
/// and a lookup by it reads one index entry.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    /// `email` or `phone`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// A lower-cased email or an E.164 phone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub value: String,
    pub customer_id: String,
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// Two customers likely to be one person: `customer_id` is the smaller
/// key, `id` both keys together.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "duplicate_pairs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub customer_id: String,
    pub other_id: String,
    /// 0–1.
    pub score: f64,
    /// The signals behind the score, as a JSON array of strings.
    #[sea_orm(column_type = "JsonBinary")]
    pub reasons: Json,
    pub found_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A tenant's definition of one custom field: the type its values in
/// `customers.metadata` under `key` must have.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// The options of a select, in order (a JSON array of strings; empty
    /// for the other types).
    #[sea_orm(column_type = "JsonBinary")]
    pub options: Json,
    pub required: bool,
    pub description: Option<String>,
    pub archived: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

/// What a custom field's values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum FieldType {
    #[sea_orm(string_value = "TEXT")]
    Text,
    #[sea_orm(string_value = "NUMBER")]
    Number,
    #[sea_orm(string_value = "DECIMAL")]
    Decimal,
    #[sea_orm(string_value = "BOOLEAN")]
    Boolean,
    #[sea_orm(string_value = "DATE")]
    Date,
    #[sea_orm(string_value = "DATETIME")]
    Datetime,
    #[sea_orm(string_value = "SINGLE_SELECT")]
    SingleSelect,
    #[sea_orm(string_value = "MULTI_SELECT")]
    MultiSelect,
    #[sea_orm(string_value = "URL")]
    Url,
    #[sea_orm(string_value = "EMAIL")]
    Email,
}

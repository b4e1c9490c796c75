use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub kind: SegmentKind,
    pub match_mode: MatchMode,
    #[sea_orm(column_type = "JsonBinary")]
    pub rules: Json,
    /// A dynamic segment's `CustomerFilter`, as given (a GraphQL input
    /// value as JSON); none for one defined by rules.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub filter: Option<Json>,
    /// A dynamic segment's text query, as given.
    #[sea_orm(column_type = "Text", nullable)]
    pub query: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

/// How a segment's members are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum SegmentKind {
    #[sea_orm(string_value = "DYNAMIC")]
    Dynamic,
    #[sea_orm(string_value = "STATIC")]
    Static,
}

/// Which of a dynamic segment's rules a member meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum MatchMode {
    #[sea_orm(string_value = "ALL")]
    All,
    #[sea_orm(string_value = "ANY")]
    Any,
}

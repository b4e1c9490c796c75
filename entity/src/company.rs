use sea_orm::entity::prelude::*;

/// A company the tenant's customers belong to (a customer belongs to at
/// most one, through `customers.company_id`).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// The name folded (lower case, no accents): the list's order.
    pub sort_name: String,
    /// The web domain, lower-cased (`acme.com`); unique in the tenant.
    pub domain: Option<String>,
    pub industry: Option<String>,
    /// The number of employees.
    pub size: Option<i32>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    /// The folded name and domain, which `companies(search:)` reads.
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

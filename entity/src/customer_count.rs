//! How many customers a tenant has in all, per status, per country and per
//! tag, kept by triggers. On PostgreSQL a key may have several rows (deltas
//! not yet folded): a count is always the sum of its key's rows.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    /// `all`, `status`, `country` or `tag`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub facet: String,
    /// The status, country code (`''` for none) or tag; `''` for `all`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub value: String,
    pub n: i64,
}

impl ActiveModelBehavior for ActiveModel {}

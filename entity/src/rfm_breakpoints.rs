use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rfm_breakpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    pub paying_customers: i64,
    pub recency1: Option<DateTimeUtc>,
    pub recency2: Option<DateTimeUtc>,
    pub recency3: Option<DateTimeUtc>,
    pub recency4: Option<DateTimeUtc>,
    pub frequency1: Option<i64>,
    pub frequency2: Option<i64>,
    pub frequency3: Option<i64>,
    pub frequency4: Option<i64>,
    pub monetary1: Option<i64>,
    pub monetary2: Option<i64>,
    pub monetary3: Option<i64>,
    pub monetary4: Option<i64>,
    pub orders_changed_at: Option<DateTimeUtc>,
    pub computed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}

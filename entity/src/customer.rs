use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub sort_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    pub avatar_url: Option<String>,
    pub status: String,
    pub source: Option<String>,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub metadata: Json,
    pub search_text: String,
    pub total_orders: i64,
    pub total_spent_cents: i64,
    pub last_order_at: Option<DateTimeUtc>,
    pub first_order_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub email_consent: ConsentState,
    pub email_consent_level: Option<OptInLevel>,
    pub email_consent_at: Option<DateTimeUtc>,
    pub email_consent_source: Option<String>,
    pub sms_consent: ConsentState,
    pub sms_consent_level: Option<OptInLevel>,
    pub sms_consent_at: Option<DateTimeUtc>,
    pub sms_consent_source: Option<String>,
    pub locale: Option<String>,
    pub currency: Option<String>,
    /// The key of the address held in the `address_*` columns, when there
    /// is one.
    pub default_address_id: Option<String>,
    /// The key of the company the customer belongs to.
    pub company_id: Option<String>,
    /// Emails besides `email`, lower-cased (a JSON array of strings).
    #[sea_orm(column_type = "JsonBinary")]
    pub additional_emails: Json,
    /// Phones besides `phone`, in E.164 (a JSON array of strings).
    #[sea_orm(column_type = "JsonBinary")]
    pub additional_phones: Json,
}

impl ActiveModelBehavior for ActiveModel {}

/// Whether a customer agreed to marketing on one channel.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ConsentState {
    #[sea_orm(string_value = "SUBSCRIBED")]
    Subscribed,
    #[sea_orm(string_value = "UNSUBSCRIBED")]
    Unsubscribed,
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[default]
    #[sea_orm(string_value = "NOT_SUBSCRIBED")]
    NotSubscribed,
}

/// How a subscription was confirmed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum OptInLevel {
    #[sea_orm(string_value = "SINGLE")]
    Single,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
}

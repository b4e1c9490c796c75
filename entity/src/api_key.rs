use sea_orm::entity::prelude::*;

/// A tenant's API key: a long-lived secret a server-side integration sends
/// instead of a signed token. Only the secret's SHA-256 is kept.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// The secret's first characters (`crm_live_AbC123`), to tell keys apart.
    pub prefix: String,
    /// The secret's SHA-256, hex: how a request's key is found (unique
    /// across tenants).
    pub secret_hash: String,
    /// The space-separated scopes the key grants.
    pub scopes: String,
    /// Who created it (the creating token's `sub`, or `cli`).
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The location (row key) the key is confined to, if any.
    pub location_id: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}

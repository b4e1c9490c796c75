//! The `ApiKey` object.

use async_graphql::{ID, Object, SimpleObject};
use entity::api_key;

use crate::graphql::pagination::ListConnection;
use crate::graphql::scalars::DateTime;
use crate::ids::{self, Kind};

/// A tenant's API key, without its secret.
pub struct ApiKey(pub api_key::Model);

pub type ApiKeyConnection = ListConnection<ApiKey>;

/// A long-lived credential for a server-side integration, sent as
/// `Authorization: Bearer crm_live_…` or `X-API-Key: crm_live_…`. Its
/// secret is shown once, by `createApiKey`.
#[Object]
impl ApiKey {
    /// `key_` followed by a time-ordered key. A request made with the key
    /// acts as this ID (the `sub` of notes and audit records).
    async fn id(&self) -> ID {
        ids::encode(Kind::ApiKey, &self.0.id)
    }

    /// What the key is for.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The secret's first characters (`crm_live_AbC123`), to tell keys
    /// apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    /// The scopes the key grants, as tokens carry them.
    async fn scopes(&self) -> Vec<&str> {
        self.0.scopes.split_ascii_whitespace().collect()
    }

    /// The location (`loc_…`) the key is confined to; null for a key of the
    /// whole tenant.
    async fn location_id(&self) -> Option<ID> {
        self.0
            .location_id
            .as_deref()
            .map(|key| ids::encode(Kind::Location, key))
    }

    /// Who created the key: the creating token's `sub`, or `cli`.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }

    /// When the key was created.
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    /// When the key stops working; null when it does not expire.
    async fn expires_at(&self) -> Option<DateTime> {
        self.0.expires_at.map(DateTime)
    }

    /// When a request last used the key (to the minute); null before its
    /// first use.
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(DateTime)
    }

    /// When the key was revoked; null while it is not.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(DateTime)
    }

    /// Whether the key is accepted now: not revoked, not expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > chrono::Utc::now())
    }
}

/// A new key and its secret.
#[derive(SimpleObject)]
pub struct CreatedApiKey {
    /// The key, as `apiKeys` lists it.
    pub api_key: ApiKey,
    /// The secret (`crm_live_…`): shown this once; only its hash is kept.
    pub secret: String,
}

//! The API key operations: `apiKey`, `apiKeys`, `createApiKey` and
//! `revokeApiKey`.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Result};
use futures_util::FutureExt as _;

use super::issue::NewKey;
use super::object::{ApiKey, ApiKeyConnection, CreatedApiKey};
use super::repo;
use super::verifier::ApiKeys;
use crate::auth::Scope;
use crate::error::not_found;
use crate::graphql::pagination::{Page, TotalCount};
use crate::graphql::scalars::DateTime;
use crate::graphql::{ContextExt, ScopeGuard};
use crate::ids::ApiKeyId;
use crate::tenancy;

/// A key to create.
#[derive(InputObject)]
pub struct ApiKeyInput {
    /// What the key is for; 1 to 100 characters.
    pub name: String,
    /// The scopes it grants (`read:customers`, …), each one your own
    /// credential holds; all of yours when omitted.
    pub scopes: Option<Vec<String>>,
    /// When it stops working; it never expires when omitted.
    pub expires_at: Option<DateTime>,
    /// Confines the key to this location (`loc_…`): it reads and writes
    /// that location's customers only, with the scopes a location keeps.
    pub location_id: Option<ID>,
}

#[derive(Default)]
pub struct ApiKeyQuery;

#[Object]
impl ApiKeyQuery {
    /// An API key of your tenant by ID, revoked or not; null when there is
    /// none. Needs `read:api_keys`.
    #[graphql(guard = "ScopeGuard(Scope::ReadApiKeys)")]
    async fn api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's ID (`key_…`).")] id: ID,
    ) -> Result<Option<ApiKey>> {
        let session = ctx.session()?;
        let Some(key) = ApiKeyId::decode(&id) else {
            return Ok(None);
        };
        let row =
            tenancy::find::<entity::api_key::Entity>(&session.db, session.tenant(), key.as_str())
                .await?;
        Ok(row.map(ApiKey))
    }

    /// Your tenant's API keys, newest first. Needs `read:api_keys`.
    #[graphql(guard = "ScopeGuard(Scope::ReadApiKeys)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
        #[graphql(desc = "Revoked keys too.", default = false)] include_revoked: bool,
    ) -> Result<ApiKeyConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::keyset(&page);
        let rows = repo::list(&session.db, session.tenant(), include_revoked, &keyset).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move { Ok(repo::count(&db, &tenant, include_revoked).await?) }.boxed()
        });
        Ok(keyset.connection(rows, ApiKey, total))
    }
}

#[derive(Default)]
pub struct ApiKeyMutation;

#[Object]
impl ApiKeyMutation {
    /// Creates an API key for your tenant. The response carries its secret
    /// (`crm_live_…`), shown this once. A tenant has at most 100 keys that
    /// are not revoked. Needs `write:api_keys`.
    #[graphql(guard = "ScopeGuard(Scope::WriteApiKeys)")]
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key to create.")] input: ApiKeyInput,
    ) -> Result<CreatedApiKey> {
        let session = ctx.session()?;
        let key = NewKey::check(
            "input",
            input.name,
            input.scopes,
            input.expires_at.map(|at| at.0),
            session.viewer.scopes,
        )?
        .within(
            &session.db,
            session.tenant(),
            "input.locationId",
            input.location_id.as_ref().map(|id| id.as_str()),
        )
        .await?;
        let (row, secret) = key
            .create(&session.db, session.tenant(), &session.viewer.sub)
            .await?;
        Ok(CreatedApiKey {
            api_key: ApiKey(row),
            secret,
        })
    }

    /// Revokes an API key: every instance refuses it from the moment this
    /// returns (with the same `UNAUTHENTICATED` as a bad token). Revoking a
    /// revoked key changes nothing. Needs `write:api_keys`.
    #[graphql(guard = "ScopeGuard(Scope::WriteApiKeys)")]
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's ID (`key_…`).")] id: ID,
    ) -> Result<ApiKey> {
        let session = ctx.session()?;
        let key = ApiKeyId::require(&id)?;
        let tenant = session.tenant();
        repo::revoke(&session.db, tenant, key.as_str()).await?;
        let row = tenancy::find::<entity::api_key::Entity>(&session.db, tenant, key.as_str())
            .await?
            .ok_or_else(|| not_found("API key"))?;
        // This instance at once; the others when they hear the event.
        ctx.data::<Arc<ApiKeys>>()?.forget_all();
        crate::events::api_key_revoked(tenant);
        Ok(ApiKey(row))
    }
}

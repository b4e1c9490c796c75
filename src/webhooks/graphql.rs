//! The webhook operations: `webhookEndpoint`, `webhookEndpoints`,
//! `createWebhookEndpoint` and `deleteWebhookEndpoint`.

use async_graphql::{Context, ID, Object, Result};
use entity::webhook_endpoint;
use futures_util::FutureExt as _;
use serde_json::Value;

use super::loader::WebhookEndpointLoader;
use super::{guard, outbox, repo};
use crate::auth::Scope;
use crate::db::begin_write;
use crate::error::{bad_input, not_found};
use crate::graphql::ScopeGuard;
use crate::graphql::pagination::{Page, TotalCount};
use crate::graphql::{ContextExt, DeletePayload, Settings, input};
use crate::ids::WebhookEndpointId;
use crate::ids::{self};

use super::object::{WebhookEndpoint, WebhookEndpointConnection, endpoint};

/// Most endpoints a tenant may register.
const MAX_ENDPOINTS: u64 = 20;
/// Longest accepted URL.
const MAX_URL: usize = 2_048;
const MAX_DESCRIPTION: usize = 500;

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// A webhook endpoint by ID; null when there is none in your tenant.
    /// Needs `read:webhooks`.
    #[graphql(guard = "ScopeGuard(Scope::ReadWebhooks)")]
    async fn webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's ID (`whk_…`).")] id: ID,
    ) -> Result<Option<WebhookEndpoint>> {
        let loaders = &ctx.session()?.loaders;
        let key = WebhookEndpointId::decode(&id);
        let row = loaders.load_key::<WebhookEndpointLoader, _>(key).await?;
        Ok(row.map(endpoint))
    }

    /// The tenant's webhook endpoints, newest first. Needs `read:webhooks`.
    #[graphql(guard = "ScopeGuard(Scope::ReadWebhooks)")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Returns the first n items (1–100; 25 by default).")] first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (1–100; 25 by default).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<WebhookEndpointConnection> {
        let session = ctx.session()?;
        let page = Page::from_params(first, after, last, before)?;
        let keyset = repo::endpoint_keyset(&page);
        let rows = repo::list_endpoints(&session.db, session.tenant(), &keyset).await?;
        let (db, tenant) = (session.db.clone(), session.tenant().clone());
        let total = TotalCount::new(move || {
            let (db, tenant) = (db.clone(), tenant.clone());
            async move { Ok(repo::count_endpoints(&db, &tenant).await?) }.boxed()
        });
        Ok(keyset.connection(rows, endpoint, total))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a URL for events (`customer.created`, `customer.updated`,
    /// `customer.deleted`, `data_request.completed`, `segment.entered`,
    /// `segment.exited`). The response carries
    /// the signing secret, shown this once. URLs on loopback, private or
    /// link-local addresses are refused (unless the server allows them). A
    /// tenant has at most 20 endpoints. Needs `write:webhooks`.
    #[graphql(guard = "ScopeGuard(Scope::WriteWebhooks)")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An http(s) URL of a public host; at most 2,048 characters.")] url: String,
        #[graphql(
            desc = "The events to send there, at least one: `customer.created`, `customer.updated`, `customer.deleted`, `data_request.completed`, `segment.entered`, `segment.exited`."
        )]
        events: Vec<String>,
        #[graphql(desc = "What the endpoint is for; up to 500 characters.")] description: Option<
            String,
        >,
    ) -> Result<WebhookEndpoint> {
        let session = ctx.session()?;
        let settings = ctx.data::<Settings>()?;
        let url = url.trim().to_owned();
        if url.len() > MAX_URL {
            return Err(bad_input("url", format!("at most {MAX_URL} characters")).into());
        }
        if events.is_empty() {
            return Err(bad_input("events", "name at least one event").into());
        }
        let mut names: Vec<&'static str> = Vec::new();
        for (i, event) in events.iter().enumerate() {
            let Some(name) = outbox::EVENTS.into_iter().find(|e| e == event) else {
                return Err(bad_input(
                    format!("events.{i}"),
                    format!(
                        "unknown event {event:?}; one of {}",
                        outbox::EVENTS.join(", ")
                    ),
                )
                .into());
            };
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let checked = guard::check(&url, settings.webhook_allow_private)
            .await
            .map_err(|why| bad_input("url", format!("the URL {why}")))?;
        let description = match description {
            Some(d) => input::multiline("description", d, MAX_DESCRIPTION)?,
            None => None,
        };
        let tenant = session.tenant();
        let txn = begin_write(&session.db).await?;
        if repo::count_endpoints(&txn, tenant).await? >= MAX_ENDPOINTS {
            return Err(bad_input(
                "url",
                format!("a tenant has at most {MAX_ENDPOINTS} webhook endpoints"),
            )
            .into());
        }
        let now = crate::db::now();
        let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()));
        let row = repo::insert_endpoint(
            &txn,
            webhook_endpoint::Model {
                tenant_id: tenant.as_str().to_owned(),
                id: ids::new_key(),
                url: checked.to_string(),
                events: Value::from(names),
                secret: secret.clone(),
                description,
                disabled_at: None,
                disabled_reason: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        txn.commit().await?;
        Ok(WebhookEndpoint {
            row,
            secret: Some(secret),
        })
    }

    /// Deletes an endpoint with its deliveries; no more events go there.
    /// Needs `write:webhooks`.
    #[graphql(guard = "ScopeGuard(Scope::WriteWebhooks)")]
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint's ID (`whk_…`).")] id: ID,
    ) -> Result<DeletePayload> {
        let session = ctx.session()?;
        let key = WebhookEndpointId::require(&id)?;
        if !repo::delete_endpoint(&session.db, session.tenant(), &key).await? {
            return Err(not_found("webhook endpoint").into());
        }
        Ok(DeletePayload { deleted_id: id })
    }
}

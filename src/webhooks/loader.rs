//! Per-request loaders: endpoints by key, events by key and the attempts
//! of deliveries, one statement per batch.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::{webhook_attempt, webhook_endpoint, webhook_event};

use super::repo;
use crate::tenancy::{self, TenantId};

pub struct WebhookEndpointLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for WebhookEndpointLoader {
    type Value = webhook_endpoint::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows =
            tenancy::find_many::<entity::webhook_endpoint::Entity>(&self.db, &self.tenant, keys)
                .await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

pub struct WebhookEventLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for WebhookEventLoader {
    type Value = webhook_event::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let rows =
            tenancy::find_many::<entity::webhook_event::Entity>(&self.db, &self.tenant, keys)
                .await?;
        Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
    }
}

/// The attempts of each delivery, oldest first.
pub struct WebhookAttemptLoader {
    pub db: crate::db::Reads,
    pub tenant: TenantId,
}

impl Loader<String> for WebhookAttemptLoader {
    type Value = Vec<webhook_attempt::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let mut out: HashMap<String, Self::Value> = HashMap::new();
        for row in repo::attempts(&self.db, &self.tenant, keys).await? {
            out.entry(row.delivery_id.clone()).or_default().push(row);
        }
        Ok(out)
    }
}

crate::graphql::tenant_loaders!(
    WebhookEndpointLoader,
    WebhookEventLoader,
    WebhookAttemptLoader
);

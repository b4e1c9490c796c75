//! Webhooks (API.md §10): endpoints a tenant registers, an outbox of
//! events written with the changes they report, and deliveries sent by
//! the background worker, signed, retried and recorded attempt by attempt.

mod deliver;
mod graphql;
pub mod guard;
pub mod loader;
mod object;
pub mod outbox;
pub mod repo;

pub use deliver::{Deliveries, SIGNATURE_HEADER, signature};
pub use graphql::{WebhookMutation, WebhookQuery};
pub use object::{WebhookDelivery, WebhookEndpoint};

/// How long sent events (with their deliveries and attempts) are kept for
/// `WebhookEndpoint.deliveries`; every delivery has settled long before.
pub const RETENTION_DAYS: i64 = 30;

/// The HTTP client deliveries go out with: a timeout, no redirects, no
/// proxy, and (unless private addresses are allowed) a resolver that only
/// returns public addresses.
pub fn client(settings: &crate::config::WebhookArgs) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.webhook_timeout)
        .connect_timeout(
            settings
                .webhook_timeout
                .min(std::time::Duration::from_secs(10)),
        )
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("crm-graphql-webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.webhook_allow_private {
        builder = builder.dns_resolver(std::sync::Arc::new(guard::PublicResolver));
    }
    Ok(builder.build()?)
}

/// Removes the events older than [`RETENTION_DAYS`] (all tenants), with
/// their deliveries and attempts.
async fn sweep_old_events(db: &sea_orm::DatabaseConnection) -> crate::error::AppResult<u64> {
    use sea_orm::{ColumnTrait as _, QueryFilter as _};
    let before = crate::db::now() - chrono::Duration::days(RETENTION_DAYS);
    Ok(
        crate::tenancy::across_tenants_delete::<entity::webhook_event::Entity>()
            .filter(entity::webhook_event::Column::CreatedAt.lt(before))
            .exec(db)
            .await?
            .rows_affected,
    )
}

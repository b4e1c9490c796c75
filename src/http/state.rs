//! What every request handler shares: built once by `app`, read by the
//! routes.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::Keys;
use crate::config::ServeArgs;
use crate::events::EventBus;
use crate::jobs::Wake;
use crate::limits::Gate;
use crate::schema::AppSchema;

/// Everything a request needs, shared by all requests.
pub struct App {
    pub db: DatabaseConnection,
    /// Where requests' reads outside a transaction run.
    pub reads: crate::db::Reads,
    pub keys: Keys,
    /// Tenants' API keys, cached.
    pub api_keys: Arc<crate::api_keys::ApiKeys>,
    pub schema: AppSchema,
    pub config: ServeArgs,
    /// The development secret's path when no key is configured: GraphiQL
    /// then comes with a ready token for tenant `demo`.
    pub dev_secret: Option<std::path::PathBuf>,
    /// SQL statements run so far.
    pub statements: crate::db::StatementCount,
    /// Live events: published by requests and jobs, heard by subscriptions.
    pub bus: Arc<dyn EventBus>,
    /// Subscriptions shared among WebSockets.
    pub fanout: Arc<super::fanout::Fanout>,
    /// Query limits and the tenants' cost budgets.
    pub gate: Gate,
    /// Automatic persisted queries.
    pub persisted: super::persisted::PersistedQueries,
    /// Wakes this instance's job worker when a request enqueued jobs.
    pub wake: Wake,
    /// Turns true when the server begins to shut down: WebSockets then
    /// close with 1001.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

/// Axum state: the shared [`App`].
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

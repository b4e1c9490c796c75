//! The GraphQL schema: roots merged from the features, and the shared
//! mechanics (context, IDs, scalars, pagination, loaders).

pub mod children;
mod context;
mod dispatch;
pub mod id;
pub mod input;
mod loaders;
mod mutation;
mod node;
pub mod pagination;
mod query;
pub mod scalars;

pub use context::{ContextExt, Session};
pub use dispatch::Dispatch;
pub use loaders::Loaders;
pub use mutation::Mutation;
pub use node::{MAX_IDS, Node};
pub use query::Query;

use async_graphql::{ID, Schema, SimpleObject};

use crate::events::EventSubscription;

/// The result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    pub deleted_id: ID,
}

pub type AppSchema = Schema<Query, Mutation, EventSubscription>;

/// The server's settings that resolvers read.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub introspection: bool,
    /// Webhook URLs may point at loopback, private and link-local addresses.
    pub webhook_allow_private: bool,
    /// How long an export's `downloadUrl` stays valid.
    pub export_link_ttl: std::time::Duration,
    /// The base of absolute links (`downloadUrl`); relative without it.
    pub public_url: Option<String>,
}

/// Builds the schema; per-request data (the [`Session`]) is added by the
/// HTTP layer.
pub fn build_schema(settings: Settings) -> AppSchema {
    // At most 5 directives on one field.
    let mut builder =
        Schema::build(Query::default(), Mutation::default(), EventSubscription).limit_directives(5);
    // Resolver spans (target `async_graphql::graphql`) only when the log
    // filter (`CRM_LOG`) asks for them: the extension wraps every resolved
    // field, whether or not its spans are kept.
    if tracing::enabled!(target: "async_graphql::graphql", tracing::Level::INFO) {
        builder = builder.extension(async_graphql::extensions::Tracing);
    }
    if !settings.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder
        .data(settings)
        .data(crate::customers::counts::TenantSizes::default())
        .finish()
}

/// The SDL that `crm schema` prints and `schema.graphql` holds.
pub fn sdl() -> String {
    build_schema(Settings {
        introspection: true,
        ..Settings::default()
    })
    .sdl()
}

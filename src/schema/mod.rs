//! The schema, assembled above the features: the query, mutation and
//! subscription roots merged from theirs, Relay's `Node`, and the SDL.

mod export;
mod mutation;
mod node;
mod query;
mod subscription;

pub use export::SchemaQueries;
pub use mutation::Mutation;
pub use node::Node;
pub use query::Query;
pub use subscription::Subscription;

use async_graphql::Schema;

use crate::graphql::Settings;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema; per-request data (the [`crate::graphql::Session`])
/// is added by the HTTP layer.
pub fn build_schema(settings: Settings) -> AppSchema {
    // At most 5 directives on one field.
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_directives(5);
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
        .data(crate::profiles::counts::TenantSizes::default())
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
